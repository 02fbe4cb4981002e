#pragma once

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace kubesim {

// The in-memory form of a scenario file (see README.md for the YAML format).
struct ScenarioPort
{
    QString name;
    int port = 0;       // containerPort for containers, port for services
    int targetPort = 0; // services only
    QString targetPortName;
    QString protocol = QStringLiteral("TCP");
};

struct ScenarioContainer
{
    QString name, image;
    QList<ScenarioPort> ports;
    // securityContext.runAsNonRoot / runAsUser, written into the pod when set.
    std::optional<bool> runAsNonRoot;
    std::optional<qint64> runAsUser;
};

struct ScenarioWorkload
{
    QString kind = QStringLiteral("none");
    int port = 0;
};

struct ScenarioTraffic
{
    double ratePerSecond = 0;
    int requestSize = 0;
    int connections = 0;
};

// A node and its container runtime, whose default capabilities an exec'd process starts from
// (CapabilityExec::defaultCapabilities).
struct ScenarioNode
{
    QString name = QStringLiteral("kubesim-node");
    QString runtime = QStringLiteral("containerd"); // containerd | cri-o
    // status.nodeInfo.containerRuntimeVersion; empty: RUNTIME://the version below.
    QString runtimeVersion;

    static QString defaultVersion(const QString &runtime)
    {
        return runtime == QLatin1String("cri-o") ? QStringLiteral("cri-o://1.29.1")
                                                 : QStringLiteral("containerd://1.7.13");
    }
    QString containerRuntimeVersion() const
    {
        return runtimeVersion.isEmpty() ? defaultVersion(runtime) : runtimeVersion;
    }
};

// A service-mesh sidecar: terminates TLS on `port` and forwards plaintext to the workload's
// port on 127.0.0.1; the pod's inbound connections to the workload port are redirected to it.
struct ScenarioSidecar
{
    QString kind; // "tls-terminator"
    int port = 15006;
};

struct ScenarioPod
{
    QString ns, name;
    // The node it runs on (spec.nodeName) and that node's runtime, resolved by the loader.
    QString node = QStringLiteral("kubesim-node");
    QString nodeRuntime = QStringLiteral("containerd");
    QMap<QString, QString> labels;
    QMap<QString, QString> annotations;
    QList<ScenarioContainer> containers;
    ScenarioWorkload workload;
    std::optional<ScenarioSidecar> sidecar;
    std::optional<ScenarioTraffic> traffic;
};

struct ScenarioNamespace
{
    QString name;
    QMap<QString, QString> labels;
};

struct ScenarioWorkloadObject // Deployment / StatefulSet
{
    QString ns, name;
    int replicas = 1;
    QMap<QString, QString> selector;
};

struct ScenarioService
{
    QString ns, name;
    QMap<QString, QString> selector;
    QList<ScenarioPort> ports;
};

struct ScenarioRule
{
    QStringList namespaces; // empty or "*" = every namespace
    QStringList apiGroups, resources, verbs, resourceNames;
};

struct ScenarioUser
{
    QString name;
    QString auth; // client-cert | token | basic | exec-v1 | exec-v1beta1
    QString token;
    QString username, password;             // basic
    QString keyType = QStringLiteral("ec"); // client-cert: ec (P-256) | rsa (2048, PKCS#1 PEM)
    QStringList groups;
    int execTokenTtlSeconds = 0; // exec plugin: 0 = no expiry
    QList<ScenarioRule> rules;
};

struct HttpFault
{
    QString path; // prefix of the request path
    QString method;
    QString user;
    int delayMs = 0;
    int status = 0; // 429, 500, 503 …
    int count = 0;  // 0 = every matching request
};

struct ExecFault
{
    QString ns, pod;
    qint64 cutAfterBytes = -1;
    int cutAfterMs = -1;
    bool stall = false;
    // dropPackets: {port, every, ordinals, max, log} (runtime README, "Fault knobs")
    int dropPort = 0;
    int dropEvery = 0;
    QList<qint64> dropOrdinals;
    int dropMax = 64;
    QString dropLog; // relative: below kubesim's state folder
};

struct ScenarioFaults
{
    QList<HttpFault> http;
    QStringList unauthorizedOnce;
    int watchExpireSeconds = 0;
    QList<ExecFault> exec;
};

// A validating admission webhook emulated in-process (admissionpolicy.h).
struct ScenarioAdmissionPolicy
{
    QString kind = QStringLiteral("requireRunAsNonRoot"); // the only kind
    QString webhook = QStringLiteral("validate.kyverno.svc-fail");
    QString policy = QStringLiteral("require-run-as-nonroot");
    QString rule = QStringLiteral("run-as-non-root");
    QStringList namespaces; // empty or "*" = every namespace
};

struct Scenario
{
    QList<ScenarioNode> nodes; // never empty after loading: kubesim-node (containerd)
    QList<ScenarioNamespace> namespaces;
    QList<ScenarioPod> pods;
    QList<ScenarioWorkloadObject> deployments, statefulsets;
    QList<ScenarioService> services;
    QList<ScenarioUser> users;
    QStringList images;
    ScenarioFaults faults;
    QList<ScenarioAdmissionPolicy> admission;
    int containerStartMs = 300;
};

} // namespace kubesim
