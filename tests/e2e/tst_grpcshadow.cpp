// Issue 19 end to end: HTTP/2 and gRPC through the real CLI and podtapd. kubesim's grpc pod
// (tests/kubesim/grpc/catalog_server.py, variant prod) is mirrored with `podtap mirror
// --compare` into the same server run here as variant `local`, which differs on purpose in one
// field of one method's reply (GetItem's price_cents). A Python gRPC client in the pod's client
// namespace makes unary, server-streaming and client-streaming calls over several connections:
// every GetItem call must be `body`, every other call `same`, the report's counts per method
// must be the calls the local build served, and nothing may be undecodable. Then h2c with
// nghttp2's own tools: h2load against nghttpd in a pod, mirrored into a local nginx speaking
// HTTP/2: the local side serves exactly the requests the pod served, from exactly the bytes
// the client sent.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTest>

#include "support/clirunner.h"
#include "support/jsonhelpers.h"
#include "support/sessionbench.h"

#include <csignal>

using namespace Qt::StringLiterals;
using namespace podtap::test;

namespace {
const QString Python = u"/usr/bin/python3"_s;
const QString GrpcDir = QStringLiteral(KUBESIM_GRPC_DIR);
constexpr quint16 GrpcPort = 50051;
constexpr quint16 WebPort = 8080;
const QString Service = u"podtapshop.Catalog"_s;

QString route(const QString &method)
{
    return u"POST /"_s + Service + u'/' + method;
}

quint16 freePort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();
}
} // namespace

class TestGrpcShadow : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void grpcCallsAreComparedByStream();
    void h2cMirrorServesWhatThePodServed();
    void joinedHttp2IsNeverMirrored();
    void gapEndsTheHttp2Mirror();
    void cleanup();
    void cleanupTestCase();

private:
    // `podtap mirror POD --port P --to 127.0.0.1:LOCAL ARGS --json`, until it captures.
    QString startMirror(QProcess &mirror, const QString &pod, quint16 port, quint16 local,
                        const QStringList &args);
    // SIGINT, then its final summary (stdout, --json).
    QJsonObject stopMirror(QProcess &mirror, const QString &name, QByteArray *err);
    // The catalog server as the local build (variant local), logging its calls to `log`.
    quint16 startLocalGrpc(const QString &name, const QString &log);
    // The network namespace whose interfaces carry `ip` (kubesim's p1, p2, …).
    QString podNetns(const QString &ip);

    SessionBench m_bench;
    QMap<QString, QString> m_podIp;
};

void TestGrpcShadow::initTestCase()
{
    if (const QString why = SessionBench::skipReason(); !why.isEmpty())
        QSKIP(qPrintable(why));
    for (const QString &tool : {u"/usr/sbin/nghttpd"_s, u"/usr/bin/h2load"_s, u"/usr/sbin/nginx"_s})
        QVERIFY2(QFile::exists(tool), qPrintable(tool + u" is missing: scripts/install-deps"_s));
    const SessionBench::Run grpc
            = m_bench.tool(Python, {u"-c"_s, u"import grpc, grpc_tools"_s}, 30000);
    QVERIFY2(grpc.code == 0, "python3-grpcio and python3-grpc-tools are missing: "
                             "scripts/install-deps");
    QString error;
    QVERIFY2(m_bench.start(QStringLiteral(SRCDIR "/scenarios/grpc.yaml"), &error),
             qPrintable(error));
    m_podIp = m_bench.podIps(u"shop"_s, &error);
    QVERIFY2(m_podIp.contains(u"catalog"_s) && m_podIp.contains(u"web"_s)
                     && m_podIp.contains(u"lossy"_s),
             qPrintable(error));
    QVERIFY2(m_bench.startDaemon(&error), qPrintable(error));
}

void TestGrpcShadow::cleanup()
{
    m_bench.cleanupCase("podtapd.log, cli.log, reports, local server logs");
}

void TestGrpcShadow::cleanupTestCase()
{
    m_bench.stop();
}

QString TestGrpcShadow::startMirror(QProcess &mirror, const QString &pod, quint16 port,
                                    quint16 local, const QStringList &args)
{
    mirror.setProcessEnvironment(m_bench.environment());
    mirror.start(CliRunner::podtap(),
                 QStringList{u"mirror"_s, u"shop/"_s + pod, u"--port"_s, QString::number(port),
                             u"--to"_s, u"127.0.0.1:"_s + QString::number(local)}
                         + args
                         + QStringList{u"--json"_s, u"--context"_s, u"tapper"_s, u"--no-start"_s});
    if (!mirror.waitForStarted())
        return {};
    QByteArray err;
    QString session = CliRunner::waitForCapturing(&mirror, &err);
    if (session.isEmpty())
        qWarning("mirror did not start: %s", err.constData());
    return session;
}

QJsonObject TestGrpcShadow::stopMirror(QProcess &mirror, const QString &name, QByteArray *err)
{
    ::kill(pid_t(mirror.processId()), SIGINT);
    mirror.waitForFinished(60000);
    *err += mirror.readAllStandardError();
    const QByteArray out = mirror.readAllStandardOutput();
    m_bench.keep(name + u".stderr"_s, *err);
    m_bench.keep(name + u"-summary.json"_s, out);
    return QJsonDocument::fromJson(out).object();
}

QString TestGrpcShadow::podNetns(const QString &ip)
{
    for (int i = 1; i <= 4; ++i) {
        QString ns = m_bench.kubesim().netns(u"p%1"_s.arg(i));
        const SessionBench::Run r
                = m_bench.tool(u"ip"_s, {u"-n"_s, ns, u"-4"_s, u"addr"_s, u"show"_s}, 10000);
        if (r.code == 0 && r.out.contains(QString(u"inet "_s + ip + u'/').toLatin1()))
            return ns;
    }
    return {};
}

quint16 TestGrpcShadow::startLocalGrpc(const QString &name, const QString &log)
{
    auto *local = new QProcess(this);
    m_bench.children().append(local);
    local->setStandardErrorFile(m_bench.filePath(name + u".stderr"_s));
    local->start(Python, {GrpcDir + u"/catalog_server.py"_s, u"--port"_s, u"0"_s, u"--variant"_s,
                          u"local"_s, u"--log"_s, log});
    if (!local->waitForStarted() || !local->waitForReadyRead(30000))
        return 0;
    const QByteArray ready = local->readLine().trimmed();
    return ready.startsWith("listening ") ? quint16(ready.mid(10).toUInt()) : 0;
}

void TestGrpcShadow::grpcCallsAreComparedByStream()
{
    // The local build: the same server, variant local, logging each call it answers.
    const QString localLog = m_bench.filePath(u"local-calls.jsonl"_s);
    const quint16 localPort = startLocalGrpc(u"local-server"_s, localLog);
    QVERIFY(localPort > 0);

    const QString reportFile = m_bench.filePath(u"grpc-report.json"_s);
    QProcess mirror;
    const QString session = startMirror(mirror, u"catalog"_s, GrpcPort, localPort,
                                        {u"--compare"_s, u"--report"_s, reportFile});
    QVERIFY(!session.isEmpty());

    // 3 connections × (12 unary: 6 GetItem + 6 GetStock, 4 ListItems of 3 replies, 2 SumPrices
    // of 3 requests).
    constexpr int Connections = 3;
    const SessionBench::Run client = m_bench.tool(
            u"ip"_s,
            {u"netns"_s, u"exec"_s, m_bench.kubesim().netns(u"c1"_s), Python,
             GrpcDir + u"/catalog_client.py"_s,
             m_podIp.value(u"catalog"_s) + u':' + QString::number(GrpcPort), u"--unary"_s, u"12"_s,
             u"--streaming"_s, u"4"_s, u"--stream-items"_s, u"3"_s, u"--client-streaming"_s, u"2"_s,
             u"--connections"_s, QString::number(Connections)},
            60000);
    m_bench.keep(u"grpc-client.out"_s, client.out + client.err);
    QVERIFY2(client.code == 0, QByteArray(client.out + client.err).constData());
    const QJsonObject sent = QJsonDocument::fromJson(client.out.trimmed()).object();
    const QJsonObject calls = sent[u"calls"_s].toObject();
    QCOMPARE(num(sent, "calls.GetItem"), 18);
    QCOMPARE(num(sent, "calls.ListItems"), 12);
    QCOMPARE(num(sent, "streamReplies"), 36);
    qint64 total = 0;
    for (const QJsonValue v : calls)
        total += v.toInteger();
    QCOMPARE(total, 18 + 18 + 12 + 6);

    bool settled = false;
    const QJsonObject live = m_bench.waitSummary(
            session, "compare", 60000,
            [total](const QJsonObject &s, qint64) {
                return num(s, "compare.compared") >= total && num(s, "mirror.open") == 0;
            },
            &settled);
    QByteArray err;
    const QJsonObject s = stopMirror(mirror, u"grpc-mirror"_s, &err);
    QVERIFY2(settled, qPrintable(pretty(live)));
    QVERIFY2(mirror.exitCode() == 0, err.constData());
    qInfo("http: %s", qPrintable(compact(at(s, "http").toObject())));
    qInfo("mirror: %s", qPrintable(compact(at(s, "mirror").toObject())));
    qInfo("compare: %s", qPrintable(compact(at(s, "compare").toObject())));
    QVERIFY2(!lossReported(s), qPrintable(pretty(s)));

    // Decoded: every connection HTTP/2, none undecodable; one exchange per call.
    QCOMPARE(num(s, "http.http2Connections"), qint64(Connections));
    QCOMPARE(num(s, "http.http2Undecodable"), 0);
    QCOMPARE(num(s, "http.exchanges"), total);
    // Mirrored: byte-exact from the preface, every connection, no gap.
    QCOMPARE(num(s, "mirror.http2"), qint64(Connections));
    QCOMPARE(num(s, "mirror.connections"), qint64(Connections));
    QCOMPARE(num(s, "mirror.http2Gaps"), 0);
    QCOMPARE(num(s, "mirror.http2Midstream"), 0);
    QCOMPARE(num(s, "mirror.localErrors") + num(s, "mirror.notResyncable"), 0);
    const SessionBench::Run list = m_bench.podtap({u"sessions"_s, u"--no-start"_s});
    QVERIFY2(list.out.contains("3 HTTP/2 connections mirrored byte for byte"),
             list.out.constData());

    // What the local build served: each call once.
    QTRY_COMPARE_WITH_TIMEOUT(readRecords(localLog).size(), qsizetype(total), 10000);
    QMap<QString, qint64> served;
    for (const QJsonObject &r : readRecords(localLog))
        ++served[str(r, "method")];
    for (auto it = calls.begin(); it != calls.end(); ++it)
        QCOMPARE(served.value(it.key()), it.value().toInteger());

    // The report: per method exactly the calls served; GetItem all `body`, the rest `same`.
    QFile in(reportFile);
    QVERIFY2(in.open(QIODevice::ReadOnly), err.constData());
    const QJsonObject report = QJsonDocument::fromJson(in.readAll()).object();
    m_bench.keep(u"grpc-report.copy.json"_s, QJsonDocument(report).toJson());
    const QJsonObject routes = report[u"routes"_s].toObject();
    QCOMPARE(routes.size(), calls.size());
    for (auto it = calls.begin(); it != calls.end(); ++it) {
        const QJsonObject r = routes[route(it.key())].toObject();
        QVERIFY2(!r.isEmpty(), qPrintable(route(it.key()) + u" not in "_s + compact(routes)));
        const QJsonObject verdicts = r[u"verdicts"_s].toObject();
        const QString expected = it.key() == u"GetItem"_s ? u"body"_s : u"same"_s;
        QVERIFY2(verdicts.size() == 1, qPrintable(route(it.key()) + u": "_s + compact(verdicts)));
        QCOMPARE(verdicts[expected].toInteger(), it.value().toInteger());
    }
    QCOMPARE(num(report, "totals.compared"), total);
    QCOMPARE(num(s, "compare.body"), num(sent, "calls.GetItem"));
    QCOMPARE(num(s, "compare.same"), total - num(sent, "calls.GetItem"));
    // The examples say which stream and method, and both sides' grpc-status.
    const QJsonArray examples = routes[route(u"GetItem"_s)][u"examples"_s].toArray();
    QVERIFY(!examples.isEmpty());
    for (const QJsonValue e : examples) {
        const QJsonObject x = e.toObject();
        QCOMPARE(str(x, "protocol"), u"h2"_s);
        QCOMPARE(str(x, "grpcMethod"), u"/podtapshop.Catalog/GetItem"_s);
        QCOMPARE(str(x, "target"), u"/podtapshop.Catalog/GetItem"_s);
        QCOMPARE(num(x, "stream") % 2, 1); // client-initiated
        QCOMPARE(num(x, "podGrpcStatus"), 0);
        QCOMPARE(num(x, "localGrpcStatus"), 0);
        QCOMPARE(num(x, "podStatus"), 200);
        // The comparator names the one field that differs: price_cents (3) of reply message 0.
        QCOMPARE(x[u"body"_s].toArray(), QJsonArray{u"$[0].3"_s});
        const QJsonObject value = x[u"bodyValues"_s].toArray().first().toObject();
        QCOMPARE(value[u"pod"_s].toString().toLongLong()
                         - value[u"local"_s].toString().toLongLong(),
                 1);
    }
    qInfo("GetItem example: %s", qPrintable(compact(examples.first().toObject())));
}

void TestGrpcShadow::h2cMirrorServesWhatThePodServed()
{
    // The pod: nghttpd (h2c, prior knowledge) in web's network namespace.
    const QString ns = podNetns(m_podIp.value(u"web"_s));
    QVERIFY2(!ns.isEmpty(), "web's network namespace not found");
    const QString docroot = m_bench.filePath(u"docroot"_s);
    QVERIFY(QDir().mkpath(docroot));
    QFile page(docroot + u"/index.html"_s);
    QVERIFY(page.open(QIODevice::WriteOnly));
    page.write(QByteArray(2000, 'p'));
    page.close();
    auto *nghttpd = new QProcess(this);
    m_bench.children().append(nghttpd);
    nghttpd->setStandardOutputFile(m_bench.filePath(u"nghttpd.out"_s));
    nghttpd->setStandardErrorFile(m_bench.filePath(u"nghttpd.err"_s));
    nghttpd->start(u"ip"_s, {u"netns"_s, u"exec"_s, ns, u"/usr/sbin/nghttpd"_s, u"--no-tls"_s,
                             u"-d"_s, docroot, QString::number(WebPort)});
    QVERIFY(nghttpd->waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(m_bench.tool(u"ip"_s, {u"netns"_s, u"exec"_s, ns, u"ss"_s, u"-Htln"_s,
                                                    u"sport = :8080"_s})
                                     .out.contains("8080"),
                             10000);

    // The local build: nginx with HTTP/2 cleartext, one access log line per request.
    const QString dir = m_bench.filePath(u"nginx"_s);
    QVERIFY(QDir().mkpath(dir + u"/tmp"_s));
    const quint16 localPort = freePort();
    QFile conf(dir + u"/nginx.conf"_s);
    QVERIFY(conf.open(QIODevice::WriteOnly));
    const QByteArray d = dir.toUtf8();
    conf.write("daemon off;\nmaster_process off;\nworker_processes 1;\npid " + d
               + "/nginx.pid;\nerror_log " + d
               + "/error.log warn;\nevents { worker_connections 256; }\nhttp {\n"
                 "    access_log "
               + d + "/access.log;\n    client_body_temp_path " + d + "/tmp;\n    proxy_temp_path "
               + d + "/tmp;\n    fastcgi_temp_path " + d + "/tmp;\n    uwsgi_temp_path " + d
               + "/tmp;\n    scgi_temp_path " + d
               + "/tmp;\n    http2_max_requests 100000;\n"
                 "    server {\n        listen 127.0.0.1:"
               + QByteArray::number(localPort)
               + " http2;\n        location / { return 200 \"ok\\n\"; }\n    }\n}\n");
    conf.close();
    auto *nginx = new QProcess(this);
    m_bench.children().append(nginx);
    nginx->start(u"/usr/sbin/nginx"_s,
                 {u"-p"_s, dir, u"-e"_s, dir + u"/error.log"_s, u"-c"_s, conf.fileName()});
    QVERIFY(nginx->waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(dir + u"/nginx.pid"_s), 10000);

    QProcess mirror;
    const QString session = startMirror(mirror, u"web"_s, WebPort, localPort, {});
    QVERIFY(!session.isEmpty());

    // h2load: 3 connections, 10 streams in flight each, 300 requests; and one nghttp run.
    constexpr int Requests = 300, Connections = 3;
    const QString url = u"http://%1:%2/index.html"_s.arg(m_podIp.value(u"web"_s)).arg(WebPort);
    const SessionBench::Run load
            = m_bench.tool(u"ip"_s,
                           {u"netns"_s, u"exec"_s, m_bench.kubesim().netns(u"c2"_s),
                            u"/usr/bin/h2load"_s, u"-n"_s, QString::number(Requests), u"-c"_s,
                            QString::number(Connections), u"-m"_s, u"10"_s, url},
                           60000);
    m_bench.keep(u"h2load.out"_s, load.out + load.err);
    QVERIFY2(load.code == 0, QByteArray(load.out + load.err).constData());
    const QByteArray succeeded = QByteArray::number(Requests) + QByteArray(" succeeded");
    const QByteArray ok2xx = QByteArray("status codes: ") + QByteArray::number(Requests) + " 2xx";
    QVERIFY2(load.out.contains(succeeded), load.out.constData());
    QVERIFY2(load.out.contains(ok2xx), load.out.constData());
    const SessionBench::Run one
            = m_bench.tool(u"ip"_s,
                           {u"netns"_s, u"exec"_s, m_bench.kubesim().netns(u"c2"_s),
                            u"/usr/bin/nghttp"_s, u"-n"_s, u"-s"_s, url, url + u"?again"_s},
                           30000);
    QVERIFY2(one.code == 0, QByteArray(one.out + one.err).constData());
    const qint64 podServed = Requests + 2;

    bool settled = false;
    const QJsonObject live = m_bench.waitSummary(
            session, "mirror", 60000,
            [](const QJsonObject &s, qint64 quietMs) {
                return num(s, "mirror.http2") >= Connections + 1 && num(s, "mirror.open") == 0
                       && quietMs > 500;
            },
            &settled);
    // Every connection's client bytes, as the capture saw them.
    const SessionBench::Run conns
            = m_bench.podtap({u"connections"_s, session, u"--json"_s, u"--no-start"_s});
    QByteArray err;
    const QJsonObject s = stopMirror(mirror, u"h2c-mirror"_s, &err);
    QVERIFY2(settled, qPrintable(pretty(at(live, "mirror").toObject())));
    qInfo("mirror: %s", qPrintable(compact(at(s, "mirror").toObject())));
    qInfo("http: %s", qPrintable(compact(at(s, "http").toObject())));
    QVERIFY2(!lossReported(s), qPrintable(pretty(s)));
    QCOMPARE(num(s, "mirror.http2"), qint64(Connections + 1));
    QCOMPARE(num(s, "mirror.connections"), qint64(Connections + 1));
    QCOMPARE(num(s, "mirror.completed"), qint64(Connections + 1));
    QCOMPARE(num(s, "mirror.http2Gaps"), 0);
    QCOMPARE(num(s, "http.http2Connections"), qint64(Connections + 1));
    QCOMPARE(num(s, "http.http2Undecodable"), 0);
    QCOMPARE(num(s, "http.exchanges"), podServed);

    // Byte-exact: the local side got every client byte the capture saw, no more.
    QVERIFY2(conns.code == 0, conns.err.constData());
    qint64 clientBytes = 0;
    int h2conns = 0;
    for (const QJsonValue c : QJsonDocument::fromJson(conns.out)[u"connections"_s].toArray()) {
        clientBytes += num(c.toObject(), "c2s.bytes");
        ++h2conns;
    }
    QCOMPARE(h2conns, Connections + 1);
    QCOMPARE(num(s, "mirror.bytesMirrored"), clientBytes);

    // The local nginx served exactly what the pod served, all over HTTP/2.
    const QString accessLog = dir + u"/access.log"_s;
    auto lines = [&accessLog] {
        QFile f(accessLog);
        return f.open(QIODevice::ReadOnly) ? f.readAll().count('\n') : -1;
    };
    QTRY_COMPARE_WITH_TIMEOUT(lines(), podServed, 10000);
    QFile f(accessLog);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray log = f.readAll();
    QCOMPARE(log.count("HTTP/2.0\" 200"), podServed);
}

void TestGrpcShadow::joinedHttp2IsNeverMirrored()
{
    // A gRPC connection open before the tap (one round of calls made, then paused): with
    // --join-midstream the mirror joins HTTP/1.x at its next request, but HTTP/2's frame
    // boundaries and HPACK state were missed: never mirrored, counted, and said.
    const QString localLog = m_bench.filePath(u"joined-local-calls.jsonl"_s);
    const quint16 localPort = startLocalGrpc(u"joined-local-server"_s, localLog);
    QVERIFY(localPort > 0);
    auto *client = new QProcess(this);
    m_bench.children().append(client);
    client->start(u"ip"_s, {u"netns"_s, u"exec"_s, m_bench.kubesim().netns(u"c1"_s), Python,
                            GrpcDir + u"/catalog_client.py"_s,
                            m_podIp.value(u"catalog"_s) + u':' + QString::number(GrpcPort),
                            u"--unary"_s, u"4"_s, u"--streaming"_s, u"1"_s, u"--client-streaming"_s,
                            u"1"_s, u"--pause"_s});
    QVERIFY(client->waitForStarted());
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT((out += client->readAllStandardOutput()).contains("pause"), 30000);

    QProcess mirror;
    const QString session = startMirror(mirror, u"catalog"_s, GrpcPort, localPort,
                                        {u"--join-midstream"_s, u"--compare"_s});
    QVERIFY(!session.isEmpty());
    client->write("go\n");
    QVERIFY(client->waitForFinished(30000));
    out += client->readAllStandardOutput();
    m_bench.keep(u"joined-client.out"_s, out + client->readAllStandardError());
    QCOMPARE(client->exitCode(), 0);
    const QJsonObject sent = QJsonDocument::fromJson(out.mid(out.indexOf('{'))).object();
    QCOMPARE(num(sent, "calls.GetItem"), 4);

    bool settled = false;
    const QJsonObject live = m_bench.waitSummary(
            session, "mirror", 30000,
            [](const QJsonObject &s, qint64) {
                return num(s, "mirror.http2Midstream") >= 1 && num(s, "http.http2Midstream") >= 1;
            },
            &settled);
    QByteArray err;
    const QJsonObject s = stopMirror(mirror, u"joined-mirror"_s, &err);
    QVERIFY2(settled, qPrintable(pretty(live)));
    qInfo("mirror: %s", qPrintable(compact(at(s, "mirror").toObject())));
    qInfo("http: %s", qPrintable(compact(at(s, "http").toObject())));
    QCOMPARE(num(s, "mirror.http2Midstream"), 1);
    QCOMPARE(num(s, "mirror.connections"), 0);
    QCOMPARE(num(s, "mirror.joined"), 0);
    QCOMPARE(num(s, "mirror.http2"), 0);
    QCOMPARE(num(s, "mirror.bytesLost"), 0);
    QCOMPARE(num(s, "http.http2Connections"), 1);
    QCOMPARE(num(s, "http.http2Undecodable"), 1);
    QCOMPARE(num(s, "http.http2Midstream"), 1);
    QCOMPARE(num(s, "http.exchanges"), 0);
    QVERIFY2(str(s, "http.http2UndecodableReason").contains(u"joined mid-stream"_s),
             qPrintable(compact(at(s, "http").toObject())));
    QCOMPARE(num(s, "compare.compared"), 0);
    // `podtap sessions` says it in words.
    const SessionBench::Run list = m_bench.podtap({u"sessions"_s, u"--no-start"_s});
    QVERIFY2(list.out.contains("1 HTTP/2 connection open before the tap not mirrored (HTTP/2 "
                               "cannot be joined mid-stream)"),
             list.out.constData());
    QTest::qWait(300);
    QVERIFY(readRecords(localLog).isEmpty()); // not one call reached the local build
}

void TestGrpcShadow::gapEndsTheHttp2Mirror()
{
    // One gRPC connection of 60 calls to "lossy", whose tap loses one client segment: the
    // capture has a gap inside HTTP/2. Decoding ends there, the local connection is reset
    // (HTTP/2 cannot be resynchronised), and no call is called different because of it.
    const QString localLog = m_bench.filePath(u"lossy-local-calls.jsonl"_s);
    const quint16 localPort = startLocalGrpc(u"lossy-local-server"_s, localLog);
    QVERIFY(localPort > 0);
    QProcess mirror;
    const QString session = startMirror(mirror, u"lossy"_s, GrpcPort, localPort, {u"--compare"_s});
    QVERIFY(!session.isEmpty());
    const SessionBench::Run client = m_bench.tool(
            u"ip"_s,
            {u"netns"_s, u"exec"_s, m_bench.kubesim().netns(u"c3"_s), Python,
             GrpcDir + u"/catalog_client.py"_s,
             m_podIp.value(u"lossy"_s) + u':' + QString::number(GrpcPort), u"--unary"_s, u"50"_s,
             u"--streaming"_s, u"6"_s, u"--client-streaming"_s, u"4"_s},
            60000);
    m_bench.keep(u"lossy-client.out"_s, client.out + client.err);
    QVERIFY2(client.code == 0, QByteArray(client.out + client.err).constData());
    constexpr qint64 Calls = 60;

    bool settled = false;
    const QJsonObject live = m_bench.waitSummary(
            session, "mirror", 30000,
            [](const QJsonObject &s, qint64 quietMs) {
                return num(s, "mirror.http2Gaps") >= 1 && num(s, "mirror.open") == 0
                       && quietMs > 1000;
            },
            &settled);
    QByteArray err;
    const QJsonObject s = stopMirror(mirror, u"lossy-mirror"_s, &err);
    QVERIFY2(settled, qPrintable(pretty(live)));
    qInfo("mirror: %s", qPrintable(compact(at(s, "mirror").toObject())));
    qInfo("http: %s", qPrintable(compact(at(s, "http").toObject())));
    qInfo("compare: %s", qPrintable(compact(at(s, "compare").toObject())));
    // Mirrored from the preface, ended by the gap with a RST, never a fresh connection.
    QCOMPARE(num(s, "mirror.http2"), 1);
    QCOMPARE(num(s, "mirror.http2Gaps"), 1);
    QCOMPARE(num(s, "mirror.gaps"), 1);
    QCOMPARE(num(s, "mirror.notResyncable"), 1);
    QCOMPARE(num(s, "mirror.connections"), 1);
    QCOMPARE(num(s, "mirror.freshConnections"), 0);
    QVERIFY(num(s, "mirror.bytesLost") > 0);
    // The capture's decoder stopped at the same gap, and says so.
    QCOMPARE(num(s, "http.http2Connections"), 1);
    QCOMPARE(num(s, "http.http2Undecodable"), 1);
    QCOMPARE(num(s, "http.http2Gaps"), 1);
    QVERIFY2(str(s, "http.http2UndecodableReason").contains(u"missing from the capture"_s),
             qPrintable(compact(at(s, "http").toObject())));
    // Calls before the gap were compared as usual; none after it reached the local build; no
    // verdict blames the build for the capture's loss.
    const qint64 compared = num(s, "compare.compared");
    const qint64 served = readRecords(localLog).size();
    qInfo("%lld of %lld calls reached the local build, %lld compared", qlonglong(served),
          qlonglong(Calls), qlonglong(compared));
    QVERIFY(served > 0 && served < Calls);
    QVERIFY(num(s, "compare.same") + num(s, "compare.body") > 0);
    QCOMPARE(num(s, "compare.status") + num(s, "compare.headers") + num(s, "compare.localErrors")
                     + num(s, "compare.localTimeouts"),
             0);
    QVERIFY(compared <= Calls);
    QVERIFY(num(s, "compare.same") + num(s, "compare.body") <= served);
}

QTEST_GUILESS_MAIN(TestGrpcShadow)
#include "tst_grpcshadow.moc"
