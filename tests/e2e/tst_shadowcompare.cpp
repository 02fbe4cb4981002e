// Issue 8 end to end: shadow comparison and HTTP replay through the real CLI and podtapd
// against kubesim's REST pod (trafficgen `--mode rest`, prod variant) and a local build
// (`--variant local`) that differs on purpose in exactly three routes: the status of
// GET /invoices/{id}, the JSON field address.zip of GET /users/{id} and the Cache-Control
// header of GET /catalog. The comparison must find exactly those, every time, and nothing
// else, over keep-alive, pipelined and chunked traffic; a capture loss may only turn a
// verdict into "not-comparable". The replay must hold its rate within 5 %, sample a
// percentage evenly and strip Authorization; the mirror's HTTP filter must pick connections
// by their first request.
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include "support/clirunner.h"
#include "support/jsonhelpers.h"
#include "support/podtapdprocess.h"
#include "support/sessionbench.h"

#include <csignal>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace podtap::test;

namespace {
const QString Podtap = CliRunner::podtap();

// The three deliberate differences: the route as podtap folds it, the route as the traffic
// generator names it, and the verdict each of its requests must get.
struct Difference
{
    QString route;       // RouteTemplate::fold
    QString clientRoute; // trafficgen's --record-requests "route"
    QString verdict;
};
const Difference Differences[] = {
        {u"GET /invoices/{n}"_s, u"GET /invoices/{id}"_s, u"status"_s},
        {u"GET /users/{n}"_s, u"GET /users/{id}"_s, u"body"_s},
        {u"GET /catalog"_s, u"GET /catalog"_s, u"headers"_s},
};

using Run = CliRunner::Result;

const Difference *differenceFor(const QString &route, bool clientName)
{
    for (const Difference &d : Differences)
        if ((clientName ? d.clientRoute : d.route) == route)
            return &d;
    return nullptr;
}

// Is this differing verdict the deliberate one, with the deliberate detail?
QString wrongDetail(const Difference &d, const QJsonObject &v)
{
    if (d.verdict == u"status"_s
        && (v[u"podStatus"_s].toInt() != 200 || v[u"localStatus"_s].toInt() != 500))
        return u"status 200 → 500 expected"_s;
    if (d.verdict == u"body"_s
        && v[u"body"_s].toArray() != QJsonArray{QJsonValue(u"$.address.zip"_s)})
        return u"body path $.address.zip (only) expected"_s;
    if (d.verdict == u"headers"_s
        && v[u"headers"_s].toArray() != QJsonArray{QJsonValue(u"cache-control"_s)})
        return u"header cache-control (only) expected"_s;
    return {};
}

// Judges a comparison report (podtap mirror/replay --report): every route with a differing
// verdict is one of the three with its deliberate verdict; under `loss` "not-comparable" may
// appear anywhere. Returns what is wrong, empty when all is right; counts the flagged requests
// per deliberate route.
QString judgeReport(const QJsonObject &report, bool loss, QMap<QString, qint64> *flagged,
                    bool requireAll = true)
{
    QStringList wrong;
    const QJsonObject routes = report[u"routes"_s].toObject();
    for (auto it = routes.begin(); it != routes.end(); ++it) {
        const QJsonObject verdicts = it.value()[u"verdicts"_s].toObject();
        const Difference *d = differenceFor(it.key(), false);
        for (auto v = verdicts.begin(); v != verdicts.end(); ++v) {
            const QString kind = v.key();
            if (kind == u"same"_s) {
                if (d)
                    wrong << u"%1: %2 requests judged the same (a difference missed)"_s
                                     .arg(it.key())
                                     .arg(v.value().toInteger());
                continue;
            }
            if (d && kind == d->verdict) {
                (*flagged)[it.key()] += v.value().toInteger();
                continue;
            }
            if (loss && kind == u"not-comparable"_s)
                continue;
            wrong << u"%1: %2 × %3 (false positive)"_s.arg(it.key(), kind)
                             .arg(v.value().toInteger());
        }
        for (const QJsonValue e : it.value()[u"examples"_s].toArray()) {
            if (!d || e[u"verdict"_s].toString() != d->verdict)
                continue;
            const QString why = wrongDetail(*d, e.toObject());
            if (!why.isEmpty())
                wrong << it.key() + u": "_s + why + u": "_s + compact(e.toObject());
        }
    }
    for (const Difference &d : Differences)
        if (requireAll && flagged->value(d.route) == 0)
            wrong << d.route + u": never flagged"_s;
    return wrong.join(u'\n');
}
// The session summary's compare.routes (route → counts) in the report's shape.
QJsonObject routesAsReport(const QJsonObject &compare)
{
    static const QMap<QString, QString> kinds{{u"same"_s, u"same"_s},
                                              {u"status"_s, u"status"_s},
                                              {u"body"_s, u"body"_s},
                                              {u"headers"_s, u"headers"_s},
                                              {u"localErrors"_s, u"local-error"_s},
                                              {u"localTimeouts"_s, u"local-timeout"_s},
                                              {u"notComparable"_s, u"not-comparable"_s}};
    QJsonObject routes;
    const QJsonObject in = compare[u"routes"_s].toObject();
    for (auto it = in.begin(); it != in.end(); ++it) {
        QJsonObject verdicts;
        const QJsonObject counts = it.value().toObject();
        for (auto k = kinds.begin(); k != kinds.end(); ++k)
            if (counts[k.key()].toInteger() > 0)
                verdicts[k.value()] = counts[k.key()].toInteger();
        routes[it.key()] = QJsonObject{{u"verdicts"_s, verdicts}};
    }
    return QJsonObject{{u"routes"_s, routes}};
}
} // namespace

// A tiny HTTP server inside the test: records the raw request bytes and answers each request
// head (no bodies: the probes are GETs) with an empty 200.
class RawRecorder : public QObject
{
public:
    explicit RawRecorder(QObject *parent = nullptr)
        : QObject(parent)
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, this, [this, s] {
                    QByteArray &buffer = m_buffers[s];
                    const QByteArray in = s->readAll();
                    received += in;
                    buffer += in;
                    qsizetype end;
                    while ((end = buffer.indexOf("\r\n\r\n")) >= 0) {
                        heads << buffer.left(end + 4);
                        buffer.remove(0, end + 4);
                        s->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                    }
                });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }
    quint16 port() const { return m_server.serverPort(); }

    QByteArray received;
    QByteArrayList heads;

private:
    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

class TestShadowCompare : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();
    void mirrorFindsExactlyTheDifferences();
    void replayHoldsRateAndFindsThem();
    void replayPercentSamplesEvenly();
    void replayStripsAuthorization();
    void mirrorFiltersByFirstRequest();

private:
    void startDaemon();
    QProcess *startClient(const QStringList &args, const QString &record, const QString &requests);
    void finishClient(QProcess *client, const QString &name, int timeoutMs = 180000);
    QJsonObject waitCompared(const QString &id, qint64 requests, int timeoutMs);
    Run replayAsync(const QStringList &args, int timeoutMs = 120000);

    SessionBench m_bench;
    QString m_podIp;
    QElapsedTimer m_wall;
    // The local build (variant local), shared by the cases.
    quint16 m_localPort = 0;
    // Case 1's stored session and what was sent in it.
    QString m_session;
    qint64 m_sessionRequests = 0; // complete exchanges the client saw (+ the probes)
    QString m_probeClient;        // the curl probe's client ADDR:PORT
    static constexpr int ProbeRequests = 3;
    static constexpr int ProbePort = 42017;
};

// `podtap replay` while this test's event loop runs (the RawRecorder answers in it).
Run TestShadowCompare::replayAsync(const QStringList &args, int timeoutMs)
{
    QProcess p;
    p.setProcessEnvironment(m_bench.environment());
    p.start(Podtap, QStringList{u"replay"_s} + args);
    p.waitForStarted();
    QElapsedTimer t;
    t.start();
    while (p.state() != QProcess::NotRunning && t.elapsed() < timeoutMs)
        QTest::qWait(50);
    if (p.state() != QProcess::NotRunning) {
        p.kill();
        p.waitForFinished(5000);
    }
    const Run r{p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
                p.readAllStandardOutput(), p.readAllStandardError()};
    m_bench.keep(u"cli.log"_s, CliRunner::transcript(u"podtap replay"_s, args, r));
    return r;
}

void TestShadowCompare::startDaemon()
{
    QString error;
    QVERIFY2(m_bench.startDaemon(&error), qPrintable(error));
}

QProcess *TestShadowCompare::startClient(const QStringList &args, const QString &record,
                                         const QString &requests)
{
    return m_bench.startClient(u"c1"_s, QStringList{u"--mode"_s, u"rest"_s, u"--connect"_s,
                                                    m_podIp + u":8080"_s, u"--record"_s, record,
                                                    u"--record-requests"_s, requests}
                                                + args);
}

void TestShadowCompare::finishClient(QProcess *client, const QString &name, int timeoutMs)
{
    QString why;
    QVERIFY2(m_bench.finishClient(client, name, timeoutMs, &why), qPrintable(why));
}

// Until every request has a verdict (or was left unanswered in the capture) and no mirrored
// connection is open; under a reported loss, until nothing changed for longer than the
// comparison's own timeout (10 s).
QJsonObject TestShadowCompare::waitCompared(const QString &id, qint64 requests, int timeoutMs)
{
    bool settled = false;
    const QJsonObject s = m_bench.waitSummary(
            id, "compare", timeoutMs,
            [requests](const QJsonObject &s, qint64 quietMs) {
                const bool open = num(s, "mirror.open") > 0;
                return (!open
                        && num(s, "compare.compared") + num(s, "compare.podUnanswered") >= requests)
                       || (lossReported(s) && quietMs > 12000);
            },
            &settled);
    if (settled)
        return s;
    qWarning("session %s did not compare %lld requests in %d ms: %s", qPrintable(id),
             qlonglong(requests), timeoutMs, qPrintable(compact(at(s, "compare").toObject())));
    return s;
}

void TestShadowCompare::initTestCase()
{
    m_wall.start();
    if (const QString why = SessionBench::skipReason(); !why.isEmpty())
        QSKIP(qPrintable(why));
    QString error;
    QVERIFY2(m_bench.start(QStringLiteral(SRCDIR "/scenarios/shadow.yaml"), &error),
             qPrintable(error));
    m_podIp = m_bench.podIps(u"shop"_s, &error).value(u"api"_s);
    QVERIFY2(!m_podIp.isEmpty(), qPrintable(error));
    startDaemon();
    // The local build, shared by the cases (it is stateless: answers are a function of the
    // request).
    auto *local = m_bench.startServer(
            u"local-build"_s, {u"--mode"_s, u"rest"_s, u"--variant"_s, u"local"_s}, &m_localPort);
    m_bench.children().removeOne(local); // lives across cases
    local->setParent(this);
    QVERIFY(m_localPort > 0);
}

void TestShadowCompare::cleanup()
{
    m_bench.cleanupCase("podtapd.log, cli.log, records, reports");
}

void TestShadowCompare::cleanupTestCase()
{
    for (QProcess *p : findChildren<QProcess *>())
        CliRunner::stop(p);
    m_bench.stop();
    qInfo("wall time of the test: %lld ms", qlonglong(m_wall.elapsed()));
}

void TestShadowCompare::mirrorFindsExactlyTheDifferences()
{
    QElapsedTimer clock;
    clock.start();
    const QString reportFile = m_bench.filePath(u"mirror-report.json"_s);
    QProcess mirror;
    mirror.setProcessEnvironment(m_bench.environment());
    mirror.start(Podtap,
                 {u"mirror"_s, u"shop/api"_s, u"--port"_s, u"8080"_s, u"--to"_s,
                  u"127.0.0.1:"_s + QString::number(m_localPort), u"--compare"_s, u"--report"_s,
                  reportFile, u"--json"_s, u"--context"_s, u"tapper"_s, u"--no-start"_s});
    QVERIFY(mirror.waitForStarted());
    QByteArray err;
    const QString capturedSession = CliRunner::waitForCapturing(&mirror, &err);
    QVERIFY2(!capturedSession.isEmpty(), err.constData());
    m_session = capturedSession;
    const qint64 setupMs = clock.elapsed();

    // 40 keep-alive connections × 60 requests, 8 in flight (pipelined), ~15 % POSTs of which
    // half chunked; every second connection ends with "Connection: close".
    const QString record = m_bench.filePath(u"mirror-client.jsonl"_s);
    const QString requestsFile = m_bench.filePath(u"mirror-requests.jsonl"_s);
    QProcess *client
            = startClient({u"--connections"_s, u"40"_s, u"--concurrency"_s, u"10"_s,
                           u"--requests-per-conn"_s, u"60"_s, u"--pipeline"_s, u"8"_s, u"--rate"_s,
                           u"250"_s, u"--seed"_s, u"81"_s, u"--timeout"_s, u"150"_s},
                          record, requestsFile);
    // Three requests with an Authorization header on one connection from a known port, for
    // replayStripsAuthorization.
    const Run probe = m_bench.tool(
            u"ip"_s,
            {u"netns"_s, u"exec"_s, m_bench.kubesim().netns(u"c1"_s), u"curl"_s, u"-sS"_s, u"-o"_s,
             u"/dev/null"_s, u"--local-port"_s, QString::number(ProbePort), u"-H"_s,
             u"Authorization: Bearer probe-secret-4711"_s, u"-H"_s, u"X-Podtap-Probe: 1"_s,
             u"http://%1:8080/health"_s.arg(m_podIp), u"http://%1:8080/health"_s.arg(m_podIp),
             u"http://%1:8080/health"_s.arg(m_podIp)},
            30000);
    QVERIFY2(probe.code == 0, probe.err.constData());
    finishClient(client, u"mirror-client"_s);
    if (QTest::currentTestFailed())
        return;
    const qint64 trafficMs = clock.elapsed() - setupMs;
    const QList<QJsonObject> sent = readRecords(requestsFile);
    const QList<QJsonObject> conns = readRecords(record);
    QCOMPARE(conns.size(), 40);
    QVERIFY2(!conns.isEmpty() && !str(conns.constFirst(), "local").isEmpty(), "no client address");
    m_probeClient = str(conns.constFirst(), "local").section(QLatin1Char(':'), 0, 0) + u':'
                    + QString::number(ProbePort);
    // The ground truth: each request's route by method + path, and how many of each.
    QHash<QString, QString> routeOf;
    QMap<QString, qint64> sentPerRoute;
    qint64 answered = 0;
    for (const QJsonObject &r : sent) {
        routeOf.insert(str(r, "method") + u' ' + str(r, "path"), str(r, "route"));
        if (num(r, "status") > 0) {
            ++answered;
            ++sentPerRoute[str(r, "route")];
        }
    }
    routeOf.insert(u"GET /health"_s, u"GET /health"_s); // the probes
    QCOMPARE(qint64(sent.size()), 2400);
    QCOMPARE(answered, 2400);
    const qint64 expected = answered + ProbeRequests;

    const qint64 settleStart = clock.elapsed();
    waitCompared(m_session, expected, 90000);
    const qint64 settleMs = clock.elapsed() - settleStart;
    ::kill(pid_t(mirror.processId()), SIGINT);
    QVERIFY(mirror.waitForFinished(60000));
    err += mirror.readAllStandardError();
    m_bench.keep(u"mirror.stderr"_s, err);
    const QByteArray out = mirror.readAllStandardOutput();
    m_bench.keep(u"mirror-summary.json"_s, out);
    QVERIFY2(mirror.exitCode() == 0, err.constData());
    const QJsonObject s = QJsonDocument::fromJson(out).object();
    const QString context = pretty(s);
    QCOMPARE(str(s, "state"), u"stopped"_s);
    const bool loss = lossReported(s);

    // What the replay cases find in the stored session.
    m_sessionRequests = num(s, "http.exchanges");

    // The report, by route.
    QFile reportIn(reportFile);
    QVERIFY2(reportIn.open(QIODevice::ReadOnly), err.constData());
    const QJsonObject report = QJsonDocument::fromJson(reportIn.readAll()).object();
    QMap<QString, qint64> flagged;
    const QString wrong = judgeReport(report, loss, &flagged);
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong + u"\nsession:\n"_s + context));

    // Every verdict the daemon stored, request by request, against the ground truth.
    const QString store = str(s, "store");
    QVERIFY2(QFileInfo::exists(store + u"/http.jsonl"_s), qPrintable(store));
    QVERIFY2(QFileInfo::exists(store + u"/compare.jsonl"_s), qPrintable(store));
    const QList<QJsonObject> exchanges = readRecords(store + u"/http.jsonl"_s);
    const QList<QJsonObject> verdicts = readRecords(store + u"/compare.jsonl"_s);
    QCOMPARE(qint64(exchanges.size()), num(s, "http.exchanges"));
    QCOMPARE(qint64(verdicts.size()), num(s, "compare.compared"));
    QMap<QString, qint64> kinds;
    QMap<QString, qint64> flaggedPerClientRoute;
    QStringList falsePositives;
    qint64 absorbed = 0;
    for (const QJsonObject &v : verdicts) {
        const QString verdict = str(v, "verdict");
        ++kinds[verdict];
        const QString clientRoute = routeOf.value(str(v, "method") + u' ' + str(v, "target"));
        const Difference *d = differenceFor(clientRoute, true);
        const QString want = d ? d->verdict : u"same"_s;
        if (verdict == want) {
            const QString why = d ? wrongDetail(*d, v) : QString();
            if (why.isEmpty()) {
                if (d)
                    ++flaggedPerClientRoute[clientRoute];
                continue;
            }
            falsePositives << why + u": "_s + compact(v);
        } else if (loss && verdict == u"not-comparable"_s) {
            ++absorbed;
            continue;
        } else {
            falsePositives << u"%1 expected: "_s.arg(want) + compact(v);
        }
    }
    QStringList kindsList;
    for (auto it = kinds.begin(); it != kinds.end(); ++it)
        kindsList << u"%1 %2"_s.arg(it.value()).arg(it.key());
    const QString kindsLine = kindsList.join(u", "_s);
    qInfo("mirror: %lld requests sent (+%d probes), %lld exchanges captured, %lld compared, "
          "verdicts %s, flagged %lld invoices / %lld users / %lld catalog; loss %s (%lld "
          "not-comparable); setup %lld ms, traffic %lld ms, settling %lld ms",
          qlonglong(answered), ProbeRequests, qlonglong(num(s, "http.exchanges")),
          qlonglong(num(s, "compare.compared")), qPrintable(kindsLine),
          qlonglong(flaggedPerClientRoute.value(u"GET /invoices/{id}"_s)),
          qlonglong(flaggedPerClientRoute.value(u"GET /users/{id}"_s)),
          qlonglong(flaggedPerClientRoute.value(u"GET /catalog"_s)),
          qPrintable(compact(at(s, "loss").toObject())), qlonglong(absorbed), qlonglong(setupMs),
          qlonglong(trafficMs), qlonglong(settleMs));
    QVERIFY2(falsePositives.isEmpty(),
             qPrintable(u"%1 wrong verdicts, e.g.:\n"_s.arg(falsePositives.size())
                        + falsePositives.mid(0, 10).join(u'\n')));
    QVERIFY2(num(s, "compare.compared") >= 2000 || loss, qPrintable(context));
    // Every request of the three routes is flagged: all of them without a loss, and under one
    // only those the loss made not comparable are not.
    for (const Difference &d : Differences) {
        const qint64 n = flaggedPerClientRoute.value(d.clientRoute);
        QVERIFY2(n == sentPerRoute.value(d.clientRoute) || (loss && n > 0),
                 qPrintable(u"%1: %2 of %3 requests flagged\n"_s.arg(d.clientRoute)
                                    .arg(n)
                                    .arg(sentPerRoute.value(d.clientRoute))
                            + context));
        QCOMPARE(flagged.value(d.route), n); // the report agrees with the store
    }
    QCOMPARE(num(report, "totals.compared"), num(s, "compare.compared"));
    if (!loss) {
        QCOMPARE(num(s, "compare.compared"), expected);
        QCOMPARE(num(s, "http.exchanges"), expected);
        QCOMPARE(num(s, "compare.notComparable"), 0);
        QCOMPARE(num(s, "compare.localErrors") + num(s, "compare.localTimeouts"), 0);
        QCOMPARE(num(s, "mirror.connections"), 41);
        QCOMPARE(num(s, "mirror.completed"), 41);
    }
}

void TestShadowCompare::replayHoldsRateAndFindsThem()
{
    if (m_session.isEmpty())
        QSKIP("no session from mirrorFindsExactlyTheDifferences");
    // ~8 s for the whole session.
    const double rate = 300;
    const QString reportFile = m_bench.filePath(u"replay-report.json"_s);
    QElapsedTimer clock;
    clock.start();
    const Run r = m_bench.podtap({u"replay"_s, m_session, u"--to"_s,
                                  u"127.0.0.1:"_s + QString::number(m_localPort), u"--http"_s,
                                  u"--rate"_s, QString::number(rate), u"--compare"_s, u"--report"_s,
                                  reportFile, u"--json"_s, u"--no-start"_s},
                                 120000);
    const qint64 ms = clock.elapsed();
    m_bench.keep(u"replay.json"_s, r.out);
    QVERIFY2(r.code == 0, QByteArray(r.out + r.err).constData());
    const QJsonObject done = QJsonDocument::fromJson(r.out).object();
    QVERIFY2(done[u"ok"_s].toBool(), r.out.constData());
    QFile in(reportFile);
    QVERIFY(in.open(QIODevice::ReadOnly));
    const QJsonObject report = QJsonDocument::fromJson(in.readAll()).object();
    const double achieved = done[u"rate"_s].toDouble();
    qInfo("replay: %lld of %lld requests sent at %.1f/s (asked %.0f/s, %+.2f %%), compare %s, "
          "%lld ms",
          qlonglong(num(done, "sent")), qlonglong(num(done, "requests")), achieved, rate,
          (achieved / rate - 1) * 100, qPrintable(compact(at(done, "compare").toObject())),
          qlonglong(ms));
    // Every captured request is replayed (none incomplete, none too large).
    QCOMPARE(num(done, "requests"), m_sessionRequests);
    QCOMPARE(num(done, "sent"), m_sessionRequests);
    QCOMPARE(num(done, "answered"), num(done, "sent"));
    QCOMPARE(num(done, "compare.compared"), num(done, "sent"));
    QCOMPARE(num(done, "localErrors") + num(done, "timeouts"), 0);
    QVERIFY2(std::abs(achieved / rate - 1) <= 0.05,
             qPrintable(u"asked %1/s, achieved %2/s"_s.arg(rate).arg(achieved)));
    // The daemon's own measure, checked from outside: the CLI cannot have finished sooner
    // than the schedule allows.
    QVERIFY2(
            double(ms) >= double(num(done, "sent") - 1) * 1000.0 / rate * 0.95,
            qPrintable(u"%1 requests at %2/s in %3 ms"_s.arg(num(done, "sent")).arg(rate).arg(ms)));
    QMap<QString, qint64> flagged;
    const QString wrong = judgeReport(report, false, &flagged);
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong));
    QCOMPARE(num(report, "totals.compared"), num(done, "sent"));
    QCOMPARE(num(done, "compare.notComparable"), 0);
}

void TestShadowCompare::replayPercentSamplesEvenly()
{
    if (m_session.isEmpty())
        QSKIP("no session from mirrorFindsExactlyTheDifferences");
    const Run r = m_bench.podtap({u"replay"_s, m_session, u"--to"_s,
                                  u"127.0.0.1:"_s + QString::number(m_localPort), u"--http"_s,
                                  u"--percent"_s, u"50"_s, u"--ignore-header"_s, u"Cache-Control"_s,
                                  u"--compare"_s, u"--json"_s, u"--no-start"_s},
                                 120000);
    m_bench.keep(u"replay-percent.json"_s, r.out);
    QVERIFY2(r.code == 0, QByteArray(r.out + r.err).constData());
    const QJsonObject done = QJsonDocument::fromJson(r.out).object();
    const qint64 requests = num(done, "requests");
    qInfo("replay --percent 50 --ignore-header Cache-Control: %lld of %lld requests sent, compare "
          "%s",
          qlonglong(num(done, "sent")), qlonglong(requests),
          qPrintable(compact(at(done, "compare").toObject())));
    QCOMPARE(requests, m_sessionRequests);
    QVERIFY2(std::abs(num(done, "sent") * 2 - requests) <= 2, r.out.constData());
    QCOMPARE(num(done, "selected"), num(done, "sent"));
    QCOMPARE(num(done, "compare.compared"), num(done, "sent"));
    // Cache-Control ignored: the catalog's difference is gone, the other two remain, and
    // nothing else differs.
    QCOMPARE(num(done, "compare.headers"), 0);
    QVERIFY2(num(done, "compare.status") > 0 && num(done, "compare.body") > 0, r.out.constData());
    QCOMPARE(num(done, "compare.same") + num(done, "compare.status") + num(done, "compare.body"),
             num(done, "sent"));
}

void TestShadowCompare::replayStripsAuthorization()
{
    if (m_session.isEmpty() || m_probeClient.isEmpty())
        QSKIP("no session from mirrorFindsExactlyTheDifferences");
    // Only the probe's connection, to a listener that keeps the raw bytes: by default the
    // Authorization header is gone, with --keep-auth it is there (the probe did send it).
    for (const bool keepAuth : {false, true}) {
        RawRecorder recorder;
        QVERIFY(recorder.port() > 0);
        QStringList args{
                m_session,   u"--to"_s,          u"127.0.0.1:"_s + QString::number(recorder.port()),
                u"--http"_s, u"--connections"_s, m_probeClient,
                u"--json"_s, u"--no-start"_s};
        if (keepAuth)
            args << u"--keep-auth"_s;
        const Run r = replayAsync(args);
        QVERIFY2(r.code == 0, QByteArray(r.out + r.err).constData());
        const QJsonObject done = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(num(done, "sent"), qint64(ProbeRequests));
        QCOMPARE(recorder.heads.size(), ProbeRequests);
        for (const QByteArray &head : std::as_const(recorder.heads)) {
            QVERIFY2(head.contains("X-Podtap-Probe: 1"), head.constData());
            QVERIFY2(head.toLower().contains("\r\nauthorization:") == keepAuth, head.constData());
        }
        QCOMPARE(recorder.received.contains("probe-secret-4711"), keepAuth);
    }
}

void TestShadowCompare::mirrorFiltersByFirstRequest()
{
    quint16 port = 0;
    const QString localRecord = m_bench.filePath(u"filter-local.jsonl"_s);
    m_bench.startServer(
            u"filter-local"_s,
            {u"--mode"_s, u"rest"_s, u"--variant"_s, u"local"_s, u"--record"_s, localRecord},
            &port);
    QVERIFY(port > 0);
    Run r = m_bench.podtap({u"mirror"_s, u"shop/api"_s, u"--port"_s, u"8080"_s, u"--to"_s,
                            u"127.0.0.1:"_s + QString::number(port), u"--http-path"_s,
                            u"^/users/"_s, u"--compare"_s, u"--detach"_s, u"--context"_s,
                            u"tapper"_s, u"--no-start"_s});
    QVERIFY2(r.code == 0, r.err.constData());
    const QString id = QString::fromUtf8(r.out.trimmed());
    const QString record = m_bench.filePath(u"filter-client.jsonl"_s);
    const QString requestsFile = m_bench.filePath(u"filter-requests.jsonl"_s);
    QProcess *client = startClient({u"--connections"_s, u"60"_s, u"--concurrency"_s, u"6"_s,
                                    u"--requests-per-conn"_s, u"3"_s, u"--seed"_s, u"82"_s,
                                    u"--timeout"_s, u"60"_s},
                                   record, requestsFile);
    finishClient(client, u"filter-client"_s);
    if (QTest::currentTestFailed())
        return;
    // Which connections should pass: those whose first request's path matches.
    int match = 0, total = 0;
    QHash<QString, bool> passes; // client connection → its first request matches
    const QList<QJsonObject> requests = readRecords(requestsFile);
    for (const QJsonObject &q : requests) {
        if (num(q, "seq") != 0)
            continue;
        ++total;
        passes.insert(str(q, "conn"), str(q, "path").startsWith(u"/users/"_s));
        match += passes.value(str(q, "conn")) ? 1 : 0;
    }
    qint64 matchedRequests = 0; // all requests of the mirrored connections are compared
    for (const QJsonObject &q : requests)
        matchedRequests += passes.value(str(q, "conn")) && num(q, "status") > 0 ? 1 : 0;
    QCOMPARE(total, 60);
    QVERIFY2(match > 0 && match < total, "the seed gives no mix of first requests");
    QJsonObject s;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 30000) {
        s = m_bench.liveSummary(id);
        if (num(s, "mirror.connections") + num(s, "mirror.filtered") >= total
            && num(s, "mirror.open") == 0
            && num(s, "compare.compared") + num(s, "compare.podUnanswered") >= matchedRequests)
            break;
        QTest::qWait(250);
    }
    r = m_bench.podtap({u"stop"_s, id, u"--json"_s, u"--no-start"_s});
    QVERIFY2(r.code == 0, r.err.constData());
    m_bench.keep(u"filter-summary.json"_s, r.out);
    s = QJsonDocument::fromJson(r.out).object();
    const QString context = pretty(s);
    QElapsedTimer w;
    w.start();
    while (readRecords(localRecord).size() < num(s, "mirror.completed") && w.elapsed() < 5000)
        QTest::qWait(50);
    const int local = int(readRecords(localRecord).size());
    qInfo("filter ^/users/: %d of %d connections start with it; mirrored %lld, filtered %lld, "
          "local server saw %d; %lld of their %lld requests compared",
          match, total, qlonglong(num(s, "mirror.connections")),
          qlonglong(num(s, "mirror.filtered")), local, qlonglong(num(s, "compare.compared")),
          qlonglong(matchedRequests));
    // Compared too: only the mirrored connections' requests, and only the deliberate
    // differences among them.
    QMap<QString, qint64> flagged;
    const QString wrong = judgeReport(routesAsReport(at(s, "compare").toObject()), lossReported(s),
                                      &flagged, false);
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong + u"\n"_s + context));
    QVERIFY2(flagged.value(u"GET /users/{n}"_s) >= match || lossReported(s), qPrintable(context));
    if (lossReported(s)) {
        QVERIFY2(num(s, "mirror.connections") <= match, qPrintable(context));
        QVERIFY2(num(s, "mirror.connections") + num(s, "mirror.filtered") <= total,
                 qPrintable(context));
    } else {
        QVERIFY2(num(s, "mirror.connections") == match, qPrintable(context));
        QVERIFY2(num(s, "mirror.filtered") == total - match, qPrintable(context));
        QVERIFY2(num(s, "mirror.completed") == match, qPrintable(context));
        QCOMPARE(local, match);
        QCOMPARE(num(s, "compare.compared"), matchedRequests);
    }
}

QTEST_GUILESS_MAIN(TestShadowCompare)
#include "tst_shadowcompare.moc"
