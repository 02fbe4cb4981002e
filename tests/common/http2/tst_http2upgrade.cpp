// HTTP/1.1 "Upgrade: h2c" (RFC 7540 3.2) through HttpSink with HTTP/2 decoding on: the
// upgrade request is stream 1 and its answer comes as HTTP/2 frames (header blocks from
// libnghttp2's deflater, HTTP2-Settings from nghttp2_pack_settings_payload). A 101 to
// WebSocket, a declined upgrade (200) and decoding off stay HTTP/1.1; a client that never
// sends the preface, or an HTTP2-Settings that is not base64url, stops with the reason.
#include "h2frames.h"
#include "http/httpsink.h"
#include "http2/http2connection.h"

#include <QDir>
#include <QFile>
#include <QTest>

using namespace podtap;
using namespace h2test;

namespace {

const std::uint8_t *bytes(const QByteArray &b)
{
    return reinterpret_cast<const std::uint8_t *>(b.constData());
}

// The client's SETTINGS as an HTTP2-Settings value: base64url without padding.
QByteArray http2Settings(const std::vector<nghttp2_settings_entry> &entries)
{
    QByteArray payload(qsizetype(entries.size() * 6 + 6), '\0');
    const auto n = nghttp2_pack_settings_payload(reinterpret_cast<std::uint8_t *>(payload.data()),
                                                 std::size_t(payload.size()), entries.data(),
                                                 entries.size());
    payload.resize(n < 0 ? 0 : qsizetype(n));
    return payload.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray upgradeRequest(const QByteArray &settingsValue, const QByteArray &upgrade = "h2c")
{
    return "GET /first HTTP/1.1\r\nHost: example\r\nUser-Agent: test\r\n"
           "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: "
           + upgrade + "\r\nHTTP2-Settings: " + settingsValue + "\r\n\r\n";
}

const QByteArray switching("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                           "Upgrade: h2c\r\n\r\n");

struct Piece
{
    Direction dir;
    QByteArray data;
};

struct Result
{
    std::vector<HttpExchange> exchanges;
    HttpSink::Stats stats;
    QString stopReason;
    bool decoding = false;
};

// The pieces in order through one HttpSink connection, with HTTP/2 decoding `on`.
Result run(const std::vector<Piece> &pieces, bool on = true)
{
    Result r;
    HttpSink sink(
            [&](const TcpConnection &, HttpExchange &&x) { r.exchanges.push_back(std::move(x)); });
    sink.setHttp2Decoding(on);
    TcpConnection conn;
    conn.id = 7;
    sink.connectionOpened(conn);
    std::int64_t ts = 1;
    for (const Piece &p : pieces)
        sink.data(conn, p.dir, bytes(p.data), std::size_t(p.data.size()), ts++);
    if (const Http2Connection *h2 = sink.http2(conn.id)) {
        r.stopReason = h2->stopReason();
        r.decoding = h2->state() == Http2Connection::State::Decoding;
    }
    conn.lastTsNs = ts;
    sink.connectionClosed(conn);
    sink.connectionRemoved(conn);
    r.stats = sink.stats();
    return r;
}

// A whole upgraded conversation: GET /first upgraded, then GET /second on stream 3. The
// server's bytes after the 101 are `serverFrames`.
struct Upgraded
{
    QByteArray request;
    QByteArray clientFrames;
    QByteArray serverFrames;
};

Upgraded upgradedGet()
{
    Deflater cd, sd;
    Upgraded u;
    u.request = upgradeRequest(http2Settings({{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
                                              {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 65535}}));
    u.clientFrames = preface() + settings({{3, 100}}) + settingsAck()
                     + headers(cd, 3,
                               {{":method", "GET"},
                                {":scheme", "http"},
                                {":authority", "example"},
                                {":path", "/second"}},
                               true);
    u.serverFrames = settings({{3, 100}})
                     + headers(sd, 1, {{":status", "200"}, {"content-type", "text/plain"}}, false)
                     + data(1, "first body", true) + settingsAck()
                     + headers(sd, 3, {{":status", "404"}}, false) + data(3, "nope", true);
    return u;
}

} // namespace

class TestHttp2Upgrade : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void upgradeAtEverySplit();
    void http1ExchangesBeforeTheUpgrade();
    void headerTableSizeFromHttp2Settings();
    void headerTableSizeIgnoredStops();
    void websocketStaysHttp1();
    void declinedUpgradeStaysHttp1();
    void decodingOffStaysHttp1();
    void noPrefaceAfterTheSwitch();
    void badHttp2Settings();
    void cleanupTestCase();
};

void TestHttp2Upgrade::upgradeAtEverySplit()
{
    const Upgraded u = upgradedGet();
    // The 101 and the server's first frames arrive together, cut at every byte of the 101
    // and of the frames after it; the client's preface follows the 101.
    const QByteArray server = switching + u.serverFrames;
    for (qsizetype cut = 1; cut < server.size(); ++cut) {
        std::vector<Piece> pieces{{Direction::ClientToServer, u.request},
                                  {Direction::ServerToClient, server.left(cut)}};
        if (cut >= switching.size())
            pieces.push_back({Direction::ClientToServer, u.clientFrames});
        pieces.push_back({Direction::ServerToClient, server.mid(cut)});
        if (cut < switching.size())
            pieces.push_back({Direction::ClientToServer, u.clientFrames});
        const Result r = run(pieces);
        QVERIFY2(r.exchanges.size() == 2, qPrintable(QStringLiteral("cut %1: %2 exchanges, %3")
                                                             .arg(cut)
                                                             .arg(r.exchanges.size())
                                                             .arg(r.stopReason)));
        QVERIFY2(r.decoding, qPrintable(r.stopReason));
        const HttpExchange &first = r.exchanges[0];
        QCOMPARE(first.protocol, HttpExchange::Protocol::Http2);
        QCOMPARE(first.streamId, 1u);
        QCOMPARE(first.index, 0u);
        QCOMPARE(first.interimResponses, 1); // the 101
        // The request as HTTP/1.1 sent it
        QCOMPARE(first.request.method, QByteArray("GET"));
        QCOMPARE(first.request.target, QByteArray("/first"));
        QCOMPARE(first.request.versionMajor, 1);
        QCOMPARE(first.request.header("upgrade"), QByteArray("h2c"));
        QCOMPARE(first.request.header("user-agent"), QByteArray("test"));
        QVERIFY(first.request.isComplete());
        // its answer as HTTP/2 sent it
        QVERIFY(first.hasResponse);
        QCOMPARE(first.response.versionMajor, 2);
        QCOMPARE(first.response.status, 200);
        QCOMPARE(first.response.header("content-type"), QByteArray("text/plain"));
        QCOMPARE(first.response.body, QByteArray("first body"));
        QCOMPARE(first.response.bodyHash, HttpParser::hashBody("first body"));
        QVERIFY(first.response.isComplete());
        // the response's frames start right after the 101 (SETTINGS first)
        QCOMPARE(first.response.streamOffset, std::uint64_t(switching.size() + 9 + 6));
        const HttpExchange &second = r.exchanges[1];
        QCOMPARE(second.protocol, HttpExchange::Protocol::Http2);
        QCOMPARE(second.streamId, 3u);
        QCOMPARE(second.index, 1u);
        QCOMPARE(second.request.target, QByteArray("/second"));
        QCOMPARE(second.response.status, 404);
        QCOMPARE(second.response.body, QByteArray("nope"));
        QCOMPARE(r.stats.h2cUpgrades, 1u);
        QCOMPARE(r.stats.httpConnections, 1u);
        QCOMPARE(r.stats.http2Connections, 1u);
        QCOMPARE(r.stats.http2Undecodable, 0u);
        QCOMPARE(r.stats.otherConnections, 0u);
        QCOMPARE(r.stats.exchanges, 2u);
        QCOMPARE(r.stats.incompleteMessages, 0u);
    }
}

void TestHttp2Upgrade::http1ExchangesBeforeTheUpgrade()
{
    // A plain HTTP/1.1 exchange, then the upgrade on the same connection (RFC 7540 3.2 allows
    // it on any request): indexes go on, stream 1 is the second exchange.
    const Upgraded u = upgradedGet();
    const QByteArray plain("GET /before HTTP/1.1\r\nHost: example\r\n\r\n");
    const QByteArray answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    const Result r = run({{Direction::ClientToServer, plain},
                          {Direction::ServerToClient, answer},
                          {Direction::ClientToServer, u.request},
                          {Direction::ServerToClient, switching},
                          {Direction::ClientToServer, u.clientFrames},
                          {Direction::ServerToClient, u.serverFrames}});
    QVERIFY2(r.exchanges.size() == 3, qPrintable(r.stopReason));
    QCOMPARE(r.exchanges[0].protocol, HttpExchange::Protocol::Http1);
    QCOMPARE(r.exchanges[0].request.target, QByteArray("/before"));
    QCOMPARE(r.exchanges[0].response.body, QByteArray("ok"));
    QCOMPARE(r.exchanges[1].protocol, HttpExchange::Protocol::Http2);
    QCOMPARE(r.exchanges[1].index, 1u);
    QCOMPARE(r.exchanges[1].request.target, QByteArray("/first"));
    QCOMPARE(r.exchanges[1].response.body, QByteArray("first body"));
    QCOMPARE(r.exchanges[2].index, 2u);
    QCOMPARE(r.exchanges[2].streamId, 3u);
}

void TestHttp2Upgrade::headerTableSizeFromHttp2Settings()
{
    // The client's HTTP2-Settings limits the server's HPACK table to 64 bytes; the 101
    // acknowledges it, so the server's first block starts with a table size update.
    Deflater sd;
    sd.changeTableSize(64);
    const QByteArray request
            = upgradeRequest(http2Settings({{NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, 64}}));
    const QByteArray server
            = switching + settings({})
              + headers(sd, 1, {{":status", "200"}, {"x-long", QByteArray(40, 'x')}}, true);
    const Result r = run({{Direction::ClientToServer, request},
                          {Direction::ServerToClient, server},
                          {Direction::ClientToServer, preface() + settings({{1, 64}})}});
    QVERIFY2(r.decoding, qPrintable(r.stopReason));
    QCOMPARE(r.exchanges.size(), 1u);
    QCOMPARE(r.exchanges[0].response.header("x-long"), QByteArray(40, 'x'));
}

void TestHttp2Upgrade::headerTableSizeIgnoredStops()
{
    // The same, with a server encoder that ignores the smaller table: no size update comes,
    // and the inflater (told by HTTP2-Settings) refuses the block rather than guess.
    Deflater sd;
    const QByteArray request
            = upgradeRequest(http2Settings({{NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, 64}}));
    const QByteArray server
            = switching + settings({}) + headers(sd, 1, {{":status", "200"}, {"x-a", "b"}}, true);
    const Result r = run({{Direction::ClientToServer, request},
                          {Direction::ServerToClient, server},
                          {Direction::ClientToServer, preface() + settings({{1, 64}})}});
    QVERIFY(!r.decoding);
    QVERIFY2(r.stopReason.startsWith(QLatin1String("HPACK decoding failed")),
             qPrintable(r.stopReason));
    QCOMPARE(r.exchanges.size(), 1u);
    QCOMPARE(r.exchanges[0].request.target, QByteArray("/first"));
    QVERIFY(!r.exchanges[0].hasResponse);
    QCOMPARE(r.stats.http2Undecodable, 1u);
}

void TestHttp2Upgrade::websocketStaysHttp1()
{
    const QByteArray request("GET /ws HTTP/1.1\r\nHost: example\r\nConnection: Upgrade\r\n"
                             "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    const QByteArray answer("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\n"
                            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi");
    for (const bool on : {false, true}) {
        const Result r = run({{Direction::ClientToServer, request},
                              {Direction::ServerToClient, answer},
                              {Direction::ClientToServer, QByteArray("\x81\x82\0\0\0\0hi", 8)}},
                             on);
        QCOMPARE(r.exchanges.size(), 1u);
        QCOMPARE(r.exchanges[0].protocol, HttpExchange::Protocol::Http1);
        QCOMPARE(r.exchanges[0].request.target, QByteArray("/ws"));
        QCOMPARE(r.stats.h2cUpgrades, 0u);
        QCOMPARE(r.stats.http2Connections, 0u);
        QCOMPARE(r.stats.httpConnections, 1u);
    }
}

void TestHttp2Upgrade::declinedUpgradeStaysHttp1()
{
    // The server ignores the Upgrade and answers over HTTP/1.1 (RFC 7540 3.2).
    const QByteArray request = upgradeRequest(http2Settings({}));
    const QByteArray answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    const QByteArray next("GET /again HTTP/1.1\r\nHost: example\r\n\r\n");
    const Result r = run({{Direction::ClientToServer, request},
                          {Direction::ServerToClient, answer},
                          {Direction::ClientToServer, next},
                          {Direction::ServerToClient, answer}});
    QCOMPARE(r.exchanges.size(), 2u);
    for (const HttpExchange &x : r.exchanges) {
        QCOMPARE(x.protocol, HttpExchange::Protocol::Http1);
        QCOMPARE(x.response.status, 200);
        QCOMPARE(x.response.body, QByteArray("hello"));
    }
    QCOMPARE(r.exchanges[1].request.target, QByteArray("/again"));
    QCOMPARE(r.stats.h2cUpgrades, 0u);
    QCOMPARE(r.stats.http2Connections, 0u);
}

void TestHttp2Upgrade::decodingOffStaysHttp1()
{
    // Without HTTP/2 decoding the switch ends HTTP/1.1 parsing as before: the upgrade request
    // comes out unanswered, nothing after the 101 is parsed.
    const Upgraded u = upgradedGet();
    const Result r = run({{Direction::ClientToServer, u.request},
                          {Direction::ServerToClient, switching + u.serverFrames},
                          {Direction::ClientToServer, u.clientFrames}},
                         false);
    QCOMPARE(r.exchanges.size(), 1u);
    QCOMPARE(r.exchanges[0].protocol, HttpExchange::Protocol::Http1);
    QVERIFY(!r.exchanges[0].hasResponse);
    QCOMPARE(r.stats.h2cUpgrades, 0u);
}

void TestHttp2Upgrade::noPrefaceAfterTheSwitch()
{
    // A client that answers the 101 with something other than the preface: the connection
    // was switched (HTTP/2 all the same), stream 1's answer is never seen, and it is said.
    const Upgraded u = upgradedGet();
    const Result r = run({{Direction::ClientToServer, u.request},
                          {Direction::ServerToClient, switching},
                          {Direction::ClientToServer, QByteArray("GET /x HTTP/1.1\r\n\r\n")}});
    QVERIFY(!r.decoding);
    QVERIFY2(r.stopReason.startsWith(QLatin1String("after the 101 to h2c: the client did not")),
             qPrintable(r.stopReason));
    QCOMPARE(r.exchanges.size(), 1u);
    QCOMPARE(r.exchanges[0].request.target, QByteArray("/first"));
    QVERIFY(!r.exchanges[0].hasResponse);
    QCOMPARE(r.stats.h2cUpgrades, 1u);
    QCOMPARE(r.stats.http2Undecodable, 1u);
    QCOMPARE(r.stats.unanswered, 1u);

    // The connection ends right after the 101: the same, with its own reason.
    const Result ended
            = run({{Direction::ClientToServer, u.request}, {Direction::ServerToClient, switching}});
    QCOMPARE(ended.exchanges.size(), 1u);
    QVERIFY(!ended.exchanges[0].hasResponse);
    QCOMPARE(ended.stats.http2Undecodable, 1u);
}

void TestHttp2Upgrade::badHttp2Settings()
{
    const Upgraded u = upgradedGet();
    for (const QByteArray &bad : {QByteArray("!!not base64!!"), QByteArray("AAMAAABk_w")}) {
        const Result r = run({{Direction::ClientToServer, upgradeRequest(bad)},
                              {Direction::ServerToClient, switching + u.serverFrames},
                              {Direction::ClientToServer, u.clientFrames}});
        QVERIFY2(r.stopReason.contains(QLatin1String("HTTP2-Settings")), qPrintable(r.stopReason));
        QCOMPARE(r.exchanges.size(), 1u);
        QVERIFY(!r.exchanges[0].hasResponse);
        QCOMPARE(r.stats.http2Undecodable, 1u);
    }
}

void TestHttp2Upgrade::cleanupTestCase()
{
    // With PODTAP_H2_SEED_DIR set: the upgraded conversation as a fuzz_http2 seed (options
    // ThroughSink: the upgrade is HttpSink's), as tst_http2connection writes its own.
    const QString dir = qEnvironmentVariable("PODTAP_H2_SEED_DIR");
    if (dir.isEmpty())
        return;
    QDir().mkpath(dir);
    const Upgraded u = upgradedGet();
    QFile f(dir + QStringLiteral("/h2cUpgrade.bin"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray("\x04\x05", 2) + u.request + u.clientFrames + "\xf0SRV" + switching
            + u.serverFrames);
}

QTEST_GUILESS_MAIN(TestHttp2Upgrade)
#include "tst_http2upgrade.moc"
