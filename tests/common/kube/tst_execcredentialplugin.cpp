// Exec credential plugins run as real processes (shell scripts standing in for
// aws eks get-token / gke-gcloud-auth-plugin, speaking the same JSON).
#include "kube/execcredentialplugin.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

using namespace podtap;

namespace {
QString writeScript(const QTemporaryDir &dir, const QString &name, const QByteArray &body)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    f.write("#!/bin/sh\n" + body);
    f.close();
    f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    return path;
}

// Counts its runs in a file, echoes KUBERNETES_EXEC_INFO to another, prints a credential.
QByteArray plugin(const QByteArray &apiVersion, const QByteArray &expiry)
{
    return "echo run >> \"$(dirname \"$0\")/runs\"\n"
           "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"$(dirname \"$0\")/info.json\"\n"
           "printf '{\"kind\":\"ExecCredential\",\"apiVersion\":\""
           + apiVersion + "\",\"spec\":{},\"status\":{\"token\":\"tok-%s\"" + expiry
           + "}}' \"$1\"\n";
}

// One asynchronous run, waited for in the test's event loop.
Result<ExecCredential> runPlugin(const ExecPluginConfig &cfg, const KubeCluster &cluster,
                                 int timeoutMs = ExecCredentialPlugin::DefaultTimeoutMs)
{
    ExecCredentialPlugin p(cfg, cluster);
    p.setTimeout(timeoutMs);
    std::optional<Result<ExecCredential>> out;
    p.start([&](const Result<ExecCredential> &r) { out = r; });
    // Even an error found before the process starts is reported from the event loop.
    if (out)
        return Result<ExecCredential>::failure(QStringLiteral("called back inside start()"));
    if (!QTest::qWaitFor([&] { return out.has_value(); }, timeoutMs + 10000))
        return Result<ExecCredential>::failure(QStringLiteral("never called back"));
    return *out;
}
} // namespace

class TestExecCredentialPlugin : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tokenAndClusterInfo_data();
    void tokenAndClusterInfo();
    void hangingPluginIsStopped();
    void apiVersionMismatch();
    void missingCommandShowsHintAndPlaces();
    void failingPluginShowsStderr();
    void badOutput();
};

void TestExecCredentialPlugin::tokenAndClusterInfo_data()
{
    QTest::addColumn<QByteArray>("api");
    QTest::addRow("v1") << QByteArray("client.authentication.k8s.io/v1");
    QTest::addRow("v1beta1") << QByteArray("client.authentication.k8s.io/v1beta1");
}

void TestExecCredentialPlugin::tokenAndClusterInfo()
{
    QFETCH(QByteArray, api);
    QTemporaryDir dir;
    ExecPluginConfig cfg;
    cfg.command = writeScript(dir, QStringLiteral("plugin"), plugin(api, ""));
    cfg.args = {QStringLiteral("abc")};
    cfg.apiVersion = QString::fromLatin1(api);
    cfg.provideClusterInfo = true;
    KubeCluster cluster;
    cluster.name = QStringLiteral("c");
    cluster.server = QStringLiteral("https://127.0.0.1:6443");
    cluster.certificateAuthorityData = "PEM";
    cluster.execExtension[QLatin1String("audience")] = QStringLiteral("foo");
    auto cred = runPlugin(cfg, cluster);
    QVERIFY2(cred.ok(), qPrintable(cred.error()));
    QCOMPARE(cred->token, QStringLiteral("tok-abc"));
    QVERIFY(!cred->expiration.isValid());

    QFile info(dir.filePath(QStringLiteral("info.json")));
    QVERIFY(info.open(QIODevice::ReadOnly));
    const QJsonObject o = QJsonDocument::fromJson(info.readAll()).object();
    QCOMPARE(o[QLatin1String("apiVersion")].toString(), QString::fromLatin1(api));
    const QJsonObject spec = o[QLatin1String("spec")].toObject();
    QCOMPARE(spec[QLatin1String("interactive")].toBool(true), false);
    QCOMPARE(spec[QLatin1String("cluster")][QLatin1String("server")].toString(), cluster.server);
    QCOMPARE(spec[QLatin1String("cluster")][QLatin1String("certificate-authority-data")].toString(),
             QStringLiteral("UEVN"));
    QCOMPARE(spec[QLatin1String("cluster")][QLatin1String("config")][QLatin1String("audience")]
                     .toString(),
             QStringLiteral("foo"));
}

void TestExecCredentialPlugin::hangingPluginIsStopped()
{
    // A plugin waiting for a login that never comes: stopped after the timeout, and the error
    // names it. The process and what it started must be gone, not left behind.
    QTemporaryDir dir;
    ExecPluginConfig cfg;
    cfg.apiVersion = QStringLiteral("client.authentication.k8s.io/v1");
    cfg.command = writeScript(dir, QStringLiteral("hangs"),
                              "sleep 60 &\necho $! > \"$(dirname \"$0\")/pid\"\nwait\n");
    QElapsedTimer t;
    t.start();
    auto r = runPlugin(cfg, {}, 700);
    QVERIFY(!r.ok());
    QVERIFY2(r.error().contains(QLatin1String("did not finish within"))
                     && r.error().contains(cfg.command),
             qPrintable(r.error()));
    QVERIFY2(t.elapsed() < 5000, "the timeout did not stop the run");
    QFile pidFile(dir.filePath(QStringLiteral("pid")));
    QVERIFY(pidFile.open(QIODevice::ReadOnly));
    const QString pid = QString::fromLatin1(pidFile.readAll().trimmed());
    QVERIFY(!pid.isEmpty());
    QTRY_VERIFY(!QFile::exists(QStringLiteral("/proc/") + pid));
}

void TestExecCredentialPlugin::apiVersionMismatch()
{
    QTemporaryDir dir;
    ExecPluginConfig cfg;
    cfg.apiVersion = QStringLiteral("client.authentication.k8s.io/v1");
    cfg.command = writeScript(dir, QStringLiteral("p"),
                              plugin("client.authentication.k8s.io/v1beta1", ""));
    auto r = runPlugin(cfg, {});
    QVERIFY(!r.ok());
    QVERIFY2(r.error().contains(
                     QLatin1String("plugin returned version client.authentication.k8s.io/v1beta1")),
             qPrintable(r.error()));
}

void TestExecCredentialPlugin::missingCommandShowsHintAndPlaces()
{
    ExecPluginConfig cfg;
    cfg.apiVersion = QStringLiteral("client.authentication.k8s.io/v1beta1");
    cfg.command = QStringLiteral("gke-gcloud-auth-plugin-that-is-not-installed");
    cfg.installHint = QStringLiteral("Install gke-gcloud-auth-plugin for use with kubectl by "
                                     "following https://cloud.google.com/…");
    auto r = runPlugin(cfg, {});
    QVERIFY(!r.ok());
    QVERIFY2(r.error().contains(cfg.installHint), qPrintable(r.error()));
    QVERIFY2(r.error().contains(QLatin1String("/.local/bin")), qPrintable(r.error()));
    QVERIFY2(r.error().contains(QLatin1String("PATH")), qPrintable(r.error()));
}

void TestExecCredentialPlugin::failingPluginShowsStderr()
{
    QTemporaryDir dir;
    ExecPluginConfig cfg;
    cfg.apiVersion = QStringLiteral("client.authentication.k8s.io/v1");
    cfg.command = writeScript(dir, QStringLiteral("p"),
                              "echo 'token expired, run aws sso login' >&2\nexit 255\n");
    auto r = runPlugin(cfg, {});
    QVERIFY(!r.ok());
    QVERIFY2(r.error().contains(QLatin1String("aws sso login")), qPrintable(r.error()));
    QVERIFY2(r.error().contains(QLatin1String("exit code 255")), qPrintable(r.error()));
}

void TestExecCredentialPlugin::badOutput()
{
    const QString v1 = QStringLiteral("client.authentication.k8s.io/v1");
    QVERIFY(!ExecCredentialPlugin::parseOutput("not json", v1).ok());
    QVERIFY(!ExecCredentialPlugin::parseOutput(
                     R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1"})",
                     v1)
                     .ok());
    QVERIFY(!ExecCredentialPlugin::parseOutput(
                     R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{}})",
                     v1)
                     .ok());
    QVERIFY(!ExecCredentialPlugin::parseOutput(
                     R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"clientCertificateData":"x"}})",
                     v1)
                     .ok());
    auto ok = ExecCredentialPlugin::parseOutput(
            R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"clientCertificateData":"C","clientKeyData":"K"}})",
            v1);
    QVERIFY(ok.ok());
    QCOMPARE(ok->clientKeyPem, QByteArray("K"));
}

QTEST_GUILESS_MAIN(TestExecCredentialPlugin)
#include "tst_execcredentialplugin.moc"
