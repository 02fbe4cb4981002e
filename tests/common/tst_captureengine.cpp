// Unit tests of the capture engine on crafted captures: exact control over sequence
// numbers, order, loss and headers. Real-traffic tests live in tests/capture.
#include "capture/captureengine.h"
#include "pcapbuilder.h"
#include "recordingsink.h"

#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap;

namespace {

constexpr quint8 F = 0x01, S = 0x02, R = 0x04, A = 0x10, PA = 0x18;

QByteArray pattern(int n, int seed = 0)
{
    QByteArray b(n, 0);
    for (int i = 0; i < n; ++i)
        b[i] = char('a' + (i * 7 + seed) % 26);
    return b;
}

// A scripted connection: client 198.18.0.2:40000 → server 198.18.0.1:8080.
struct Script
{
    PcapBuilder pcap{PcapBuilder::Link::Ethernet};
    quint32 cisn = 1000, sisn = 5000;
    qint64 ts = 1'700'000'000'000'000;

    PcapBuilder::Tcp c2s(quint32 seq, quint8 flags, const QByteArray &payload = {}, quint32 ack = 0)
    {
        PcapBuilder::Tcp t;
        t.seq = seq;
        t.ack = ack;
        t.flags = flags;
        t.payload = payload;
        return t;
    }
    PcapBuilder::Tcp s2c(quint32 seq, quint8 flags, const QByteArray &payload = {}, quint32 ack = 0)
    {
        PcapBuilder::Tcp t = c2s(seq, flags, payload, ack);
        std::swap(t.srcIp, t.dstIp);
        std::swap(t.srcPort, t.dstPort);
        return t;
    }
    void add(const PcapBuilder::Tcp &t, qint64 stepUs = 10)
    {
        ts += stepUs;
        pcap.add(t, ts);
    }
    void handshake()
    {
        add(c2s(cisn, S));
        add(s2c(sisn, S | A, {}, cisn + 1));
        add(c2s(cisn + 1, A, {}, sisn + 1));
    }
};

RecordingSink run(const QByteArray &bytes, EngineConfig config = {}, std::size_t chunk = 65536,
                  CaptureEngine **keep = nullptr)
{
    RecordingSink sink;
    CaptureEngine engine(config);
    engine.setSink(&sink);
    QRandomGenerator rng(42);
    qsizetype pos = 0;
    while (pos < bytes.size()) {
        const qsizetype n = chunk == 0 ? qsizetype(rng.bounded(1, 3000)) : qsizetype(chunk);
        const qsizetype take = std::min(n, bytes.size() - pos);
        engine.feed(reinterpret_cast<const std::uint8_t *>(bytes.constData() + pos),
                    std::size_t(take));
        pos += take;
    }
    engine.finish();
    Q_UNUSED(keep);
    return sink;
}

} // namespace

class TestCaptureEngine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void wholeConnection_data();
    void wholeConnection();
    void outOfOrderDuplicatesAndOverlaps();
    void overlapConflictFirstWins();
    void sequenceWraparound();
    void gapFromPeerAckAtClose();
    void gapFromHoleTimeout();
    void gapFromConnectionCap();
    void gapFromGlobalCap();
    void snaplenTruncatedPayloadIsGap();
    void midstreamServerSide();
    void resetMidStream();
    void closedConnectionIsNotOpenWhileItLingers();
    void keepAliveIsNotRetransmission();
    void portReuseStartsNewConnection();
    void newStreamKeepsConnections();
    void truncatedStreamReportsOffsetAndKeepsEarlierData();
    void linkTypes_data();
    void linkTypes();
    void malformedHeadersCounted();
    void bpfFilter();
    void badFilterReportsLibpcapError();
    void pcapngViaEditcap();
};

void TestCaptureEngine::wholeConnection_data()
{
    QTest::addColumn<qsizetype>("chunk");
    QTest::addColumn<bool>("nano");
    QTest::addColumn<bool>("bigEndian");
    QTest::addRow("64k") << qsizetype(65536) << false << false;
    QTest::addRow("1 byte") << qsizetype(1) << false << false;
    QTest::addRow("7 bytes") << qsizetype(7) << true << false;
    QTest::addRow("random") << qsizetype(0) << false << true;
    QTest::addRow("ns big-endian") << qsizetype(13) << true << true;
}

void TestCaptureEngine::wholeConnection()
{
    QFETCH(qsizetype, chunk);
    QFETCH(bool, nano);
    QFETCH(bool, bigEndian);
    Script s;
    s.pcap = PcapBuilder(PcapBuilder::Link::Ethernet, nano, bigEndian);
    s.handshake();
    const QByteArray req = pattern(300), resp = pattern(5000, 3);
    s.add(s.c2s(s.cisn + 1, PA, req, s.sisn + 1));
    quint32 sseq = s.sisn + 1;
    for (int off = 0; off < resp.size(); off += 1448) {
        s.add(s.s2c(sseq, PA, resp.mid(off, 1448), s.cisn + 301));
        sseq += quint32(resp.mid(off, 1448).size());
    }
    s.add(s.c2s(s.cisn + 301, F | A, {}, sseq));
    s.add(s.s2c(sseq, F | A, {}, s.cisn + 302));
    s.add(s.c2s(s.cisn + 302, A, {}, sseq + 1));

    RecordingSink sink = run(s.pcap.bytes(), {}, std::size_t(chunk));
    QVERIFY(!sink.orderViolation);
    QCOMPARE(sink.conns.size(), std::size_t(1));
    const auto &c = sink.conns.begin()->second;
    QCOMPARE(c.bytes[0], req);
    QCOMPARE(c.bytes[1], resp);
    QVERIFY(c.gaps[0].isEmpty() && c.gaps[1].isEmpty());
    QCOMPARE(c.final.state, ConnectionState::Closed);
    QCOMPARE(c.final.closeReason, CloseReason::Fin);
    QVERIFY(!c.final.midstream);
    QCOMPARE(QString::fromStdString(c.final.client.toString()), QStringLiteral("198.18.0.2:40000"));
    QCOMPARE(QString::fromStdString(c.final.server.toString()), QStringLiteral("198.18.0.1:8080"));
    QCOMPARE(c.packets, 3 + 1 + 4 + 3);
    QCOMPARE(c.final.stats[0].packets + c.final.stats[1].packets, quint64(c.packets));
}

void TestCaptureEngine::outOfOrderDuplicatesAndOverlaps()
{
    Script s;
    s.handshake();
    const QByteArray d = pattern(4000);
    const quint32 b = s.cisn + 1;
    // 1000..2000 arrives first, then 0..1000 twice, then an overlapping 1500..3000,
    // then 3000..4000 twice.
    s.add(s.c2s(b + 1000, PA, d.mid(1000, 1000)));
    s.add(s.c2s(b, PA, d.mid(0, 1000)));
    s.add(s.c2s(b, PA, d.mid(0, 1000)));
    s.add(s.c2s(b + 1500, PA, d.mid(1500, 1500)));
    s.add(s.c2s(b + 3000, PA, d.mid(3000, 1000)));
    s.add(s.c2s(b + 3000, PA, d.mid(3000, 1000)));
    RecordingSink sink = run(s.pcap.bytes(), {}, 0);
    const auto &c = sink.conns.begin()->second;
    QCOMPARE(c.bytes[0], d);
    QVERIFY(c.gaps[0].isEmpty());
    QCOMPARE(c.final.stats[0].outOfOrder, quint64(1));
    QCOMPARE(c.final.stats[0].retransmissions, quint64(3));
    QCOMPARE(c.final.stats[0].overlapConflicts, quint64(0));
}

void TestCaptureEngine::overlapConflictFirstWins()
{
    Script s;
    s.handshake();
    const quint32 b = s.cisn + 1;
    s.add(s.c2s(b + 10, PA, QByteArray(10, 'A'))); // buffered first
    s.add(s.c2s(b + 15, PA, QByteArray(10, 'B'))); // overlaps 15..20 with different bytes
    s.add(s.c2s(b, PA, QByteArray(10, 'x')));
    RecordingSink sink = run(s.pcap.bytes());
    const auto &c = sink.conns.begin()->second;
    QCOMPARE(c.bytes[0], QByteArray(10, 'x') + QByteArray(10, 'A') + QByteArray(5, 'B'));
    QCOMPARE(c.final.stats[0].overlapConflicts, quint64(1));
}

void TestCaptureEngine::sequenceWraparound()
{
    Script s;
    s.cisn = 0xffffff00u;
    s.sisn = 0xfffffff0u;
    s.handshake();
    const QByteArray d = pattern(3000), r = pattern(100, 9);
    quint32 seq = s.cisn + 1;
    // Out of order across the wrap: second half first.
    s.add(s.c2s(seq + 1500, PA, d.mid(1500)));
    s.add(s.c2s(seq, PA, d.left(1500)));
    s.add(s.s2c(s.sisn + 1, PA, r, seq + 3000));
    s.add(s.c2s(seq + 3000, F | A, {}, s.sisn + 101));
    s.add(s.s2c(s.sisn + 101, F | A, {}, seq + 3001));
    RecordingSink sink = run(s.pcap.bytes(), {}, 0);
    const auto &c = sink.conns.begin()->second;
    QCOMPARE(c.bytes[0], d);
    QCOMPARE(c.bytes[1], r);
    QVERIFY(c.gaps[0].isEmpty());
    QCOMPARE(c.final.state, ConnectionState::Closed);
}

void TestCaptureEngine::gapFromPeerAckAtClose()
{
    Script s;
    s.handshake();
    const QByteArray d = pattern(3000);
    const quint32 b = s.cisn + 1;
    s.add(s.c2s(b, PA, d.left(1000)));
    // 1000..2000 never captured; the server acknowledges it anyway.
    s.add(s.c2s(b + 2000, PA, d.mid(2000)));
    s.add(s.s2c(s.sisn + 1, A, {}, b + 3000));
    s.add(s.c2s(b + 3000, F | A, {}, s.sisn + 1));
    s.add(s.s2c(s.sisn + 1, F | A, {}, b + 3001));
    RecordingSink sink = run(s.pcap.bytes());
    const auto &c = sink.conns.begin()->second;
    QCOMPARE(c.trace[0], d.left(1000) + QByteArray(1000, '#') + d.mid(2000));
    QCOMPARE(c.final.stats[0].gapBytes, quint64(1000));
    QCOMPARE(c.final.stats[0].bytes, quint64(2000));
}

void TestCaptureEngine::gapFromHoleTimeout()
{
    Script s;
    s.handshake();
    const quint32 b = s.cisn + 1;
    s.add(s.c2s(b, PA, pattern(100)));
    s.add(s.s2c(s.sisn + 1, A, {}, b + 300)); // acks 100 bytes we never saw
    s.add(s.c2s(b + 300, PA, pattern(50, 1)), 10);
    // Two seconds later (capture time) the hole is declared before the connection ends.
    s.add(s.c2s(b + 350, PA, pattern(50, 2)), 2'000'000);
    RecordingSink sink;
    EngineConfig cfg;
    CaptureEngine engine(cfg);
    engine.setSink(&sink);
    const QByteArray bytes = s.pcap.bytes();
    engine.feed(reinterpret_cast<const std::uint8_t *>(bytes.constData()),
                std::size_t(bytes.size()));
    const auto &c = sink.conns.begin()->second;
    QCOMPARE(c.gaps[0], QList<quint64>{200});
    QCOMPARE(c.bytes[0], pattern(100) + pattern(50, 1) + pattern(50, 2));
    engine.finish();
}

void TestCaptureEngine::gapFromConnectionCap()
{
    Script s;
    s.handshake();
    const quint32 b = s.cisn + 1;
    // A hole at 0..100 that is never filled and never acknowledged; data keeps coming.
    for (int i = 0; i < 30; ++i)
        s.add(s.c2s(b + 100 + quint32(i) * 100, PA, pattern(100, i)));
    EngineConfig cfg;
    cfg.perConnectionBufferCap = 1000;
    RecordingSink sink = run(s.pcap.bytes(), cfg);
    const auto &c = sink.conns.begin()->second;
    QVERIFY(!c.gaps[0].isEmpty());
    QCOMPARE(c.gaps[0].constFirst(), quint64(100));
    QCOMPARE(c.final.stats[0].bytes, quint64(3000));
    QCOMPARE(c.final.stats[0].gapBytes, quint64(100));
}

void TestCaptureEngine::gapFromGlobalCap()
{
    PcapBuilder pcap;
    qint64 ts = 1'700'000'000'000'000;
    // Ten connections each with a hole and 600 buffered bytes; the global cap is 2000.
    for (int k = 0; k < 10; ++k) {
        PcapBuilder::Tcp t;
        t.srcPort = quint16(41000 + k);
        t.flags = S;
        t.seq = 100;
        pcap.add(t, ++ts);
        t.flags = PA;
        for (int i = 0; i < 6; ++i) {
            t.seq = 101 + 10 + quint32(i) * 100;
            t.payload = pattern(100, i);
            pcap.add(t, ++ts);
        }
    }
    EngineConfig cfg;
    cfg.globalBufferCap = 2000;
    RecordingSink sink;
    CaptureEngine engine(cfg);
    engine.setSink(&sink);
    const QByteArray bytes = pcap.bytes();
    engine.feed(reinterpret_cast<const std::uint8_t *>(bytes.constData()),
                std::size_t(bytes.size()));
    QVERIFY(engine.tracker().budget().peak <= 2000 + 100);
    engine.finish();
    for (const auto &[id, c] : sink.conns) {
        QCOMPARE(c.final.stats[0].bytes, quint64(600));
        QCOMPARE(c.final.stats[0].gapBytes, quint64(10));
    }
}

void TestCaptureEngine::snaplenTruncatedPayloadIsGap()
{
    Script s;
    s.handshake();
    auto t = s.c2s(s.cisn + 1, PA, pattern(1000));
    t.snapTo = 14 + 20 + 20 + 400; // only 400 payload bytes captured
    s.add(t);
    s.add(s.c2s(s.cisn + 1001, PA, pattern(10, 5)));
    RecordingSink sink = run(s.pcap.bytes());
    const auto &c = sink.conns.begin()->second;
    QCOMPARE(c.trace[0], pattern(1000).left(400) + QByteArray(600, '#') + pattern(10, 5));
}

void TestCaptureEngine::midstreamServerSide()
{
    for (const quint16 tapped : {quint16(8080), quint16(0)}) {
        Script s;
        auto t = s.c2s(777, PA, pattern(10));
        t.srcPort = 1000; // lower than the server's port
        s.add(t);
        EngineConfig cfg;
        cfg.tappedPort = tapped;
        RecordingSink sink = run(s.pcap.bytes(), cfg);
        const auto &c = sink.conns.begin()->second;
        QVERIFY(c.final.midstream);
        QCOMPARE(c.final.server.port, tapped ? quint16(8080) : quint16(1000));
        QCOMPARE(c.bytes[tapped ? 0 : 1], pattern(10));
    }
}

void TestCaptureEngine::resetMidStream()
{
    Script s;
    s.handshake();
    s.add(s.c2s(s.cisn + 1, PA, pattern(50)));
    s.add(s.s2c(s.sisn + 1, R | A, {}, s.cisn + 51));
    s.add(s.c2s(s.cisn + 51, PA, pattern(50))); // late: after the reset
    RecordingSink sink = run(s.pcap.bytes());
    const auto &c = sink.conns.begin()->second;
    QCOMPARE(c.final.state, ConnectionState::Reset);
    QCOMPARE(c.bytes[0], pattern(50));
    QCOMPARE(c.final.stats[0].latePackets, quint64(1));
}

void TestCaptureEngine::closedConnectionIsNotOpenWhileItLingers()
{
    // A closed connection stays tracked for late packets; "open" (what the session list
    // shows as open) must not count it.
    Script s;
    s.handshake();
    s.add(s.c2s(s.cisn + 1, F | A, {}, s.sisn + 1));
    s.add(s.s2c(s.sisn + 1, F | A, {}, s.cisn + 2));
    s.add(s.c2s(s.cisn + 2, A, {}, s.sisn + 2));
    PcapBuilder::Tcp syn = s.c2s(9000, S); // a second connection, still open
    syn.srcPort = 40001;
    s.add(syn);
    RecordingSink sink;
    CaptureEngine engine;
    engine.setSink(&sink);
    const QByteArray first = s.pcap.bytes();
    engine.feed(reinterpret_cast<const std::uint8_t *>(first.constData()),
                std::size_t(first.size()));
    QCOMPARE(engine.tracker().stats().active, std::uint64_t(2)); // one of them lingering
    QCOMPARE(engine.tracker().stats().open, std::uint64_t(1));
    engine.finish();
    QCOMPARE(engine.tracker().stats().active, std::uint64_t(0));
    QCOMPARE(engine.tracker().stats().open, std::uint64_t(0));
}

void TestCaptureEngine::keepAliveIsNotRetransmission()
{
    Script s;
    s.handshake();
    s.add(s.c2s(s.cisn + 1, PA, pattern(20)));
    s.add(s.c2s(s.cisn + 20, A, QByteArray(1, '\0'))); // Linux keep-alive: seq = nxt - 1
    RecordingSink sink = run(s.pcap.bytes());
    const auto &c = sink.conns.begin()->second;
    QCOMPARE(c.final.stats[0].keepAlives, quint64(1));
    QCOMPARE(c.final.stats[0].retransmissions, quint64(0));
    QCOMPARE(c.bytes[0], pattern(20));
}

void TestCaptureEngine::portReuseStartsNewConnection()
{
    Script s;
    s.handshake();
    s.add(s.c2s(s.cisn + 1, PA, pattern(5)));
    s.add(s.c2s(s.cisn + 6, F | A, {}, s.sisn + 1));
    s.add(s.s2c(s.sisn + 1, F | A, {}, s.cisn + 7));
    s.cisn = 90000;
    s.handshake();
    s.add(s.c2s(s.cisn + 1, PA, pattern(7, 1)));
    RecordingSink sink = run(s.pcap.bytes());
    QCOMPARE(sink.conns.size(), std::size_t(2));
    QCOMPARE(sink.conns[1].bytes[0], pattern(5));
    QCOMPARE(sink.conns[2].bytes[0], pattern(7, 1));
    QVERIFY(!sink.orderViolation);
}

void TestCaptureEngine::newStreamKeepsConnections()
{
    // A reconnect: the first tcpdump's stream ends mid-record, a new one starts with its
    // own header. The connection continues; the bytes lost in between become a gap.
    Script s;
    s.handshake();
    s.add(s.c2s(s.cisn + 1, PA, pattern(100)));
    QByteArray first = s.pcap.bytes();
    first.chop(30); // cut inside the last record
    Script s2;
    s2.add(s2.c2s(s.cisn + 101, PA, pattern(100, 1)));
    s2.add(s2.s2c(s.sisn + 1, A, {}, s.cisn + 201));
    RecordingSink sink;
    CaptureEngine engine;
    engine.setSink(&sink);
    engine.feed(reinterpret_cast<const std::uint8_t *>(first.constData()),
                std::size_t(first.size()));
    engine.beginStream();
    const QByteArray second = s2.pcap.bytes();
    engine.feed(reinterpret_cast<const std::uint8_t *>(second.constData()),
                std::size_t(second.size()));
    engine.finish();
    QCOMPARE(sink.conns.size(), std::size_t(1));
    const auto &c = sink.conns.begin()->second;
    QCOMPARE(c.trace[0], QByteArray(100, '#') + pattern(100, 1));
    QCOMPARE(engine.streamErrors().size(), std::size_t(1)); // the cut record is reported
    QCOMPARE(engine.streamErrors().front().streamId, 0u);
}

void TestCaptureEngine::truncatedStreamReportsOffsetAndKeepsEarlierData()
{
    Script s;
    s.handshake();
    s.add(s.c2s(s.cisn + 1, PA, pattern(100)));
    const qsizetype goodEnd = s.pcap.bytes().size();
    s.add(s.c2s(s.cisn + 101, PA, pattern(100, 1)));
    QByteArray bytes = s.pcap.bytes();
    bytes.truncate(goodEnd + 16 + 20); // header and part of the body of the last record
    CaptureEngine engine;
    RecordingSink sink;
    engine.setSink(&sink);
    engine.feed(reinterpret_cast<const std::uint8_t *>(bytes.constData()),
                std::size_t(bytes.size()));
    engine.finish();
    QCOMPARE(engine.streamErrors().size(), std::size_t(1));
    const StreamError &e = engine.streamErrors().front();
    QCOMPARE(e.streamOffset, quint64(goodEnd));
    QCOMPARE(e.recordIndex, quint64(4));
    QVERIFY2(e.message.find("truncated") != std::string::npos, e.message.c_str());
    QCOMPARE(sink.conns.begin()->second.bytes[0], pattern(100));
}

void TestCaptureEngine::linkTypes_data()
{
    QTest::addColumn<int>("link");
    QTest::addColumn<int>("vlanTags");
    QTest::addColumn<bool>("ipv6");
    QTest::addRow("ethernet") << int(PcapBuilder::Link::Ethernet) << 0 << false;
    QTest::addRow("802.1Q") << int(PcapBuilder::Link::Ethernet) << 1 << false;
    QTest::addRow("QinQ ipv6") << int(PcapBuilder::Link::Ethernet) << 2 << true;
    QTest::addRow("sll") << int(PcapBuilder::Link::Sll) << 0 << false;
    QTest::addRow("sll2") << int(PcapBuilder::Link::Sll2) << 0 << false;
    QTest::addRow("sll2 ipv6") << int(PcapBuilder::Link::Sll2) << 0 << true;
    QTest::addRow("raw") << int(PcapBuilder::Link::Raw) << 0 << false;
    QTest::addRow("raw ipv6") << int(PcapBuilder::Link::Raw) << 0 << true;
}

void TestCaptureEngine::linkTypes()
{
    QFETCH(int, link);
    QFETCH(int, vlanTags);
    QFETCH(bool, ipv6);
    Script s;
    s.pcap = PcapBuilder(PcapBuilder::Link(link));
    auto t = s.c2s(s.cisn, S);
    t.vlanTags = vlanTags;
    t.ipv6 = ipv6;
    s.add(t);
    t = s.c2s(s.cisn + 1, PA, pattern(33));
    t.vlanTags = vlanTags;
    t.ipv6 = ipv6;
    s.add(t);
    RecordingSink sink = run(s.pcap.bytes());
    QCOMPARE(sink.conns.size(), std::size_t(1));
    const auto &c = sink.conns.begin()->second;
    QCOMPARE(c.bytes[0], pattern(33));
    QCOMPARE(QString::fromStdString(c.final.server.toString()),
             ipv6 ? QStringLiteral("[fd00::1]:8080") : QStringLiteral("198.18.0.1:8080"));
}

void TestCaptureEngine::malformedHeadersCounted()
{
    PcapBuilder pcap;
    Script s;
    const QByteArray good
            = PcapBuilder::frame(s.c2s(1, PA, pattern(10)), PcapBuilder::Link::Ethernet);
    QByteArray ihl4 = good;
    ihl4[14] = char(0x44); // IPv4 IHL 4 (< 5)
    QByteArray doff4 = good;
    doff4[14 + 20 + 12] = char(4 << 4); // TCP data offset 4 (< 5)
    QByteArray doffBig = good;
    doffBig[14 + 20 + 12] = char(15 << 4); // 60-byte header beyond the packet
    pcap.addRaw(ihl4, 1);
    pcap.addRaw(doff4, 2);
    pcap.addRaw(doffBig, 3);
    pcap.addRaw(good.left(14 + 10), 4);             // truncated IP header
    pcap.addRaw(good.left(14 + 20 + 8), 5);         // truncated TCP header
    pcap.addRaw(good, 6, quint32(good.size() - 5)); // caplen > len
    pcap.addRaw(good, 7);
    CaptureEngine engine;
    RecordingSink sink;
    engine.setSink(&sink);
    const QByteArray bytes = pcap.bytes();
    engine.feed(reinterpret_cast<const std::uint8_t *>(bytes.constData()),
                std::size_t(bytes.size()));
    engine.finish();
    const DecodeStats &ds = engine.decodeStats();
    QCOMPARE(ds.packets, quint64(7));
    QCOMPARE(ds.malformed, quint64(4)); // IHL, doff < 5, doff > length, caplen > len
    QCOMPARE(ds.caplenOverLen, quint64(1));
    QCOMPARE(ds.truncated, quint64(2));
    QCOMPARE(ds.tcp, quint64(1));
    QVERIFY(engine.streamErrors().empty());
}

void TestCaptureEngine::bpfFilter()
{
    Script s;
    s.handshake();
    s.add(s.c2s(s.cisn + 1, PA, pattern(10)));
    auto other = s.c2s(1, PA, pattern(10));
    other.dstPort = 9090;
    s.add(other);
    RecordingSink sink;
    CaptureEngine engine;
    engine.setSink(&sink);
    engine.setFilter("tcp port 8080");
    const QByteArray bytes = s.pcap.bytes();
    engine.feed(reinterpret_cast<const std::uint8_t *>(bytes.constData()),
                std::size_t(bytes.size()));
    engine.finish();
    QCOMPARE(sink.conns.size(), std::size_t(1));
    QCOMPARE(engine.filteredOut(), quint64(1));
}

void TestCaptureEngine::badFilterReportsLibpcapError()
{
    Script s;
    s.handshake();
    CaptureEngine engine;
    engine.setFilter("tcp port banana");
    const QByteArray bytes = s.pcap.bytes();
    engine.feed(reinterpret_cast<const std::uint8_t *>(bytes.constData()),
                std::size_t(bytes.size()));
    engine.finish();
    QVERIFY2(!engine.filterError().empty(), "a bad expression must be reported");
    QVERIFY2(engine.filterError().find("banana") != std::string::npos,
             engine.filterError().c_str());
    std::string err;
    QVERIFY(!PacketFilter::validate("host", 1, &err));
    QVERIFY(!err.empty());
}

void TestCaptureEngine::pcapngViaEditcap()
{
    if (QStandardPaths::findExecutable(QStringLiteral("editcap")).isEmpty())
        QSKIP("editcap (wireshark-common) is not installed");
    Script s;
    s.handshake();
    const QByteArray d = pattern(5000);
    for (int off = 0; off < d.size(); off += 1000)
        s.add(s.c2s(s.cisn + 1 + quint32(off), PA, d.mid(off, 1000)));
    QTemporaryDir dir;
    const QString in = dir.filePath(QStringLiteral("a.pcap"));
    const QString out = dir.filePath(QStringLiteral("a.pcapng"));
    QFile f(in);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(s.pcap.bytes());
    f.close();
    QCOMPARE(QProcess::execute(QStringLiteral("editcap"),
                               {QStringLiteral("-F"), QStringLiteral("pcapng"), in, out}),
             0);
    QFile g(out);
    QVERIFY(g.open(QIODevice::ReadOnly));
    const QByteArray ng = g.readAll();
    QVERIFY(ng.startsWith("\x0a\x0d\x0d\x0a"));
    for (std::size_t chunk : {std::size_t(1), std::size_t(5), std::size_t(0), std::size_t(65536)}) {
        RecordingSink sink = run(ng, {}, chunk);
        QCOMPARE(sink.conns.size(), std::size_t(1));
        QCOMPARE(sink.conns.begin()->second.bytes[0], d);
    }
}

QTEST_GUILESS_MAIN(TestCaptureEngine)
#include "tst_captureengine.moc"
