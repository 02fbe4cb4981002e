// Mirroring to a real local TCP server: exact bytes per connection, and the policies for
// mid-stream joins, gaps, resets, refused and never-reading local ports.
#include "capture/captureengine.h"
#include "mirror/mirrorrequeststext.h"
#include "mirror/mirrorsink.h"
#include "pcapbuilder.h"

#include <QCryptographicHash>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

using namespace podtap;

namespace {
constexpr quint8 F = 0x01, S = 0x02, R = 0x04, A = 0x10, PA = 0x18;

QByteArray pattern(int n, int seed)
{
    QByteArray b(n, 0);
    for (int i = 0; i < n; ++i)
        b[i] = char((i * 31 + seed * 7) & 0xff);
    return b;
}

// Records what each accepted connection sent, keyed by arrival order; optionally never reads.
class RecordingServer : public QObject
{
public:
    explicit RecordingServer(bool reads = true)
        : m_reads(reads)
    {
        QObject::connect(&server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = server.nextPendingConnection()) {
                const int idx = int(received.size());
                received.append(QByteArray());
                closed.append(false);
                if (!m_reads) {
                    s->setReadBufferSize(1); // never drain: the peer's window fills up
                    continue;
                }
                QObject::connect(s, &QTcpSocket::readyRead, this,
                                 [this, s, idx] { received[idx] += s->readAll(); });
                QObject::connect(s, &QTcpSocket::disconnected, this,
                                 [this, idx] { closed[idx] = true; });
            }
        });
        server.listen(QHostAddress::LocalHost, 0);
    }
    QTcpServer server;
    QList<QByteArray> received;
    QList<bool> closed;

private:
    bool m_reads;
};

struct Flow
{
    quint16 clientPort;
    QByteArray request;
    quint32 localHopIp = 0; // both ends this address (a sidecar's hop on lo); 0: two hosts
};

// Builds a capture with full handshakes and FIN closes for `flows`, interleaved.
QByteArray capture(const QList<Flow> &flows, bool midstreamExtra = false)
{
    PcapBuilder pcap(PcapBuilder::Link::Sll2);
    qint64 ts = 1'700'000'000'000'000;
    auto pkt = [&](quint16 cport, bool c2s, quint32 seq, quint32 ack, quint8 flags,
                   const QByteArray &payload = {}, quint32 localHopIp = 0) {
        PcapBuilder::Tcp t;
        if (localHopIp)
            t.srcIp = t.dstIp = localHopIp;
        t.srcPort = c2s ? cport : 8080;
        t.dstPort = c2s ? 8080 : cport;
        if (!c2s)
            std::swap(t.srcIp, t.dstIp);
        t.seq = seq;
        t.ack = ack;
        t.flags = flags;
        t.payload = payload;
        pcap.add(t, ts += 5);
    };
    for (const Flow &f : flows) {
        pkt(f.clientPort, true, 100, 0, S, {}, f.localHopIp);
        pkt(f.clientPort, false, 900, 101, S | A, {}, f.localHopIp);
        pkt(f.clientPort, true, 101, 901, A, {}, f.localHopIp);
    }
    for (int off = 0;; off += 1000) {
        bool any = false;
        for (const Flow &f : flows) {
            if (off < f.request.size()) {
                any = true;
                pkt(f.clientPort, true, 101 + quint32(off), 901, PA, f.request.mid(off, 1000),
                    f.localHopIp);
            }
        }
        if (!any)
            break;
    }
    for (const Flow &f : flows) {
        const quint32 end = 101 + quint32(f.request.size());
        pkt(f.clientPort, true, end, 901, F | A, {}, f.localHopIp);
        pkt(f.clientPort, false, 901, end + 1, F | A, {}, f.localHopIp);
    }
    if (midstreamExtra)
        pkt(55555, true, 777, 1, PA,
            QByteArray("the tail of a body\r\nGET /next HTTP/1.1\r\nHost: pod\r\n\r\n"));
    return pcap.bytes();
}

// Each local connection ends with exactly one outcome (MirrorSink::Stats).
quint64 outcomes(const MirrorSink::Stats &s)
{
    return s.completed + s.localErrors + s.gaps + s.dropped + s.resets + s.localClosed
           + s.incomplete;
}

void feed(CaptureEngine &e, const QByteArray &b)
{
    e.feed(reinterpret_cast<const std::uint8_t *>(b.constData()), std::size_t(b.size()));
}
} // namespace

class TestMirrorSink : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void exactBytesPerConnection();
    void localAnswersAfterOurFinAreKept();
    void joinMidstreamWhenAsked();
    void gapClosesLocalConnection();
    void http2IsByteExactAndEndsAtAGap();
    void resetIsMirrored();
    void refusedPortNeverBlocksCapture();
    void neverReadingPortIsDroppedNotBuffered();
    void tlsIsLeftOutPlaintextHopMirrored();
    void remoteTargetsNeedConsent();
};

void TestMirrorSink::exactBytesPerConnection()
{
    RecordingServer srv;
    QList<Flow> flows;
    for (int i = 0; i < 50; ++i)
        flows.append({quint16(40000 + i), pattern(100 + i * 997, i)});
    MirrorSink::Options o;
    o.port = srv.server.serverPort();
    MirrorSink sink(o);
    CaptureEngine engine;
    engine.setSink(&sink);
    feed(engine, capture(flows, true));
    engine.finish();
    QTRY_COMPARE_WITH_TIMEOUT(sink.stats().completed, quint64(50), 10000);
    QCOMPARE(sink.stats().skippedMidstream, quint64(1));
    QCOMPARE(sink.stats().localErrors, quint64(0));
    QCOMPARE(sink.stats().gaps, quint64(0));
    QCOMPARE(srv.received.size(), 50);
    // Arrival order is not capture order: compare as multisets of hashes.
    QStringList sent, got;
    quint64 total = 0;
    for (const Flow &f : flows) {
        sent << QString::fromLatin1(
                QCryptographicHash::hash(f.request, QCryptographicHash::Sha256).toHex());
        total += quint64(f.request.size());
    }
    for (const QByteArray &r : std::as_const(srv.received))
        got << QString::fromLatin1(QCryptographicHash::hash(r, QCryptographicHash::Sha256).toHex());
    sent.sort();
    got.sort();
    QCOMPARE(got, sent);
    QCOMPARE(sink.stats().bytesMirrored, total);
}

void TestMirrorSink::localAnswersAfterOurFinAreKept()
{
    // A plain POSIX server (Qt sockets cannot half-close): reads to EOF, then answers.
    const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    QCOMPARE(::bind(lfd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(lfd, reinterpret_cast<sockaddr *>(&addr), &len);
    ::listen(lfd, 16);
    std::thread server([lfd] {
        for (int i = 0; i < 3; ++i) {
            const int fd = ::accept(lfd, nullptr, nullptr);
            if (fd < 0)
                return;
            std::size_t total = 0;
            char buf[4096];
            ssize_t n;
            while ((n = ::read(fd, buf, sizeof buf)) > 0)
                total += std::size_t(n);
            const std::string answer
                    = "HTTP/1.1 200 OK\r\ncontent-length: " + std::to_string(total) + "\r\n\r\n";
            (void)!::write(fd, answer.data(), answer.size());
            ::close(fd);
        }
    });
    MirrorSink::Options o;
    o.port = ntohs(addr.sin_port);
    MirrorSink sink(o);
    QList<QByteArray> answers;
    connect(&sink, &MirrorSink::connectionEnded, this,
            [&](quint64, const QString &outcome, quint64, const QByteArray &response) {
                if (outcome == QLatin1String("completed"))
                    answers << response;
            });
    CaptureEngine engine;
    engine.setSink(&sink);
    feed(engine,
         capture({{40001, pattern(10, 1)}, {40002, pattern(20000, 2)}, {40003, pattern(3, 3)}}));
    engine.finish();
    QTRY_COMPARE_WITH_TIMEOUT(answers.size(), 3, 10000);
    server.join();
    ::close(lfd);
    std::sort(answers.begin(), answers.end());
    QCOMPARE(answers[0], QByteArray("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n"));
    QCOMPARE(answers[1], QByteArray("HTTP/1.1 200 OK\r\ncontent-length: 20000\r\n\r\n"));
    QCOMPARE(answers[2], QByteArray("HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n"));
    QCOMPARE(sink.stats().completed, quint64(3));
}

void TestMirrorSink::joinMidstreamWhenAsked()
{
    RecordingServer srv;
    MirrorSink::Options o;
    o.port = srv.server.serverPort();
    o.joinMidstream = true;
    MirrorSink sink(o);
    EngineConfig cfg;
    cfg.tappedPort = 8080;
    CaptureEngine engine(cfg);
    engine.setSink(&sink);
    feed(engine, capture({}, true));
    engine.finish();
    QTRY_COMPARE_WITH_TIMEOUT(srv.received.size(), 1, 5000);
    // Joined at its next request, not at the arbitrary byte the capture began with.
    QTRY_COMPARE(srv.received[0], QByteArray("GET /next HTTP/1.1\r\nHost: pod\r\n\r\n"));
    QCOMPARE(sink.stats().skippedMidstream, quint64(0));
    QCOMPARE(sink.stats().joined, quint64(1));
    QCOMPARE(sink.stats().requests.requestsMirrored, quint64(1));
    QCOMPARE(sink.stats().requests.requestsLost, quint64(0));
}

void TestMirrorSink::gapClosesLocalConnection()
{
    RecordingServer srv;
    MirrorSink::Options o;
    o.port = srv.server.serverPort();
    MirrorSink sink(o);
    CaptureEngine engine;
    engine.setSink(&sink);
    PcapBuilder pcap;
    PcapBuilder::Tcp t;
    t.flags = S;
    t.seq = 100;
    pcap.add(t, 1);
    t.flags = PA;
    t.seq = 101;
    t.payload = "first";
    pcap.add(t, 2);
    t.seq = 101 + 5 + 10; // 10 bytes never captured
    t.payload = "after-gap";
    pcap.add(t, 3);
    feed(engine, pcap.bytes());
    QTRY_COMPARE_WITH_TIMEOUT(srv.received.size(), 1, 5000);
    QTRY_COMPARE(srv.received[0], QByteArray("first"));
    engine.finish(); // the hole becomes a gap: the local connection is ended, not fed "after-gap"
    QTRY_COMPARE(sink.stats().gaps, quint64(1));
    QTRY_VERIFY(srv.closed[0]);
    QTest::qWait(100);
    QCOMPARE(srv.received[0], QByteArray("first"));
    // Our own reset is no "local side closed": one connection, one outcome.
    QCOMPARE(sink.stats().localClosed, quint64(0));
    QCOMPARE(outcomes(sink.stats()), sink.stats().connections);
}

void TestMirrorSink::http2IsByteExactAndEndsAtAGap()
{
    // h2c with prior knowledge: the preface (in two segments), a SETTINGS frame; then bytes the
    // capture lost, then a frame that must never reach the local build.
    RecordingServer srv;
    MirrorSink::Options o;
    o.port = srv.server.serverPort();
    MirrorSink sink(o);
    CaptureEngine engine;
    engine.setSink(&sink);
    const QByteArray preface("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    const QByteArray settings("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9);
    PcapBuilder pcap;
    PcapBuilder::Tcp t;
    t.flags = S;
    t.seq = 100;
    pcap.add(t, 1);
    t.flags = PA;
    t.seq = 101;
    t.payload = preface.left(10);
    pcap.add(t, 2);
    t.seq = 111;
    t.payload = preface.mid(10) + settings;
    pcap.add(t, 3);
    t.seq = 101 + quint32(preface.size() + settings.size()) + 40; // 40 bytes never captured
    t.payload = settings;
    pcap.add(t, 4);
    feed(engine, pcap.bytes());
    QTRY_COMPARE_WITH_TIMEOUT(srv.received.size(), 1, 5000);
    QTRY_COMPARE(srv.received[0], preface + settings);
    QCOMPARE(sink.stats().http2, quint64(1));
    engine.finish(); // the hole becomes a gap: HTTP/2 cannot go on after it
    QTRY_COMPARE(sink.stats().http2Gaps, quint64(1));
    QCOMPARE(sink.stats().gaps, quint64(1));
    QCOMPARE(sink.stats().notResyncable, quint64(1));
    QCOMPARE(sink.stats().freshConnections, quint64(0));
    QTRY_VERIFY(srv.closed[0]);
    QTest::qWait(100);
    QCOMPARE(srv.received.size(), 1);
    QCOMPARE(srv.received[0], preface + settings);
    QCOMPARE(sink.stats().toJson().value(QLatin1String("http2Gaps")).toInteger(), 1);
    QCOMPARE(MirrorRequestsText::http2(sink.stats().toJson()),
             QStringLiteral("1 HTTP/2 connection mirrored byte for byte; 1 ended by a capture gap "
                            "(HTTP/2 cannot be resynchronised)"));
    QCOMPARE(outcomes(sink.stats()), sink.stats().connections);
}

void TestMirrorSink::resetIsMirrored()
{
    RecordingServer srv;
    MirrorSink::Options o;
    o.port = srv.server.serverPort();
    MirrorSink sink(o);
    CaptureEngine engine;
    engine.setSink(&sink);
    PcapBuilder pcap;
    PcapBuilder::Tcp t;
    t.flags = S;
    t.seq = 100;
    pcap.add(t, 1);
    t.flags = PA;
    t.seq = 101;
    t.payload = "hello";
    pcap.add(t, 2);
    feed(engine, pcap.bytes());
    QTRY_COMPARE_WITH_TIMEOUT(srv.received.size(), 1, 5000);
    QTRY_COMPARE(srv.received[0], QByteArray("hello"));
    PcapBuilder rst;
    PcapBuilder::Tcp r;
    r.flags = R;
    r.seq = 106;
    rst.add(r, 3);
    engine.beginStream();
    feed(engine, rst.bytes());
    QTRY_VERIFY_WITH_TIMEOUT(srv.closed[0], 5000);
    QTRY_COMPARE(sink.stats().resets, quint64(1));
    engine.finish();
    QTest::qWait(100);
    QCOMPARE(sink.stats().localClosed, quint64(0));
    QCOMPARE(outcomes(sink.stats()), sink.stats().connections);
}

void TestMirrorSink::refusedPortNeverBlocksCapture()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    const quint16 dead = probe.serverPort();
    probe.close(); // nothing listens there now
    MirrorSink::Options o;
    o.port = dead;
    MirrorSink sink(o);
    CaptureEngine engine;
    engine.setSink(&sink);
    QList<Flow> flows;
    for (int i = 0; i < 20; ++i)
        flows.append({quint16(41000 + i), pattern(5000, i)});
    feed(engine, capture(flows));
    engine.finish();
    QTRY_COMPARE_WITH_TIMEOUT(sink.stats().localErrors, quint64(20), 10000);
    QCOMPARE(engine.tracker().stats().connections, quint64(20)); // capture went on
    QTRY_COMPARE(sink.openConnections(), 0);
}

void TestMirrorSink::neverReadingPortIsDroppedNotBuffered()
{
    RecordingServer srv(false);
    MirrorSink::Options o;
    o.port = srv.server.serverPort();
    o.maxPendingBytes = 256 * 1024;
    MirrorSink sink(o);
    CaptureEngine engine;
    engine.setSink(&sink);
    // 64 MiB towards a server that never reads: kernel buffers fill, then our bound hits.
    const QByteArray chunk = pattern(60000, 1);
    PcapBuilder pcap;
    PcapBuilder::Tcp t;
    t.flags = S;
    t.seq = 100;
    pcap.add(t, 1);
    feed(engine, pcap.bytes());
    quint32 seq = 101;
    for (int i = 0; i < 1100 && sink.stats().dropped == 0; ++i) {
        PcapBuilder p2;
        PcapBuilder::Tcp d;
        d.flags = PA;
        d.seq = seq;
        d.payload = chunk;
        p2.add(d, 2 + i);
        seq += quint32(chunk.size());
        engine.beginStream();
        feed(engine, p2.bytes());
        QCoreApplication::processEvents();
        // The local connection opens with the first bytes (they show it is not TLS).
        if (i == 0)
            QTRY_COMPARE_WITH_TIMEOUT(srv.received.size(), 1, 5000);
    }
    QCOMPARE(sink.stats().dropped, quint64(1));
    QCOMPARE(sink.openConnections(), 0);
    engine.finish();
}

void TestMirrorSink::remoteTargetsNeedConsent()
{
    QVERIFY(MirrorSink::targetAllowed(QHostAddress::LocalHost, false));
    QVERIFY(MirrorSink::targetAllowed(QHostAddress::LocalHostIPv6, false));
    QVERIFY(!MirrorSink::targetAllowed(QHostAddress(QStringLiteral("198.18.0.5")), false));
    QVERIFY(MirrorSink::targetAllowed(QHostAddress(QStringLiteral("198.18.0.5")), true));
}

void TestMirrorSink::tlsIsLeftOutPlaintextHopMirrored()
{
    // A mesh pod's inbound request as the tap sees it: TLS from the client on eth0, and the
    // sidecar's plaintext to the app on 127.0.0.1. Only the plaintext reaches the local port,
    // and the TLS connection never even opens a local connection.
    QByteArray tls("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
    tls += QByteArray(0x200 - 6, '\x5a');
    tls += QByteArray("\x17\x03\x03\x04\x00", 5) + pattern(0x400, 3);
    const QByteArray plain("GET /reviews/1 HTTP/1.1\r\nHost: reviews\r\n\r\n"
                           "GET /reviews/2 HTTP/1.1\r\nHost: reviews\r\n\r\n");
    RecordingServer srv;
    MirrorSink::Options o;
    o.port = srv.server.serverPort();
    MirrorSink sink(o);
    CaptureEngine engine;
    engine.setSink(&sink);
    feed(engine, capture({{41000, tls}, {41001, plain, 0x7f000001}}));
    engine.finish();
    QTRY_COMPARE(sink.stats().completed, quint64(1));
    QTRY_COMPARE(srv.received.size(), 1);
    QTRY_COMPARE(srv.received.at(0), plain);
    const MirrorSink::Stats s = sink.stats();
    QCOMPARE(s.tlsNotMirrored, quint64(1));
    QCOMPARE(s.localHops, quint64(1));
    QCOMPARE(s.connections, quint64(1));
    QCOMPARE(s.bytesMirrored, quint64(plain.size()));
    QCOMPARE(s.requests.requestsMirrored, quint64(2));
    QCOMPARE(s.requests.bytesLost, quint64(0));
    QCOMPARE(s.notResyncable, quint64(0));
    const QJsonObject j = s.toJson();
    QCOMPARE(j.value(QLatin1String("tlsNotMirrored")).toInteger(), 1);
    QCOMPARE(j.value(QLatin1String("localHops")).toInteger(), 1);
    QCOMPARE(MirrorRequestsText::tls(j),
             QStringLiteral("1 TLS connection not mirrored; the plaintext hop on lo is"));
    QJsonObject noHop = j;
    noHop[QLatin1String("localHops")] = 0;
    noHop[QLatin1String("tlsNotMirrored")] = 3;
    QVERIFY(MirrorRequestsText::tls(noHop).startsWith(
            QLatin1String("3 TLS connections not mirrored (encrypted; no plaintext hop")));
    noHop[QLatin1String("tlsNotMirrored")] = 0;
    QVERIFY(MirrorRequestsText::tls(noHop).isEmpty());
}

QTEST_GUILESS_MAIN(TestMirrorSink)
#include "tst_mirrorsink.moc"
