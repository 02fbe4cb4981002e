// Issue 9 parts 3-5 end to end, with the real podtap, podtapd and kubesim: `podtap mirror NAME`
// from a project's .podtap.yaml (two port mappings, real traffic on both mirrored to two local
// servers), config errors with file:line:column, the context guard (podtapd refuses a
// protected context without confirmation, for every client; the CLI flag passes; capture
// --direct refuses too; guard.conf edits apply at once) and the audit trail (inject, reuse,
// start, stop, refusals; 0600; no credential of the kubeconfig in it).
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include "ipc/ipcclient.h"
#include "support/clirunner.h"
#include "support/jsonhelpers.h"
#include "support/kubesimprocess.h"
#include "support/podtapdprocess.h"
#include "support/trafficgencommand.h"

#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using podtap::IpcClient;
using podtap::test::readRecords;

namespace {
const QString Podtap = CliRunner::podtap();
const QString Podtapd = PodtapdProcess::program();
const QString Kubesim = QStringLiteral(BINDIR "/tests/kubesim/podtap-kubesim");
const QString Trafficgen = TrafficgenCommand::program();

using Run = CliRunner::Result;

// (bytes, sha256) of one side of each record, sorted: a multiset of streams.
QStringList streams(const QList<QJsonObject> &records, const char *side)
{
    QStringList s;
    for (const QJsonObject &r : records) {
        const QJsonObject o = r.value(QLatin1String(side)).toObject();
        s << QString::number(o.value(u"bytes").toInteger()) + u' ' + o.value(u"sha256").toString();
    }
    s.sort();
    return s;
}
} // namespace

class TestProjectMirror : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();
    void configErrorsHaveLineAndColumn();
    void listFindsConfigInParent();
    void projectMirrorTwoPorts();
    void daemonRefusesProtectedContext();
    void cliRefusesAndFlagPasses();
    void directCaptureRefuses();
    void guardFileAppliesAtOnce();
    void auditTrail();

private:
    QProcessEnvironment environment() const;
    Run podtap(const QStringList &args, const QString &workDir = {}, int timeoutMs = 60000);
    QProcess *startServer(const QString &netns, const QString &listen, const QString &record,
                          quint16 *port);
    void runClients(int port, int connections, const QString &record, int seed);
    QJsonObject startParams(const QString &context, const QString &pod) const;
    QString writeProject(const QString &dir, const QByteArray &yaml);
    QString tapOf(const QString &pod);

    QTemporaryDir m_dir;
    KubesimProcess m_kubesim;
    PodtapdProcess m_podtapd;
    QString m_webIp;
    QList<QProcess *> m_children;
    IpcClient m_client;
};

QProcessEnvironment TestProjectMirror::environment() const
{
    QProcessEnvironment env = m_podtapd.environment(m_kubesim.kubeconfig());
    // No guard.conf there (until guardFileAppliesAtOnce writes one): the default `*prod*`.
    env.insert(u"XDG_CONFIG_HOME"_s, m_dir.filePath(u"config-home"_s));
    return env;
}

Run TestProjectMirror::podtap(const QStringList &args, const QString &workDir, int timeoutMs)
{
    return CliRunner::run(Podtap, args, environment(), timeoutMs, workDir);
}

QProcess *TestProjectMirror::startServer(const QString &netns, const QString &listen,
                                         const QString &record, quint16 *port)
{
    auto *p = new QProcess(this);
    m_children << p;
    QStringList args{u"--listen"_s, listen, u"--mode"_s, u"http"_s};
    if (!record.isEmpty())
        args << u"--record"_s << record;
    *port = TrafficgenCommand::serve(p, args, netns);
    return p;
}

void TestProjectMirror::runClients(int port, int connections, const QString &record, int seed)
{
    QProcess p;
    p.start(u"ip"_s, TrafficgenCommand::clientInNetns(
                             m_kubesim.netns(u"c1"_s),
                             {u"--connect"_s, m_webIp + u':' + QString::number(port), u"--record"_s,
                              record, u"--connections"_s, QString::number(connections),
                              u"--concurrency"_s, u"4"_s, u"--requests-per-conn"_s, u"2"_s,
                              u"--request-size"_s, u"400"_s, u"--response-size"_s, u"300"_s,
                              u"--seed"_s, QString::number(seed), u"--timeout"_s, u"60"_s}));
    QVERIFY(p.waitForFinished(90000));
    QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0,
             p.readAllStandardError().constData());
}

QJsonObject TestProjectMirror::startParams(const QString &context, const QString &pod) const
{
    return QJsonObject{{u"kubeconfig"_s, QJsonArray{m_kubesim.kubeconfig()}},
                       {u"context"_s, context},
                       {u"namespace"_s, u"shop"_s},
                       {u"target"_s, pod},
                       {u"port"_s, 8080}};
}

QString TestProjectMirror::writeProject(const QString &dir, const QByteArray &yaml)
{
    QDir().mkpath(dir);
    QFile f(dir + u"/.podtap.yaml"_s);
    if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        f.write(yaml);
    return f.fileName();
}

// The podtap tap running in `pod` (from `podtap pods`), empty when it has none.
QString TestProjectMirror::tapOf(const QString &pod)
{
    const Run r = podtap({u"pods"_s, u"-n"_s, u"shop"_s, u"--json"_s, u"--context"_s, u"tapper"_s});
    for (const QJsonValue p : QJsonDocument::fromJson(r.out)[u"pods"_s].toArray())
        if (p[u"name"_s].toString() == pod)
            return p[u"tap"_s].isObject() ? p[u"tap"_s][u"name"_s].toString()
                                          : p[u"tap"_s].toString();
    return {};
}

void TestProjectMirror::initTestCase()
{
    if (geteuid() != 0)
        QSKIP("kubesim's pods are network namespaces: this test needs root");
    for (const QString &bin : {Podtap, Podtapd, Kubesim, Trafficgen})
        if (!QFile::exists(bin))
            QSKIP(qPrintable(bin + u" was not built"_s));
    QVERIFY(m_dir.isValid());
    QVERIFY(m_podtapd.prepare(m_dir.path()));
    QString error;
    QVERIFY2(
            m_kubesim.start(QStringLiteral(SRCDIR "/scenarios/project.yaml"), m_dir.path(), &error),
            qPrintable(error));
    const Run pods
            = podtap({u"pods"_s, u"-n"_s, u"shop"_s, u"--json"_s, u"--context"_s, u"tapper"_s});
    QVERIFY2(pods.code == 0, pods.err.constData());
    for (const QJsonValue p : QJsonDocument::fromJson(pods.out)[u"pods"_s].toArray())
        if (p[u"name"_s].toString() == u"web"_s)
            m_webIp = p[u"ip"_s].toString();
    QVERIFY(!m_webIp.isEmpty());

    QVERIFY2(m_podtapd.start(environment(), &error), qPrintable(error));
    m_podtapd.waitForSocket();
    m_client.connectToDaemon(m_podtapd.socketPath(), u"tst-projectmirror"_s);
    QVERIFY(m_client.waitForReady(5000));
}

void TestProjectMirror::cleanup()
{
    for (QProcess *p : std::as_const(m_children))
        CliRunner::stop(p);
    qDeleteAll(m_children);
    m_children.clear();
    if (QTest::currentTestFailed() && m_dir.autoRemove()) {
        m_dir.setAutoRemove(false);
        qWarning("kept the test's files in %s", qPrintable(m_dir.path()));
        m_podtapd.printLogTail();
    }
}

void TestProjectMirror::cleanupTestCase()
{
    m_podtapd.terminate();
    m_kubesim.stop();
}

void TestProjectMirror::configErrorsHaveLineAndColumn()
{
    const QString dir = m_dir.filePath(u"bad-project"_s);
    const QString file = writeProject(dir, "mirrors:\n"
                                           "  web:\n"
                                           "    target: shop/web\n"
                                           "    ports: [{remote: 8080, local: 18080}]\n"
                                           "    options:\n"
                                           "      jion_midstream: true\n");
    Run r = podtap({u"mirror"_s, u"web"_s, u"--no-start"_s}, dir);
    QCOMPARE(r.code, 1);
    QCOMPARE(QString::fromUtf8(r.err).trimmed(),
             file
                     + u":6:7: unknown key 'jion_midstream' in mirrors.web.options (did you mean "
                       "join_midstream?)"_s);
    // A regex that does not compile, given with --config from elsewhere.
    writeProject(dir, "mirrors:\n  web:\n    target: shop/web\n"
                      "    ports: [{remote: 8080, local: 18080}]\n"
                      "    http: {path: \"(\"}\n");
    r = podtap({u"mirror"_s, u"web"_s, u"--config"_s, file, u"--no-start"_s}, m_dir.path());
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.startsWith((file
                               + u":5:18: mirrors.web.http.path is not a valid regular "
                                 "expression"_s)
                                      .toUtf8()),
             r.err.constData());
    // No config anywhere up the tree (the test folder lives in /tmp).
    r = podtap({u"mirror"_s, u"web"_s, u"--no-start"_s}, m_dir.filePath(u"run"_s));
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("no .podtap.yaml in"), r.err.constData());
}

void TestProjectMirror::listFindsConfigInParent()
{
    const QString dir = m_dir.filePath(u"listed"_s);
    writeProject(dir, "mirrors:\n"
                      "  web:\n"
                      "    description: front\n"
                      "    context: tapper\n"
                      "    target: shop/web\n"
                      "    ports: [{remote: 8080, local: 18080}, {remote: 9090, local: 19090}]\n"
                      "  vault: {target: shop/vault, ports: [{remote: 8080, local: 18081}]}\n");
    QVERIFY(QDir().mkpath(dir + u"/src/deep"_s));
    const Run r = podtap({u"mirror"_s, u"--list"_s, u"--json"_s}, dir + u"/src/deep"_s);
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o[u"file"_s].toString(), dir + u"/.podtap.yaml"_s);
    const QJsonArray mirrors = o[u"mirrors"_s].toArray();
    QCOMPARE(mirrors.size(), 2);
    QCOMPARE(mirrors[0][u"name"_s].toString(), u"web"_s);
    QCOMPARE(mirrors[0][u"sessions"_s].toArray().size(), 2);
    QCOMPARE(mirrors[0][u"sessions"_s][1][u"mirror"_s][u"port"_s].toInt(), 19090);
    // An unknown name suggests the closest.
    const Run unknown = podtap({u"mirror"_s, u"wbe"_s, u"--no-start"_s}, dir);
    QCOMPARE(unknown.code, 1);
    QVERIFY2(unknown.err.contains("has no mirror 'wbe'; did you mean web"),
             unknown.err.constData());
}

void TestProjectMirror::projectMirrorTwoPorts()
{
    // A second server in the pod's own network namespace: the pod serves 8080 and 9090.
    quint16 podPort = 0;
    startServer(m_kubesim.netns(u"p1"_s), u"0.0.0.0:9090"_s, {}, &podPort);
    QCOMPARE(podPort, quint16(9090));
    quint16 localA = 0, localB = 0;
    const QString recordA = m_dir.filePath(u"local-8080.jsonl"_s);
    const QString recordB = m_dir.filePath(u"local-9090.jsonl"_s);
    startServer({}, u"127.0.0.1:0"_s, recordA, &localA);
    startServer({}, u"127.0.0.1:0"_s, recordB, &localB);
    QVERIFY(localA > 0 && localB > 0);
    const QString dir = m_dir.filePath(u"project"_s);
    writeProject(dir, QStringLiteral("store: {quota: 3G, max_age: 12h}\n"
                                     "mirrors:\n"
                                     "  web:\n"
                                     "    context: tapper\n"
                                     "    namespace: shop\n"
                                     "    target: web\n"
                                     "    ports:\n"
                                     "      - {remote: 8080, local: %1}\n"
                                     "      - {remote: 9090, local: %2}\n"
                                     "    http: {methods: [POST], path: \"^/\"}\n")
                              .arg(localA)
                              .arg(localB)
                              .toUtf8());
    QProcess mirror;
    mirror.setProcessEnvironment(environment());
    mirror.setWorkingDirectory(dir);
    mirror.start(Podtap, {u"mirror"_s, u"web"_s, u"--json"_s, u"--no-start"_s});
    QVERIFY(mirror.waitForStarted());
    QByteArray err;
    QTRY_VERIFY_WITH_TIMEOUT((err += mirror.readAllStandardError()).count(" capturing (web ") == 2
                                     || mirror.state() != QProcess::Running,
                             90000);
    QVERIFY2(err.count(" capturing (web ") == 2, err.constData());
    QVERIFY2(err.contains(QByteArray("(web 8080→" + QByteArray::number(localA) + ')')),
             err.constData());
    // The project's store: applied to podtapd before its sessions started.
    const auto retention = m_client.requestAndWait(u"store.retention"_s);
    QVERIFY2(retention.ok, qPrintable(retention.errorMessage));
    QCOMPARE(retention.result[u"retention"_s][u"quota"_s].toString(), u"3G"_s);
    QCOMPARE(retention.result[u"retention"_s][u"maxAge"_s].toString(), u"12h"_s);

    const QString sentA = m_dir.filePath(u"sent-8080.jsonl"_s);
    const QString sentB = m_dir.filePath(u"sent-9090.jsonl"_s);
    runClients(8080, 12, sentA, 21);
    runClients(9090, 8, sentB, 22);
    QCOMPARE(readRecords(sentA).size(), 12);
    QCOMPARE(readRecords(sentB).size(), 8);
    QTRY_VERIFY_WITH_TIMEOUT(readRecords(recordA).size() >= 12 && readRecords(recordB).size() >= 8,
                             30000);
    // Each port's connections reached its own local port, byte-exact.
    QCOMPARE(streams(readRecords(recordA), "received"), streams(readRecords(sentA), "sent"));
    QCOMPARE(streams(readRecords(recordB), "received"), streams(readRecords(sentB), "sent"));

    mirror.terminate(); // Ctrl-C's path: every session stops
    QVERIFY(mirror.waitForFinished(60000));
    err += mirror.readAllStandardError();
    QVERIFY2(mirror.exitCode() == 0, err.constData());
    const QJsonObject out = QJsonDocument::fromJson(mirror.readAllStandardOutput()).object();
    QCOMPARE(out[u"mirror"_s].toString(), u"web"_s);
    const QJsonArray sessions = out[u"sessions"_s].toArray();
    QCOMPARE(sessions.size(), 2);
    QCOMPARE(sessions[0][u"state"_s].toString(), u"stopped"_s);
    QCOMPARE(sessions[1][u"state"_s].toString(), u"stopped"_s);
    QCOMPARE(sessions[0][u"port"_s].toInt(), 8080);
    QCOMPARE(sessions[1][u"port"_s].toInt(), 9090);
    QCOMPARE(sessions[0][u"mirror"_s][u"completed"_s].toInteger(), 12);
    QCOMPARE(sessions[1][u"mirror"_s][u"completed"_s].toInteger(), 8);
    QCOMPARE(sessions[0][u"protected"_s].toBool(true), false);
    // One session at a time: the second reused the first one's tap (never two taps in a pod).
    QVERIFY2(err.contains("reusing tap"), err.constData());
    QCOMPARE(err.count("started tap "), 1);
}

void TestProjectMirror::daemonRefusesProtectedContext()
{
    const QString before = tapOf(u"vault"_s);
    QVERIFY2(before.isEmpty(), qPrintable(before));
    // Any client, not only the CLI: the daemon itself refuses.
    const auto refused = m_client.requestAndWait(u"session.start"_s,
                                                 startParams(u"tapper-prod"_s, u"vault"_s), 30000);
    QVERIFY(!refused.ok);
    QCOMPARE(refused.errorCode, u"protected-context"_s);
    QVERIFY2(refused.errorMessage.contains(u"'tapper-prod' is protected (it matches '*prod*'"_s),
             qPrintable(refused.errorMessage));
    // The current context counts when none is named: a kubeconfig whose current context is
    // the production one.
    QFile kc(m_kubesim.kubeconfig());
    QVERIFY(kc.open(QIODevice::ReadOnly));
    QByteArray yaml = kc.readAll();
    yaml.replace(QRegularExpression(u"current-context: \\S+"_s)
                         .match(QString::fromUtf8(yaml))
                         .captured(0)
                         .toUtf8(),
                 "current-context: tapper-prod");
    QFile current(m_dir.filePath(u"current-prod.kubeconfig"_s));
    QVERIFY(current.open(QIODevice::WriteOnly));
    current.write(yaml);
    current.close();
    QJsonObject params = startParams(QString(), u"vault"_s);
    params[u"kubeconfig"_s] = QJsonArray{current.fileName()};
    const auto viaCurrent = m_client.requestAndWait(u"session.start"_s, params, 30000);
    QCOMPARE(viaCurrent.errorCode, u"protected-context"_s);
    // kube.preflight says so before anything is started.
    QJsonObject preflight = startParams(u"tapper-prod"_s, u"vault"_s);
    const auto checked = m_client.requestAndWait(u"kube.preflight"_s, preflight, 30000);
    QVERIFY2(checked.ok, qPrintable(checked.errorMessage));
    QCOMPARE(checked.result[u"guard"_s][u"protected"_s].toBool(), true);
    QCOMPARE(checked.result[u"guard"_s][u"pattern"_s].toString(), u"*prod*"_s);
    preflight[u"context"_s] = u"tapper"_s;
    QCOMPARE(m_client.requestAndWait(u"kube.preflight"_s, preflight, 30000)
                     .result[u"guard"_s][u"protected"_s]
                     .toBool(true),
             false);
    // Nothing was touched: no session, no tap.
    const auto list = m_client.requestAndWait(u"session.list"_s);
    for (const QJsonValue s : list.result[u"sessions"_s].toArray())
        QVERIFY(s[u"target"_s].toString() != u"vault"_s);
    QVERIFY(tapOf(u"vault"_s).isEmpty());
}

void TestProjectMirror::cliRefusesAndFlagPasses()
{
    Run r = podtap({u"capture"_s, u"vault"_s, u"-n"_s, u"shop"_s, u"--port"_s, u"8080"_s,
                    u"--context"_s, u"tapper-prod"_s, u"--no-start"_s, u"--duration"_s, u"2"_s});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("'tapper-prod' is protected")
                     && r.err.contains("--yes-i-mean-production"),
             r.err.constData());
    QVERIFY(tapOf(u"vault"_s).isEmpty());

    r = podtap({u"capture"_s, u"vault"_s, u"-n"_s, u"shop"_s, u"--port"_s, u"8080"_s,
                u"--context"_s, u"tapper-prod"_s, u"--no-start"_s, u"--duration"_s, u"2"_s,
                u"--json"_s, u"--yes-i-mean-production"_s},
               {}, 90000);
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY2(r.err.contains("*** PROTECTED CONTEXT tapper-prod"), r.err.constData());
    const QJsonObject summary = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(summary[u"protected"_s].toBool(), true);
    QCOMPARE(summary[u"context"_s].toString(), u"tapper-prod"_s);
    QVERIFY(!tapOf(u"vault"_s).isEmpty());
}

void TestProjectMirror::directCaptureRefuses()
{
    const Run r = podtap({u"capture"_s, u"--direct"_s, u"shop/web"_s, u"--port"_s, u"8080"_s,
                          u"-w"_s, m_dir.filePath(u"direct.pcap"_s), u"--context"_s,
                          u"tapper-prod"_s, u"--duration"_s, u"1"_s});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("context 'tapper-prod' is protected"), r.err.constData());
    QVERIFY(!QFile::exists(m_dir.filePath(u"direct.pcap"_s)));
}

void TestProjectMirror::guardFileAppliesAtOnce()
{
    // The user protects "tapper" too; podtapd re-reads guard.conf for each session.
    const QString conf = m_dir.filePath(u"config-home/podtap/guard.conf"_s);
    QVERIFY(QDir().mkpath(QFileInfo(conf).absolutePath()));
    QFile f(conf);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("# test\nTAPPER\n");
    f.close();
    const auto refused = m_client.requestAndWait(u"session.start"_s,
                                                 startParams(u"tapper"_s, u"web"_s), 30000);
    QCOMPARE(refused.errorCode, u"protected-context"_s);
    QVERIFY2(refused.errorMessage.contains(u"matches 'TAPPER'"_s),
             qPrintable(refused.errorMessage));
    // With that file "tapper-prod" is no longer protected (the file replaces the default).
    QJsonObject params = startParams(u"tapper-prod"_s, u"vault"_s);
    params[u"limits"_s] = QJsonObject{{u"durationSeconds"_s, 1}};
    const auto started = m_client.requestAndWait(u"session.start"_s, params, 30000);
    QVERIFY2(started.ok, qPrintable(started.errorMessage));
    QCOMPARE(started.result[u"session"_s][u"protected"_s].toBool(true), false);
    QVERIFY(QFile::remove(conf));
    const QString id = started.result[u"session"_s][u"id"_s].toString();
    QTRY_VERIFY_WITH_TIMEOUT(!m_client.requestAndWait(u"session.get"_s, QJsonObject{{u"id"_s, id}})
                                      .result[u"live"_s]
                                      .toBool(true),
                             60000);
}

void TestProjectMirror::auditTrail()
{
    const QString path = m_dir.filePath(u"state-home/podtap/audit.log"_s);
    QFile f(path);
    QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(path));
    const QByteArray log = f.readAll();
    struct stat st;
    QCOMPARE(::stat(QFile::encodeName(path).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, 0600u);
    QCOMPARE(::stat(QFile::encodeName(QFileInfo(path).absolutePath()).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, 0700u);

    QMap<QString, QList<QJsonObject>> byEvent;
    for (const QByteArray &line : log.split('\n')) {
        if (line.isEmpty())
            continue;
        QJsonParseError pe;
        const QJsonObject o = QJsonDocument::fromJson(line, &pe).object();
        QVERIFY2(pe.error == QJsonParseError::NoError, line.constData());
        QVERIFY2(o[u"time"_s].toString().endsWith(u'Z'), line.constData());
        byEvent[o[u"event"_s].toString()] << o;
    }
    // The project mirror: two sessions on web, each with a tap added or reused, start and stop.
    int webStarts = 0, webStops = 0;
    for (const QJsonObject &o : byEvent.value(u"mirror-start"_s))
        webStarts += o[u"target"_s].toString() == u"web"_s ? 1 : 0;
    for (const QJsonObject &o : byEvent.value(u"mirror-stop"_s))
        webStops += o[u"target"_s].toString() == u"web"_s ? 1 : 0;
    QCOMPARE(webStarts, 2);
    QCOMPARE(webStops, 2);
    const QList<QJsonObject> injects = byEvent.value(u"inject"_s);
    QVERIFY(!injects.isEmpty());
    QCOMPARE(injects.constFirst()[u"pod"_s].toString(), u"web"_s);
    QCOMPARE(injects.constFirst()[u"context"_s].toString(), u"tapper"_s);
    QCOMPARE(injects.constFirst()[u"namespace"_s].toString(), u"shop"_s);
    QVERIFY(injects.constFirst()[u"tap"_s].toString().startsWith(u"podtap-"_s));
    QVERIFY(injects.constFirst()[u"image"_s].toString().contains(u"netshoot"_s));
    QCOMPARE(injects.constFirst()[u"profile"_s].toString(), u"default"_s);
    QVERIFY(!byEvent.value(u"reuse"_s).isEmpty()); // the second web session, the vault reruns
    // Refusals, and the confirmed production capture marked as such.
    QVERIFY(byEvent.value(u"refused"_s).size() >= 3);
    QCOMPARE(byEvent.value(u"refused"_s).constFirst()[u"context"_s].toString(), u"tapper-prod"_s);
    bool confirmed = false;
    for (const QJsonObject &o : byEvent.value(u"capture-start"_s))
        confirmed = confirmed
                    || (o[u"protected"_s].toBool() && o[u"confirmed"_s].toBool()
                        && o[u"context"_s].toString() == u"tapper-prod"_s);
    QVERIFY2(confirmed, log.constData());
    QVERIFY(!byEvent.value(u"capture-stop"_s).isEmpty());

    // No credential of the kubeconfig: token, client key and certificate, basic password.
    QFile kc(m_kubesim.kubeconfig());
    QVERIFY(kc.open(QIODevice::ReadOnly));
    int secrets = 0;
    const QRegularExpression secret(
            u"^\\s*(token|client-key-data|client-certificate-data|password):\\s*(\\S+)"_s,
            QRegularExpression::MultilineOption);
    for (auto it = secret.globalMatch(QString::fromUtf8(kc.readAll())); it.hasNext();) {
        const QString value = it.next().captured(2);
        ++secrets;
        QVERIFY2(!log.contains(value.toUtf8()),
                 qPrintable(u"the audit log holds a "_s + value.left(4)));
        if (value.size() > 40) // base64 PEM: no chunk of it either
            QVERIFY(!log.contains(value.mid(20, 24).toUtf8()));
    }
    QVERIFY2(secrets >= 4, "the kubeconfig's credentials were not found to check against");
    QVERIFY(!log.contains("prod-secret-token-4f9d2a"));
    QVERIFY(!log.contains("basic-secret-pw-8c1e"));
}

QTEST_GUILESS_MAIN(TestProjectMirror)
#include "tst_projectmirror.moc"
