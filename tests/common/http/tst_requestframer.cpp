// RequestFramer: what the mirror hands to the local build when bytes of a client's
// HTTP/1.x stream are lost. Every case builds a real keep-alive request stream, removes a
// byte range (a capture gap), feeds the rest in segments of a given size, and checks that
// exactly the requests the gap did not touch come out, byte for byte, and that the counts
// say what was lost.
#include "http/requestframer.h"

#include <QTest>

using namespace podtap;

namespace {

struct Stream
{
    QList<QByteArray> requests;
    QList<qsizetype> offsets; // of each request in all()
    QByteArray all;
    void add(const QByteArray &r)
    {
        offsets << all.size();
        requests << r;
        all += r;
    }
    // Requests whose bytes intersect [from, to).
    QList<int> touched(qsizetype from, qsizetype to) const
    {
        QList<int> t;
        for (int i = 0; i < requests.size(); ++i) {
            const qsizetype a = offsets[i], b = a + requests[i].size();
            if (a < to && from < b)
                t << i;
        }
        return t;
    }
};

QByteArray get(int n, const QByteArray &extra = {})
{
    return "GET /items/" + QByteArray::number(n) + "?q=" + QByteArray(n % 7, 'x')
           + " HTTP/1.1\r\nHost: pod\r\nUser-Agent: t\r\nAccept: */*\r\n" + extra + "\r\n";
}

QByteArray post(int n, const QByteArray &body)
{
    return "POST /items/" + QByteArray::number(n) + " HTTP/1.1\r\nHost: pod\r\nContent-Length: "
           + QByteArray::number(body.size()) + "\r\nContent-Type: application/json\r\n\r\n" + body;
}

QByteArray chunked(int n)
{
    return "PUT /blobs/" + QByteArray::number(n)
           + " HTTP/1.1\r\nHost: pod\r\nTransfer-Encoding: chunked\r\n\r\n"
             "10;ext=1\r\n0123456789abcdef\r\n"
             "20\r\nabcdefghijklmnopqrstuvwxyzABCDEF\r\n"
             "0\r\nX-Trailer: done\r\n\r\n";
}

// A mixed keep-alive stream: GETs, a Content-Length POST, a chunked PUT with trailers, and a
// POST whose JSON body carries a complete request as text.
Stream mixed()
{
    Stream s;
    for (int i = 0; i < 4; ++i)
        s.add(get(i));
    s.add(post(4, QByteArray(600, 'p')));
    s.add(get(5));
    s.add(chunked(6));
    s.add(get(7));
    s.add(post(8, "{\"note\":\"GET /admin HTTP/1.1\r\nHost: evil\r\n\r\n\",\"tail\":\""
                          + QByteArray(300, 't') + "\"}"));
    for (int i = 9; i < 14; ++i)
        s.add(get(i));
    return s;
}

struct Result
{
    QByteArray bytes;
    std::vector<std::uint64_t> requests;
    int resets = 0;
    RequestFramer::Counts counts;
    bool tls = false;
};

Result run(const QByteArray &stream, qsizetype gapFrom, qsizetype gapTo, qsizetype segment,
           bool idleAtEnd = true, bool midstream = false)
{
    RequestFramer::Options o;
    o.midstream = midstream;
    RequestFramer f(o);
    RequestFramer::Output out;
    Result r;
    auto drain = [&] {
        r.bytes += out.bytes;
        r.requests.insert(r.requests.end(), out.requests.begin(), out.requests.end());
        r.resets += out.resetLocal ? 1 : 0;
        out.clear();
    };
    auto feedRange = [&](qsizetype a, qsizetype b) {
        for (qsizetype p = a; p < b; p += segment) {
            const qsizetype n = std::min(segment, b - p);
            f.data(reinterpret_cast<const std::uint8_t *>(stream.constData() + p), std::size_t(n),
                   p, out);
            drain();
        }
    };
    feedRange(0, gapFrom);
    if (gapTo > gapFrom) {
        f.gap(std::uint64_t(gapTo - gapFrom), gapFrom, out);
        drain();
    }
    feedRange(gapTo, stream.size());
    if (idleAtEnd) {
        f.idle(out);
        f.idle(out);
        drain();
    }
    f.finish(stream.size(), out);
    drain();
    r.counts = f.counts();
    r.tls = f.isTls();
    return r;
}

// A TLS stream's first flight as a mesh client sends it: a ClientHello record (the handshake
// body's bytes do not matter to the framer), then application_data records.
QByteArray tlsStream()
{
    QByteArray hello("\x16\x03\x01\x00\x60\x01\x00\x00\x5c\x03\x03", 11);
    hello += QByteArray(0x60 - 6, '\x42');
    QByteArray s = hello;
    for (int i = 0; i < 3; ++i)
        s += QByteArray("\x17\x03\x03\x01\x00", 5) + QByteArray(0x100, char(0x80 + i));
    return s;
}

} // namespace

class TestRequestFramer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void noGapIsByteExact_data();
    void noGapIsByteExact();
    void gapCostsOnlyTouchedRequests_data();
    void gapCostsOnlyTouchedRequests();
    void requestTextInsideABodyIsNotABoundary();
    void midstreamJoinStartsAtNextRequest();
    void lostStartOfStream();
    void notHttpStopsAtAGap();
    void largeRequestIsStreamedAndResetOnGap();
    void pipelinedBurstGap();
    void tlsIsNeverHandedOut_data();
    void tlsIsNeverHandedOut();
    void shortStreamIsNotHeldForTls();
    void http2IsByteExactFromItsPreface_data();
    void http2IsByteExactFromItsPreface();
    void http2StopsAtAGap();
    void http2IsNeverJoinedMidstream();
    void prefaceLikeHttp1IsStillHttp1();
};

void TestRequestFramer::noGapIsByteExact_data()
{
    QTest::addColumn<int>("segment");
    for (const int s : {1, 7, 100, 1460, 1 << 20})
        QTest::addRow("segment %d", s) << s;
}

void TestRequestFramer::noGapIsByteExact()
{
    QFETCH(int, segment);
    const Stream s = mixed();
    const Result r = run(s.all, 0, 0, segment);
    QCOMPARE(r.bytes, s.all);
    QCOMPARE(int(r.requests.size()), int(s.requests.size()));
    QCOMPARE(r.counts.requestsMirrored, quint64(s.requests.size()));
    QCOMPARE(r.counts.requestsLost, 0u);
    QCOMPARE(r.counts.bytesLost, 0u);
    QVERIFY(!r.counts.lostAtLeast);
    QCOMPARE(r.resets, 0);
}

void TestRequestFramer::gapCostsOnlyTouchedRequests_data()
{
    QTest::addColumn<qsizetype>("from");
    QTest::addColumn<qsizetype>("to");
    QTest::addColumn<int>("segment");
    QTest::addColumn<bool>("exact"); // the loss count is exact (gap inside a known body)
    const Stream s = mixed();
    auto at = [&](int req, const QByteArray &needle) {
        const qsizetype i = s.requests[req].indexOf(needle);
        Q_ASSERT(i >= 0);
        return s.offsets[req] + i;
    };
    for (const int seg : {7, 1460}) {
        QTest::addRow("request line, seg %d", seg)
                << at(2, "/items") << at(2, "/items") + 5 << seg << false;
        QTest::addRow("headers, seg %d", seg)
                << at(3, "User-Agent") << at(3, "Accept") << seg << false;
        QTest::addRow("Content-Length body, seg %d", seg)
                << at(4, "ppp") + 10 << at(4, "ppp") + 200 << seg << true;
        QTest::addRow("chunk size line, seg %d", seg)
                << at(6, "20\r\n") << at(6, "20\r\n") + 3 << seg << false;
        QTest::addRow("chunk data, seg %d", seg)
                << at(6, "ghijkl") + 2 << at(6, "ghijkl") + 12 << seg << true;
        QTest::addRow("trailers, seg %d", seg)
                << at(6, "X-Trailer") << at(6, "X-Trailer") + 4 << seg << false;
        QTest::addRow("exactly one whole request, seg %d", seg)
                << s.offsets[5] << s.offsets[6] << seg << false;
        QTest::addRow("between two requests and into the next, seg %d", seg)
                << s.offsets[1] << s.offsets[1] + 3 << seg << false;
        QTest::addRow("spanning several requests, seg %d", seg)
                << at(1, "Host") << at(5, "Accept") << seg << false;
        QTest::addRow("into the body with request text, seg %d", seg)
                << at(8, "Content-Type") << at(8, "note") << seg << false;
        QTest::addRow("first bytes (SYN lost with them), seg %d", seg)
                << qsizetype(0) << qsizetype(20) << seg << false;
    }
}

void TestRequestFramer::gapCostsOnlyTouchedRequests()
{
    QFETCH(qsizetype, from);
    QFETCH(qsizetype, to);
    QFETCH(int, segment);
    QFETCH(bool, exact);
    const Stream s = mixed();
    const QList<int> touched = s.touched(from, to);
    QVERIFY(!touched.isEmpty());
    QByteArray expected;
    std::vector<std::uint64_t> expectedIds;
    for (int i = 0; i < s.requests.size(); ++i) {
        if (!touched.contains(i))
            expected += s.requests[i];
    }
    const Result r = run(s.all, from, to, segment);
    // Every untouched request arrives whole and in order; nothing touched, nothing invented.
    QCOMPARE(r.bytes, expected);
    QCOMPARE(r.counts.requestsMirrored, quint64(s.requests.size() - touched.size()));
    // Each touched request is counted lost: exactly when the gap sat in a known body, else
    // at least the ones a parser can see were cut (the count says it is a minimum).
    QVERIFY(r.counts.requestsLost >= 1);
    QVERIFY(r.counts.requestsLost <= quint64(touched.size()));
    QCOMPARE(r.counts.lostAtLeast, !exact);
    if (exact)
        QCOMPARE(r.counts.requestsLost, quint64(touched.size()));
    // Bytes: the gap plus every received byte of the touched requests.
    qsizetype touchedBytes = 0;
    for (const int i : touched)
        touchedBytes += s.requests[i].size();
    QCOMPARE(r.counts.bytesLost, quint64(touchedBytes));
    QCOMPARE(r.resets, 0); // small requests are held whole: the local connection goes on
}

void TestRequestFramer::requestTextInsideABodyIsNotABoundary()
{
    // The gap cuts request 8's head: its JSON body holds "GET /admin HTTP/1.1 … Host: evil".
    // Whatever the segmentation, that text is not taken for a request.
    const Stream s = mixed();
    const qsizetype from = s.offsets[8] + 5;
    for (int seg = 1; seg <= 64; ++seg) {
        const Result r = run(s.all, from, from + 10, seg);
        QVERIFY2(!r.bytes.contains("/admin"), qPrintable(QString::number(seg)));
        QVERIFY(r.bytes.endsWith(s.requests.last()));
        QCOMPARE(r.counts.requestsMirrored, quint64(s.requests.size() - 1));
    }
}

void TestRequestFramer::midstreamJoinStartsAtNextRequest()
{
    const Stream s = mixed();
    const qsizetype join = s.offsets[4] + 30; // inside the POST's head
    RequestFramer::Options o;
    o.midstream = true;
    RequestFramer f(o);
    RequestFramer::Output out;
    const QByteArray tail = s.all.mid(join);
    f.data(reinterpret_cast<const std::uint8_t *>(tail.constData()), std::size_t(tail.size()), 0,
           out);
    f.finish(1, out);
    QCOMPARE(out.bytes, s.all.mid(s.offsets[5]));
    const auto c = f.counts();
    QCOMPARE(c.requestsLost, 0u); // a join loses nothing: it starts where it can
    QCOMPARE(c.bytesLost, 0u);
    QCOMPARE(c.bytesBeforeJoin, quint64(s.offsets[5] - join));
}

void TestRequestFramer::lostStartOfStream()
{
    // The connection's first segment (and SYN) were lost: the next request is found.
    const Stream s = mixed();
    const Result r = run(s.all, 0, s.offsets[1] + 4, 1460);
    QCOMPARE(r.bytes, s.all.mid(s.offsets[2]));
    QVERIFY(r.counts.lostAtLeast);
    QCOMPARE(r.counts.requestsLost, 1u);
}

void TestRequestFramer::notHttpStopsAtAGap()
{
    const QByteArray redis("*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n");
    const Result clean = run(redis, 0, 0, 5);
    QCOMPARE(clean.bytes, redis); // not HTTP: byte-exact as before
    RequestFramer f;
    RequestFramer::Output out;
    f.data(reinterpret_cast<const std::uint8_t *>(redis.constData()), 14, 0, out);
    QCOMPARE(out.bytes, redis.left(14));
    out.clear();
    f.gap(3, 1, out);
    QVERIFY(out.resetLocal);
    QVERIFY(f.stopped());
    QVERIFY(f.stopReason().contains(QLatin1String("not HTTP")));
    f.data(reinterpret_cast<const std::uint8_t *>(redis.constData() + 17), 5, 2, out);
    QVERIFY(out.bytes.isEmpty());
}

void TestRequestFramer::largeRequestIsStreamedAndResetOnGap()
{
    RequestFramer::Options o;
    o.holdLimit = 4096;
    RequestFramer f(o);
    RequestFramer::Output out;
    const QByteArray big = post(1, QByteArray(20000, 'b'));
    const QByteArray next = get(2);
    f.data(reinterpret_cast<const std::uint8_t *>(big.constData()), 8000, 0, out);
    QCOMPARE(out.bytes, big.left(8000)); // streamed: the local build starts on it at once
    out.clear();
    f.gap(1000, 1, out);
    QVERIFY(out.resetLocal); // it has part of a request that cannot be finished
    f.data(reinterpret_cast<const std::uint8_t *>(big.constData() + 9000),
           std::size_t(big.size() - 9000), 2, out);
    f.data(reinterpret_cast<const std::uint8_t *>(next.constData()), std::size_t(next.size()), 3,
           out);
    f.finish(4, out);
    QCOMPARE(out.bytes, next); // the next request, on the fresh connection
    QCOMPARE(f.counts().requestsLost, 1u);
    QVERIFY(!f.counts().lostAtLeast);
}

void TestRequestFramer::pipelinedBurstGap()
{
    // Ten pipelined GETs in one segment, the middle of the burst lost.
    Stream s;
    for (int i = 0; i < 10; ++i)
        s.add(get(100 + i));
    const qsizetype from = s.offsets[3] + 10, to = s.offsets[6] + 10;
    const Result r = run(s.all, from, to, 1 << 20);
    QCOMPARE(r.bytes, s.all.left(s.offsets[3]) + s.all.mid(s.offsets[7]));
    QCOMPARE(r.counts.requestsMirrored, 6u);
    QVERIFY(r.counts.lostAtLeast);
    QVERIFY(r.counts.requestsLost >= 1 && r.counts.requestsLost <= 4);
}

void TestRequestFramer::tlsIsNeverHandedOut_data()
{
    QTest::addColumn<qsizetype>("from"); // where the capture joined
    QTest::addColumn<qsizetype>("segment");
    QTest::addColumn<bool>("midstream");
    for (const qsizetype seg : {1, 5, 6, 1448})
        QTest::addRow("ClientHello, %lld-byte segments", qlonglong(seg))
                << qsizetype(0) << seg << false;
    QTest::addRow("joined at a record") << qsizetype(0x65) << qsizetype(1448) << true;
    QTest::addRow("joined inside a record") << qsizetype(0x65 + 40) << qsizetype(100) << true;
}

void TestRequestFramer::tlsIsNeverHandedOut()
{
    QFETCH(qsizetype, from);
    QFETCH(qsizetype, segment);
    QFETCH(bool, midstream);
    const QByteArray stream = tlsStream().mid(from);
    const Result r = run(stream, 0, 0, segment, true, midstream);
    QVERIFY(r.tls);
    QVERIFY(r.bytes.isEmpty());
    QCOMPARE(r.resets, 0);
    QCOMPARE(r.counts.requestsSeen, 0u);
    QCOMPARE(r.counts.bytesLost, 0u); // not meant for the local build: nothing lost
}

void TestRequestFramer::shortStreamIsNotHeldForTls()
{
    // Too short to tell (a record type byte, then the end or a gap): handed on as before.
    for (const bool gap : {false, true}) {
        RequestFramer f;
        RequestFramer::Output out;
        f.data(reinterpret_cast<const std::uint8_t *>("\x16\x03"), 2, 0, out);
        QVERIFY(out.bytes.isEmpty());
        QVERIFY(!f.tlsDecided());
        if (gap) {
            f.gap(10, 2, out);
            QVERIFY(f.tlsDecided());
            QVERIFY(!f.isTls());
        } else {
            f.finish(2, out);
            QCOMPARE(out.bytes, QByteArray("\x16\x03"));
        }
    }
    // HTTP is known from its first byte: nothing waits for the detector.
    RequestFramer f;
    RequestFramer::Output out;
    f.data(reinterpret_cast<const std::uint8_t *>("G"), 1, 0, out);
    QVERIFY(f.tlsDecided());
    QVERIFY(!f.isTls());
}

// The client side of an h2c connection: preface, SETTINGS, a HEADERS frame (bytes as HPACK
// would give them; the framer does not decode them), a DATA frame with END_STREAM.
QByteArray http2Client()
{
    QByteArray s(Http2Connection::Preface.data(), Http2Connection::Preface.size());
    s += QByteArray("\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64", 15);
    const QByteArray block("\x83\x86\x84\x41\x8a\x08\x9d\x5c\x0b\x81\x70\xdc\x78\x0f\x03", 15);
    s += QByteArray("\x00\x00", 2) + char(block.size()) + QByteArray("\x01\x04\x00\x00\x00\x01", 6)
         + block;
    const QByteArray data("hello, h2");
    s += QByteArray("\x00\x00", 2) + char(data.size()) + QByteArray("\x00\x01\x00\x00\x00\x01", 6)
         + data;
    return s;
}

void TestRequestFramer::http2IsByteExactFromItsPreface_data()
{
    QTest::addColumn<int>("segment");
    for (const int n : {1, 3, 23, 24, 25, 1460})
        QTest::addRow("segment %d", n) << n;
}

void TestRequestFramer::http2IsByteExactFromItsPreface()
{
    QFETCH(int, segment);
    const QByteArray s = http2Client();
    RequestFramer f;
    RequestFramer::Output out;
    QByteArray got;
    for (qsizetype p = 0; p < s.size(); p += segment) {
        f.data(reinterpret_cast<const std::uint8_t *>(s.constData() + p),
               std::size_t(std::min<qsizetype>(segment, s.size() - p)), p, out);
        got += out.bytes;
        QVERIFY(!out.resetLocal);
        out.clear();
    }
    f.finish(s.size(), out);
    got += out.bytes;
    QCOMPARE(got, s);
    QVERIFY(f.isHttp2());
    QVERIFY(f.isRaw());
    QCOMPARE(f.counts().bytesLost, 0u);
    QCOMPARE(f.counts().requestsSeen, 0u);
}

void TestRequestFramer::http2StopsAtAGap()
{
    const QByteArray s = http2Client();
    RequestFramer f;
    RequestFramer::Output out;
    f.data(reinterpret_cast<const std::uint8_t *>(s.constData()), 40, 0, out);
    QCOMPARE(out.bytes, s.left(40));
    out.clear();
    f.gap(10, 1, out);
    QVERIFY(out.resetLocal);
    QVERIFY(f.stopped());
    QVERIFY(f.isHttp2());
    QVERIFY2(f.stopReason().contains(QLatin1String("HTTP/2 cannot be resynchronised")),
             qPrintable(f.stopReason()));
    QCOMPARE(f.counts().bytesLost, 10u);
    out.clear();
    f.data(reinterpret_cast<const std::uint8_t *>(s.constData() + 50), std::size_t(s.size() - 50),
           2, out);
    QVERIFY(out.bytes.isEmpty());
    // A gap inside the preface: not known to be HTTP/2, and nothing after it is handed out.
    RequestFramer g;
    out.clear();
    g.data(reinterpret_cast<const std::uint8_t *>(s.constData()), 10, 0, out);
    QVERIFY(out.bytes.isEmpty()); // held: maybe the preface
    g.gap(20, 1, out);
    QVERIFY(!g.isHttp2());
    QVERIFY(g.stopped() || out.bytes.isEmpty());
}

void TestRequestFramer::http2IsNeverJoinedMidstream()
{
    const QByteArray s = http2Client();
    const qsizetype afterPreface = Http2Connection::Preface.size();
    // Joined at the SETTINGS frame: HTTP/2 frames, never handed out, nothing counted lost.
    const Result r = run(s.mid(afterPreface) + s.mid(afterPreface), 0, 0, 7, true, true);
    QVERIFY(r.bytes.isEmpty());
    RequestFramer::Options o;
    o.midstream = true;
    RequestFramer f(o);
    RequestFramer::Output out;
    f.data(reinterpret_cast<const std::uint8_t *>(s.constData() + afterPreface),
           std::size_t(s.size() - afterPreface), 0, out);
    QVERIFY(out.bytes.isEmpty()); // held while the TLS detector's window is not full
    f.finish(1, out);
    QVERIFY(out.bytes.isEmpty());
    QVERIFY(f.stopped());
    QVERIFY(f.isHttp2());
    QVERIFY2(f.stopReason().contains(QLatin1String("HTTP/2 cannot be joined")),
             qPrintable(f.stopReason()));
    QCOMPARE(f.counts().bytesLost, 0u);
    // Joined HTTP/1.x still finds its next request.
    const Stream m = mixed();
    const Result h1 = run(m.all, 0, 0, 1460, true, true);
    QVERIFY(!h1.bytes.isEmpty());
}

void TestRequestFramer::prefaceLikeHttp1IsStillHttp1()
{
    // Requests starting with the preface's first letters are held only until they differ.
    for (const QByteArray &req :
         {QByteArray("PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"),
          QByteArray("PRI /b HTTP/1.1\r\nHost: x\r\n\r\n"),
          QByteArray("POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nz")}) {
        const Result r = run(req + req, 0, 0, 1);
        QCOMPARE(r.bytes, req + req);
        RequestFramer f;
        RequestFramer::Output out;
        f.data(reinterpret_cast<const std::uint8_t *>(req.constData()), std::size_t(req.size()), 0,
               out);
        QVERIFY(!f.isHttp2());
        QCOMPARE(out.requests.size(), 1u);
    }
}

QTEST_GUILESS_MAIN(TestRequestFramer)
#include "tst_requestframer.moc"
