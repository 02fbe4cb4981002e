// Unit tests of kubesim's API-half building blocks.
#include "admissionpolicy.h"
#include "httprequestparser.h"
#include "objectfactory.h"
#include "patchapplier.h"
#include "podsecurity.h"
#include "rbacmanifestloader.h"
#include "scenarioloader.h"
#include "selector.h"

#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace kubesim;

namespace {

QJsonObject obj(const char *json)
{
    return QJsonDocument::fromJson(QByteArray(json)).object();
}

} // namespace

class TstKubesimCore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parserSplits_data();
    void parserSplits();
    void parserLimits();
    void strategicMerge_data();
    void strategicMerge();
    void jsonPatch_data();
    void jsonPatch();
    void labelSelector_data();
    void labelSelector();
    void podSecurity_data();
    void podSecurity();
    void admissionPolicy_data();
    void admissionPolicy();
    void scenarioErrors_data();
    void scenarioErrors();
    void scenarioNodes();
    void rbacManifests_data();
    void rbacManifests();
    void normalizeImage_data();
    void normalizeImage();
};

void TstKubesimCore::parserSplits_data()
{
    QTest::addColumn<int>("chunk");
    for (int c : {1, 2, 3, 7, 16, 1000})
        QTest::addRow("chunk %d", c) << c;
}

void TstKubesimCore::parserSplits()
{
    QFETCH(int, chunk);
    const QByteArray wire
            = "PATCH /api/v1/namespaces/a/pods/b/ephemeralcontainers?x=1&command=a+b&command=%2F "
              "HTTP/1.1\r\n"
              "Host: h\r\nContent-Type: application/strategic-merge-patch+json\r\n"
              "Content-Length: 5\r\n\r\nhelloGET /version HTTP/1.1\r\nConnection: close\r\n\r\n";
    QBuffer dev;
    dev.open(QIODevice::ReadWrite);
    HttpRequestParser parser;
    QList<HttpRequest> got;
    for (int pos = 0; pos < wire.size(); pos += chunk) {
        const qint64 readPos = dev.pos();
        dev.seek(dev.size());
        dev.write(wire.mid(pos, chunk));
        dev.seek(readPos);
        while (parser.advance(&dev) == HttpRequestParser::State::Complete)
            got << parser.takeRequest();
        QVERIFY(parser.state() != HttpRequestParser::State::Error);
    }
    QCOMPARE(got.size(), 2);
    QCOMPARE(got[0].method, QByteArray("PATCH"));
    QCOMPARE(got[0].path(), QByteArray("/api/v1/namespaces/a/pods/b/ephemeralcontainers"));
    QCOMPARE(got[0].queryValues(QStringLiteral("command")),
             (QStringList{QStringLiteral("a b"), QStringLiteral("/")}));
    QCOMPARE(got[0].body, QByteArray("hello"));
    QCOMPARE(got[0].header("content-type"), QByteArray("application/strategic-merge-patch+json"));
    QVERIFY(got[0].keepAlive());
    QCOMPARE(got[1].path(), QByteArray("/version"));
    QVERIFY(!got[1].keepAlive());
}

void TstKubesimCore::parserLimits()
{
    QBuffer dev;
    dev.open(QIODevice::ReadWrite);
    dev.write("GET / HTTP/1.1\r\nX: " + QByteArray(HttpRequestParser::MaxHeaderBytes, 'a'));
    dev.seek(0);
    HttpRequestParser p;
    QCOMPARE(p.advance(&dev), HttpRequestParser::State::Error);
    QCOMPARE(p.errorStatus(), 431);

    QBuffer bad;
    bad.open(QIODevice::ReadWrite);
    bad.write("NONSENSE\r\n\r\n");
    bad.seek(0);
    HttpRequestParser p2;
    QCOMPARE(p2.advance(&bad), HttpRequestParser::State::Error);
    QCOMPARE(p2.errorStatus(), 400);
}

void TstKubesimCore::strategicMerge_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("patch");
    QTest::addColumn<QByteArray>("expected");
    QTest::addRow("append ephemeral by name")
            << QByteArray(
                       R"({"spec":{"containers":[{"name":"app"}],"ephemeralContainers":[{"name":"a","image":"x"}]}})")
            << QByteArray(R"({"spec":{"ephemeralContainers":[{"name":"b","image":"y"}]}})")
            << QByteArray(
                       R"({"spec":{"containers":[{"name":"app"}],"ephemeralContainers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}})");
    QTest::addRow("merge into existing element")
            << QByteArray(R"({"spec":{"ephemeralContainers":[{"name":"a","image":"x"}]}})")
            << QByteArray(R"({"spec":{"ephemeralContainers":[{"name":"a","image":"z"}]}})")
            << QByteArray(R"({"spec":{"ephemeralContainers":[{"name":"a","image":"z"}]}})");
    QTest::addRow("delete directive and null")
            << QByteArray(
                       R"({"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"ephemeralContainers":[{"name":"a"}]}})")
            << QByteArray(
                       R"({"metadata":{"labels":{"a":null}},"spec":{"ephemeralContainers":[{"name":"a","$patch":"delete"}]}})")
            << QByteArray(R"({"metadata":{"labels":{"b":"2"}},"spec":{"ephemeralContainers":[]}})");
    QTest::addRow("list without merge key replaced, $setElementOrder ignored")
            << QByteArray(R"({"spec":{"x":{"args":["a","b"]}}})")
            << QByteArray(
                       R"({"spec":{"x":{"args":["c"]},"$setElementOrder/ephemeralContainers":[{"name":"q"}]}})")
            << QByteArray(R"({"spec":{"x":{"args":["c"]}}})");
}

void TstKubesimCore::strategicMerge()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, patch);
    QFETCH(QByteArray, expected);
    const auto r = PatchApplier::strategicMerge(obj(target), obj(patch));
    QVERIFY(r.ok());
    QCOMPARE(r.value(), obj(expected));
}

void TstKubesimCore::jsonPatch_data()
{
    QTest::addColumn<QByteArray>("ops");
    QTest::addColumn<QByteArray>("expected"); // empty = error
    const QByteArray target = R"({"spec":{"ephemeralContainers":[{"name":"a"}]}})";
    QTest::addRow("add -")
            << QByteArray(
                       R"([{"op":"add","path":"/spec/ephemeralContainers/-","value":{"name":"b"}}])")
            << QByteArray(R"({"spec":{"ephemeralContainers":[{"name":"a"},{"name":"b"}]}})");
    QTest::addRow("replace") << QByteArray(
            R"([{"op":"replace","path":"/spec/ephemeralContainers/0/name","value":"z"}])")
                             << QByteArray(R"({"spec":{"ephemeralContainers":[{"name":"z"}]}})");
    QTest::addRow("remove") << QByteArray(
            R"([{"op":"remove","path":"/spec/ephemeralContainers/0"}])")
                            << QByteArray(R"({"spec":{"ephemeralContainers":[]}})");
    QTest::addRow("test fails") << QByteArray(
            R"([{"op":"test","path":"/spec/ephemeralContainers/0/name","value":"q"}])")
                                << QByteArray();
    QTest::addRow("missing path") << QByteArray(
            R"([{"op":"replace","path":"/spec/nope/x","value":1}])")
                                  << QByteArray();
    QTest::addRow("copy and move")
            << QByteArray(
                       R"([{"op":"copy","from":"/spec/ephemeralContainers/0","path":"/spec/c"},{"op":"move","from":"/spec/c","path":"/m"}])")
            << QByteArray(R"({"m":{"name":"a"},"spec":{"ephemeralContainers":[{"name":"a"}]}})");
    Q_UNUSED(target)
}

void TstKubesimCore::jsonPatch()
{
    QFETCH(QByteArray, ops);
    QFETCH(QByteArray, expected);
    const auto r
            = PatchApplier::jsonPatch(obj(R"({"spec":{"ephemeralContainers":[{"name":"a"}]}})"),
                                      QJsonDocument::fromJson(ops).array());
    if (expected.isEmpty()) {
        QVERIFY(!r.ok());
        return;
    }
    QVERIFY2(r.ok(), qPrintable(r.error()));
    QCOMPARE(r.value(), obj(expected));
}

void TstKubesimCore::labelSelector_data()
{
    QTest::addColumn<QString>("selector");
    QTest::addColumn<bool>("matches");
    QTest::addRow("eq") << QStringLiteral("app=web") << true;
    QTest::addRow("eqeq") << QStringLiteral("app==web") << true;
    QTest::addRow("neq") << QStringLiteral("app!=web") << false;
    QTest::addRow("in") << QStringLiteral("tier in (a, frontend)") << true;
    QTest::addRow("notin") << QStringLiteral("tier notin (frontend)") << false;
    QTest::addRow("exists") << QStringLiteral("app") << true;
    QTest::addRow("not exists") << QStringLiteral("!missing") << true;
    QTest::addRow("and") << QStringLiteral("app=web,missing") << false;
    QTest::addRow("empty") << QString() << true;
}

void TstKubesimCore::labelSelector()
{
    QFETCH(QString, selector);
    QFETCH(bool, matches);
    const auto s = Selector::parseLabels(selector);
    QVERIFY(s.ok());
    QCOMPARE(s->matchesLabels(obj(R"({"metadata":{"labels":{"app":"web","tier":"frontend"}}})")),
             matches);
}

void TstKubesimCore::podSecurity_data()
{
    QTest::addColumn<QString>("level");
    QTest::addColumn<QByteArray>("securityContext");
    QTest::addColumn<QString>("message");
    const QByteArray tap
            = R"({"capabilities":{"drop":["ALL"],"add":["NET_RAW"]},"allowPrivilegeEscalation":false,"seccompProfile":{"type":"RuntimeDefault"},"runAsNonRoot":true})";
    QTest::addRow("privileged allows") << QStringLiteral("privileged") << tap << QString();
    QTest::addRow("no label allows") << QString() << tap << QString();
    QTest::addRow("baseline NET_RAW")
            << QStringLiteral("baseline") << tap
            << QStringLiteral("violates PodSecurity \"baseline:latest\": non-default capabilities "
                              "(container \"t\" must not include \"NET_RAW\" in "
                              "securityContext.capabilities.add)");
    QTest::addRow("baseline default caps ok")
            << QStringLiteral("baseline")
            << QByteArray(R"({"capabilities":{"add":["CHOWN","KILL"]}})") << QString();
    QTest::addRow("baseline privileged")
            << QStringLiteral("baseline") << QByteArray(R"({"privileged":true})")
            << QStringLiteral("violates PodSecurity \"baseline:latest\": privileged (container "
                              "\"t\" must not set securityContext.privileged=true)");
    // The nonroot tap profile (runAsNonRoot, uid 65532, escalation left unset): Pod Security
    // admits it exactly where it admits the default one.
    const QByteArray nonroot
            = R"({"capabilities":{"drop":["ALL"],"add":["NET_RAW"]},"readOnlyRootFilesystem":true,"runAsGroup":65532,"runAsNonRoot":true,"runAsUser":65532,"seccompProfile":{"type":"RuntimeDefault"}})";
    QTest::addRow("privileged allows nonroot")
            << QStringLiteral("privileged") << nonroot << QString();
    QTest::addRow("baseline nonroot NET_RAW")
            << QStringLiteral("baseline") << nonroot
            << QStringLiteral("violates PodSecurity \"baseline:latest\": non-default capabilities "
                              "(container \"t\" must not include \"NET_RAW\" in "
                              "securityContext.capabilities.add)");
    QTest::addRow("restricted nonroot")
            << QStringLiteral("restricted") << nonroot
            << QStringLiteral(
                       "violates PodSecurity \"restricted:latest\": allowPrivilegeEscalation "
                       "!= false (container \"t\" must set "
                       "securityContext.allowPrivilegeEscalation=false), unrestricted "
                       "capabilities (container \"t\" must not include \"NET_RAW\" in "
                       "securityContext.capabilities.add)");
    // The baseline tap profile: no add, every capability but NET_RAW dropped by name.
    const QByteArray baselineTap
            = R"({"allowPrivilegeEscalation":false,"capabilities":{"drop":["CHOWN","DAC_OVERRIDE","DAC_READ_SEARCH","FOWNER","FSETID","KILL","SETGID","SETUID","SETPCAP","LINUX_IMMUTABLE","NET_BIND_SERVICE","NET_BROADCAST","NET_ADMIN","IPC_LOCK","IPC_OWNER","SYS_MODULE","SYS_RAWIO","SYS_CHROOT","SYS_PTRACE","SYS_PACCT","SYS_ADMIN","SYS_BOOT","SYS_NICE","SYS_RESOURCE","SYS_TIME","SYS_TTY_CONFIG","MKNOD","LEASE","AUDIT_WRITE","AUDIT_CONTROL","SETFCAP","MAC_OVERRIDE","MAC_ADMIN","SYSLOG","WAKE_ALARM","BLOCK_SUSPEND","AUDIT_READ","PERFMON","BPF","CHECKPOINT_RESTORE"]},"readOnlyRootFilesystem":true,"seccompProfile":{"type":"RuntimeDefault"}})";
    QTest::addRow("baseline admits the baseline tap")
            << QStringLiteral("baseline") << baselineTap << QString();
    QTest::addRow("privileged admits the baseline tap")
            << QStringLiteral("privileged") << baselineTap << QString();
    QTest::addRow("restricted baseline tap")
            << QStringLiteral("restricted") << baselineTap
            << QStringLiteral("violates PodSecurity \"restricted:latest\": unrestricted "
                              "capabilities (container \"t\" must set "
                              "securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true "
                              "(pod or container \"t\" must set "
                              "securityContext.runAsNonRoot=true)");
    QTest::addRow("restricted tap")
            << QStringLiteral("restricted") << tap
            << QStringLiteral("violates PodSecurity \"restricted:latest\": unrestricted "
                              "capabilities (container \"t\" must not include \"NET_RAW\" in "
                              "securityContext.capabilities.add)");
}

void TstKubesimCore::podSecurity()
{
    QFETCH(QString, level);
    QFETCH(QByteArray, securityContext);
    QFETCH(QString, message);
    QJsonObject c{{QStringLiteral("name"), QStringLiteral("t")},
                  {QStringLiteral("securityContext"), obj(securityContext)}};
    const QJsonObject pod{{QStringLiteral("spec"),
                           QJsonObject{{QStringLiteral("ephemeralContainers"), QJsonArray{c}}}}};
    QCOMPARE(PodSecurity::check(level, QString(), pod), message);
}

void TstKubesimCore::admissionPolicy_data()
{
    QTest::addColumn<QByteArray>("pod");
    QTest::addColumn<QString>("ns");
    QTest::addColumn<QString>("message"); // empty: admitted
    const QByteArray app = R"({"name":"app","securityContext":{"runAsNonRoot":true}})";
    const QByteArray defaultTap
            = R"({"name":"podtap-a","securityContext":{"allowPrivilegeEscalation":false}})";
    const QByteArray nonRootTap
            = R"({"name":"podtap-b","securityContext":{"runAsNonRoot":true,"runAsUser":65532}})";
    const QString head = QStringLiteral(
            "admission webhook \"validate.kyverno.svc-fail\" denied the request: \n\nresource "
            "Pod/guarded/api was blocked due to the following policies \n\nrequire-run-as-nonroot:"
            "\n  run-as-non-root: 'validation error: Running as root is not allowed. ");
    auto pod = [](const QByteArray &containers, const QByteArray &eph,
                  const QByteArray &podSc = {}) -> QByteArray {
        return QByteArray(R"({"metadata":{"name":"api"},"spec":{)")
               + (podSc.isEmpty() ? QByteArray() : R"("securityContext":)" + podSc + ',')
               + R"("containers":[)" + containers + R"(],"ephemeralContainers":[)" + eph + "]}}";
    };
    QTest::addRow("nonroot tap admitted")
            << pod(app, nonRootTap) << QStringLiteral("guarded") << QString();
    QTest::addRow("default tap denied")
            << pod(app, defaultTap) << QStringLiteral("guarded")
            << head
                       + QStringLiteral(
                               "Either the field spec.securityContext.runAsNonRoot must be "
                               "set to `true`, or the fields "
                               "spec.containers[*].securityContext.runAsNonRoot, "
                               "spec.initContainers[*].securityContext.runAsNonRoot, and "
                               "spec.ephemeralContainers[*].securityContext.runAsNonRoot "
                               "must be set to `true`. rule run-as-non-root[0] failed at "
                               "path /spec/securityContext/ rule run-as-non-root[1] failed "
                               "at path /spec/ephemeralContainers/0/securityContext/"
                               "runAsNonRoot/'");
    // Pod-level runAsNonRoot (anyPattern[0]) covers a container that does not say otherwise;
    // the kubelet then refuses a root image at start (CreateContainerConfigError).
    QTest::addRow("pod-level runAsNonRoot admits the default tap")
            << pod(R"({"name":"app"})", defaultTap, R"({"runAsNonRoot":true})")
            << QStringLiteral("guarded") << QString();
    QTest::addRow("other namespace not guarded")
            << pod(app, defaultTap) << QStringLiteral("shop") << QString();
}

void TstKubesimCore::admissionPolicy()
{
    QFETCH(QByteArray, pod);
    QFETCH(QString, ns);
    QFETCH(QString, message);
    ScenarioAdmissionPolicy policy;
    policy.namespaces = {QStringLiteral("guarded")};
    const QString got = AdmissionPolicy::check({policy}, ns, obj(pod));
    if (message.isEmpty())
        QVERIFY2(got.isEmpty(), qPrintable(got));
    else
        QCOMPARE(got, message);
}

void TstKubesimCore::scenarioErrors_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("error");
    QTest::addRow("unknown top key")
            << QByteArray("images: []\nnamespcaes: []\n")
            << QStringLiteral("t.yaml: line 2: unknown key \"namespcaes\"");
    QTest::addRow("unknown pod key") << QByteArray(
            "pods:\n  - name: a\n    containers: [{name: c, image: i}]\n    lables: {}\n")
                                     << QStringLiteral(
                                                "t.yaml: line 4: unknown key \"lables\" in pod");
    QTest::addRow("undeclared namespace")
            << QByteArray("pods:\n  - name: a\n    namespace: x\n    containers: [{name: c, image: "
                          "i}]\n")
            << QStringLiteral("t.yaml: line 2: namespace \"x\" is not declared");
    QTest::addRow("bad auth") << QByteArray("users:\n  - name: u\n    auth: password\n")
                              << QStringLiteral("t.yaml: line 3: auth must be one of");
    QTest::addRow("basic without password")
            << QByteArray("users:\n  - name: u\n    auth: basic\n")
            << QStringLiteral("t.yaml: line 2: a basic user needs a password");
    QTest::addRow("bad admission kind")
            << QByteArray("admission:\n  - kind: requireSigned\n")
            << QStringLiteral("t.yaml: line 2: admission policy kind must be requireRunAsNonRoot");
    QTest::addRow("bad container securityContext key")
            << QByteArray("pods:\n  - name: a\n    containers:\n      - {name: c, image: i, "
                          "securityContext: {privileged: true}}\n")
            << QStringLiteral("t.yaml: line 4: unknown key \"privileged\" in securityContext");
    QTest::addRow("bad node runtime")
            << QByteArray("nodes:\n  - {name: n1, runtime: docker}\n")
            << QStringLiteral("t.yaml: line 2: node runtime must be containerd or cri-o");
    QTest::addRow("runtimeVersion of another runtime")
            << QByteArray("nodes:\n  - {name: n1, runtime: cri-o, runtimeVersion: "
                          "containerd://1.7.13}\n")
            << QStringLiteral("t.yaml: line 2: runtimeVersion must start with cri-o://");
    QTest::addRow("duplicate node")
            << QByteArray("nodes:\n  - {name: n1}\n  - {name: n1, runtime: cri-o}\n")
            << QStringLiteral("t.yaml: line 3: duplicate node n1");
    QTest::addRow("undeclared node")
            << QByteArray("nodes:\n  - {name: n1}\npods:\n  - name: a\n    node: n2\n"
                          "    containers: [{name: c, image: i}]\n")
            << QStringLiteral("t.yaml: line 4: node \"n2\" is not declared under nodes");
    QTest::addRow("bad key type") << QByteArray(
            "users:\n  - name: u\n    auth: client-cert\n    keyType: dsa\n")
                                  << QStringLiteral("t.yaml: line 4: keyType must be ec or rsa");
    const QByteArray pod("pods:\n  - name: a\n    containers: [{name: c, image: i}]\n");
    QTest::addRow("bad sidecar kind")
            << pod + "    workload: {kind: http-echo, port: 8080}\n    sidecar: {kind: envoy}\n"
            << QStringLiteral("t.yaml: line 5: sidecar kind must be tls-terminator");
    QTest::addRow("sidecar without workload")
            << pod + "    sidecar: {kind: tls-terminator, port: 15006}\n"
            << QStringLiteral("t.yaml: line 4: a sidecar forwards to the pod's workload");
    QTest::addRow("sidecar on the workload port")
            << pod
                       + "    workload: {kind: http-echo, port: 8080}\n"
                         "    sidecar: {kind: tls-terminator, port: 8080}\n"
            << QStringLiteral("t.yaml: line 5: the sidecar port must differ");
    QTest::addRow("sidecar with plaintext traffic")
            << pod
                       + "    workload: {kind: http-echo, port: 8080}\n"
                         "    sidecar: {kind: tls-terminator}\n    traffic: {ratePerSecond: 1}\n"
            << QStringLiteral("t.yaml: line 6: traffic speaks plaintext HTTP");
}

void TstKubesimCore::scenarioErrors()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, error);
    const auto r = ScenarioLoader::loadData(yaml, QStringLiteral("t.yaml"));
    QVERIFY(!r.ok());
    QVERIFY2(r.error().startsWith(error), qPrintable(r.error()));
}

void TstKubesimCore::rbacManifests_data()
{
    // A ClusterRole and a binding to ROLE for SUBJECTS; errors name the line they point at.
    QTest::addColumn<QByteArray>("role");
    QTest::addColumn<QByteArray>("subjects");
    QTest::addColumn<QString>("error"); // empty: loads
    QTest::addColumn<int>("aliceRules");
    const QByteArray alice = "subjects:\n"
                             "- kind: User\n"
                             "  apiGroup: rbac.authorization.k8s.io\n"
                             "  name: alice\n";
    QTest::addRow("bound") << QByteArray("reader") << alice << QString() << 1;
    QTest::addRow("no subjects binds nobody")
            << QByteArray("reader") << QByteArray() << QString() << 0;
    QTest::addRow("unknown role")
            << QByteArray("ghost") << alice
            << QStringLiteral("t.yaml: line 15: ClusterRoleBinding refers to ClusterRole ghost, "
                              "which is not in the manifests")
            << 0;
    QTest::addRow("unknown user")
            << QByteArray("reader") << QByteArray(alice).replace("alice", "nobody")
            << QStringLiteral("t.yaml: line 19: ClusterRoleBinding binds User \"nobody\", which no "
                              "scenario user is or belongs to")
            << 0;
}

void TstKubesimCore::rbacManifests()
{
    QFETCH(QByteArray, role);
    QFETCH(QByteArray, subjects);
    QFETCH(QString, error);
    QFETCH(int, aliceRules);
    const QByteArray yaml = "apiVersion: rbac.authorization.k8s.io/v1\n"
                            "kind: ClusterRole\n"
                            "metadata:\n"
                            "  name: reader\n"
                            "rules:\n"
                            "- apiGroups: [\"\"]\n"
                            "  resources: [pods]\n"
                            "  verbs: [get]\n"
                            "---\n"
                            "apiVersion: rbac.authorization.k8s.io/v1\n"
                            "kind: ClusterRoleBinding\n"
                            "metadata:\n"
                            "  name: b\n"
                            "roleRef:\n"
                            "  apiGroup: rbac.authorization.k8s.io\n"
                            "  kind: ClusterRole\n"
                            "  name: "
                            + role + "\n" + subjects;
    Scenario scenario;
    ScenarioUser alice;
    alice.name = QStringLiteral("alice");
    scenario.users << alice;
    const auto r = RbacManifestLoader::applyData(yaml, QStringLiteral("t.yaml"), &scenario);
    if (error.isEmpty())
        QVERIFY2(r.ok(), qPrintable(r.error()));
    else
        QCOMPARE(r.error(), error);
    QCOMPARE(scenario.users.constFirst().rules.size(), aliceRules);
}

void TstKubesimCore::scenarioNodes()
{
    // No nodes: one containerd node; pods without `node:` run on the first node.
    const auto plain = ScenarioLoader::loadData(
            "pods:\n  - name: a\n    containers: [{name: c, image: i}]\n", QStringLiteral("t"));
    QVERIFY2(plain.ok(), qPrintable(plain.error()));
    QCOMPARE(plain.value().nodes.size(), 1);
    QCOMPARE(plain.value().nodes.first().name, QStringLiteral("kubesim-node"));
    QCOMPARE(plain.value().pods.first().node, QStringLiteral("kubesim-node"));
    QCOMPARE(plain.value().pods.first().nodeRuntime, QStringLiteral("containerd"));

    const auto r = ScenarioLoader::loadData("nodes:\n  - {name: n1}\n"
                                            "  - {name: n2, runtime: cri-o}\n"
                                            "  - {name: n3, runtime: cri-o, runtimeVersion: "
                                            "\"cri-o://1.30.0\"}\n"
                                            "pods:\n  - name: a\n    node: n2\n"
                                            "    containers: [{name: c, image: i}]\n"
                                            "  - name: b\n    containers: [{name: c, image: i}]\n",
                                            QStringLiteral("t"));
    QVERIFY2(r.ok(), qPrintable(r.error()));
    const Scenario &s = r.value();
    QCOMPARE(s.pods.at(0).node, QStringLiteral("n2"));
    QCOMPARE(s.pods.at(0).nodeRuntime, QStringLiteral("cri-o"));
    QCOMPARE(s.pods.at(1).node, QStringLiteral("n1"));
    QCOMPARE(s.pods.at(1).nodeRuntime, QStringLiteral("containerd"));
    auto version = [](const ScenarioNode &n) {
        return ObjectFactory::nodeObject(n)[QLatin1String("status")][QLatin1String("nodeInfo")]
                                           [QLatin1String("containerRuntimeVersion")]
                                                   .toString();
    };
    QCOMPARE(version(s.nodes.at(0)), QStringLiteral("containerd://1.7.13"));
    QCOMPARE(version(s.nodes.at(1)), QStringLiteral("cri-o://1.29.1"));
    QCOMPARE(version(s.nodes.at(2)), QStringLiteral("cri-o://1.30.0"));
    const QJsonObject pod = ObjectFactory::podObject(s.pods.at(0), QStringLiteral("10.0.0.1"), {});
    QCOMPARE(pod[QLatin1String("spec")][QLatin1String("nodeName")].toString(),
             QStringLiteral("n2"));
    QVERIFY(pod[QLatin1String("status")][QLatin1String("containerStatuses")][0]
               [QLatin1String("containerID")]
                       .toString()
                       .startsWith(QLatin1String("cri-o://")));
}

void TstKubesimCore::normalizeImage_data()
{
    QTest::addColumn<QString>("in");
    QTest::addColumn<QString>("out");
    QTest::addRow("library") << QStringLiteral("busybox")
                             << QStringLiteral("docker.io/library/busybox:latest");
    QTest::addRow("user") << QStringLiteral("nicolaka/netshoot:v0.16")
                          << QStringLiteral("docker.io/nicolaka/netshoot:v0.16");
    QTest::addRow("registry port")
            << QStringLiteral("localhost:5000/a/b") << QStringLiteral("localhost:5000/a/b:latest");
    QTest::addRow("digest") << QStringLiteral("ghcr.io/x/y@sha256:abc")
                            << QStringLiteral("ghcr.io/x/y@sha256:abc");
}

void TstKubesimCore::normalizeImage()
{
    QFETCH(QString, in);
    QFETCH(QString, out);
    QCOMPARE(ObjectFactory::normalizeImage(in), out);
}

QTEST_GUILESS_MAIN(TstKubesimCore)
#include "tst_kubesimcore.moc"
