// HTTP/1.x parsing and request/response pairing on reassembled streams: framing rules of
// RFC 9112 (Content-Length, chunked, no-body responses, 1xx, HEAD, CONNECT/101), every split
// point, gaps, truncation and hostile input.
#include "http/httpconversation.h"
#include "http/httpparser.h"

#include <QTest>

using namespace podtap;

namespace {

const std::uint8_t *bytes(const QByteArray &b)
{
    return reinterpret_cast<const std::uint8_t *>(b.constData());
}

// Feeds a whole conversation, the client side first, in pieces of `chunk` bytes.
std::vector<HttpExchange> converse(const QByteArray &client, const QByteArray &server,
                                   int chunk = 1 << 20, HttpConversation *out = nullptr)
{
    HttpConversation local;
    HttpConversation &c = out ? *out : local;
    for (qsizetype i = 0; i < client.size(); i += chunk)
        c.clientData(bytes(client) + i, size_t(std::min<qsizetype>(chunk, client.size() - i)),
                     1000 + i);
    for (qsizetype i = 0; i < server.size(); i += chunk)
        c.serverData(bytes(server) + i, size_t(std::min<qsizetype>(chunk, server.size() - i)),
                     5000 + i);
    c.finish(9000);
    return c.takeExchanges();
}

} // namespace

class TestHttpParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everySplitPointGivesTheSameExchanges_data();
    void everySplitPointGivesTheSameExchanges();
    void noBodyResponses();
    void interimResponsesAreCountedNotPaired();
    void responseUntilClose();
    void chunkedAndLengthBodiesHashAlike();
    void bodyHashIsXxh64InAnyPieces();
    void notHttpIsDetectedAtOnce_data();
    void notHttpIsDetectedAtOnce();
    void malformedFramingBreaksOff_data();
    void malformedFramingBreaksOff();
    void headLimitBoundsMemory();
    void gapInsideAKnownBodyIsSkipped();
    void gapInAHeadResynchronises();
    void truncatedMessageAtEnd();
    void tunnelsStopParsing();
    void keptBodyIsBounded();
    void unansweredRequestsComeOutAtTheEnd();
    void waitingMessagesAreBounded();
};

void TestHttpParser::everySplitPointGivesTheSameExchanges_data()
{
    QTest::addColumn<QByteArray>("client");
    QTest::addColumn<QByteArray>("server");
    QTest::addColumn<QStringList>("expected"); // "METHOD target status bodyBytes"

    QTest::addRow("one GET") << QByteArray("GET /users/7 HTTP/1.1\r\nHost: a\r\n\r\n")
                             << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
                             << QStringList{QStringLiteral("GET /users/7 200 5")};
    QTest::addRow("pipelined, POST with a body")
            << QByteArray("GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz"
                          "GET /c HTTP/1.1\r\n\r\n")
            << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 201 Created\r\n"
                          "Content-Length: 2\r\n\r\nbbHTTP/1.1 404 Not Found\r\n"
                          "Content-Length: 0\r\n\r\n")
            << QStringList{QStringLiteral("GET /a 200 1"), QStringLiteral("POST /b 201 2"),
                           QStringLiteral("GET /c 404 0")};
    QTest::addRow("chunked both ways, extensions and trailers")
            << QByteArray("POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "4;name=x\r\nabcd\r\n2\r\nef\r\n0\r\nX-Sum: 1\r\n\r\n")
            << QByteArray("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n"
                          "A\r\n0123456789\r\n0\r\n\r\n")
            << QStringList{QStringLiteral("POST /up 200 10")};
    QTest::addRow("LF-only lines, leading empty line")
            << QByteArray("\r\nGET /x HTTP/1.0\nHost: a\n\n")
            << QByteArray("HTTP/1.0 200 OK\nContent-Length: 2\n\nok")
            << QStringList{QStringLiteral("GET /x 200 2")};
    QTest::addRow("HEAD then GET")
            << QByteArray("HEAD /h HTTP/1.1\r\n\r\nGET /h HTTP/1.1\r\n\r\n")
            << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"
                          "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody")
            << QStringList{QStringLiteral("HEAD /h 200 0"), QStringLiteral("GET /h 200 4")};
}

void TestHttpParser::everySplitPointGivesTheSameExchanges()
{
    QFETCH(QByteArray, client);
    QFETCH(QByteArray, server);
    QFETCH(QStringList, expected);
    for (int chunk : {1, 2, 3, 7, 13, 1 << 20}) {
        QStringList got;
        for (const HttpExchange &x : converse(client, server, chunk)) {
            QVERIFY(x.hasResponse);
            QVERIFY2(x.request.isComplete() && x.response.isComplete(),
                     qPrintable(QString::number(chunk)));
            got << QStringLiteral("%1 %2 %3 %4")
                            .arg(QString::fromLatin1(x.request.method),
                                 QString::fromLatin1(x.request.target))
                            .arg(x.response.status)
                            .arg(x.response.bodyBytes);
        }
        QCOMPARE(got, expected);
    }
}

void TestHttpParser::noBodyResponses()
{
    // 204 and 304 carry no body even with a Content-Length (RFC 9112 6.3).
    const auto xs
            = converse("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n",
                       "HTTP/1.1 204 No Content\r\n\r\n"
                       "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"
                       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    QCOMPARE(int(xs.size()), 3);
    QCOMPARE(xs[0].response.status, 204);
    QCOMPARE(xs[1].response.status, 304);
    QCOMPARE(xs[1].response.bodyBytes, 0u);
    QCOMPARE(xs[2].response.body, QByteArray("ok"));
}

void TestHttpParser::interimResponsesAreCountedNotPaired()
{
    const auto xs
            = converse("POST /p HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
                       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
                       "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    QCOMPARE(int(xs.size()), 1);
    QCOMPARE(xs[0].response.status, 201);
    QCOMPARE(xs[0].interimResponses, 2);
}

void TestHttpParser::responseUntilClose()
{
    const auto xs
            = converse("GET / HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\nall of it until FIN");
    QCOMPARE(int(xs.size()), 1);
    QVERIFY(xs[0].response.isComplete());
    QCOMPARE(xs[0].response.body, QByteArray("all of it until FIN"));
}

void TestHttpParser::chunkedAndLengthBodiesHashAlike()
{
    const auto a = converse("GET / HTTP/1.1\r\n\r\n",
                            "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world");
    const auto b
            = converse("GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
                                                 "\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    QCOMPARE(a[0].response.bodyHash, b[0].response.bodyHash);
    QCOMPARE(a[0].response.bodyBytes, b[0].response.bodyBytes);
    QVERIFY(b[0].response.chunked);
}

void TestHttpParser::bodyHashIsXxh64InAnyPieces()
{
    // Reference values from `xxhsum -H64`.
    QCOMPARE(HttpParser::hashBody(""), 0xef46db3751d8e999ULL);
    QCOMPARE(HttpParser::hashBody("a"), 0xd24ec4f1a98c6e5bULL);
    QCOMPARE(HttpParser::hashBody("abc"), 0x44bc2cf5ad770999ULL);
    QCOMPARE(HttpParser::hashBody("0123456789abcdefghijklmnopqrstu"), 0x80adfc1d42020f39ULL);
    QCOMPARE(HttpParser::hashBody("0123456789abcdefghijklmnopqrstuv"), 0xbf7c9dbe16b5c6e2ULL);
    QCOMPARE(HttpParser::hashBody("0123456789abcdefghijklmnopqrstuvw"), 0xe97423e605e2f3b4ULL);
    QByteArray body(1000, Qt::Uninitialized);
    for (int i = 0; i < body.size(); ++i)
        body[i] = char(i * 7 % 251);
    QCOMPARE(HttpParser::hashBody(body), 0x023fd2ed1ff957d5ULL);

    // The streaming hash does not depend on how the body is cut (stripes of 32 bytes).
    const QByteArray request("GET / HTTP/1.1\r\n\r\n");
    const QByteArray response = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + body;
    for (const int chunk : {1, 3, 31, 32, 33, 64, 999}) {
        const auto xs = converse(request, response, chunk);
        QCOMPARE(int(xs.size()), 1);
        QCOMPARE(xs[0].response.bodyHash, 0x023fd2ed1ff957d5ULL);
    }
    QByteArray chunked("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int at = 0; at < body.size(); at += 77)
        chunked += QByteArray::number(std::min<qsizetype>(77, body.size() - at), 16) + "\r\n"
                   + body.mid(at, 77) + "\r\n";
    chunked += "0\r\n\r\n";
    QCOMPARE(converse(request, chunked, 5)[0].response.bodyHash, 0x023fd2ed1ff957d5ULL);
}

void TestHttpParser::notHttpIsDetectedAtOnce_data()
{
    QTest::addColumn<QByteArray>("prefix");
    QTest::addRow("TLS ClientHello") << QByteArray::fromHex("160301020001");
    QTest::addRow("binary") << QByteArray("\x00\x01\x02\x03", 4);
    QTest::addRow("lower-case word") << QByteArray("hello there\r\n");
    QTest::addRow("redis") << QByteArray("*1\r\n$4\r\nPING\r\n");
    QTest::addRow("postgres startup") << QByteArray::fromHex("0000000804d2162f");
    QTest::addRow("method without version") << QByteArray("GET /\r\n\r\n");
    QTest::addRow("HTTP/2 preface") << QByteArray("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
}

void TestHttpParser::notHttpIsDetectedAtOnce()
{
    QFETCH(QByteArray, prefix);
    HttpConversation c;
    c.clientData(bytes(prefix), size_t(prefix.size()), 1);
    QCOMPARE(c.kind(), HttpConversation::Kind::NotHttp);
    const QByteArray more(100000, 'G');
    c.clientData(bytes(more), size_t(more.size()), 2);
    c.serverData(bytes(more), size_t(more.size()), 3);
    c.finish(4);
    QVERIFY(c.takeExchanges().empty());
}

void TestHttpParser::malformedFramingBreaksOff_data()
{
    QTest::addColumn<QByteArray>("server");
    QTest::addColumn<QString>("error");
    QTest::addRow("bad chunk size")
            << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
            << QStringLiteral("a bad chunk size");
    QTest::addRow("chunk size overflow") << QByteArray(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n")
                                         << QStringLiteral("a bad chunk size");
    QTest::addRow("chunk longer than its size")
            << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n")
            << QStringLiteral("chunk data longer than its size");
    QTest::addRow("conflicting lengths")
            << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")
            << QStringLiteral("an invalid or conflicting Content-Length");
    QTest::addRow("negative length") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")
                                     << QStringLiteral("an invalid or conflicting Content-Length");
    QTest::addRow("header without colon")
            << QByteArray("HTTP/1.1 200 OK\r\nbroken header\r\n\r\n")
            << QStringLiteral("a header line without a name and colon");
    QTest::addRow("garbage after a message")
            << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n\x01\x02garbage")
            << QStringLiteral("bytes between messages are not HTTP");
}

void TestHttpParser::malformedFramingBreaksOff()
{
    QFETCH(QByteArray, server);
    QFETCH(QString, error);
    HttpConversation c;
    const QByteArray client("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
    c.clientData(bytes(client), size_t(client.size()), 1);
    c.serverData(bytes(server), size_t(server.size()), 2);
    QCOMPARE(c.responses().state(), HttpParser::State::Broken);
    QCOMPARE(c.responses().error(), error);
    const QByteArray more("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    c.serverData(bytes(more), size_t(more.size()), 3); // ignored: framing is lost
    c.finish(4);
    const auto xs = c.takeExchanges();
    QVERIFY(!xs.empty());
    QVERIFY(int(xs.size()) <= 2);
    // Never a complete answer that the parser could not frame.
    const HttpExchange &last = xs.back();
    QVERIFY(!last.hasResponse || !last.response.isComplete() || xs.size() == 2);
}

void TestHttpParser::headLimitBoundsMemory()
{
    HttpParser p(HttpMessage::Kind::Request);
    const QByteArray start("GET / HTTP/1.1\r\n");
    p.feed(bytes(start), size_t(start.size()), 1);
    const QByteArray header("X-Big: " + QByteArray(1000, 'a') + "\r\n");
    for (int i = 0; i < 200; ++i)
        p.feed(bytes(header), size_t(header.size()), 2);
    QCOMPARE(p.state(), HttpParser::State::Broken);
    const auto ms = p.takeMessages();
    QCOMPARE(int(ms.size()), 1);
    QCOMPARE(ms[0].incomplete, HttpMessage::Incomplete::HeadTooLarge);
    QVERIFY(p.bytesIgnored() > 100000);
}

void TestHttpParser::gapInsideAKnownBodyIsSkipped()
{
    HttpConversation c;
    const QByteArray req("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
    c.clientData(bytes(req), size_t(req.size()), 1);
    const QByteArray head("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    c.serverData(bytes(head), size_t(head.size()), 2);
    c.serverGap(4, 3);
    const QByteArray rest("hij"
                          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    c.serverData(bytes(rest), size_t(rest.size()), 4);
    const auto xs = c.takeExchanges();
    QCOMPARE(int(xs.size()), 2);
    QCOMPARE(xs[0].response.incomplete, HttpMessage::Incomplete::Gap);
    QCOMPARE(xs[0].response.missingBytes, 4u);
    QCOMPARE(xs[0].response.bodyBytes, 10u);
    QVERIFY(xs[1].response.isComplete());
    QCOMPARE(xs[1].response.body, QByteArray("ok"));
}

void TestHttpParser::gapInAHeadResynchronises()
{
    HttpConversation c;
    const QByteArray req("GET /a HTTP/1.1\r\nHost: x");
    c.clientData(bytes(req), size_t(req.size()), 1);
    c.clientGap(100, 2);
    // Where the next request starts is unknown: the parser looks for it (Resync).
    QCOMPARE(c.requests().state(), HttpParser::State::Resync);
    c.finish(3);
    const auto xs = c.takeExchanges();
    QCOMPARE(int(xs.size()), 1);
    QCOMPARE(xs[0].request.incomplete, HttpMessage::Incomplete::Gap);
    QVERIFY(!xs[0].hasResponse);
}

void TestHttpParser::truncatedMessageAtEnd()
{
    const auto xs = converse("GET / HTTP/1.1\r\n\r\n",
                             "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
    QCOMPARE(int(xs.size()), 1);
    QCOMPARE(xs[0].response.incomplete, HttpMessage::Incomplete::Truncated);
    QCOMPARE(xs[0].response.bodyBytes, 9u);
}

void TestHttpParser::tunnelsStopParsing()
{
    HttpConversation c;
    const QByteArray req("CONNECT db:5432 HTTP/1.1\r\n\r\n\x16\x03\x01 tls bytes");
    const QByteArray resp("HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03 more");
    c.clientData(bytes(req), size_t(req.size()), 1);
    c.serverData(bytes(resp), size_t(resp.size()), 2);
    QCOMPARE(c.responses().state(), HttpParser::State::Tunnel);
    c.finish(3);
    const auto xs = c.takeExchanges();
    QCOMPARE(int(xs.size()), 1);
    QCOMPARE(xs[0].response.status, 200);

    HttpConversation ws;
    const QByteArray up("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    const QByteArray sw(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello");
    ws.clientData(bytes(up), size_t(up.size()), 1);
    ws.serverData(bytes(sw), size_t(sw.size()), 2);
    QCOMPARE(ws.responses().state(), HttpParser::State::Tunnel);
    // The client's frames after the 101 belong to the tunnel: the request side is not broken.
    const QByteArray frame("\x81\x85\x01\x02\x03\x04hello", 11);
    ws.clientData(bytes(frame), size_t(frame.size()), 3);
    QVERIFY(ws.requests().state() != HttpParser::State::Broken);
    ws.finish(4);
    QCOMPARE(int(ws.takeExchanges().size()), 1);
}

void TestHttpParser::keptBodyIsBounded()
{
    HttpParser::Limits limits;
    limits.keepBodyBytes = 16;
    HttpConversation c(limits);
    const QByteArray req("GET / HTTP/1.1\r\n\r\n");
    const QByteArray resp("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n"
                          + QByteArray(1000000, 'x'));
    const auto xs = converse(req, resp, 4096, &c);
    QCOMPARE(int(xs.size()), 1);
    QCOMPARE(xs[0].response.bodyBytes, 1000000u);
    QCOMPARE(xs[0].response.body.size(), 16);
    QVERIFY(!xs[0].response.bodyKeptWhole);
    QVERIFY(xs[0].response.isComplete());
}

void TestHttpParser::unansweredRequestsComeOutAtTheEnd()
{
    HttpParser::Limits limits;
    limits.keepBodyBytes = 16;
    HttpConversation c(limits);
    const QByteArray req("GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n");
    const QByteArray resp("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + QByteArray(100, 'x'));
    c.clientData(bytes(req), size_t(req.size()), 1);
    c.serverData(bytes(resp), size_t(resp.size()), 2);
    auto xs = c.takeExchanges();
    QCOMPARE(int(xs.size()), 1);
    QCOMPARE(xs[0].response.body.size(), 16);
    QVERIFY(!xs[0].response.bodyKeptWhole);
    c.finish(3);
    xs = c.takeExchanges();
    QCOMPARE(int(xs.size()), 1);
    QCOMPARE(xs[0].request.target, QByteArray("/2"));
    QVERIFY(!xs[0].hasResponse);
    QCOMPARE(xs[0].latencyNs(), -1);
}

void TestHttpParser::waitingMessagesAreBounded()
{
    // A one-way capture (no answers at all) on a long keep-alive connection: requests come
    // out unanswered as they pile up, not all at the end.
    HttpConversation oneWay;
    for (int i = 0; i < 1000; ++i) {
        const QByteArray r = "GET /" + QByteArray::number(i) + " HTTP/1.1\r\n\r\n";
        oneWay.clientData(bytes(r), size_t(r.size()), i);
    }
    auto early = oneWay.takeExchanges();
    QCOMPARE(int(early.size()), 1000 - 256);
    oneWay.finish(2000);
    const auto rest = oneWay.takeExchanges();
    QCOMPARE(int(rest.size()), 256);
    QCOMPARE(rest.back().index, 999u);
    QCOMPARE(rest.back().request.target, QByteArray("/999"));

    // Answers lagging 300 requests behind: the early-released requests' answers are
    // dropped, the others still pair with their own request.
    HttpConversation lag;
    QByteArray client, server;
    for (int i = 0; i < 300; ++i) {
        client += "GET /" + QByteArray::number(i) + " HTTP/1.1\r\n\r\n";
        const QByteArray body = "r" + QByteArray::number(i);
        server += "HTTP/1.1 200 OK\r\nContent-Length: " + QByteArray::number(body.size())
                  + "\r\n\r\n" + body;
    }
    const auto xs = converse(client, server, 1 << 20, &lag);
    QCOMPARE(int(xs.size()), 300);
    int answered = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        QCOMPARE(xs[i].index, i);
        if (xs[i].hasResponse) {
            ++answered;
            QCOMPARE("r" + xs[i].request.target.mid(1), xs[i].response.body);
        }
    }
    QCOMPARE(answered, 256);
    QCOMPARE(lag.unpairedResponses(), 44u);

    // The server side broke: later requests cannot be answered and come out at once.
    HttpConversation broken;
    const QByteArray first("GET / HTTP/1.1\r\n\r\n");
    const QByteArray garbage("HTTP/1.1 200 OK\r\nContent-Length: zz\r\n\r\n");
    broken.clientData(bytes(first), size_t(first.size()), 1);
    broken.serverData(bytes(garbage), size_t(garbage.size()), 2);
    QCOMPARE(broken.responses().state(), HttpParser::State::Broken);
    QCOMPARE(int(broken.takeExchanges().size()), 1);
    for (int i = 0; i < 10; ++i) {
        broken.clientData(bytes(first), size_t(first.size()), 3 + i);
        const auto now = broken.takeExchanges();
        QCOMPARE(int(now.size()), 1);
        QVERIFY(!now[0].hasResponse);
    }
}

QTEST_GUILESS_MAIN(TestHttpParser)
#include "tst_httpparser.moc"
