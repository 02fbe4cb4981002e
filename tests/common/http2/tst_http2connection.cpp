// Http2Connection, HpackInflater, GrpcCall and ProtobufWireView on frames built around
// header blocks from libnghttp2's deflater: every byte boundary, gaps, a mid-stream join,
// CONTINUATION, padding, table size updates, trailers, resets, gRPC messages.
#include "h2frames.h"
#include "http/httpparser.h"
#include "http/httpsink.h"
#include "http2/grpccall.h"
#include "http2/http2connection.h"
#include "http2/protobufwireview.h"

#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QTest>

#include <map>
#include <zlib.h>

using namespace podtap;
using namespace h2test;

namespace {

const std::uint8_t *bytes(const QByteArray &b)
{
    return reinterpret_cast<const std::uint8_t *>(b.constData());
}

struct Conversation
{
    QByteArray client;
    QByteArray server;
};

// The client's preface, SETTINGS and one GET on stream 1; the server's SETTINGS, the ACK of
// the client's, and a 200 with a body.
Conversation simpleGet(const QByteArray &body = QByteArray("hello, h2"))
{
    Deflater cd, sd;
    Conversation c;
    c.client = preface() + settings({{3, 100}})
               + headers(cd, 1,
                         {{":method", "GET"},
                          {":scheme", "http"},
                          {":authority", "example"},
                          {":path", "/index.html"},
                          {"user-agent", "test"}},
                         true)
               + settingsAck();
    c.server = settings({{3, 100}}) + settingsAck()
               + headers(sd, 1, {{":status", "200"}, {"content-type", "text/plain"}}, false)
               + data(1, body, true);
    return c;
}

// The conversations the tests decode, one per test function: with PODTAP_H2_SEED_DIR set,
// cleanupTestCase() writes them as fuzz_http2 seeds (tests/fuzz/corpus-http2).
std::map<QString, Conversation> &seeds()
{
    static std::map<QString, Conversation> all;
    return all;
}

// Client bytes, then server bytes, each cut at `clientCut` / `serverCut`.
std::vector<HttpExchange> decode(Http2Connection &h2, const Conversation &c, qsizetype clientCut,
                                 qsizetype serverCut)
{
    seeds().try_emplace(QString::fromLatin1(QTest::currentTestFunction()), c);
    h2.clientData(bytes(c.client), std::size_t(clientCut), 1);
    h2.clientData(bytes(c.client) + clientCut, std::size_t(c.client.size() - clientCut), 2);
    h2.serverData(bytes(c.server), std::size_t(serverCut), 3);
    h2.serverData(bytes(c.server) + serverCut, std::size_t(c.server.size() - serverCut), 4);
    h2.finish(5);
    return h2.takeExchanges();
}

QByteArray gzip(const QByteArray &plain)
{
    z_stream z{};
    deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    QByteArray out(qsizetype(deflateBound(&z, uLong(plain.size())) + 32), '\0');
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(plain.constData()));
    z.avail_in = uInt(plain.size());
    z.next_out = reinterpret_cast<Bytef *>(out.data());
    z.avail_out = uInt(out.size());
    deflate(&z, Z_FINISH);
    out.resize(qsizetype(z.total_out));
    deflateEnd(&z);
    return out;
}

// Protobuf wire bytes (the encoding guide): a varint, and a length-delimited value.
QByteArray varint(std::uint64_t v)
{
    QByteArray b;
    while (v >= 0x80) {
        b.append(char(v | 0x80));
        v >>= 7;
    }
    b.append(char(v));
    return b;
}
QByteArray pbVarint(std::uint32_t field, std::uint64_t v)
{
    return varint(field << 3) + varint(v);
}
QByteArray pbLen(std::uint32_t field, const QByteArray &v)
{
    return varint(field << 3 | 2) + varint(std::uint64_t(v.size())) + v;
}

} // namespace

class TestHttp2Connection : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanupTestCase();
    void getAtEveryByteBoundary();
    void dynamicTableAcrossStreams();
    void continuationAndPadding();
    void paddedDataAndPriority();
    void tableSizeUpdateAfterAck();
    void tableSizeChangeIgnoredByEncoderStops();
    void gapStopsDecoding_data();
    void gapStopsDecoding();
    void midstreamJoinIsNotDecoded();
    void notHttp2();
    void resetStream();
    void closedStreamIdNotReused();
    void bodyLimitsAndHash();
    void grpcUnaryWithTrailers();
    void grpcCompressedAndTrailersOnly();
    void protobufWireView();
    void protobufGarbageNeverCrashes();
    void sinkDecodesOnlyWhenOn();
};

void TestHttp2Connection::cleanupTestCase()
{
    const QString dir = qEnvironmentVariable("PODTAP_H2_SEED_DIR");
    if (dir.isEmpty())
        return;
    QDir().mkpath(dir);
    for (const auto &[name, c] : seeds()) {
        // fuzz_http2's layout: options, piece seed, client bytes, "\xf0SRV", server bytes
        QFile f(dir + QLatin1Char('/') + name + QStringLiteral(".bin"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray("\0\x05", 2) + c.client + "\xf0SRV" + c.server);
    }
}

void TestHttp2Connection::getAtEveryByteBoundary()
{
    const Conversation c = simpleGet();
    const std::uint64_t hash = HttpParser::hashBody("hello, h2");
    // Every cut of the client bytes with every 7th of the server's, and every server cut.
    for (qsizetype cc = 0; cc <= c.client.size(); ++cc) {
        for (qsizetype sc = 0; sc <= c.server.size(); ++sc) {
            if (cc % 7 != 0 && sc % 7 != 0 && cc != c.client.size() - 1)
                continue;
            Http2Connection h2;
            const auto xs = decode(h2, c, cc, sc);
            QVERIFY2(xs.size() == 1, qPrintable(QStringLiteral("cut %1/%2: %3 exchanges, %4")
                                                        .arg(cc)
                                                        .arg(sc)
                                                        .arg(xs.size())
                                                        .arg(h2.stopReason())));
            const HttpExchange &x = xs[0];
            QCOMPARE(x.protocol, HttpExchange::Protocol::Http2);
            QCOMPARE(x.streamId, 1u);
            QCOMPARE(x.request.method, QByteArray("GET"));
            QCOMPARE(x.request.target, QByteArray("/index.html"));
            QCOMPARE(x.request.header("user-agent"), QByteArray("test"));
            QCOMPARE(x.request.header(":authority"), QByteArray("example"));
            QVERIFY(x.hasResponse);
            QCOMPARE(x.response.status, 200);
            QCOMPARE(x.response.header("content-type"), QByteArray("text/plain"));
            QCOMPARE(x.response.body, QByteArray("hello, h2"));
            QCOMPARE(x.response.bodyBytes, 9u);
            QCOMPARE(x.response.bodyHash, hash);
            QVERIFY(x.request.isComplete());
            QVERIFY(x.response.isComplete());
            QCOMPARE(h2.state(), Http2Connection::State::Decoding);
        }
    }
}

void TestHttp2Connection::dynamicTableAcrossStreams()
{
    // The second and third requests reuse the first's fields from the dynamic table: only
    // an inflater in step with the encoder decodes them.
    Deflater cd, sd;
    QByteArray client = preface() + settings({});
    QByteArray server = settings({}) + settingsAck();
    for (std::uint32_t s = 1; s <= 5; s += 2) {
        const QByteArray path = "/item/" + QByteArray::number(s);
        client += headers(cd, s,
                          {{":method", "POST"},
                           {":scheme", "http"},
                           {":authority", "svc.local"},
                           {":path", path},
                           {"x-long-custom-header", QByteArray(300, 'v')}},
                          false);
    }
    for (std::uint32_t s = 1; s <= 5; s += 2)
        client += data(s, "body" + QByteArray::number(s), true);
    // Answers in reverse order, interleaved with the server's DATA frames.
    for (std::uint32_t s = 5; s >= 1 && s <= 5; s -= 2)
        server += headers(sd, s, {{":status", "201"}, {"x-served-by", "node-a"}}, false);
    for (std::uint32_t s = 5; s >= 1 && s <= 5; s -= 2)
        server += data(s, "done" + QByteArray::number(s), true);

    Http2Connection h2;
    const auto xs = decode(h2, {client, server}, client.size() / 2, server.size() / 3);
    QCOMPARE(xs.size(), 3u);
    for (const HttpExchange &x : xs) {
        const QByteArray n = QByteArray::number(x.streamId);
        QCOMPARE(x.request.method, QByteArray("POST"));
        QCOMPARE(x.request.target, "/item/" + n);
        QCOMPARE(x.request.header("x-long-custom-header"), QByteArray(300, 'v'));
        QCOMPARE(x.request.body, "body" + n);
        QCOMPARE(x.response.status, 201);
        QCOMPARE(x.response.header("x-served-by"), QByteArray("node-a"));
        QCOMPARE(x.response.body, "done" + n);
        QCOMPARE(x.index, std::uint64_t(x.streamId / 2)); // in order of opening
    }
    QCOMPARE(xs[0].streamId, 5u); // completed first
    QCOMPARE(h2.stats().streams, 3u);
}

void TestHttp2Connection::continuationAndPadding()
{
    Deflater cd, sd;
    Fields many = {{":method", "GET"}, {":scheme", "https"}, {":authority", "a"}, {":path", "/c"}};
    for (int i = 0; i < 40; ++i)
        many.append({"x-field-" + QByteArray::number(i), QByteArray(50, char('a' + i % 26))});
    const QByteArray block = cd.block(many);
    QVERIFY(block.size() > 300);
    // HEADERS (padded, no END_HEADERS) + CONTINUATION + CONTINUATION(END_HEADERS)
    const qsizetype a = block.size() / 3, b = 2 * block.size() / 3;
    QByteArray padded = QByteArray(1, char(7)) + block.left(a) + QByteArray(7, '\0');
    QByteArray client = preface() + settings({}) + frame(1, 0x8 | 0x1, 1, padded)
                        + frame(9, 0, 1, block.mid(a, b - a)) + frame(9, 0x4, 1, block.mid(b));
    QByteArray server = settings({}) + headers(sd, 1, {{":status", "204"}}, true);
    for (const qsizetype cut :
         {qsizetype(0), qsizetype(30), qsizetype(a + 40), client.size() - 1}) {
        Http2Connection h2;
        const auto xs = decode(h2, {client, server}, cut, 3);
        QCOMPARE(xs.size(), 1u);
        QCOMPARE(xs[0].request.headers.size(), many.size());
        QCOMPARE(xs[0].request.header("x-field-39"), QByteArray(50, char('a' + 39 % 26)));
        QCOMPARE(xs[0].response.status, 204);
        QCOMPARE(xs[0].request.headBytes,
                 std::uint64_t(client.size() - preface().size() - settings({}).size()));
    }
    // A frame between the pieces of a header block is a protocol error: decoding stops.
    Http2Connection bad;
    const QByteArray broken
            = preface() + frame(1, 0, 1, block.left(a)) + frame(6, 0, 0, QByteArray(8, '\0'));
    bad.clientData(bytes(broken), std::size_t(broken.size()), 1);
    QCOMPARE(bad.state(), Http2Connection::State::Stopped);
    QVERIFY2(bad.stopReason().contains(QLatin1String("between the pieces")),
             qPrintable(bad.stopReason()));
}

void TestHttp2Connection::paddedDataAndPriority()
{
    Deflater cd, sd;
    const QByteArray block = cd.block(
            {{":method", "PUT"}, {":scheme", "http"}, {":authority", "p"}, {":path", "/p"}});
    // HEADERS with PADDED and PRIORITY: pad length, stream dependency + weight, block, padding
    const QByteArray hp = QByteArray(1, char(3)) + u32(0) + QByteArray(1, char(15)) + block
                          + QByteArray(3, '\0');
    QByteArray client = preface() + settings({}) + frame(1, 0x4 | 0x8 | 0x20, 1, hp)
                        + frame(0, 0x8, 1, QByteArray(1, char(5)) + "abc" + QByteArray(5, '\0'))
                        + frame(0, 0x8 | 0x1, 1, QByteArray(1, char(0)) + "def");
    QByteArray server = settings({}) + headers(sd, 1, {{":status", "200"}}, true);
    for (qsizetype cut = 0; cut <= client.size(); ++cut) {
        Http2Connection h2;
        const auto xs = decode(h2, {client, server}, cut, 0);
        QCOMPARE(xs.size(), 1u);
        QCOMPARE(xs[0].request.method, QByteArray("PUT"));
        QCOMPARE(xs[0].request.body, QByteArray("abcdef"));
        QCOMPARE(xs[0].request.bodyBytes, 6u);
    }
    // Padding longer than the payload stops decoding
    Http2Connection bad;
    const QByteArray worse = preface() + frame(0, 0x8, 1, QByteArray(1, char(9)) + "ab");
    bad.clientData(bytes(worse), std::size_t(worse.size()), 1);
    QCOMPARE(bad.state(), Http2Connection::State::Stopped);
}

void TestHttp2Connection::tableSizeUpdateAfterAck()
{
    // The client allows the server's encoder 64 bytes of table; once the server acknowledged,
    // its encoder starts the next block with a table size update (RFC 7541 4.2, 6.3).
    Deflater cd, sd;
    QByteArray client = preface() + settings({{1, 64}})
                        + headers(cd, 1,
                                  {{":method", "GET"},
                                   {":scheme", "http"},
                                   {":authority", "t"},
                                   {":path", "/1"}},
                                  true);
    client += headers(
            cd, 3, {{":method", "GET"}, {":scheme", "http"}, {":authority", "t"}, {":path", "/2"}},
            true);
    QByteArray server = settings({});
    server += settingsAck();
    sd.changeTableSize(64);
    server += headers(sd, 1, {{":status", "200"}, {"x-a", QByteArray(40, 'a')}}, true);
    server += headers(sd, 3, {{":status", "200"}, {"x-a", QByteArray(40, 'a')}}, true);
    Http2Connection h2;
    const auto xs = decode(h2, {client, server}, 10, 10);
    QVERIFY2(h2.state() == Http2Connection::State::Decoding, qPrintable(h2.stopReason()));
    QCOMPARE(xs.size(), 2u);
    QCOMPARE(xs[1].response.header("x-a"), QByteArray(40, 'a'));
}

void TestHttp2Connection::tableSizeChangeIgnoredByEncoderStops()
{
    // An encoder that ignores the acknowledged smaller table sends no size update: the
    // inflater (told about the SETTINGS) refuses the block instead of decoding it wrongly.
    Deflater cd, sd;
    QByteArray client = preface() + settings({{1, 64}})
                        + headers(cd, 1,
                                  {{":method", "GET"},
                                   {":scheme", "http"},
                                   {":authority", "t"},
                                   {":path", "/1"}},
                                  true);
    QByteArray server = settings({}) + settingsAck() + headers(sd, 1, {{":status", "200"}}, true);
    Http2Connection h2;
    const auto xs = decode(h2, {client, server}, 0, 0);
    QCOMPARE(h2.state(), Http2Connection::State::Stopped);
    QVERIFY2(h2.stopReason().startsWith(QLatin1String("HPACK decoding failed")),
             qPrintable(h2.stopReason()));
    QCOMPARE(xs.size(), 1u); // the request, its response lost
    QVERIFY(!xs[0].hasResponse);
}

void TestHttp2Connection::gapStopsDecoding_data()
{
    QTest::addColumn<bool>("clientSide");
    QTest::addRow("client") << true;
    QTest::addRow("server") << false;
}

void TestHttp2Connection::gapStopsDecoding()
{
    QFETCH(bool, clientSide);
    Deflater cd, sd;
    QByteArray client = preface() + settings({})
                        + headers(cd, 1,
                                  {{":method", "POST"},
                                   {":scheme", "http"},
                                   {":authority", "g"},
                                   {":path", "/g"}},
                                  false)
                        + data(1, "part one", false);
    const QByteArray server
            = settings({}) + headers(sd, 1, {{":status", "200"}}, false) + data(1, "x", false);
    Http2Connection h2;
    h2.clientData(bytes(client), std::size_t(client.size()), 1);
    h2.serverData(bytes(server), std::size_t(server.size()), 2);
    if (clientSide)
        h2.clientGap(1400, 3);
    else
        h2.serverGap(1400, 3);
    QCOMPARE(h2.state(), Http2Connection::State::Stopped);
    QVERIFY2(h2.stopReason().contains(QLatin1String("1400 bytes missing")),
             qPrintable(h2.stopReason()));
    QVERIFY(h2.stopReason().contains(clientSide ? QStringLiteral("client → server")
                                                : QStringLiteral("server → client")));
    auto xs = h2.takeExchanges();
    QCOMPARE(xs.size(), 1u);
    QCOMPARE(xs[0].request.incomplete, HttpMessage::Incomplete::Gap);
    QCOMPARE(xs[0].response.incomplete, HttpMessage::Incomplete::Gap);
    // Nothing after the gap is decoded, even bytes that are valid frames.
    h2.clientData(bytes(client), std::size_t(client.size()), 4);
    h2.finish(5);
    QVERIFY(h2.takeExchanges().empty());
}

void TestHttp2Connection::midstreamJoinIsNotDecoded()
{
    Deflater cd, sd;
    // The capture starts after the preface and the first header blocks: frames only.
    cd.block({{":method", "GET"}, {":path", "/seen-before"}}); // the missed block
    const QByteArray client = headers(cd, 3,
                                      {{":method", "GET"},
                                       {":scheme", "http"},
                                       {":authority", "m"},
                                       {":path", "/m"}},
                                      true)
                              + frame(8, 0, 0, u32(1000));
    const QByteArray server = headers(sd, 3, {{":status", "200"}}, true);
    Http2Connection h2;
    h2.startMidstream();
    h2.serverData(bytes(server), std::size_t(server.size()), 1);
    h2.clientData(bytes(client), std::size_t(client.size()), 2);
    QCOMPARE(h2.state(), Http2Connection::State::Stopped);
    QVERIFY(h2.isHttp2());
    QCOMPARE(h2.stopReason(),
             QStringLiteral("joined mid-stream: HTTP/2 cannot be decoded (HPACK state missed)"));
    h2.finish(3);
    QVERIFY(h2.takeExchanges().empty());

    // Joined mid-stream, but the client's first bytes are the preface: decoded.
    const Conversation c = simpleGet();
    Http2Connection late;
    late.startMidstream();
    QCOMPARE(decode(late, c, 5, 5).size(), 1u);

    // Joined mid-stream on HTTP/1.x: not HTTP/2 at all.
    Http2Connection h1;
    h1.startMidstream();
    const QByteArray get("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    h1.clientData(bytes(get), std::size_t(get.size()), 1);
    QCOMPARE(h1.state(), Http2Connection::State::NotHttp2);
    QVERIFY(!h1.isHttp2());
}

void TestHttp2Connection::notHttp2()
{
    for (const QByteArray &start :
         {QByteArray("GET / HTTP/1.1\r\n"), QByteArray("PRI * HTTP/2.0\r\n\r\nXX"),
          QByteArray::fromHex("16030100")}) {
        Http2Connection h2;
        h2.clientData(bytes(start), std::size_t(start.size()), 1);
        QCOMPARE(h2.state(), Http2Connection::State::NotHttp2);
    }
    // A prefix of the preface waits for more.
    Http2Connection wait;
    wait.clientData(bytes(preface()), 10, 1);
    QCOMPARE(wait.state(), Http2Connection::State::Detecting);
}

void TestHttp2Connection::resetStream()
{
    Deflater cd, sd;
    const QByteArray client = preface() + settings({})
                              + headers(cd, 1,
                                        {{":method", "GET"},
                                         {":scheme", "http"},
                                         {":authority", "r"},
                                         {":path", "/slow"}},
                                        true)
                              + frame(3, 0, 1, u32(8)); // CANCEL
    const QByteArray server
            = settings({}) + headers(sd, 1, {{":status", "200"}}, false) + data(1, "par", false);
    Http2Connection h2;
    const auto xs = decode(h2, {client, server}, client.size(), 0);
    QCOMPARE(xs.size(), 1u);
    // The client's RST_STREAM came first in this feed order: no response was seen yet.
    QVERIFY(xs[0].wasReset);
    QCOMPARE(xs[0].resetCode, 8u);
    QCOMPARE(h2.stats().resets, 1u);
    QCOMPARE(h2.state(), Http2Connection::State::Decoding); // the server's frames are ignored
}

void TestHttp2Connection::closedStreamIdNotReused()
{
    // Stream 1 ends; a later header block on stream 1 opens nothing: ids only grow (RFC 9113
    // 5.1.1), and it is counted. Stream 3 after it is decoded. Found by fuzz_http2.
    Deflater cd, sd;
    const Fields get{{":method", "GET"}, {":scheme", "http"}, {":authority", "t"}, {":path", "/a"}};
    const QByteArray client1 = preface() + settings({}) + headers(cd, 1, get, true);
    const QByteArray server1 = settings({}) + headers(sd, 1, {{":status", "200"}}, true);
    QByteArray client2 = headers(cd, 1, get, true);
    client2 += headers(cd, 3, get, true);
    const QByteArray server2 = headers(sd, 3, {{":status", "204"}}, true);
    seeds().try_emplace(QStringLiteral("closedStreamIdNotReused"),
                        Conversation{client1 + client2, server1 + server2});
    Http2Connection h2;
    std::vector<HttpExchange> xs;
    std::int64_t ts = 1;
    for (const auto &[fromClient, piece] : {std::pair{true, client1}, std::pair{false, server1},
                                            std::pair{true, client2}, std::pair{false, server2}}) {
        if (fromClient)
            h2.clientData(bytes(piece), std::size_t(piece.size()), ts++);
        else
            h2.serverData(bytes(piece), std::size_t(piece.size()), ts++);
        for (HttpExchange &x : h2.takeExchanges())
            xs.push_back(std::move(x));
    }
    QVERIFY2(h2.state() == Http2Connection::State::Decoding, qPrintable(h2.stopReason()));
    QCOMPARE(xs.size(), 2u);
    QCOMPARE(xs[0].streamId, 1u);
    QCOMPARE(xs[0].response.status, 200);
    QCOMPARE(xs[1].streamId, 3u);
    QCOMPARE(xs[1].response.status, 204);
    QCOMPARE(h2.stats().closedStreamBlocks, 1u);
    QCOMPARE(h2.openStreams(), 0u); // no second stream 1 waiting for an answer
}

void TestHttp2Connection::bodyLimitsAndHash()
{
    QByteArray big;
    for (int i = 0; i < 5000; ++i)
        big += QByteArray::number(i) + ',';
    Deflater cd, sd;
    QByteArray client = preface() + settings({})
                        + headers(cd, 1,
                                  {{":method", "GET"},
                                   {":scheme", "http"},
                                   {":authority", "b"},
                                   {":path", "/big"}},
                                  true);
    QByteArray server = settings({}) + headers(sd, 1, {{":status", "200"}}, false);
    for (qsizetype i = 0; i < big.size(); i += 1000)
        server += data(1, big.mid(i, 1000), i + 1000 >= big.size());
    HttpParser::Limits limits;
    limits.keepBodyBytes = 100;
    Http2Connection h2(limits);
    const auto xs = decode(h2, {client, server}, 0, 333);
    QCOMPARE(xs.size(), 1u);
    QCOMPARE(xs[0].response.body, big.left(100));
    QVERIFY(!xs[0].response.bodyKeptWhole);
    QCOMPARE(xs[0].response.bodyBytes, std::uint64_t(big.size()));
    QCOMPARE(xs[0].response.bodyHash, HttpParser::hashBody(big));
}

void TestHttp2Connection::grpcUnaryWithTrailers()
{
    // helloworld.HelloRequest{name = "podtap"}; HelloReply{message = "Hi", nested{1: 7}}
    const QByteArray req = pbLen(1, "podtap");
    const QByteArray reply = pbLen(1, "Hi") + pbLen(2, pbVarint(1, 7) + pbVarint(2, 300));
    Deflater cd, sd;
    QByteArray client = preface() + settings({})
                        + headers(cd, 1,
                                  {{":method", "POST"},
                                   {":scheme", "http"},
                                   {":authority", "g"},
                                   {":path", "/helloworld.Greeter/SayHello"},
                                   {"content-type", "application/grpc"},
                                   {"te", "trailers"}},
                                  false)
                        + data(1, grpcMessage(req), true);
    QByteArray server
            = settings({})
              + headers(sd, 1, {{":status", "200"}, {"content-type", "application/grpc"}}, false)
              + data(1, grpcMessage(reply), false);
    server += headers(sd, 1, {{"grpc-status", "0"}, {"grpc-message", "all%20good"}}, true);
    Http2Connection h2;
    const auto xs = decode(h2, {client, server}, 40, 20);
    QCOMPARE(xs.size(), 1u);
    const HttpExchange &x = xs[0];
    QVERIFY(x.grpc.has_value());
    QCOMPARE(x.grpc->service, QByteArray("helloworld.Greeter"));
    QCOMPARE(x.grpc->method, QByteArray("SayHello"));
    QCOMPARE(x.grpc->status, 0);
    QCOMPARE(x.grpc->statusMessage, QByteArray("all good"));
    QCOMPARE(x.response.trailer("grpc-status"), QByteArray("0"));
    QCOMPARE(x.grpc->requests.size(), 1u);
    QCOMPARE(x.grpc->responses.size(), 1u);
    QCOMPARE(x.grpc->requests[0].data, req);
    const auto fields = ProtobufWireView::parse(x.grpc->responses[0].data);
    QVERIFY(fields);
    QCOMPARE(ProtobufWireView::find(*fields, {1})->bytes, QByteArray("Hi"));
    QCOMPARE(ProtobufWireView::find(*fields, {2, 2})->value, 300u);
    QVERIFY(x.grpc->error.isEmpty());
    QVERIFY(x.toJson().value(QLatin1String("grpc")).isObject());
}

void TestHttp2Connection::grpcCompressedAndTrailersOnly()
{
    const QByteArray m1 = pbLen(1, QByteArray(500, 'z'));
    const QByteArray m2 = pbVarint(3, 42);
    Deflater cd, sd;
    QByteArray client = preface() + settings({})
                        + headers(cd, 1,
                                  {{":method", "POST"},
                                   {":scheme", "http"},
                                   {":authority", "g"},
                                   {":path", "/pkg.Svc/Stream"},
                                   {"content-type", "application/grpc+proto"},
                                   {"grpc-encoding", "gzip"}},
                                  false)
                        + data(1, grpcMessage(gzip(m1), true) + grpcMessage(m2), true);
    client += headers(cd, 3,
                      {{":method", "POST"},
                       {":scheme", "http"},
                       {":authority", "g"},
                       {":path", "/pkg.Svc/Missing"},
                       {"content-type", "application/grpc"}},
                      false)
              + data(3, grpcMessage("\x01\x02\x03", true), true);
    QByteArray server = settings({})
                        + headers(sd, 1,
                                  {{":status", "200"},
                                   {"content-type", "application/grpc"},
                                   {"grpc-status", "12"},
                                   {"grpc-message", "unimplemented%3A no"}},
                                  true);
    server += headers(sd, 3, {{":status", "200"}, {"grpc-status", "3"}}, true);
    Http2Connection h2;
    const auto xs = decode(h2, {client, server}, 0, 0);
    QCOMPARE(xs.size(), 2u);
    const GrpcCall &a = *xs[0].grpc;
    QCOMPARE(a.method, QByteArray("Stream"));
    QCOMPARE(a.status, 12); // Trailers-Only
    QCOMPARE(a.statusMessage, QByteArray("unimplemented: no"));
    QCOMPARE(a.requests.size(), 2u);
    QVERIFY(a.requests[0].compressed);
    QCOMPARE(a.requests[0].data, m1);
    QCOMPARE(a.requests[1].data, m2);
    const GrpcCall &b = *xs[1].grpc;
    QCOMPARE(b.status, 3);
    QCOMPARE(b.requests.size(), 1u);
    QVERIFY(!b.requests[0].whole); // compressed flag, no grpc-encoding
    QVERIFY(b.requests[0].error.contains(QLatin1String("without grpc-encoding")));
    // A prefix announcing more bytes than the body holds
    QString error;
    const auto cut = GrpcCall::splitMessages(QByteArray("\0\0\0\0\x10"
                                                        "abc",
                                                        8),
                                             true, true, {}, &error);
    QCOMPARE(cut.size(), 1u);
    QVERIFY(!cut[0].whole);
    QVERIFY(error.contains(QLatin1String("cut short")));
}

void TestHttp2Connection::protobufWireView()
{
    const QByteArray inner = pbVarint(1, 150) + pbLen(2, "testing");
    const QByteArray msg = pbVarint(1, 1) + pbLen(3, inner) + varint(4 << 3 | 5)
                           + QByteArray("\x01\0\0\0", 4) + varint(5 << 3 | 1)
                           + QByteArray(8, '\xff') + pbLen(6, QByteArray("\xff\xfe", 2));
    const auto fields = ProtobufWireView::parse(msg);
    QVERIFY(fields);
    QCOMPARE(fields->size(), 5u);
    QCOMPARE(ProtobufWireView::find(*fields, {3, 1})->value, 150u);
    QCOMPARE(ProtobufWireView::find(*fields, {3, 2})->bytes, QByteArray("testing"));
    QVERIFY(ProtobufWireView::find(*fields, {3, 2})->isText);
    QCOMPARE(ProtobufWireView::find(*fields, {4})->value, 1u);
    QCOMPARE(ProtobufWireView::find(*fields, {5})->value, ~0ULL);
    QVERIFY(!ProtobufWireView::find(*fields, {6})->isMessage); // 0xff 0xfe: a bad tag
    const QByteArray text = ProtobufWireView::toText(*fields);
    QVERIFY2(text.contains("3 {\n  1: 150\n  2: \"testing\"\n}\n"), text.constData());
    // Not messages: truncated varint, length past the end, field 0, wire type 7, an open group
    for (const QByteArray &bad :
         {QByteArray("\x08\x96", 2),
          QByteArray("\x12\x05"
                     "ab",
                     4),
          QByteArray("\x00\x01", 2), QByteArray("\x0f\x01", 2), QByteArray("\x0b\x08\x01", 3)})
        QVERIFY2(!ProtobufWireView::parse(bad), bad.toHex().constData());
    // A group: 1 { 1: 1 }
    const auto group = ProtobufWireView::parse(QByteArray("\x0b\x08\x01\x0c", 4));
    QVERIFY(group);
    QCOMPARE(ProtobufWireView::find(*group, {1, 1})->value, 1u);
    // Depth: 40 nested levels parse as nested only up to the limit, then as bytes
    QByteArray deep = pbVarint(1, 5);
    for (int i = 0; i < 40; ++i)
        deep = pbLen(1, deep);
    const auto d = ProtobufWireView::parse(deep, 8);
    QVERIFY(d);
    int levels = 0;
    const std::vector<ProtobufWireView::Field> *level = &*d;
    while (!level->empty() && level->front().isMessage) {
        level = &level->front().nested;
        ++levels;
    }
    QCOMPARE(levels, 7);
}

void TestHttp2Connection::protobufGarbageNeverCrashes()
{
    QRandomGenerator rng(19);
    for (int i = 0; i < 20000; ++i) {
        QByteArray junk(qsizetype(rng.bounded(64)), '\0');
        for (char &c : junk)
            c = char(rng.bounded(256));
        if (const auto f = ProtobufWireView::parse(junk))
            (void)ProtobufWireView::toText(*f);
        (void)GrpcCall::splitMessages(junk, true, false, "gzip");
    }
}

void TestHttp2Connection::sinkDecodesOnlyWhenOn()
{
    const Conversation c = simpleGet();
    for (const bool on : {false, true}) {
        std::vector<HttpExchange> got;
        HttpSink sink(
                [&](const TcpConnection &, HttpExchange &&x) { got.push_back(std::move(x)); });
        sink.setHttp2Decoding(on);
        TcpConnection conn;
        conn.id = 1;
        sink.connectionOpened(conn);
        sink.data(conn, Direction::ClientToServer, bytes(c.client), 3, 1);
        sink.data(conn, Direction::ClientToServer, bytes(c.client) + 3,
                  std::size_t(c.client.size() - 3), 2);
        sink.data(conn, Direction::ServerToClient, bytes(c.server), std::size_t(c.server.size()),
                  3);
        sink.connectionClosed(conn);
        sink.connectionRemoved(conn);
        QCOMPARE(got.size(), on ? 1u : 0u);
        QCOMPARE(sink.stats().http2Connections, on ? 1u : 0u);
        QCOMPARE(sink.stats().otherConnections, on ? 0u : 1u);
        if (on)
            QCOMPARE(got[0].request.target, QByteArray("/index.html"));
    }
}

QTEST_GUILESS_MAIN(TestHttp2Connection)
#include "tst_http2connection.moc"
