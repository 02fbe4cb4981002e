#pragma once

#include "scenario.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>

namespace kubesim {

class ApiServer;
class CertAuthority;
class PodRuntime;

struct KubesimOptions
{
    QString scenarioPath, kubeconfigOut, stateDir;
    QStringList rbacFiles; // Role/RoleBinding manifests bound to the scenario's users
    quint16 port = 0;
    // The address the API server listens on, and the one the kubeconfig names. A
    // non-loopback one lets tests route through a proxy (kubectl never proxies loopback).
    QString address = QStringLiteral("127.0.0.1");
    // Names for the serving certificate. Set: the certificate holds only these (no IP), so
    // a client must verify with the kubeconfig's tls-server-name. Empty: localhost + address.
    QStringList serverNames;
    bool requireRuntime = false;
};

// Wires scenario, CA, pod runtime, API server and kubeconfig together.
class KubesimApp : public QObject
{
    Q_OBJECT
public:
    explicit KubesimApp(QObject *parent = nullptr);
    ~KubesimApp() override;

    bool start(const KubesimOptions &options, QString *error);
    QString serverUrl() const;
    void shutdown();
    static bool runtimeBuiltIn();

private:
    Scenario m_scenario;
    std::unique_ptr<CertAuthority> m_ca;
    PodRuntime *m_runtime = nullptr;
    ApiServer *m_server = nullptr;
};

} // namespace kubesim
