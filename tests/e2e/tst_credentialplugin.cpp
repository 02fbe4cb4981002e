// Exec credential plugins never block podtapd (issue 16): a plugin that takes 3 s (kubesim's
// plugin with --sleep-ms, counting its runs) runs while the daemon keeps answering
// daemon.status, the CLI and a capture session on another context; target-picker requests
// within a token's lifetime run it once; a session and a picker request on the same context
// share one run.
#include "ipc/ipcclient.h"
#include "support/jsonhelpers.h"
#include "support/kubesimprocess.h"
#include "support/sessionbench.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <algorithm>
#include <memory>

using namespace Qt::StringLiterals;
using podtap::IpcClient;
using Run = CliRunner::Result;
using podtap::test::num;
using podtap::test::str;

namespace {
constexpr int PluginSleepMs = 3000;

struct Pending
{
    bool done = false;
    IpcClient::Reply reply;
    qint64 ms = 0;
};
} // namespace

class TestCredentialPlugin : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();
    void pickerRunsPluginOnce();
    void slowPluginNeverBlocksDaemon();

private:
    int pluginRuns() const;
    QJsonObject slowParams(const QJsonObject &environment) const;
    std::shared_ptr<Pending> send(const QString &method, const QJsonObject &params);
    static QJsonObject sessionIn(const QJsonObject &status, const QString &id);

    SessionBench m_bench;
    QString m_kubeconfigs; // the slow plugin's kubeconfig, then kubesim's
    QMap<QString, QString> m_podIp;
    IpcClient m_client;
};

void TestCredentialPlugin::initTestCase()
{
    if (const QString why = SessionBench::skipReason(); !why.isEmpty())
        QSKIP(qPrintable(why));
    QString error;
    QVERIFY2(m_bench.start(QStringLiteral(SRCDIR "/scenarios/credentials.yaml"), &error),
             qPrintable(error));
    // The slow plugin: kubesim's, 3 s per run, each run a line in plugin-runs. Its context
    // names kubesim's cluster from the kubeconfig merged after this one.
    const QString slow = m_bench.filePath(u"slow.yaml"_s);
    QFile f(slow);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("apiVersion: v1\nkind: Config\nusers:\n  - name: slow-plugin\n    user:\n      exec:\n"
            "        apiVersion: client.authentication.k8s.io/v1\n        command: '"
            + KubesimProcess::program().toUtf8()
            + "'\n        args: [exec-credential, --token, cp-slow-7d1e, --ttl, '600', "
              "--sleep-ms, '"
            + QByteArray::number(PluginSleepMs) + "', --runs-file, '"
            + m_bench.filePath(u"plugin-runs"_s).toUtf8()
            + "']\n        interactiveMode: Never\n"
              "contexts:\n  - {name: slow, context: {cluster: kubesim, user: slow-plugin, "
              "namespace: shop}}\n");
    f.close();
    m_kubeconfigs = slow + u':' + m_bench.kubesim().kubeconfig();
    m_bench.setEnvironment(u"KUBECONFIG"_s, m_kubeconfigs);
    m_podIp = m_bench.podIps(u"shop"_s, &error);
    QVERIFY2(error.isEmpty() && !m_podIp.value(u"web"_s).isEmpty(), qPrintable(error));
    QVERIFY2(m_bench.startDaemon(&error), qPrintable(error));
    m_client.connectToDaemon(m_bench.podtapd().socketPath(), u"tst-credentialplugin"_s);
    QVERIFY(m_client.waitForReady(5000));
}

void TestCredentialPlugin::cleanup()
{
    m_bench.cleanupCase("podtapd.log, cli.log, plugin-runs");
}

void TestCredentialPlugin::cleanupTestCase()
{
    m_bench.stop();
}

int TestCredentialPlugin::pluginRuns() const
{
    QFile f(m_bench.filePath(u"plugin-runs"_s));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    return int(f.readAll().count('\n'));
}

QJsonObject TestCredentialPlugin::slowParams(const QJsonObject &environment) const
{
    QJsonArray files;
    for (const QString &file : m_kubeconfigs.split(u':'))
        files.append(file);
    return {{u"kubeconfig"_s, files},
            {u"environment"_s, environment},
            {u"context"_s, u"slow"_s},
            {u"namespace"_s, u"shop"_s}};
}

std::shared_ptr<Pending> TestCredentialPlugin::send(const QString &method,
                                                    const QJsonObject &params)
{
    auto p = std::make_shared<Pending>();
    auto t = std::make_shared<QElapsedTimer>();
    t->start();
    m_client.request(method, params, this, [p, t](const IpcClient::Reply &r) {
        p->reply = r;
        p->ms = t->elapsed();
        p->done = true;
    });
    return p;
}

QJsonObject TestCredentialPlugin::sessionIn(const QJsonObject &status, const QString &id)
{
    for (const QJsonValue s : status.value(u"sessions"_s).toArray())
        if (s[u"id"_s].toVariant().toString() == id)
            return s.toObject();
    return {};
}

void TestCredentialPlugin::pickerRunsPluginOnce()
{
    // A target picker opened on an EKS-like context: several kube.* requests at once, then
    // clicks. One plugin run serves them all while the token lives (--ttl 600).
    const QJsonObject env{{u"PATH"_s, qEnvironmentVariable("PATH")},
                          {u"HOME"_s, qEnvironmentVariable("HOME")},
                          {u"AWS_PROFILE"_s, u"picker"_s}};
    const int before = pluginRuns();
    QList<std::shared_ptr<Pending>> first;
    for (int i = 0; i < 3; ++i)
        first << send(u"kube.namespaces"_s, slowParams(env));
    for (int i = 0; i < 2; ++i)
        first << send(u"kube.targets"_s, slowParams(env));
    QTRY_VERIFY_WITH_TIMEOUT(
            std::all_of(first.cbegin(), first.cend(), [](const auto &p) { return p->done; }),
            30000);
    for (const auto &p : first)
        QVERIFY2(p->reply.ok, qPrintable(p->reply.errorMessage));
    QCOMPARE(pluginRuns() - before, 1);
    qint64 clickMax = 0;
    for (int i = 0; i < 6; ++i) {
        auto p = send(i % 2 ? u"kube.targets"_s : u"kube.namespaces"_s, slowParams(env));
        QTRY_VERIFY_WITH_TIMEOUT(p->done, 30000);
        QVERIFY2(p->reply.ok, qPrintable(p->reply.errorMessage));
        clickMax = std::max(clickMax, p->ms);
    }
    QCOMPARE(pluginRuns() - before, 1);
    qInfo("picker: 5 concurrent requests + 6 clicks, 1 plugin run; first answers after %lld ms, "
          "slowest click %lld ms",
          first.first()->ms, clickMax);
    // A click that had waited for the plugin would take its 3 s.
    QVERIFY2(clickMax < PluginSleepMs, "a click ran the plugin again");
}

void TestCredentialPlugin::slowPluginNeverBlocksDaemon()
{
    // A capture session on the client-cert context, with traffic.
    Run r = m_bench.podtap({u"capture"_s, u"shop/web"_s, u"--port"_s, u"8080"_s, u"--detach"_s,
                            u"--context"_s, u"tapper"_s, u"--no-start"_s});
    QVERIFY2(r.code == 0, r.err.constData());
    const QString id = QString::fromUtf8(r.out.trimmed());
    QProcess *client = m_bench.startClient(
            u"c1"_s, {u"--connect"_s, m_podIp.value(u"web"_s) + u":8080"_s, u"--record"_s,
                      m_bench.filePath(u"web-client.jsonl"_s), u"--connections"_s, u"400"_s,
                      u"--concurrency"_s, u"2"_s, u"--requests-per-conn"_s, u"1"_s, u"--rate"_s,
                      u"25"_s, u"--timeout"_s, u"60"_s});
    QVERIFY(client);
    QTRY_VERIFY_WITH_TIMEOUT(num(m_bench.liveSummary(id), "packets") > 0, 30000);

    // The slow context, asked by the picker and by a session at once, with the CLI's
    // environment (a key the previous case did not fill): one 3 s run for both.
    QJsonObject env;
    const QProcessEnvironment cliEnv = m_bench.environment();
    for (const QString &k : cliEnv.keys())
        env[k] = cliEnv.value(k);
    const int before = pluginRuns();
    auto picker = send(u"kube.namespaces"_s, slowParams(env));
    QProcess slowSession;
    slowSession.setProcessEnvironment(cliEnv);
    slowSession.start(CliRunner::podtap(),
                      {u"capture"_s, u"shop/api"_s, u"--port"_s, u"8080"_s, u"--detach"_s,
                       u"--context"_s, u"slow"_s, u"--no-start"_s});
    QVERIFY(slowSession.waitForStarted());

    // While the plugin runs: daemon.status round trips, the capture's packet count, the CLI.
    QElapsedTimer window;
    window.start();
    qint64 statusMax = 0;
    qint64 statusSum = 0;
    int statusCount = 0;
    qint64 packetsFirst = -1;
    qint64 packetsLastInFlight = -1;
    bool cliChecked = false;
    while (!picker->done && window.elapsed() < 20000) {
        QElapsedTimer t;
        t.start();
        const IpcClient::Reply s = m_client.requestAndWait(u"daemon.status"_s, {}, 10000);
        const qint64 ms = t.elapsed();
        QVERIFY2(s.ok, qPrintable(s.errorMessage));
        if (picker->done)
            break; // the run ended during this request: not a sample taken while it ran
        statusMax = std::max(statusMax, ms);
        statusSum += ms;
        ++statusCount;
        const qint64 packets = num(sessionIn(s.result, id), "packets");
        if (packetsFirst < 0)
            packetsFirst = packets;
        packetsLastInFlight = packets;
        if (!cliChecked && window.elapsed() > 500) {
            // The CLI's 3 s handshake is answered too.
            cliChecked = true;
            const Run sessions = m_bench.podtap({u"sessions"_s, u"--json"_s, u"--no-start"_s});
            QVERIFY2(sessions.code == 0 && !sessions.err.contains("did not answer"),
                     sessions.err.constData());
            QVERIFY2(!picker->done, "the plugin ended before the CLI was checked");
        }
        QTest::qWait(100);
    }
    QVERIFY2(picker->done, "the picker request was never answered");
    QVERIFY2(picker->reply.ok, qPrintable(picker->reply.errorMessage));
    qInfo("plugin run in flight %lld ms: %d daemon.status answers, max %lld ms, mean %.1f ms; "
          "capture packets %lld -> %lld",
          picker->ms, statusCount, statusMax, statusCount ? double(statusSum) / statusCount : 0.0,
          packetsFirst, packetsLastInFlight);
    QVERIFY2(picker->ms >= PluginSleepMs - 200, "the plugin did not run (or was not slow)");
    QVERIFY(cliChecked);
    QVERIFY(statusCount >= 5);
    // The issue asks < 100 ms; the bound has a margin for a machine loaded by parallel
    // tests. A blocked daemon would answer after the plugin's 3 s.
    QVERIFY2(statusMax < 500, qPrintable(u"daemon.status took %1 ms"_s.arg(statusMax)));
    QVERIFY2(packetsLastInFlight > packetsFirst, "the capture received nothing meanwhile");

    // The session on the slow context got its credential from that same run.
    QVERIFY(slowSession.waitForFinished(30000));
    const QByteArray slowErr = slowSession.readAllStandardError();
    QVERIFY2(slowSession.exitCode() == 0, slowErr.constData());
    const QString slowId = QString::fromUtf8(slowSession.readAllStandardOutput().trimmed());
    QTRY_VERIFY_WITH_TIMEOUT(str(m_bench.liveSummary(slowId), "state") == u"capturing"_s
                                     || str(m_bench.liveSummary(slowId), "state") == u"failed"_s,
                             30000);
    const QJsonObject slowSummary = m_bench.liveSummary(slowId);
    QVERIFY2(str(slowSummary, "state") == u"capturing"_s,
             QJsonDocument(slowSummary).toJson().constData());
    QCOMPARE(pluginRuns() - before, 1);

    QString why;
    QVERIFY2(m_bench.finishClient(client, u"web-client"_s, 120000, &why), qPrintable(why));
    for (const QString &s : {id, slowId}) {
        r = m_bench.podtap({u"stop"_s, s, u"--json"_s, u"--no-start"_s});
        QVERIFY2(r.code == 0, r.err.constData());
    }
}

QTEST_GUILESS_MAIN(TestCredentialPlugin)
#include "tst_credentialplugin.moc"
