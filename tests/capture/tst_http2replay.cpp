// `replay --http` of HTTP/2 and gRPC captures: real traffic (nghttp/h2load against nghttpd,
// Python gRPC client against the Python gRPC server) in two network namespaces, captured by
// tcpdump, then replayed by HttpReplaySession (the daemon's HTTP replay) to servers on
// loopback: the same servers (every answer the same), a gRPC server that answers SayHello
// differently (only those calls differ), with --rate 200 --percent 50 (rate within 5 %, half
// sent), to a dead port and to an nghttp2 server that resets streams and sends GOAWAY (every
// request gets its error, nothing hangs).
#include "../e2e/support/clirunner.h"
#include "../e2e/support/podtapdprocess.h"
#include "backgroundprocess.h"
#include "capturecheck.h"
#include "http2testserver.h"
#include "netnslab.h"

#include "capture/captureengine.h"
#include "http/httpsink.h"
#include "replay/httpreplaysession.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <unistd.h>

using namespace podtap;

namespace {

const QString Python = QStringLiteral("/usr/bin/python3");
constexpr int GrpcRuns = 5; // grpc_client.py runs: 4 calls each (2 SayHello, CountUp, Fail)

QString which(const QString &program)
{
    QString p = QStandardPaths::findExecutable(program);
    if (p.isEmpty())
        p = QStandardPaths::findExecutable(program,
                                           {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin")});
    return p;
}

quint16 freePort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();
}

bool waitListening(quint16 port)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 20000) {
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, port);
        if (s.waitForConnected(500))
            return true;
        QTest::qWait(50);
    }
    return false;
}

struct Replay
{
    bool finished = false;
    bool ok = false;
    QString message;
    QJsonObject summary;
    QList<QJsonObject> records;
    qint64 ms = 0;

    qint64 num(const char *key) const { return summary.value(QLatin1String(key)).toInteger(); }
    qint64 compare(const char *key) const
    {
        return summary.value(QLatin1String("compare"))
                .toObject()
                .value(QLatin1String(key))
                .toInteger();
    }
    QString verdicts() const
    {
        QMap<QString, int> by;
        for (const QJsonObject &r : records)
            ++by[r.value(QLatin1String("route")).toString() + QLatin1Char(' ')
                 + r.value(QLatin1String("verdict")).toString()];
        QStringList out;
        for (auto it = by.begin(); it != by.end(); ++it)
            out << QStringLiteral("%1 ×%2").arg(it.key()).arg(it.value());
        return out.join(QLatin1String(", "));
    }
};

Replay replay(const HttpReplaySession::Options &o, int waitMs = 60000)
{
    Replay r;
    HttpReplaySession s(o);
    QObject::connect(&s, &HttpReplaySession::compared,
                     [&r](const QJsonObject &v) { r.records << v; });
    QObject::connect(&s, &HttpReplaySession::done, [&r](bool ok, const QString &message) {
        r.finished = true;
        r.ok = ok;
        r.message = message;
    });
    QElapsedTimer t;
    t.start();
    QString error;
    if (!s.start(&error)) {
        r.message = error;
        return r;
    }
    while (!r.finished && t.elapsed() < waitMs)
        QTest::qWait(10);
    r.ms = t.elapsed();
    r.summary = s.summary();
    if (!r.finished)
        s.stop();
    return r;
}

} // namespace

class TestHttp2Replay : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void grpcAllSame();
    void grpcOneMethodDiffers();
    void cliReportPerRoute();
    void nghttpdAllSame();
    void rateAndPercent();
    void requestsAsSent();
    void deadPort();
    void undecodableIsCounted();
    void resetsAndGoaway();

private:
    bool capture(const std::function<bool(QString *)> &traffic, const QString &file,
                 QString *error);
    bool startGrpc(BackgroundProcess &p, const QString &variant, quint16 *port);
    HttpReplaySession::Options options(const QString &pcap, quint16 port) const;

    std::unique_ptr<NetnsLab> m_lab;
    QTemporaryDir m_dir;
    QString m_stubs;
    QString m_www;
    QString m_grpcPcap;
    QString m_nghttpPcap;
    int m_nghttpRequests = 0; // the requests the clients made
};

bool TestHttp2Replay::capture(const std::function<bool(QString *)> &traffic, const QString &file,
                              QString *error)
{
    BackgroundProcess tcpdump;
    if (!CaptureCheck::startTcpdump(tcpdump, m_lab->serverNs(), m_lab->serverVeth(), file,
                                    QStringLiteral("tcp"), error))
        return false;
    const bool ok = traffic(error);
    quint64 dropped = 0;
    if (!CaptureCheck::stopTcpdump(tcpdump, &dropped, error))
        return false;
    if (dropped > 0) {
        *error = QStringLiteral("tcpdump dropped %1 packets").arg(dropped);
        return false;
    }
    return ok;
}

bool TestHttp2Replay::startGrpc(BackgroundProcess &p, const QString &variant, quint16 *port)
{
    *port = freePort();
    qputenv("PODTAP_GREETER_VARIANT", variant.toLatin1()); // inherited by the server
    QString error;
    const bool ok = p.start(
            {}, Python,
            {QStringLiteral(SRCDIR "/h2/grpc_server.py"), m_stubs, QString::number(*port)},
            "grpc server ready", QProcess::StandardOutput, &error, 60000);
    qunsetenv("PODTAP_GREETER_VARIANT");
    if (!ok)
        qWarning("%s", qPrintable(error));
    return ok && waitListening(*port);
}

HttpReplaySession::Options TestHttp2Replay::options(const QString &pcap, quint16 port) const
{
    HttpReplaySession::Options o;
    o.file = pcap;
    o.port = port;
    o.timeoutMs = 5000;
    return o;
}

void TestHttp2Replay::initTestCase()
{
    if (::geteuid() != 0)
        QSKIP("needs root for network namespaces and tcpdump");
    for (const QString &p :
         {QStringLiteral("ip"), QStringLiteral("tcpdump"), QStringLiteral("nghttpd"),
          QStringLiteral("nghttp"), QStringLiteral("h2load")}) {
        if (which(p).isEmpty())
            QSKIP(qPrintable(p + QStringLiteral(" is not installed (scripts/install-deps)")));
    }
    qputenv("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python");
    QVERIFY(m_dir.isValid());
    m_lab = std::make_unique<NetnsLab>(QStringLiteral("h2r"));
    QString error;
    QVERIFY2(m_lab->setUp(&error), qPrintable(error));

    // gRPC stubs, then the pod's traffic: GrpcRuns client runs (one connection each).
    m_stubs = m_dir.filePath(QStringLiteral("stubs"));
    QVERIFY(QDir().mkpath(m_stubs));
    const QString h2dir = QStringLiteral(SRCDIR "/h2");
    QProcess protoc;
    protoc.start(Python,
                 {QStringLiteral("-m"), QStringLiteral("grpc_tools.protoc"), QStringLiteral("-I"),
                  h2dir, QStringLiteral("--python_out=") + m_stubs,
                  QStringLiteral("--grpc_python_out=") + m_stubs, QStringLiteral("greeter.proto")});
    QVERIFY(protoc.waitForFinished(60000));
    QVERIFY2(protoc.exitCode() == 0, protoc.readAllStandardError().constData());
    {
        const int port = 50051;
        BackgroundProcess server;
        QVERIFY2(server.start(m_lab->serverNs(), Python,
                              {h2dir + QStringLiteral("/grpc_server.py"), m_stubs,
                               QString::number(port)},
                              "grpc server ready", QProcess::StandardOutput, &error, 60000),
                 qPrintable(error));
        m_grpcPcap = m_dir.filePath(QStringLiteral("grpc.pcap"));
        QVERIFY2(
                capture(
                        [&](QString *err) {
                            for (int i = 0; i < GrpcRuns; ++i) {
                                QProcess c;
                                c.start(QStringLiteral("ip"),
                                        NetnsLab::execArgs(
                                                m_lab->clientNs(), Python,
                                                {h2dir + QStringLiteral("/grpc_client.py"), m_stubs,
                                                 QStringLiteral("%1:%2")
                                                         .arg(NetnsLab::serverV4())
                                                         .arg(port)}));
                                if (!c.waitForFinished(60000) || c.exitCode() != 0) {
                                    *err = QStringLiteral("grpc client failed: ")
                                           + QString::fromLocal8Bit(c.readAllStandardError());
                                    return false;
                                }
                            }
                            return true;
                        },
                        m_grpcPcap, &error),
                qPrintable(error));
        QVERIFY(server.stop(SIGTERM, &error));
    }

    // nghttpd: h2load's GETs of three files over two connections, and an upload (POST).
    m_www = m_dir.filePath(QStringLiteral("www"));
    QVERIFY(QDir().mkpath(m_www));
    for (int i = 0; i < 3; ++i) {
        QFile f(m_www + QStringLiteral("/p%1.txt").arg(i));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray("page ") + QByteArray::number(i) + '\n');
    }
    {
        const int port = 8080;
        BackgroundProcess server;
        QVERIFY2(server.start(m_lab->serverNs(), which(QStringLiteral("nghttpd")),
                              {QStringLiteral("--no-tls"), QStringLiteral("-d"), m_www,
                               QString::number(port)},
                              {}, QProcess::StandardOutput, &error),
                 qPrintable(error));
        QVERIFY2(NetnsLab::waitListening(m_lab->serverNs(), port, &error), qPrintable(error));
        const QString base = QStringLiteral("http://%1:%2/").arg(NetnsLab::serverV4()).arg(port);
        m_nghttpPcap = m_dir.filePath(QStringLiteral("nghttp.pcap"));
        QVERIFY2(capture(
                         [&](QString *err) {
                             QProcess load;
                             load.start(QStringLiteral("ip"),
                                        NetnsLab::execArgs(
                                                m_lab->clientNs(), which(QStringLiteral("h2load")),
                                                {QStringLiteral("-n"), QStringLiteral("600"),
                                                 QStringLiteral("-c"), QStringLiteral("2"),
                                                 QStringLiteral("-m"), QStringLiteral("8"),
                                                 base + QStringLiteral("p0.txt"),
                                                 base + QStringLiteral("p1.txt"),
                                                 base + QStringLiteral("p2.txt")}));
                             if (!load.waitForFinished(60000)
                                 || !load.readAllStandardOutput().contains("600 succeeded")) {
                                 *err = QStringLiteral("h2load failed");
                                 return false;
                             }
                             QProcess post;
                             post.start(QStringLiteral("ip"),
                                        NetnsLab::execArgs(
                                                m_lab->clientNs(), which(QStringLiteral("nghttp")),
                                                {QStringLiteral("-n"), QStringLiteral("-d"),
                                                 m_www + QStringLiteral("/p1.txt"),
                                                 QStringLiteral("-H"),
                                                 QStringLiteral("authorization: Bearer podtap"),
                                                 QStringLiteral("-H"), QStringLiteral("x-env: pod"),
                                                 base + QStringLiteral("p2.txt")}));
                             if (!post.waitForFinished(30000) || post.exitCode() != 0) {
                                 *err = QStringLiteral("nghttp -d failed");
                                 return false;
                             }
                             return true;
                         },
                         m_nghttpPcap, &error),
                 qPrintable(error));
        m_nghttpRequests = 601;
        QVERIFY(server.stop(SIGTERM, &error));
    }
}

void TestHttp2Replay::cleanupTestCase()
{
    m_lab.reset();
}

void TestHttp2Replay::grpcAllSame()
{
    BackgroundProcess local;
    quint16 port = 0;
    QVERIFY(startGrpc(local, {}, &port));
    const Replay r = replay(options(m_grpcPcap, port));
    qInfo("gRPC replay to the same server: %s; %s", qPrintable(r.message),
          qPrintable(r.verdicts()));
    for (const QJsonObject &v : r.records) {
        if (v.value(QLatin1String("verdict")).toString() != QLatin1String("same"))
            qWarning("%s", QJsonDocument(v).toJson(QJsonDocument::Compact).constData());
    }
    QVERIFY2(r.finished && r.ok, qPrintable(r.message));
    QCOMPARE(r.num("requests"), qint64(GrpcRuns * 4));
    QCOMPARE(r.num("http2Requests"), qint64(GrpcRuns * 4));
    QCOMPARE(r.num("http2Undecodable"), 0);
    QCOMPARE(r.num("sent"), qint64(GrpcRuns * 4));
    QCOMPARE(r.num("answered"), qint64(GrpcRuns * 4));
    QCOMPARE(r.compare("same"), qint64(GrpcRuns * 4));
    QCOMPARE(r.records.size(), GrpcRuns * 4);
    QMap<QString, int> routes;
    for (const QJsonObject &v : r.records) {
        QCOMPARE(v.value(QLatin1String("protocol")).toString(), QStringLiteral("h2"));
        const QString route = v.value(QLatin1String("route")).toString();
        ++routes[route];
        const int grpcStatus = route.endsWith(QLatin1String("/Fail")) ? 5 : 0;
        QCOMPARE(v.value(QLatin1String("podGrpcStatus")).toInt(), grpcStatus);
        QCOMPARE(v.value(QLatin1String("localGrpcStatus")).toInt(), grpcStatus);
    }
    QCOMPARE(routes.value(QStringLiteral("POST /podtaptest.Greeter/SayHello")), 2 * GrpcRuns);
    QCOMPARE(routes.value(QStringLiteral("POST /podtaptest.Greeter/CountUp")), GrpcRuns);
    QCOMPARE(routes.value(QStringLiteral("POST /podtaptest.Greeter/Fail")), GrpcRuns);
    QVERIFY(local.stop(SIGTERM, nullptr));
}

void TestHttp2Replay::grpcOneMethodDiffers()
{
    BackgroundProcess local;
    quint16 port = 0;
    QVERIFY(startGrpc(local, QStringLiteral("hi"), &port));
    const Replay r = replay(options(m_grpcPcap, port));
    qInfo("gRPC replay to the variant: %s; %s", qPrintable(r.message), qPrintable(r.verdicts()));
    QVERIFY2(r.finished && r.ok, qPrintable(r.message));
    QCOMPARE(r.num("sent"), qint64(GrpcRuns * 4));
    QCOMPARE(r.compare("body"), qint64(2 * GrpcRuns));
    QCOMPARE(r.compare("same"), qint64(2 * GrpcRuns));
    for (const QJsonObject &v : r.records) {
        const bool sayHello
                = v.value(QLatin1String("route")).toString().endsWith(QLatin1String("/SayHello"));
        QCOMPARE(v.value(QLatin1String("verdict")).toString(),
                 sayHello ? QStringLiteral("body") : QStringLiteral("same"));
    }
    QVERIFY(local.stop(SIGTERM, nullptr));
}

// The same through the real `podtap replay FILE --http` and podtapd: the report per route.
void TestHttp2Replay::cliReportPerRoute()
{
    BackgroundProcess local;
    quint16 port = 0;
    QVERIFY(startGrpc(local, QStringLiteral("hi"), &port));
    PodtapdProcess daemon;
    QVERIFY(daemon.prepare(m_dir.filePath(QStringLiteral("daemon"))));
    const QProcessEnvironment env = daemon.environment({});
    QString error;
    QVERIFY2(daemon.start(env, &error), qPrintable(error));
    QVERIFY2(daemon.waitUntilAnswering(env, &error), qPrintable(error));
    const QString reportFile = m_dir.filePath(QStringLiteral("report.json"));
    const CliRunner::Result r
            = CliRunner::run(CliRunner::podtap(),
                             {QStringLiteral("replay"), m_grpcPcap, QStringLiteral("--to"),
                              QStringLiteral("127.0.0.1:%1").arg(port), QStringLiteral("--http"),
                              QStringLiteral("--compare"), QStringLiteral("--report"), reportFile,
                              QStringLiteral("--json"), QStringLiteral("--no-start")},
                             env, 60000);
    daemon.terminate();
    if (r.code != 0)
        daemon.printLogTail();
    QVERIFY2(r.code == 0, QByteArray(r.out + r.err).constData());
    const QJsonObject done = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(done.value(QLatin1String("http2Requests")).toInteger(), qint64(GrpcRuns * 4));
    QCOMPARE(done.value(QLatin1String("sent")).toInteger(), qint64(GrpcRuns * 4));
    QFile in(reportFile);
    QVERIFY(in.open(QIODevice::ReadOnly));
    const QJsonObject report = QJsonDocument::fromJson(in.readAll()).object();
    const QJsonObject routes = report.value(QLatin1String("routes")).toObject();
    qInfo("podtap replay --http --report: %s",
          QJsonDocument(routes).toJson(QJsonDocument::Compact).left(600).constData());
    auto verdicts = [&routes](const char *route) {
        return routes.value(QLatin1String(route))
                .toObject()
                .value(QLatin1String("verdicts"))
                .toObject();
    };
    QCOMPARE(routes.size(), 3);
    QCOMPARE(verdicts("POST /podtaptest.Greeter/SayHello"),
             QJsonObject({{QStringLiteral("body"), 2 * GrpcRuns}}));
    QCOMPARE(verdicts("POST /podtaptest.Greeter/CountUp"),
             QJsonObject({{QStringLiteral("same"), GrpcRuns}}));
    QCOMPARE(verdicts("POST /podtaptest.Greeter/Fail"),
             QJsonObject({{QStringLiteral("same"), GrpcRuns}}));
    QVERIFY(local.stop(SIGTERM, nullptr));
}

void TestHttp2Replay::nghttpdAllSame()
{
    BackgroundProcess local;
    const quint16 port = freePort();
    QString error;
    QVERIFY2(local.start({}, which(QStringLiteral("nghttpd")),
                         {QStringLiteral("--no-tls"), QStringLiteral("-d"), m_www,
                          QString::number(port)},
                         {}, QProcess::StandardOutput, &error),
             qPrintable(error));
    QVERIFY(waitListening(port));
    const Replay r = replay(options(m_nghttpPcap, port)); // as fast as 8 streams allow
    qInfo("nghttpd replay: %s; %s in %lld ms", qPrintable(r.message), qPrintable(r.verdicts()),
          qlonglong(r.ms));
    QVERIFY2(r.finished && r.ok, qPrintable(r.message));
    QCOMPARE(r.num("sent"), qint64(m_nghttpRequests));
    QCOMPARE(r.compare("same"), qint64(m_nghttpRequests));
    int posts = 0;
    for (const QJsonObject &v : r.records)
        posts += v.value(QLatin1String("route")).toString() == QLatin1String("POST /p2.txt");
    QCOMPARE(posts, 1);
    QVERIFY(local.stop(SIGTERM, nullptr));
}

void TestHttp2Replay::rateAndPercent()
{
    BackgroundProcess local;
    const quint16 port = freePort();
    QString error;
    QVERIFY2(local.start({}, which(QStringLiteral("nghttpd")),
                         {QStringLiteral("--no-tls"), QStringLiteral("-d"), m_www,
                          QString::number(port)},
                         {}, QProcess::StandardOutput, &error),
             qPrintable(error));
    QVERIFY(waitListening(port));
    HttpReplaySession::Options o = options(m_nghttpPcap, port);
    o.rate = 200;
    o.percent = 50;
    const Replay r = replay(o);
    const double achieved = r.summary.value(QLatin1String("rate")).toDouble();
    qInfo("nghttpd replay --rate 200 --percent 50: %s; %s; %.1f/s (%+.2f %%) in %lld ms",
          qPrintable(r.message), qPrintable(r.verdicts()), achieved, (achieved / 200 - 1) * 100,
          qlonglong(r.ms));
    QVERIFY2(r.finished && r.ok, qPrintable(r.message));
    QCOMPARE(r.num("requests"), qint64(m_nghttpRequests));
    QCOMPARE(r.num("http2Requests"), qint64(m_nghttpRequests));
    QVERIFY2(std::abs(r.num("sent") * 2 - r.num("requests")) <= 2,
             qPrintable(QString::number(r.num("sent"))));
    QCOMPARE(r.num("selected"), r.num("sent"));
    QCOMPARE(r.num("answered"), r.num("sent"));
    QCOMPARE(r.compare("same"), r.num("sent"));
    // The tolerance of the HTTP/1 replay test (tst_shadowcompare): 5 %.
    QVERIFY2(std::abs(achieved / 200 - 1) <= 0.05, qPrintable(QString::number(achieved)));
    QVERIFY(double(r.ms) >= double(r.num("sent") - 1) * 1000.0 / 200 * 0.95);
    QVERIFY(local.stop(SIGTERM, nullptr));
}

namespace {
// The requests of a capture as HttpSink decodes them.
std::vector<HttpExchange> decode(const QString &pcap)
{
    std::vector<HttpExchange> out;
    HttpSink sink([&](const TcpConnection &, HttpExchange &&x) { out.push_back(std::move(x)); });
    sink.setHttp2Decoding(true);
    CaptureEngine engine;
    engine.setSink(&sink);
    QFile f(pcap);
    if (!f.open(QIODevice::ReadOnly))
        return out;
    const QByteArray all = f.readAll();
    engine.feed(reinterpret_cast<const std::uint8_t *>(all.constData()), std::size_t(all.size()));
    engine.finish();
    return out;
}

QByteArray field(const Http2TestServer::Request &r, const QByteArray &name)
{
    for (const auto &[n, v] : r.fields) {
        if (n == name)
            return v;
    }
    return {};
}
} // namespace

void TestHttp2Replay::requestsAsSent()
{
    // gRPC: every call's body byte for byte as captured, te: trailers kept.
    {
        Http2TestServer server(0, 0);
        QVERIFY(server.listen());
        const Replay r = replay(options(m_grpcPcap, server.port()));
        QVERIFY2(r.finished, qPrintable(r.message));
        QCOMPARE(server.received().size(), GrpcRuns * 4);
        QList<QPair<QByteArray, QByteArray>> sent, captured;
        for (const Http2TestServer::Request &q : server.received()) {
            sent.append({field(q, ":path"), q.body});
            QCOMPARE(field(q, "te"), QByteArray("trailers"));
            QCOMPARE(field(q, "content-type"), QByteArray("application/grpc"));
            QCOMPARE(field(q, ":method"), QByteArray("POST"));
            QCOMPARE(field(q, ":scheme"), QByteArray("http"));
            QVERIFY(field(q, "content-length").isNull());
        }
        for (const HttpExchange &x : decode(m_grpcPcap))
            captured.append({x.request.target, x.request.body});
        std::sort(sent.begin(), sent.end());
        std::sort(captured.begin(), captured.end());
        QCOMPARE(sent, captured);
        QVERIFY(std::any_of(sent.begin(), sent.end(), [](const auto &p) {
            return p.second.size() > 5 && p.second[0] == 1; // the gzip-compressed message
        }));
    }
    // The upload: Authorization stripped unless kept, --header replaces (host → :authority)
    auto upload = [](const Http2TestServer &server) {
        for (const Http2TestServer::Request &q : server.received()) {
            if (field(q, ":method") == "POST")
                return q;
        }
        return Http2TestServer::Request{};
    };
    QByteArray page1;
    {
        QFile f(m_www + QStringLiteral("/p1.txt"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        page1 = f.readAll();
    }
    for (const bool keepAuth : {false, true}) {
        Http2TestServer server(0, 0);
        QVERIFY(server.listen());
        HttpReplaySession::Options o = options(m_nghttpPcap, server.port());
        o.keepAuth = keepAuth;
        o.setHeaders = {{"X-Env", "local"}, {"Host", "replay.example"}};
        const Replay r = replay(o);
        QVERIFY2(r.finished, qPrintable(r.message));
        QCOMPARE(server.received().size(), m_nghttpRequests);
        const Http2TestServer::Request q = upload(server);
        QCOMPARE(q.body, page1);
        QCOMPARE(field(q, "authorization"), keepAuth ? QByteArray("Bearer podtap") : QByteArray());
        QCOMPARE(field(q, "x-env"), QByteArray("local"));
        QCOMPARE(field(q, ":authority"), QByteArray("replay.example"));
        QCOMPARE(field(q, ":path"), QByteArray("/p2.txt"));
        QCOMPARE(field(q, "content-length"), QByteArray::number(page1.size()));
        int xenv = 0;
        bool regularSeen = false;
        for (const auto &[n, v] : q.fields) {
            xenv += n == "x-env";
            QVERIFY2(!(regularSeen && n.startsWith(':')), "pseudo-header fields come first");
            regularSeen = regularSeen || !n.startsWith(':');
        }
        QCOMPARE(xenv, 1);
    }
}

void TestHttp2Replay::deadPort()
{
    const Replay r = replay(options(m_grpcPcap, freePort()), 20000);
    qInfo("gRPC replay to a dead port: %s in %lld ms", qPrintable(r.message), qlonglong(r.ms));
    QVERIFY2(r.finished, "the replay did not finish");
    QCOMPARE(r.num("sent"), qint64(GrpcRuns * 4));
    QCOMPARE(r.num("localErrors"), qint64(GrpcRuns * 4));
    QCOMPARE(r.num("timeouts"), 0);
    QCOMPARE(r.compare("localErrors"), qint64(GrpcRuns * 4));
    for (const QJsonObject &v : r.records) {
        QCOMPARE(v.value(QLatin1String("verdict")).toString(), QStringLiteral("local-error"));
        QVERIFY2(v.value(QLatin1String("detail")).toString().contains(QLatin1String("refused")),
                 qPrintable(v.value(QLatin1String("detail")).toString()));
    }
    QVERIFY(r.ms < 5000);
}

// A connection whose client segment the capture lost cannot be decoded from there on (HPACK
// is a state), one whose preface it lost is not recognizable as HTTP/2: counted and said,
// the rest replayed.
void TestHttp2Replay::undecodableIsCounted()
{
    BackgroundProcess local;
    quint16 port = 0;
    QVERIFY(startGrpc(local, {}, &port));
    struct Case
    {
        const char *name;
        QStringList args;
    };
    for (const Case &c : {Case{"the first connection's preface dropped",
                               {QStringLiteral("--drop-index"), QStringLiteral("0")}},
                          Case{"a later client segment dropped",
                               {QStringLiteral("--drop-index"), QStringLiteral("2")}}}) {
        const QString cut = m_dir.filePath(QStringLiteral("cut.pcap"));
        QProcess rw;
        rw.start(CaptureCheck::pcaprewrite(),
                 QStringList{m_grpcPcap, cut, QStringLiteral("--drop-to"), QStringLiteral("50051")}
                         + c.args);
        QVERIFY(rw.waitForFinished(30000));
        QVERIFY2(rw.exitCode() == 0, rw.readAllStandardError().constData());
        const Replay r = replay(options(cut, port));
        qInfo("%s: %s; requests %lld, skippedIncomplete %lld, http2Undecodable %lld, "
              "otherConnections %lld",
              c.name, qPrintable(r.message), r.num("requests"), r.num("skippedIncomplete"),
              r.num("http2Undecodable"), r.num("otherConnections"));
        QVERIFY2(r.finished, qPrintable(r.message));
        // Whatever was decoded is replayed and the same.
        QCOMPARE(r.num("sent"), r.num("requests"));
        QCOMPARE(r.compare("same"), r.num("sent"));
        QVERIFY(r.num("requests") >= qint64((GrpcRuns - 1) * 4));
        QVERIFY(r.num("requests") < qint64(GrpcRuns * 4));
        if (c.args.last() == QLatin1String("0")) {
            // No preface: not recognizable as HTTP/2 at all
            QCOMPARE(r.num("otherConnections"), 1);
            QVERIFY2(r.message.contains(QLatin1String("1 connections not recognized as HTTP")),
                     qPrintable(r.message));
        } else {
            QCOMPARE(r.num("http2Undecodable"), 1);
            QVERIFY2(r.message.contains(QLatin1String("1 HTTP/2 connections could not be decoded")),
                     qPrintable(r.message));
        }
    }
    QVERIFY(local.stop(SIGTERM, nullptr));
}

void TestHttp2Replay::resetsAndGoaway()
{
    // Every 7th request of a connection reset, GOAWAY after its 50th.
    Http2TestServer server(7, 50);
    QVERIFY(server.listen());
    const Replay r = replay(options(m_nghttpPcap, server.port()), 30000);
    qInfo("nghttp replay to a server that resets and says GOAWAY: %s in %lld ms; server: %d "
          "requests, %d resets, %d GOAWAYs",
          qPrintable(r.message), qlonglong(r.ms), server.requests(), server.resets(),
          server.goaways());
    QVERIFY2(r.finished, "the replay did not finish");
    QCOMPARE(r.num("sent"), qint64(m_nghttpRequests));
    QCOMPARE(r.num("timeouts"), 0);
    QCOMPARE(r.num("answered") + r.num("localErrors"), r.num("sent"));
    QCOMPARE(r.num("answered"), qint64(server.requests() - server.resets()));
    int resets = 0, refused = 0;
    for (const QJsonObject &v : r.records) {
        if (v.value(QLatin1String("verdict")).toString() != QLatin1String("local-error"))
            continue;
        const QString detail = v.value(QLatin1String("detail")).toString();
        if (detail.contains(QLatin1String("reset stream")))
            ++resets;
        else if (detail.contains(QLatin1String("GOAWAY (NO_ERROR")))
            ++refused;
        else
            QFAIL(qPrintable(detail));
    }
    QCOMPARE(resets, server.resets());
    QCOMPARE(resets + refused, int(r.num("localErrors")));
    QVERIFY(server.goaways() >= m_nghttpRequests / 60);
}

QTEST_GUILESS_MAIN(TestHttp2Replay)
#include "tst_http2replay.moc"
