// The HTTP/2 replay client against real servers on loopback: nghttpd (many streams on one
// connection, SETTINGS_MAX_CONCURRENT_STREAMS 1, bodies larger than the kept part both ways,
// trailers), a dead port, and an nghttp2 server that resets streams and sends GOAWAY.
#include "backgroundprocess.h"
#include "http2testserver.h"

#include "http/httpparser.h"
#include "replay/localhttp2client.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <map>
#include <unistd.h>

using namespace podtap;

namespace {

struct Result
{
    bool ok = false;
    HttpExchange exchange;
    QString why;
    bool timedOut = false;
};

// Sends `requests` as fast as canSend() allows; every outcome by request index.
struct Driver
{
    explicit Driver(LocalHttp2Client &c, QList<LocalHttp2Client::Request> r = {})
        : client(c)
        , requests(std::move(r))
    {}
    LocalHttp2Client &client;
    QList<LocalHttp2Client::Request> requests;
    int timeoutMs = 10000;
    std::map<quint64, int> index;
    std::map<int, Result> results;
    int next = 0;
    int maxInFlight = 0;

    void pump()
    {
        while (next < requests.size() && client.canSend()) {
            index[client.send(requests[next], timeoutMs)] = next;
            ++next;
            maxInFlight = std::max(maxInFlight, client.inFlight());
        }
    }
    bool run(int waitMs)
    {
        QObject ctx;
        QObject::connect(&client, &LocalHttp2Client::answered, &ctx,
                         [this](quint64 id, const HttpExchange &x, qint64) {
                             results[index.at(id)] = {true, x, {}, false};
                             pump();
                         });
        QObject::connect(&client, &LocalHttp2Client::failed, &ctx,
                         [this](quint64 id, const QString &why, bool timedOut) {
                             results[index.at(id)] = {false, {}, why, timedOut};
                             pump();
                         });
        QObject::connect(&client, &LocalHttp2Client::ready, &ctx, [this] { pump(); });
        pump();
        QElapsedTimer t;
        t.start();
        while (int(results.size()) < requests.size() && t.elapsed() < waitMs)
            QTest::qWait(5);
        return int(results.size()) == requests.size();
    }
};

LocalHttp2Client::Request get(const QByteArray &path, quint16 port)
{
    return {{{":method", "GET"},
             {":scheme", "http"},
             {":authority", "127.0.0.1:" + QByteArray::number(port)},
             {":path", path},
             {"user-agent", "tst_localhttp2client"}},
            {}};
}

QString which(const QString &program)
{
    return QStandardPaths::findExecutable(program);
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
    while (t.elapsed() < 10000) {
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, port);
        if (s.waitForConnected(500))
            return true;
        QTest::qWait(50);
    }
    return false;
}

std::uint64_t hashOf(const QByteArray &b)
{
    HttpParser::BodyHash h;
    h.reset();
    h.add(reinterpret_cast<const std::uint8_t *>(b.constData()), std::size_t(b.size()));
    return h.digest();
}

} // namespace

class TestLocalHttp2Client : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void manyStreamsOnOneConnection();
    void maxConcurrentStreamsOne();
    void largeBodiesBothWays();
    void trailers();
    void deadPort();
    void resetsAndGoaway();
    void timeoutPerStream();
    void notHttp2();
    void silentServer();

private:
    bool startNghttpd(BackgroundProcess &p, quint16 *port, const QStringList &extra);
    QTemporaryDir m_dir;
    QString m_www;
    QByteArray m_big;
};

void TestLocalHttp2Client::initTestCase()
{
    QVERIFY2(!which(QStringLiteral("nghttpd")).isEmpty(),
             "nghttpd is not installed (scripts/install-deps: nghttp2-server)");
    QVERIFY(m_dir.isValid());
    m_www = m_dir.filePath(QStringLiteral("www"));
    QVERIFY(QDir().mkpath(m_www));
    for (int i = 0; i < 20; ++i) {
        QFile f(m_www + QStringLiteral("/f%1.txt").arg(i));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("file " + QByteArray::number(i) + '\n');
    }
    for (int i = 0; m_big.size() < 3 * 1024 * 1024 + 77; ++i)
        m_big += "big line " + QByteArray::number(i) + '\n';
    QFile f(m_www + QStringLiteral("/big.bin"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(m_big);
}

bool TestLocalHttp2Client::startNghttpd(BackgroundProcess &p, quint16 *port,
                                        const QStringList &extra)
{
    *port = freePort();
    QString error;
    if (!p.start({}, which(QStringLiteral("nghttpd")),
                 QStringList{QStringLiteral("--no-tls"), QStringLiteral("-d"), m_www} + extra
                         + QStringList{QString::number(*port)},
                 {}, QProcess::StandardOutput, &error)) {
        qWarning("%s", qPrintable(error));
        return false;
    }
    return waitListening(*port);
}

void TestLocalHttp2Client::manyStreamsOnOneConnection()
{
    BackgroundProcess server;
    quint16 port = 0;
    QVERIFY(startNghttpd(server, &port, {}));
    LocalHttp2Client client(QHostAddress::LocalHost, port, 64);
    Driver d(client);
    for (int i = 0; i < 400; ++i)
        d.requests << get("/f" + QByteArray::number(i % 20) + ".txt", port);
    QVERIFY(d.run(30000));
    for (const auto &[i, r] : d.results) {
        QVERIFY2(r.ok, qPrintable(r.why));
        QCOMPARE(r.exchange.protocol, HttpExchange::Protocol::Http2);
        QCOMPARE(r.exchange.response.status, 200);
        QCOMPARE(r.exchange.response.body, "file " + QByteArray::number(i % 20) + '\n');
        QCOMPARE(r.exchange.response.bodyHash, hashOf(r.exchange.response.body));
        QCOMPARE(r.exchange.response.header(":status"), QByteArray("200"));
        QCOMPARE(r.exchange.request.target, "/f" + QByteArray::number(i % 20) + ".txt");
        QCOMPARE(r.exchange.request.method, QByteArray("GET"));
    }
    qInfo("400 requests, at most %d in flight, %llu connection(s), peer max %u", d.maxInFlight,
          client.connectionsOpened(), client.peerMaxStreams());
    QCOMPARE(client.connectionsOpened(), 1u);
    QVERIFY2(d.maxInFlight > 16, qPrintable(QString::number(d.maxInFlight)));
    QVERIFY(d.maxInFlight <= 64);
    QVERIFY(server.stop(SIGTERM, nullptr));
}

void TestLocalHttp2Client::maxConcurrentStreamsOne()
{
    BackgroundProcess server;
    quint16 port = 0;
    QVERIFY(startNghttpd(server, &port, {QStringLiteral("--max-concurrent-streams=1")}));
    LocalHttp2Client client(QHostAddress::LocalHost, port, 64);
    Driver d(client);
    for (int i = 0; i < 50; ++i)
        d.requests << get("/f" + QByteArray::number(i % 20) + ".txt", port);
    QVERIFY(d.run(30000));
    for (const auto &[i, r] : d.results)
        QVERIFY2(r.ok && r.exchange.response.status == 200, qPrintable(r.why));
    QCOMPARE(client.peerMaxStreams(), 1u);
    QCOMPARE(d.maxInFlight, 1);
    QCOMPARE(client.connectionsOpened(), 1u);
    QVERIFY(server.stop(SIGTERM, nullptr));
}

void TestLocalHttp2Client::largeBodiesBothWays()
{
    BackgroundProcess server;
    quint16 port = 0;
    QVERIFY(startNghttpd(server, &port, {QStringLiteral("--echo-upload")}));
    LocalHttp2Client client(QHostAddress::LocalHost, port, 8);
    Driver d(client);
    d.requests << get("/big.bin", port);
    LocalHttp2Client::Request post = get("/echo", port);
    post.fields[0].second = "POST";
    post.body = m_big; // more than the 64 KiB initial windows: flow control both ways
    d.requests << post;
    QVERIFY(d.run(30000));
    for (const auto &[i, r] : d.results) {
        QVERIFY2(r.ok, qPrintable(r.why));
        const HttpMessage &m = r.exchange.response;
        QCOMPARE(m.status, 200);
        QCOMPARE(m.bodyBytes, std::uint64_t(m_big.size()));
        QCOMPARE(m.bodyHash, hashOf(m_big));
        QCOMPARE(m.body.size(), LocalHttp2Client::KeepBodyBytes);
        QVERIFY(!m.bodyKeptWhole);
        QCOMPARE(m.body, m_big.left(LocalHttp2Client::KeepBodyBytes));
    }
    // The request as sent: its body counted and hashed whole
    QCOMPARE(d.results[1].exchange.request.bodyBytes, std::uint64_t(m_big.size()));
    QCOMPARE(d.results[1].exchange.request.bodyHash, hashOf(m_big));
    QVERIFY(server.stop(SIGTERM, nullptr));
}

void TestLocalHttp2Client::trailers()
{
    BackgroundProcess server;
    quint16 port = 0;
    QVERIFY(startNghttpd(server, &port,
                         {QStringLiteral("--trailer=x-podtap-trailer: yes"),
                          QStringLiteral("--trailer=x-second: 2")}));
    LocalHttp2Client client(QHostAddress::LocalHost, port, 8);
    Driver d(client, {get("/f3.txt", port)});
    QVERIFY(d.run(10000));
    const Result &r = d.results[0];
    QVERIFY2(r.ok, qPrintable(r.why));
    QCOMPARE(r.exchange.response.trailer("x-podtap-trailer"), QByteArray("yes"));
    QCOMPARE(r.exchange.response.trailer("x-second"), QByteArray("2"));
    QCOMPARE(r.exchange.response.trailers.size(), 2);
    QVERIFY(r.exchange.response.header("x-podtap-trailer").isNull());
    QCOMPARE(r.exchange.response.body, QByteArray("file 3\n"));
    QVERIFY(server.stop(SIGTERM, nullptr));
}

void TestLocalHttp2Client::deadPort()
{
    const quint16 port = freePort(); // nothing listens there any more
    LocalHttp2Client client(QHostAddress::LocalHost, port, 8);
    Driver d(client);
    for (int i = 0; i < 20; ++i)
        d.requests << get("/x", port);
    QElapsedTimer t;
    t.start();
    QVERIFY(d.run(10000));
    for (const auto &[i, r] : d.results) {
        QVERIFY(!r.ok);
        QVERIFY(!r.timedOut);
        QVERIFY2(r.why.contains(QLatin1String("refused")), qPrintable(r.why));
    }
    qInfo("20 requests to a dead port failed in %lld ms: %s", qlonglong(t.elapsed()),
          qPrintable(d.results[0].why));
    QVERIFY(t.elapsed() < 5000);
}

void TestLocalHttp2Client::resetsAndGoaway()
{
    // Every 4th request reset; GOAWAY after the 10th of a connection.
    Http2TestServer server(4, 10);
    QVERIFY(server.listen());
    LocalHttp2Client client(QHostAddress::LocalHost, server.port(), 16);
    Driver d(client);
    d.timeoutMs = 5000;
    for (int i = 0; i < 60; ++i)
        d.requests << get("/r" + QByteArray::number(i), server.port());
    QElapsedTimer t;
    t.start();
    QVERIFY2(d.run(20000), qPrintable(QStringLiteral("%1 of 60 outcomes").arg(d.results.size())));
    int ok = 0, reset = 0, refused = 0;
    for (const auto &[i, r] : d.results) {
        QVERIFY2(!r.timedOut, qPrintable(r.why));
        if (r.ok) {
            ++ok;
            QVERIFY(r.exchange.response.body.startsWith("ok "));
        } else if (r.why.contains(QLatin1String("reset stream"))) {
            ++reset;
            QVERIFY2(r.why.contains(QLatin1String("INTERNAL_ERROR")), qPrintable(r.why));
        } else {
            ++refused;
            QVERIFY2(r.why.contains(QLatin1String("GOAWAY (NO_ERROR, last stream"))
                             && r.why.contains(QLatin1String("enough")),
                     qPrintable(r.why));
        }
    }
    qInfo("60 requests in %lld ms: %d answered, %d reset, %d refused by GOAWAY; %llu connections, "
          "server saw %d requests, %d resets, %d GOAWAYs",
          qlonglong(t.elapsed()), ok, reset, refused, client.connectionsOpened(), server.requests(),
          server.resets(), server.goaways());
    QCOMPARE(reset, server.resets());
    QCOMPARE(ok, server.requests() - server.resets());
    QCOMPARE(ok + reset + refused, 60);
    // 16 streams at a time: each connection's 10th request brings GOAWAY, the streams after
    // it are not processed, and the next requests go on a new connection.
    QVERIFY(refused > 0);
    QCOMPARE(client.connectionsOpened(), quint64(server.goaways()));
    QCOMPARE(server.goaways(), 4);
}

void TestLocalHttp2Client::timeoutPerStream()
{
    // Every 3rd request is never answered: it times out alone (RST_STREAM CANCEL), the others
    // on the same connection are answered.
    Http2TestServer server(0, 0, 3);
    QVERIFY(server.listen());
    LocalHttp2Client client(QHostAddress::LocalHost, server.port(), 16);
    Driver d(client);
    d.timeoutMs = 400;
    for (int i = 0; i < 12; ++i)
        d.requests << get("/t" + QByteArray::number(i), server.port());
    QElapsedTimer t;
    t.start();
    QVERIFY(d.run(5000));
    int timedOut = 0;
    for (const auto &[i, r] : d.results) {
        if (r.ok)
            continue;
        QVERIFY(r.timedOut);
        QCOMPARE(r.why, QStringLiteral("no complete answer in time"));
        ++timedOut;
    }
    qInfo("12 requests, every 3rd unanswered: %d timed out after %lld ms", timedOut,
          qlonglong(t.elapsed()));
    QCOMPARE(timedOut, 4);
    QCOMPARE(client.connectionsOpened(), 1u);
    QCOMPARE(client.inFlight(), 0);
    QVERIFY(t.elapsed() < 2000);
}

void TestLocalHttp2Client::notHttp2()
{
    // An HTTP/1 server: its answer to the preface is not HTTP/2.
    QTcpServer http1;
    QVERIFY(http1.listen(QHostAddress::LocalHost, 0));
    connect(&http1, &QTcpServer::newConnection, this, [&http1] {
        QTcpSocket *s = http1.nextPendingConnection();
        s->write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        s->disconnectFromHost();
    });
    LocalHttp2Client client(QHostAddress::LocalHost, http1.serverPort(), 8);
    Driver d(client, {get("/", http1.serverPort()), get("/", http1.serverPort())});
    QVERIFY(d.run(10000));
    for (const auto &[i, r] : d.results) {
        QVERIFY(!r.ok && !r.timedOut);
        QVERIFY2(r.why.contains(QLatin1String("not valid HTTP/2"))
                         || r.why.contains(QLatin1String("closed the connection")),
                 qPrintable(r.why));
    }
    qInfo("HTTP/1 server: %s", qPrintable(d.results[0].why));
}

void TestLocalHttp2Client::silentServer()
{
    // Accepts, reads, never answers: no SETTINGS, so the request is never sent; it times out
    // saying so.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    QList<QTcpSocket *> held;
    connect(&silent, &QTcpServer::newConnection, this,
            [&] { held << silent.nextPendingConnection(); });
    LocalHttp2Client client(QHostAddress::LocalHost, silent.serverPort(), 8);
    Driver d(client, {get("/", silent.serverPort())});
    d.timeoutMs = 300;
    QVERIFY(d.run(5000));
    QVERIFY(d.results[0].timedOut);
    QVERIFY2(d.results[0].why.contains(QLatin1String("sent no HTTP/2 SETTINGS")),
             qPrintable(d.results[0].why));
    QCOMPARE(client.inFlight(), 0);
}

QTEST_GUILESS_MAIN(TestLocalHttp2Client)
#include "tst_localhttp2client.moc"
