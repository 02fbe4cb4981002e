// HTTP/2 and gRPC decoding on real traffic: nghttpd + nghttp/h2load, and a Python gRPC server
// and client (stubs compiled from h2/greeter.proto with grpc_tools.protoc at test time), in
// two network namespaces joined by a veth pair; real tcpdump writes the capture, which goes
// through the capture engine into HttpSink with HTTP/2 decoding on.
#include "backgroundprocess.h"
#include "capturecheck.h"
#include "netnslab.h"

#include "capture/captureengine.h"
#include "http/httpparser.h"
#include "http/httpsink.h"
#include "http2/protobufwireview.h"

#include <QDir>
#include <QFile>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <unistd.h>

using namespace podtap;

namespace {

const QString Python = QStringLiteral("/usr/bin/python3");

struct Decoded
{
    std::vector<HttpExchange> exchanges;
    HttpSink::Stats stats;
};

Decoded decodeCapture(const QString &path, bool http2)
{
    Decoded d;
    HttpSink sink(
            [&](const TcpConnection &, HttpExchange &&x) { d.exchanges.push_back(std::move(x)); });
    sink.setHttp2Decoding(http2);
    CaptureEngine engine;
    engine.setSink(&sink);
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return d;
    const QByteArray all = f.readAll();
    // Uneven chunks, as a live stream arrives.
    qsizetype pos = 0, step = 1;
    while (pos < all.size()) {
        const qsizetype n = std::min(step, all.size() - pos);
        engine.feed(reinterpret_cast<const std::uint8_t *>(all.constData() + pos), std::size_t(n));
        pos += n;
        step = step * 3 % 4099 + 1;
    }
    engine.finish();
    d.stats = sink.stats();
    return d;
}

const HttpExchange *find(const Decoded &d, const QByteArray &method, const QByteArray &target)
{
    for (const HttpExchange &x : d.exchanges) {
        if (x.request.method == method && x.request.target == target)
            return &x;
    }
    return nullptr;
}

QString which(const QString &program)
{
    QString p = QStandardPaths::findExecutable(program);
    if (p.isEmpty())
        p = QStandardPaths::findExecutable(program,
                                           {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin")});
    return p;
}

int freePort()
{
    static int next = 20000 + int(::getpid() % 20000);
    return next++;
}

} // namespace

class TestHttp2Decoding : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void nghttpPriorKnowledge();
    void h2loadManyStreams();
    void nghttpUpgrade();
    void grpcCalls();

private:
    bool capture(const std::function<bool(QString *)> &traffic, const QString &file,
                 QString *error);

    std::unique_ptr<NetnsLab> m_lab;
    QTemporaryDir m_dir;
};

void TestHttp2Decoding::initTestCase()
{
    if (::geteuid() != 0)
        QSKIP("needs root for network namespaces and tcpdump");
    for (const QString &p :
         {QStringLiteral("ip"), QStringLiteral("tcpdump"), QStringLiteral("nghttpd"),
          QStringLiteral("nghttp"), QStringLiteral("h2load"), QStringLiteral("nghttpx")}) {
        if (which(p).isEmpty())
            QSKIP(qPrintable(p + QStringLiteral(" is not installed (scripts/install-deps)")));
    }
    QProcess py;
    py.start(Python, {QStringLiteral("-c"), QStringLiteral("import grpc, grpc_tools")});
    if (!py.waitForFinished(20000) || py.exitCode() != 0)
        QSKIP("python3-grpcio / python3-grpc-tools are not installed (scripts/install-deps)");
    QVERIFY(m_dir.isValid());
    m_lab = std::make_unique<NetnsLab>(QStringLiteral("h2"));
    QString error;
    QVERIFY2(m_lab->setUp(&error), qPrintable(error));
}

void TestHttp2Decoding::cleanupTestCase()
{
    m_lab.reset();
}

bool TestHttp2Decoding::capture(const std::function<bool(QString *)> &traffic, const QString &file,
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

void TestHttp2Decoding::nghttpPriorKnowledge()
{
    const QString www = m_dir.filePath(QStringLiteral("www"));
    QVERIFY(QDir().mkpath(www));
    QByteArray page;
    for (int i = 0; i < 3000; ++i)
        page += "line " + QByteArray::number(i) + " of the page\n"; // ~60 KB: many DATA frames
    {
        QFile f(www + QStringLiteral("/index.html"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(page);
    }
    const int port = freePort();
    BackgroundProcess server;
    QString error;
    QVERIFY2(server.start(
                     m_lab->serverNs(), which(QStringLiteral("nghttpd")),
                     {QStringLiteral("--no-tls"), QStringLiteral("-d"), www, QString::number(port)},
                     {}, QProcess::StandardOutput, &error),
             qPrintable(error));
    QVERIFY2(NetnsLab::waitListening(m_lab->serverNs(), port, &error), qPrintable(error));
    const QString base = QStringLiteral("http://%1:%2").arg(NetnsLab::serverV4()).arg(port);
    const QString pcap = m_dir.filePath(QStringLiteral("nghttp.pcap"));
    QVERIFY2(capture(
                     [&](QString *err) {
                         QProcess c;
                         c.start(QStringLiteral("ip"),
                                 NetnsLab::execArgs(m_lab->clientNs(),
                                                    which(QStringLiteral("nghttp")),
                                                    {QStringLiteral("-n"), QStringLiteral("-H"),
                                                     QStringLiteral("x-podtap-test: yes"),
                                                     base + QStringLiteral("/index.html"),
                                                     base + QStringLiteral("/missing")}));
                         if (!c.waitForFinished(30000) || c.exitCode() != 0) {
                             *err = QStringLiteral("nghttp failed: ")
                                    + QString::fromLocal8Bit(c.readAllStandardError());
                             return false;
                         }
                         QProcess post;
                         post.start(QStringLiteral("ip"),
                                    NetnsLab::execArgs(
                                            m_lab->clientNs(), which(QStringLiteral("nghttp")),
                                            {QStringLiteral("-n"), QStringLiteral("-d"),
                                             www + QStringLiteral("/index.html"),
                                             base + QStringLiteral("/index.html?upload=1")}));
                         if (!post.waitForFinished(30000) || post.exitCode() != 0) {
                             *err = QStringLiteral("nghttp -d failed: ")
                                    + QString::fromLocal8Bit(post.readAllStandardError());
                             return false;
                         }
                         return true;
                     },
                     pcap, &error),
             qPrintable(error));
    QVERIFY(server.stop(SIGTERM, &error));

    // HTTP/2 decoding off: the connections are "other", nothing decoded (today's behaviour).
    const Decoded off = decodeCapture(pcap, false);
    QCOMPARE(off.exchanges.size(), 0u);
    QCOMPARE(off.stats.otherConnections, 2u);

    const Decoded d = decodeCapture(pcap, true);
    QCOMPARE(d.stats.http2Connections, 2u);
    QCOMPARE(d.stats.http2Undecodable, 0u);
    QCOMPARE(d.exchanges.size(), 3u);
    const HttpExchange *get = find(d, "GET", "/index.html");
    QVERIFY(get);
    QCOMPARE(get->protocol, HttpExchange::Protocol::Http2);
    QCOMPARE(get->request.header("x-podtap-test"), QByteArray("yes"));
    QCOMPARE(get->response.status, 200);
    QCOMPARE(get->response.bodyBytes, std::uint64_t(page.size()));
    QCOMPARE(get->response.bodyHash, HttpParser::hashBody(page));
    QVERIFY(get->response.isComplete());
    const HttpExchange *missing = find(d, "GET", "/missing");
    QVERIFY(missing);
    QCOMPARE(missing->response.status, 404);
    const HttpExchange *post = find(d, "POST", "/index.html?upload=1");
    QVERIFY(post);
    QCOMPARE(post->request.bodyBytes, std::uint64_t(page.size()));
    QCOMPARE(post->request.bodyHash, HttpParser::hashBody(page));
    QCOMPARE(post->response.status, 200);
}

void TestHttp2Decoding::h2loadManyStreams()
{
    const QString www = m_dir.filePath(QStringLiteral("www2"));
    QVERIFY(QDir().mkpath(www));
    {
        QFile f(www + QStringLiteral("/small.txt"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("small body\n");
    }
    const int port = freePort();
    BackgroundProcess server;
    QString error;
    QVERIFY2(server.start(
                     m_lab->serverNs(), which(QStringLiteral("nghttpd")),
                     {QStringLiteral("--no-tls"), QStringLiteral("-d"), www, QString::number(port)},
                     {}, QProcess::StandardOutput, &error),
             qPrintable(error));
    QVERIFY2(NetnsLab::waitListening(m_lab->serverNs(), port, &error), qPrintable(error));
    const QString pcap = m_dir.filePath(QStringLiteral("h2load.pcap"));
    QVERIFY2(capture(
                     [&](QString *err) {
                         QProcess c;
                         c.start(QStringLiteral("ip"),
                                 NetnsLab::execArgs(m_lab->clientNs(),
                                                    which(QStringLiteral("h2load")),
                                                    {QStringLiteral("-n"), QStringLiteral("60"),
                                                     QStringLiteral("-c"), QStringLiteral("3"),
                                                     QStringLiteral("-m"), QStringLiteral("10"),
                                                     QStringLiteral("http://%1:%2/small.txt")
                                                             .arg(NetnsLab::serverV4())
                                                             .arg(port)}));
                         if (!c.waitForFinished(60000) || c.exitCode() != 0
                             || !c.readAllStandardOutput().contains("60 succeeded")) {
                             *err = QStringLiteral("h2load failed: ")
                                    + QString::fromLocal8Bit(c.readAllStandardError());
                             return false;
                         }
                         return true;
                     },
                     pcap, &error),
             qPrintable(error));
    QVERIFY(server.stop(SIGTERM, &error));
    const Decoded d = decodeCapture(pcap, true);
    QCOMPARE(d.stats.http2Connections, 3u);
    QCOMPARE(d.exchanges.size(), 60u);
    for (const HttpExchange &x : d.exchanges) {
        QCOMPARE(x.request.method, QByteArray("GET"));
        QCOMPARE(x.request.target, QByteArray("/small.txt"));
        QCOMPARE(x.response.status, 200);
        QCOMPARE(x.response.body, QByteArray("small body\n"));
    }
}

void TestHttp2Decoding::nghttpUpgrade()
{
    // "nghttp -u": HTTP/1.1 "Upgrade: h2c", answered 101 by nghttpx (nghttpd does not take
    // upgrades; nghttpx's cleartext frontend does) in front of nghttpd over h2. The capture
    // on the veth holds only the client's connection to nghttpx.
    const QString www = m_dir.filePath(QStringLiteral("www3"));
    QVERIFY(QDir().mkpath(www));
    QByteArray page;
    for (int i = 0; i < 2000; ++i)
        page += "upgraded line " + QByteArray::number(i) + "\n"; // ~35 KB: several DATA frames
    {
        QFile f(www + QStringLiteral("/index.html"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(page);
    }
    const int backendPort = freePort();
    const int port = freePort();
    BackgroundProcess backend;
    BackgroundProcess front;
    QString error;
    QVERIFY2(backend.start(m_lab->serverNs(), which(QStringLiteral("nghttpd")),
                           {QStringLiteral("--no-tls"), QStringLiteral("-d"), www,
                            QString::number(backendPort)},
                           {}, QProcess::StandardOutput, &error),
             qPrintable(error));
    QVERIFY2(NetnsLab::waitListening(m_lab->serverNs(), backendPort, &error), qPrintable(error));
    QVERIFY2(front.start(
                     m_lab->serverNs(), which(QStringLiteral("nghttpx")),
                     {QStringLiteral("--frontend=%1,%2;no-tls").arg(NetnsLab::serverV4()).arg(port),
                      QStringLiteral("--backend=127.0.0.1,%1;;proto=h2").arg(backendPort),
                      QStringLiteral("--workers=1"), QStringLiteral("--no-ocsp"),
                      QStringLiteral("--accesslog-file=/dev/null"),
                      QStringLiteral("--errorlog-file=")
                              + m_dir.filePath(QStringLiteral("nghttpx.log"))},
                     {}, QProcess::StandardOutput, &error),
             qPrintable(error));
    QVERIFY2(NetnsLab::waitListening(m_lab->serverNs(), port, &error), qPrintable(error));
    const QString base = QStringLiteral("http://%1:%2").arg(NetnsLab::serverV4()).arg(port);
    const QString pcap = m_dir.filePath(QStringLiteral("upgrade.pcap"));
    QByteArray out;
    QVERIFY2(capture(
                     [&](QString *err) {
                         QProcess c;
                         c.start(QStringLiteral("ip"),
                                 NetnsLab::execArgs(m_lab->clientNs(),
                                                    which(QStringLiteral("nghttp")),
                                                    {QStringLiteral("-u"), QStringLiteral("-v"),
                                                     base + QStringLiteral("/index.html"),
                                                     base + QStringLiteral("/missing")}));
                         if (!c.waitForFinished(30000) || c.exitCode() != 0) {
                             *err = QStringLiteral("nghttp -u failed: ")
                                    + QString::fromLocal8Bit(c.readAllStandardError());
                             return false;
                         }
                         out = c.readAllStandardOutput();
                         return true;
                     },
                     pcap, &error),
             qPrintable(error));
    QVERIFY(front.stop(SIGTERM, &error));
    QVERIFY(backend.stop(SIGTERM, &error));
    QVERIFY2(out.contains("HTTP Upgrade success"), out.constData());

    // HTTP/2 decoding off: the upgrade request, unanswered past the 101 (as before).
    const Decoded off = decodeCapture(pcap, false);
    QCOMPARE(off.exchanges.size(), 1u);
    QCOMPARE(off.exchanges[0].protocol, HttpExchange::Protocol::Http1);
    QVERIFY(!off.exchanges[0].hasResponse);

    const Decoded d = decodeCapture(pcap, true);
    QCOMPARE(d.stats.h2cUpgrades, 1u);
    QCOMPARE(d.stats.httpConnections, 1u);
    QCOMPARE(d.stats.http2Connections, 1u);
    QCOMPARE(d.stats.http2Undecodable, 0u);
    QCOMPARE(d.stats.incompleteMessages, 0u);
    QCOMPARE(d.exchanges.size(), 2u);
    // Exchanges come out as their streams end: /missing (small) may end before stream 1's
    // 35 KB page. Stream 1: the HTTP/1.1 upgrade request, answered over HTTP/2
    const bool oneFirst = d.exchanges[0].streamId == 1;
    const HttpExchange &first = d.exchanges[oneFirst ? 0 : 1];
    QCOMPARE(first.protocol, HttpExchange::Protocol::Http2);
    QCOMPARE(first.streamId, 1u);
    QCOMPARE(first.interimResponses, 1);
    QCOMPARE(first.request.versionMajor, 1);
    QCOMPARE(first.request.method, QByteArray("GET"));
    QCOMPARE(first.request.target, QByteArray("/index.html"));
    QCOMPARE(first.request.header("upgrade"), QByteArray("h2c"));
    QVERIFY(!first.request.header("http2-settings").isEmpty());
    QVERIFY(first.hasResponse);
    QCOMPARE(first.response.versionMajor, 2);
    QCOMPARE(first.response.status, 200);
    QCOMPARE(first.response.bodyBytes, std::uint64_t(page.size()));
    QCOMPARE(first.response.bodyHash, HttpParser::hashBody(page));
    QVERIFY(first.response.isComplete());
    // The next request is an HTTP/2 stream of its own
    const HttpExchange &missing = d.exchanges[oneFirst ? 1 : 0];
    QCOMPARE(missing.protocol, HttpExchange::Protocol::Http2);
    QVERIFY(missing.streamId > 1 && missing.streamId % 2 == 1);
    QCOMPARE(missing.request.versionMajor, 2);
    QCOMPARE(missing.request.method, QByteArray("GET"));
    QCOMPARE(missing.request.target, QByteArray("/missing"));
    QCOMPARE(missing.response.status, 404);
    QVERIFY(missing.response.isComplete());
}

void TestHttp2Decoding::grpcCalls()
{
    const QString stubs = m_dir.filePath(QStringLiteral("stubs"));
    QVERIFY(QDir().mkpath(stubs));
    const QString h2dir = QStringLiteral(SRCDIR "/h2");
    QProcess protoc;
    protoc.start(Python,
                 {QStringLiteral("-m"), QStringLiteral("grpc_tools.protoc"), QStringLiteral("-I"),
                  h2dir, QStringLiteral("--python_out=") + stubs,
                  QStringLiteral("--grpc_python_out=") + stubs, QStringLiteral("greeter.proto")});
    QVERIFY(protoc.waitForFinished(60000));
    QVERIFY2(protoc.exitCode() == 0, protoc.readAllStandardError().constData());

    const int port = freePort();
    BackgroundProcess server;
    QString error;
    QVERIFY2(server.start(m_lab->serverNs(), Python,
                          {h2dir + QStringLiteral("/grpc_server.py"), stubs, QString::number(port)},
                          "grpc server ready", QProcess::StandardOutput, &error, 60000),
             qPrintable(error));
    const QString pcap = m_dir.filePath(QStringLiteral("grpc.pcap"));
    QByteArray out;
    QVERIFY2(capture(
                     [&](QString *err) {
                         QProcess c;
                         c.start(QStringLiteral("ip"),
                                 NetnsLab::execArgs(m_lab->clientNs(), Python,
                                                    {h2dir + QStringLiteral("/grpc_client.py"),
                                                     stubs,
                                                     QStringLiteral("%1:%2")
                                                             .arg(NetnsLab::serverV4())
                                                             .arg(port)}));
                         if (!c.waitForFinished(60000) || c.exitCode() != 0) {
                             *err = QStringLiteral("grpc client failed: ")
                                    + QString::fromLocal8Bit(c.readAllStandardError());
                             return false;
                         }
                         out = c.readAllStandardOutput();
                         return true;
                     },
                     pcap, &error),
             qPrintable(error));
    QVERIFY(server.stop(SIGTERM, &error));
    QVERIFY2(out.contains("fail: StatusCode.NOT_FOUND"), out.constData());

    const Decoded d = decodeCapture(pcap, true);
    QCOMPARE(d.stats.http2Connections, 1u);
    QCOMPARE(d.stats.http2Undecodable, 0u);
    std::vector<const HttpExchange *> calls;
    for (const HttpExchange &x : d.exchanges) {
        if (x.grpc)
            calls.push_back(&x);
    }
    QCOMPARE(calls.size(), 4u);
    std::sort(calls.begin(), calls.end(),
              [](auto *a, auto *b) { return a->streamId < b->streamId; });
    using PW = ProtobufWireView;

    // Unary: HelloRequest{name="podtap"} → HelloReply{message, detail{serial=4242, note}}
    const GrpcCall &unary = *calls[0]->grpc;
    QCOMPARE(unary.service, QByteArray("podtaptest.Greeter"));
    QCOMPARE(unary.method, QByteArray("SayHello"));
    QCOMPARE(unary.status, 0);
    QCOMPARE(calls[0]->request.method, QByteArray("POST"));
    QCOMPARE(calls[0]->response.status, 200);
    QCOMPARE(unary.requests.size(), 1u);
    QCOMPARE(unary.responses.size(), 1u);
    auto req = PW::parse(unary.requests[0].data);
    QVERIFY(req);
    QCOMPARE(PW::find(*req, {1})->bytes, QByteArray("podtap"));
    auto rep = PW::parse(unary.responses[0].data);
    QVERIFY(rep);
    QCOMPARE(PW::find(*rep, {1})->bytes, QByteArray("hello podtap"));
    QCOMPARE(PW::find(*rep, {2, 1})->value, 4242u);
    QCOMPARE(PW::find(*rep, {2, 2})->bytes, QByteArray("unary"));

    // Compressed request (grpc-encoding gzip, compressed flag set)
    const GrpcCall &zipped = *calls[1]->grpc;
    QCOMPARE(zipped.method, QByteArray("SayHello"));
    QCOMPARE(zipped.requestEncoding, QByteArray("gzip"));
    QCOMPARE(zipped.requests.size(), 1u);
    QVERIFY(zipped.requests[0].compressed);
    QVERIFY2(zipped.requests[0].whole, qPrintable(zipped.requests[0].error));
    req = PW::parse(zipped.requests[0].data);
    QVERIFY(req);
    QCOMPARE(PW::find(*req, {1})->bytes, QByteArray("zipped").repeated(20));
    QCOMPARE(zipped.status, 0);

    // Server streaming: 3 replies
    const GrpcCall &stream = *calls[2]->grpc;
    QCOMPARE(stream.method, QByteArray("CountUp"));
    QCOMPARE(stream.responses.size(), 3u);
    for (int i = 0; i < 3; ++i) {
        const auto r = PW::parse(stream.responses[std::size_t(i)].data);
        QVERIFY(r);
        QCOMPARE(PW::find(*r, {1})->bytes, "count " + QByteArray::number(i + 1));
        QCOMPARE(PW::find(*r, {2, 1})->value, std::uint64_t(1000 + i));
    }
    QCOMPARE(stream.status, 0);

    // Failure: NOT_FOUND (5) and its message
    const GrpcCall &fail = *calls[3]->grpc;
    QCOMPARE(fail.method, QByteArray("Fail"));
    QCOMPARE(fail.status, 5);
    QCOMPARE(fail.statusMessage, QByteArray("no such greeter: ghost"));
}

QTEST_GUILESS_MAIN(TestHttp2Decoding)
#include "tst_http2decoding.moc"
