// Fidelity of kubesim, proven by the real kubectl (v1.32) run against it with the kubeconfig
// kubesim writes. Exec tests need the pod runtime (network namespaces, so root).
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

namespace {

struct KubectlResult
{
    int exitCode = -1;
    QByteArray out, err;
};

} // namespace

class TstKubectlFidelity : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void getNamespaces();
    void getPodsJson();
    void getPodsLabelSelector();
    void getWorkloads();
    void authKinds_data();
    void authKinds();
    void unauthenticated();
    void unauthorizedOnceExecPlugin();
    void rbacDenied();
    void canI_data();
    void canI();
    void debugPrivilegedNamespace();
    void debugBaselineNamespaceRejected();
    void tapRejectedByRestricted();
    void ephemeralRules();
    void imagePullBackOff();
    void watchSeesEphemeralContainer();

    void execEcho_data();
    void execEcho();
    void execExitCode();
    void execPreUpgradeErrors();
    void tapCapture();
    void execFaultCut();
    void debugInteractiveAttach();

private:
    KubectlResult kubectl(const QStringList &args, const QString &context = QString(),
                          int timeoutMs = 30000);
    bool requireExec();
    QJsonObject podJson(const QString &ns, const QString &pod);

    QTemporaryDir m_dir;
    QProcess m_kubesim;
    QString m_kubectl, m_kubeconfig, m_runtimeSkip;
};

void TstKubectlFidelity::initTestCase()
{
    m_kubectl = QStandardPaths::findExecutable(QStringLiteral("kubectl"));
    if (m_kubectl.isEmpty())
        QSKIP("kubectl is not installed (expected /usr/bin/kubectl v1.32)");
    QVERIFY(m_dir.isValid());
    m_kubeconfig = m_dir.filePath(QStringLiteral("kubeconfig"));
#ifndef KUBESIM_HAVE_RUNTIME
    m_runtimeSkip = QStringLiteral("runtime not built yet: tests/kubesim/runtime has no "
                                   "kubesim_runtime target");
#else
    if (::geteuid() != 0)
        m_runtimeSkip = QStringLiteral("needs root: pods are network namespaces (ip netns)");
#endif
    QElapsedTimer timer;
    timer.start();
    m_kubesim.setProgram(QStringLiteral(KUBESIM_BIN));
    m_kubesim.setArguments(
            {QStringLiteral("--scenario"), QStringLiteral(SRCDIR "/scenarios/fidelity.yaml"),
             QStringLiteral("--kubeconfig-out"), m_kubeconfig, QStringLiteral("--port"),
             QStringLiteral("0"), QStringLiteral("--state-dir"),
             m_dir.filePath(QStringLiteral("state"))});
    m_kubesim.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_kubesim.start();
    QVERIFY2(m_kubesim.waitForStarted(), qPrintable(m_kubesim.errorString()));
    QByteArray line;
    while (!line.endsWith('\n') && timer.elapsed() < 10000) {
        if (!m_kubesim.waitForReadyRead(200) && m_kubesim.state() != QProcess::Running)
            break;
        line += m_kubesim.readLine();
    }
    static const QRegularExpression ready(
            QStringLiteral("^kubesim ready https://127\\.0\\.0\\.1:\\d+\\n$"));
    QVERIFY2(ready.match(QString::fromUtf8(line)).hasMatch(), line.constData());
    QVERIFY2(timer.elapsed() < 5000, "kubesim must be ready within 5 s");
    QVERIFY(QFile::exists(m_kubeconfig));
}

void TstKubectlFidelity::cleanupTestCase()
{
    if (m_kubesim.state() != QProcess::Running)
        return;
    m_kubesim.terminate(); // SIGTERM: the runtime tears down namespaces and processes
    QVERIFY(m_kubesim.waitForFinished(15000));
    QCOMPARE(m_kubesim.exitStatus(), QProcess::NormalExit);
    QCOMPARE(m_kubesim.exitCode(), 0);
}

KubectlResult TstKubectlFidelity::kubectl(const QStringList &args, const QString &context,
                                          int timeoutMs)
{
    QProcess p;
    QStringList all{QStringLiteral("--kubeconfig"), m_kubeconfig};
    if (!context.isEmpty())
        all << QStringLiteral("--context") << context;
    p.start(m_kubectl, all + args);
    KubectlResult r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = "kubectl timed out";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QJsonObject TstKubectlFidelity::podJson(const QString &ns, const QString &pod)
{
    const auto r = kubectl({QStringLiteral("get"), QStringLiteral("pod"), pod, QStringLiteral("-n"),
                            ns, QStringLiteral("-o"), QStringLiteral("json")},
                           QStringLiteral("admin"));
    // A failed get fails the test with kubectl's stderr: it must not read as an empty pod.
    const QJsonDocument doc = QJsonDocument::fromJson(r.out);
    if (r.exitCode != 0 || !doc.isObject())
        QTest::qFail(QByteArray("kubectl get pod " + pod.toUtf8() + " -n " + ns.toUtf8() + ": exit "
                                + QByteArray::number(r.exitCode) + ": " + r.err.trimmed())
                             .constData(),
                     __FILE__, __LINE__);
    return doc.object();
}

bool TstKubectlFidelity::requireExec()
{
    return m_runtimeSkip.isEmpty();
}

void TstKubectlFidelity::getNamespaces()
{
    const auto r = kubectl({QStringLiteral("get"), QStringLiteral("namespaces")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    for (const char *ns : {"default", "shop", "locked"})
        QVERIFY2(r.out.contains(ns), r.out.constData());
}

void TstKubectlFidelity::getPodsJson()
{
    const auto r = kubectl({QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-n"),
                            QStringLiteral("shop"), QStringLiteral("-o"), QStringLiteral("json")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QJsonParseError err{};
    const QJsonObject list = QJsonDocument::fromJson(r.out, &err).object();
    QCOMPARE(err.error, QJsonParseError::NoError);
    QCOMPARE(list.value(QStringLiteral("kind")).toString(), QStringLiteral("List"));
    const QJsonArray items = list.value(QStringLiteral("items")).toArray();
    QCOMPARE(items.size(), 4);
    QStringList names;
    for (const auto &v : items) {
        const QJsonObject pod = v.toObject();
        QCOMPARE(pod.value(QStringLiteral("kind")).toString(), QStringLiteral("Pod"));
        const QJsonObject md = pod.value(QStringLiteral("metadata")).toObject();
        names << md.value(QStringLiteral("name")).toString();
        QCOMPARE(md.value(QStringLiteral("namespace")).toString(), QStringLiteral("shop"));
        QVERIFY(!md.value(QStringLiteral("uid")).toString().isEmpty());
        QVERIFY(md.value(QStringLiteral("resourceVersion")).toString().toLongLong() > 0);
        const QJsonObject status = pod.value(QStringLiteral("status")).toObject();
        QCOMPARE(status.value(QStringLiteral("phase")).toString(), QStringLiteral("Running"));
        const QString ip = status.value(QStringLiteral("podIP")).toString();
        QVERIFY2(ip.startsWith(QLatin1String("198.18.")) || ip.startsWith(QLatin1String("198.19.")),
                 qPrintable(ip));
        QVERIFY(status.value(QStringLiteral("podIPs")).toArray().size() >= 1);
        const QJsonArray cs = pod.value(QStringLiteral("spec"))
                                      .toObject()
                                      .value(QStringLiteral("containers"))
                                      .toArray();
        QVERIFY(!cs.isEmpty());
        QCOMPARE(cs.at(0).toObject().value(QStringLiteral("name")).toString(),
                 QStringLiteral("app"));
        QCOMPARE(status.value(QStringLiteral("containerStatuses")).toArray().size(), cs.size());
    }
    names.sort();
    QCOMPARE(names, (QStringList{QStringLiteral("cut-0"), QStringLiteral("db-0"),
                                 QStringLiteral("web-0"), QStringLiteral("web-1")}));
}

void TstKubectlFidelity::getPodsLabelSelector()
{
    const auto r = kubectl({QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-n"),
                            QStringLiteral("shop"), QStringLiteral("-l"), QStringLiteral("app=web"),
                            QStringLiteral("-o"), QStringLiteral("name")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(r.out, QByteArray("pod/web-0\npod/web-1\n"));
    const auto r2 = kubectl({QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-n"),
                             QStringLiteral("shop"), QStringLiteral("-l"),
                             QStringLiteral("app in (db),tier!=frontend"), QStringLiteral("-o"),
                             QStringLiteral("name")});
    QCOMPARE(r2.out, QByteArray("pod/db-0\n"));
    const auto r3 = kubectl({QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-n"),
                             QStringLiteral("shop"), QStringLiteral("--field-selector"),
                             QStringLiteral("metadata.name=web-1,status.phase=Running"),
                             QStringLiteral("-o"), QStringLiteral("name")});
    QCOMPARE(r3.out, QByteArray("pod/web-1\n"));
}

void TstKubectlFidelity::getWorkloads()
{
    const auto r
            = kubectl({QStringLiteral("get"), QStringLiteral("deploy/web"),
                       QStringLiteral("sts/db"), QStringLiteral("svc/web"), QStringLiteral("-n"),
                       QStringLiteral("shop"), QStringLiteral("-o"), QStringLiteral("json")},
                      QStringLiteral("admin"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonArray items
            = QJsonDocument::fromJson(r.out).object().value(QStringLiteral("items")).toArray();
    QCOMPARE(items.size(), 3);
    QCOMPARE(items.at(0)
                     .toObject()
                     .value(QStringLiteral("spec"))
                     .toObject()
                     .value(QStringLiteral("selector"))
                     .toObject()
                     .value(QStringLiteral("matchLabels"))
                     .toObject()
                     .value(QStringLiteral("app"))
                     .toString(),
             QStringLiteral("web"));
    QCOMPARE(items.at(0)
                     .toObject()
                     .value(QStringLiteral("status"))
                     .toObject()
                     .value(QStringLiteral("readyReplicas"))
                     .toInt(),
             2);
    const QJsonObject port = items.at(2)
                                     .toObject()
                                     .value(QStringLiteral("spec"))
                                     .toObject()
                                     .value(QStringLiteral("ports"))
                                     .toArray()
                                     .at(0)
                                     .toObject();
    QCOMPARE(port.value(QStringLiteral("port")).toInt(), 80);
    QCOMPARE(port.value(QStringLiteral("targetPort")).toInt(), 8080);
}

void TstKubectlFidelity::authKinds_data()
{
    QTest::addColumn<QString>("context");
    QTest::addRow("client-cert") << QStringLiteral("admin");
    QTest::addRow("token") << QStringLiteral("alice");
    QTest::addRow("exec-v1") << QStringLiteral("bob");
    QTest::addRow("exec-v1beta1-expiring") << QStringLiteral("carol");
}

void TstKubectlFidelity::authKinds()
{
    QFETCH(QString, context);
    const auto r = kubectl({QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-n"),
                            QStringLiteral("shop"), QStringLiteral("-o"), QStringLiteral("name")},
                           context);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY(r.out.contains("pod/web-0"));
}

void TstKubectlFidelity::unauthenticated()
{
    const auto r = kubectl({QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-n"),
                            QStringLiteral("shop"), QStringLiteral("--token"),
                            QStringLiteral("not-a-token")},
                           QStringLiteral("alice"));
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("error: You must be logged in to the server (Unauthorized)"),
             r.err.constData());
}

void TstKubectlFidelity::unauthorizedOnceExecPlugin()
{
    // faults.unauthorizedOnce for erin: client-go re-runs the plugin after a 401 but does not
    // retry the failed request (spec §5). kubectl 1.32's first request is a background
    // `GET /version?timeout=5s` skew probe whose failure it ignores, so the 401 lands there and
    // the command still succeeds; later commands are unaffected.
    const QStringList args{QStringLiteral("get"),  QStringLiteral("pods"), QStringLiteral("-n"),
                           QStringLiteral("shop"), QStringLiteral("-o"),   QStringLiteral("name")};
    for (int i = 0; i < 2; ++i) {
        const auto r = kubectl(args, QStringLiteral("erin"));
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.out.contains("pod/web-0"));
    }
}

void TstKubectlFidelity::rbacDenied()
{
    const auto r = kubectl({QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-n"),
                            QStringLiteral("shop")},
                           QStringLiteral("dave"));
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(
            r.err.contains("Error from server (Forbidden): pods is forbidden: User \"dave\" cannot "
                           "list resource \"pods\" in API group \"\" in the namespace \"shop\""),
            r.err.constData());
    const auto r2 = kubectl({QStringLiteral("get"), QStringLiteral("pod"), QStringLiteral("api-0"),
                             QStringLiteral("-n"), QStringLiteral("locked"), QStringLiteral("-o"),
                             QStringLiteral("name")},
                            QStringLiteral("dave"));
    QVERIFY2(r2.exitCode == 0, r2.err.constData());
    const auto r3 = kubectl({QStringLiteral("get"), QStringLiteral("pod"), QStringLiteral("nope"),
                             QStringLiteral("-n"), QStringLiteral("locked")},
                            QStringLiteral("dave"));
    QVERIFY2(r3.err.contains("Error from server (NotFound): pods \"nope\" not found"),
             r3.err.constData());
}

void TstKubectlFidelity::canI_data()
{
    QTest::addColumn<QString>("context");
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QByteArray>("answer");
    const QStringList sub{QStringLiteral("patch"), QStringLiteral("pods"),
                          QStringLiteral("--subresource=ephemeralcontainers"), QStringLiteral("-n"),
                          QStringLiteral("shop")};
    // `pods/ephemeralcontainers` as TYPE/NAME means the pod named "ephemeralcontainers" (the
    // subresource needs --subresource); both forms are checked as a real apiserver would.
    const QStringList byName{QStringLiteral("patch"), QStringLiteral("pods/ephemeralcontainers"),
                             QStringLiteral("-n"), QStringLiteral("shop")};
    QTest::addRow("alice-subresource") << QStringLiteral("alice") << sub << QByteArray("yes");
    QTest::addRow("bob-subresource") << QStringLiteral("bob") << sub << QByteArray("no");
    QTest::addRow("alice-type-name") << QStringLiteral("alice") << byName << QByteArray("no");
    QTest::addRow("admin-type-name") << QStringLiteral("admin") << byName << QByteArray("yes");
    QTest::addRow("alice-other-ns")
            << QStringLiteral("alice")
            << QStringList{QStringLiteral("patch"), QStringLiteral("pods"),
                           QStringLiteral("--subresource=ephemeralcontainers"),
                           QStringLiteral("-n"), QStringLiteral("default")}
            << QByteArray("no");
    QTest::addRow("carol-exec") << QStringLiteral("carol")
                                << QStringList{QStringLiteral("create"), QStringLiteral("pods"),
                                               QStringLiteral("--subresource=exec"),
                                               QStringLiteral("-n"), QStringLiteral("shop")}
                                << QByteArray("yes");
}

void TstKubectlFidelity::canI()
{
    QFETCH(QString, context);
    QFETCH(QStringList, args);
    QFETCH(QByteArray, answer);
    const auto r
            = kubectl(QStringList{QStringLiteral("auth"), QStringLiteral("can-i")} + args, context);
    QCOMPARE(r.out.trimmed(), answer);
    QCOMPARE(r.exitCode, answer == "yes" ? 0 : 1);
}

void TstKubectlFidelity::debugPrivilegedNamespace()
{
    const auto r
            = kubectl({QStringLiteral("debug"), QStringLiteral("web-0"), QStringLiteral("-n"),
                       QStringLiteral("shop"), QStringLiteral("--image=nicolaka/netshoot:v0.16"),
                       QStringLiteral("--profile=netadmin"), QStringLiteral("--attach=false"),
                       QStringLiteral("-c"), QStringLiteral("dbg-net"), QStringLiteral("--"),
                       QStringLiteral("sleep"), QStringLiteral("1")},
                      QStringLiteral("alice"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject pod = podJson(QStringLiteral("shop"), QStringLiteral("web-0"));
    const QJsonArray eph = pod.value(QStringLiteral("spec"))
                                   .toObject()
                                   .value(QStringLiteral("ephemeralContainers"))
                                   .toArray();
    QJsonObject c;
    for (const auto &v : eph)
        if (v.toObject().value(QStringLiteral("name")).toString() == QLatin1String("dbg-net"))
            c = v.toObject();
    QVERIFY(!c.isEmpty());
    QCOMPARE(c.value(QStringLiteral("securityContext"))
                     .toObject()
                     .value(QStringLiteral("capabilities"))
                     .toObject()
                     .value(QStringLiteral("add"))
                     .toArray(),
             (QJsonArray{QStringLiteral("NET_ADMIN"), QStringLiteral("NET_RAW")}));
    // Waiting → running → terminated (sleep 1) through the status.
    QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const QJsonArray st = podJson(QStringLiteral("shop"), QStringLiteral("web-0"))
                                              .value(QStringLiteral("status"))
                                              .toObject()
                                              .value(QStringLiteral("ephemeralContainerStatuses"))
                                              .toArray();
                for (const auto &v : st)
                    if (v.toObject().value(QStringLiteral("name")).toString()
                        == QLatin1String("dbg-net"))
                        return v.toObject()
                                .value(QStringLiteral("state"))
                                .toObject()
                                .contains(QStringLiteral("terminated"));
                return false;
            }(),
            10000);
}

void TstKubectlFidelity::debugBaselineNamespaceRejected()
{
    const auto r
            = kubectl({QStringLiteral("debug"), QStringLiteral("api-0"), QStringLiteral("-n"),
                       QStringLiteral("locked"), QStringLiteral("--image=nicolaka/netshoot:v0.16"),
                       QStringLiteral("--profile=netadmin"), QStringLiteral("--attach=false"),
                       QStringLiteral("-c"), QStringLiteral("dbg-net"), QStringLiteral("--"),
                       QStringLiteral("sleep"), QStringLiteral("1")},
                      QStringLiteral("alice"));
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("Error from server (Forbidden): pods \"api-0\" is forbidden: violates "
                            "PodSecurity \"baseline:latest\": non-default capabilities (container "
                            "\"dbg-net\" must not include \"NET_ADMIN\", \"NET_RAW\" in "
                            "securityContext.capabilities.add)"),
             r.err.constData());
    // Nothing was added.
    QVERIFY(!podJson(QStringLiteral("locked"), QStringLiteral("api-0"))
                     .value(QStringLiteral("spec"))
                     .toObject()
                     .contains(QStringLiteral("ephemeralContainers")));
}

void TstKubectlFidelity::tapRejectedByRestricted()
{
    // The tap of tap.md in a restricted namespace: the whole pod is evaluated, so the existing
    // app container's violations are listed as well.
    const QString tap = QStringLiteral(
            R"({"spec":{"ephemeralContainers":[{"name":"podtap-rst01","image":"docker.io/nicolaka/netshoot:v0.16","command":["sleep","infinity"],"securityContext":{"capabilities":{"drop":["ALL"],"add":["NET_RAW"]},"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"seccompProfile":{"type":"RuntimeDefault"}}}]}})");
    const auto r = kubectl({QStringLiteral("patch"), QStringLiteral("pod"), QStringLiteral("svc-0"),
                            QStringLiteral("-n"), QStringLiteral("strict"),
                            QStringLiteral("--subresource=ephemeralcontainers"),
                            QStringLiteral("-p"), tap},
                           QStringLiteral("alice"));
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(
            r.err.contains(
                    "Error from server (Forbidden): pods \"svc-0\" is forbidden: violates "
                    "PodSecurity \"restricted:v1.32\": allowPrivilegeEscalation != false "
                    "(container \"app\" must set securityContext.allowPrivilegeEscalation=false), "
                    "unrestricted capabilities (container \"app\" must set "
                    "securityContext.capabilities.drop=[\"ALL\"]; container \"podtap-rst01\" must "
                    "not include \"NET_RAW\" in securityContext.capabilities.add), runAsNonRoot != "
                    "true (pod or containers \"app\", \"podtap-rst01\" must set "
                    "securityContext.runAsNonRoot=true), seccompProfile (pod or container \"app\" "
                    "must set securityContext.seccompProfile.type to \"RuntimeDefault\" or "
                    "\"Localhost\")"),
            r.err.constData());
}

void TstKubectlFidelity::ephemeralRules()
{
    const QStringList base{
            QStringLiteral("patch"), QStringLiteral("pod"),
            QStringLiteral("web-1"), QStringLiteral("-n"),
            QStringLiteral("shop"),  QStringLiteral("--subresource=ephemeralcontainers")};
    auto r = kubectl(
            base
                    + QStringList{QStringLiteral("-p"),
                                  QStringLiteral(
                                          R"({"spec":{"ephemeralContainers":[{"name":"keep","image":"busybox:1.36","command":["sleep","infinity"]}]}})")},
            QStringLiteral("alice"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    r = kubectl(
            base
                    + QStringList{QStringLiteral("-p"),
                                  QStringLiteral(
                                          R"({"spec":{"ephemeralContainers":[{"name":"p","image":"busybox:1.36","ports":[{"containerPort":80}]}]}})")},
            QStringLiteral("alice"));
    QVERIFY2(r.err.contains("The Pod \"web-1\" is invalid: spec.ephemeralContainers[1].ports: "
                            "Forbidden: cannot be set for an Ephemeral Container"),
             r.err.constData());
    r = kubectl(base
                        + QStringList{QStringLiteral("--type=merge"), QStringLiteral("-p"),
                                      QStringLiteral(R"({"spec":{"ephemeralContainers":[]}})")},
                QStringLiteral("alice"));
    QVERIFY2(r.err.contains("spec.ephemeralContainers: Forbidden: existing ephemeral containers "
                            "\"keep\" may not be removed"),
             r.err.constData());
    r = kubectl(
            base
                    + QStringList{QStringLiteral("--type=json"), QStringLiteral("-p"),
                                  QStringLiteral(
                                          R"([{"op":"add","path":"/spec/ephemeralContainers/-","value":{"name":"app","image":"busybox:1.36"}}])")},
            QStringLiteral("alice"));
    QVERIFY2(r.err.contains("spec.ephemeralContainers[1].name: Duplicate value: \"app\""),
             r.err.constData());
    r = kubectl(
            base
                    + QStringList{QStringLiteral("--type=json"), QStringLiteral("-p"),
                                  QStringLiteral(
                                          R"([{"op":"replace","path":"/spec/ephemeralContainers/0/image","value":"busybox:1.37"}])")},
            QStringLiteral("alice"));
    QVERIFY2(r.err.contains("existing ephemeral containers \"keep\" may not be changed"),
             r.err.constData());
    // RBAC: bob may not touch the subresource (kubectl patch GETs it first).
    r = kubectl(
            base
                    + QStringList{QStringLiteral("-p"),
                                  QStringLiteral(
                                          R"({"spec":{"ephemeralContainers":[{"name":"b","image":"busybox:1.36"}]}})")},
            QStringLiteral("bob"));
    QVERIFY2(r.err.contains(
                     "pods \"web-1\" is forbidden: User \"bob\" cannot get resource "
                     "\"pods/ephemeralcontainers\" in API group \"\" in the namespace \"shop\""),
             r.err.constData());
}

void TstKubectlFidelity::imagePullBackOff()
{
    const auto r
            = kubectl({QStringLiteral("debug"), QStringLiteral("db-0"), QStringLiteral("-n"),
                       QStringLiteral("shop"), QStringLiteral("--image=example.invalid/none:1"),
                       QStringLiteral("--profile=general"), QStringLiteral("--attach=false"),
                       QStringLiteral("-c"), QStringLiteral("nopull")},
                      QStringLiteral("alice"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    auto reason = [this] {
        const QJsonArray st = podJson(QStringLiteral("shop"), QStringLiteral("db-0"))
                                      .value(QStringLiteral("status"))
                                      .toObject()
                                      .value(QStringLiteral("ephemeralContainerStatuses"))
                                      .toArray();
        for (const auto &v : st)
            if (v.toObject().value(QStringLiteral("name")).toString() == QLatin1String("nopull"))
                return v.toObject()
                        .value(QStringLiteral("state"))
                        .toObject()
                        .value(QStringLiteral("waiting"))
                        .toObject()
                        .value(QStringLiteral("reason"))
                        .toString();
        return QString();
    };
    QTRY_COMPARE_WITH_TIMEOUT(reason(), QStringLiteral("ImagePullBackOff"), 10000);
}

void TstKubectlFidelity::watchSeesEphemeralContainer()
{
    QProcess watch;
    watch.start(m_kubectl,
                {QStringLiteral("--kubeconfig"), m_kubeconfig, QStringLiteral("--context"),
                 QStringLiteral("alice"), QStringLiteral("get"), QStringLiteral("pod"),
                 QStringLiteral("web-1"), QStringLiteral("-n"), QStringLiteral("shop"),
                 QStringLiteral("-w"), QStringLiteral("-o"), QStringLiteral("json")});
    QVERIFY(watch.waitForStarted());
    QByteArray seen;
    QTRY_VERIFY_WITH_TIMEOUT((seen += watch.readAllStandardOutput()).contains("\"web-1\""), 10000);
    const auto r = kubectl({QStringLiteral("debug"), QStringLiteral("web-1"), QStringLiteral("-n"),
                            QStringLiteral("shop"), QStringLiteral("--image=busybox:1.36"),
                            QStringLiteral("--profile=general"), QStringLiteral("--attach=false"),
                            QStringLiteral("-c"), QStringLiteral("watched"), QStringLiteral("--"),
                            QStringLiteral("sleep"), QStringLiteral("infinity")},
                           QStringLiteral("alice"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    // The watch shows the added container, then its transition to running.
    QTRY_VERIFY_WITH_TIMEOUT((seen += watch.readAllStandardOutput()).contains("\"watched\""),
                             10000);
    QTRY_VERIFY_WITH_TIMEOUT(
            (seen += watch.readAllStandardOutput()).contains("\"ContainerCreating\""), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                seen += watch.readAllStandardOutput();
                const int at = seen.lastIndexOf("\"watched\"");
                return seen.indexOf("\"running\"", seen.indexOf("ephemeralContainerStatuses")) > 0
                       && at > 0;
            }(),
            10000);
    watch.terminate();
    watch.waitForFinished();
}

void TstKubectlFidelity::execEcho_data()
{
    QTest::addColumn<QString>("context");
    QTest::addRow("client-cert") << QStringLiteral("admin");
    QTest::addRow("token") << QStringLiteral("alice");
    QTest::addRow("exec-plugin") << QStringLiteral("carol");
}

void TstKubectlFidelity::execEcho()
{
    if (!requireExec())
        QSKIP(qPrintable(m_runtimeSkip));
    QFETCH(QString, context);
    const auto r = kubectl({QStringLiteral("exec"), QStringLiteral("web-0"), QStringLiteral("-n"),
                            QStringLiteral("shop"), QStringLiteral("-c"), QStringLiteral("app"),
                            QStringLiteral("--"), QStringLiteral("echo"), QStringLiteral("hello")},
                           context);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(r.out, QByteArray("hello\n"));
}

void TstKubectlFidelity::execExitCode()
{
    if (!requireExec())
        QSKIP(qPrintable(m_runtimeSkip));
    const auto r = kubectl({QStringLiteral("exec"), QStringLiteral("web-0"), QStringLiteral("-n"),
                            QStringLiteral("shop"), QStringLiteral("-c"), QStringLiteral("app"),
                            QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"),
                            QStringLiteral("exit 3")},
                           QStringLiteral("alice"));
    QCOMPARE(r.exitCode, 3);
    QVERIFY2(r.err.contains("command terminated with exit code 3"), r.err.constData());
}

void TstKubectlFidelity::execPreUpgradeErrors()
{
    // These are answered before any hand-off to the runtime.
    auto r = kubectl({QStringLiteral("exec"), QStringLiteral("web-0"), QStringLiteral("-n"),
                      QStringLiteral("shop"), QStringLiteral("-c"), QStringLiteral("nope"),
                      QStringLiteral("--"), QStringLiteral("true")},
                     QStringLiteral("alice"));
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains("container nope is not valid for pod web-0"), r.err.constData());
    r = kubectl({QStringLiteral("exec"), QStringLiteral("web-0"), QStringLiteral("-n"),
                 QStringLiteral("shop"), QStringLiteral("--"), QStringLiteral("true")},
                QStringLiteral("bob"));
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains("User \"bob\" cannot") && r.err.contains("pods/exec"),
             r.err.constData());
}

void TstKubectlFidelity::tapCapture()
{
    if (!requireExec())
        QSKIP(qPrintable(m_runtimeSkip));
    if (QStandardPaths::findExecutable(QStringLiteral("capinfos")).isEmpty())
        QSKIP("capinfos (wireshark-common) is not installed");
    // The tap exactly as tap.md specifies it.
    const QString tap = QStringLiteral(
            R"({"spec":{"ephemeralContainers":[{"name":"podtap-fid01","image":"docker.io/nicolaka/netshoot:v0.16","command":["sleep","infinity"],"securityContext":{"capabilities":{"drop":["ALL"],"add":["NET_RAW"]},"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"seccompProfile":{"type":"RuntimeDefault"}}}]}})");
    auto r = kubectl({QStringLiteral("patch"), QStringLiteral("pod"), QStringLiteral("web-0"),
                      QStringLiteral("-n"), QStringLiteral("shop"),
                      QStringLiteral("--subresource=ephemeralcontainers"), QStringLiteral("-p"),
                      tap},
                     QStringLiteral("alice"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    auto running = [this] {
        const QJsonArray st = podJson(QStringLiteral("shop"), QStringLiteral("web-0"))
                                      .value(QStringLiteral("status"))
                                      .toObject()
                                      .value(QStringLiteral("ephemeralContainerStatuses"))
                                      .toArray();
        for (const auto &v : st)
            if (v.toObject().value(QStringLiteral("name")).toString()
                == QLatin1String("podtap-fid01"))
                return v.toObject()
                        .value(QStringLiteral("state"))
                        .toObject()
                        .contains(QStringLiteral("running"));
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(running(), 10000);
    r = kubectl({QStringLiteral("exec"), QStringLiteral("web-0"), QStringLiteral("-n"),
                 QStringLiteral("shop"), QStringLiteral("-c"), QStringLiteral("podtap-fid01"),
                 QStringLiteral("--"), QStringLiteral("tcpdump"), QStringLiteral("-p"),
                 QStringLiteral("-i"), QStringLiteral("any"), QStringLiteral("-U"),
                 QStringLiteral("-w"), QStringLiteral("-"), QStringLiteral("-c"),
                 QStringLiteral("5"), QStringLiteral("tcp"), QStringLiteral("port"),
                 QStringLiteral("8080")},
                QStringLiteral("alice"), 60000);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.err.contains("5 packets captured"), r.err.constData());
    const QString pcap = m_dir.filePath(QStringLiteral("tap.pcap"));
    QFile f(pcap);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(r.out);
    f.close();
    QProcess capinfos;
    capinfos.start(QStringLiteral("capinfos"), {QStringLiteral("-c"), QStringLiteral("-E"), pcap});
    QVERIFY(capinfos.waitForFinished(10000));
    const QByteArray info = capinfos.readAllStandardOutput();
    QCOMPARE(capinfos.exitCode(), 0);
    QVERIFY2(info.contains("Number of packets:   5"), info.constData());
    QVERIFY2(info.contains("Linux cooked-mode capture"), info.constData());
}

void TstKubectlFidelity::execFaultCut()
{
    if (!requireExec())
        QSKIP(qPrintable(m_runtimeSkip));
    // faults.exec in fidelity.yaml: cut-0's exec streams are cut after 3000 bytes.
    const auto r
            = kubectl({QStringLiteral("exec"), QStringLiteral("cut-0"), QStringLiteral("-n"),
                       QStringLiteral("shop"), QStringLiteral("--"), QStringLiteral("head"),
                       QStringLiteral("-c"), QStringLiteral("100000"), QStringLiteral("/dev/zero")},
                      QStringLiteral("alice"));
    QVERIFY2(r.exitCode != 0, r.err.constData());
    QVERIFY(r.out.size() < 100000);
}

void TstKubectlFidelity::debugInteractiveAttach()
{
    if (!requireExec())
        QSKIP(qPrintable(m_runtimeSkip));
    // kubectl debug -i: PATCH, wait for running through the watch, then attach (WebSocket v5)
    // to the container's command with stdin.
    QProcess p;
    p.start(m_kubectl, {QStringLiteral("--kubeconfig"), m_kubeconfig, QStringLiteral("--context"),
                        QStringLiteral("alice"), QStringLiteral("debug"), QStringLiteral("web-1"),
                        QStringLiteral("-n"), QStringLiteral("shop"), QStringLiteral("-i"),
                        QStringLiteral("--image=busybox:1.36"), QStringLiteral("--profile=general"),
                        QStringLiteral("-c"), QStringLiteral("attached"), QStringLiteral("--"),
                        QStringLiteral("cat")});
    QVERIFY(p.waitForStarted());
    p.write("through-attach\n");
    p.closeWriteChannel();
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 0);
    QVERIFY(p.readAllStandardOutput().contains("through-attach\n"));
}

QTEST_GUILESS_MAIN(TstKubectlFidelity)
#include "tst_kubectlfidelity.moc"
