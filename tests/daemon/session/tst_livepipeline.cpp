// PodTapPipeline's live view of open connections (issue 17): fed real pcap bytes through its
// capture engine (no cluster: the tap's byte stream is what feedPcap takes), it reports each
// connection once as opened, then as progress only when its counters moved and at most once
// per ProgressIntervalMs, within a budget that reaches every connection in turn, and forgets
// a connection once it closed (its summary, "open": false, goes to the observer instead).
#include "kube/podinfo.h"
#include "pcapbuilder.h"
#include "session/podtappipeline.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QSet>
#include <QTest>

#include <algorithm>

using namespace Qt::StringLiterals;
using podtap::PodTapPipeline;

namespace {
constexpr quint8 S = 0x02, A = 0x10, SA = 0x12, PA = 0x18, FA = 0x11;

class Observer : public PodTapPipeline::PacketObserver
{
public:
    void podPacket(int, const podtap::RawPacket &, std::uint64_t, std::uint8_t,
                   std::uint8_t) override
    {
        ++packets;
    }
    void podConnectionClosed(const QJsonObject &summary) override { closed << summary; }
    int packets = 0;
    QList<QJsonObject> closed;
};

// A capture fed to the pipeline piece by piece, as tcpdump's stream arrives.
class Stream
{
public:
    explicit Stream(PodTapPipeline *pipe)
        : m_pipe(pipe)
    {}
    // Client port `port` opens a connection (handshake) at `us`.
    void open(quint16 port, qint64 us)
    {
        add(port, true, S, 1000, 0, {}, us);
        add(port, false, SA, 5000, 1001, {}, us + 1);
        add(port, true, A, 1001, 5001, {}, us + 2);
        m_clientSeq[port] = 1001;
        m_serverSeq[port] = 5001;
    }
    // One request and its answer on `port`.
    void exchange(quint16 port, qint64 us)
    {
        const QByteArray req = "ping", resp = "pong!";
        add(port, true, PA, m_clientSeq[port], m_serverSeq[port], req, us);
        m_clientSeq[port] += quint32(req.size());
        add(port, false, PA, m_serverSeq[port], m_clientSeq[port], resp, us + 1);
        m_serverSeq[port] += quint32(resp.size());
    }
    void close(quint16 port, qint64 us)
    {
        add(port, true, FA, m_clientSeq[port], m_serverSeq[port], {}, us);
        add(port, false, FA, m_serverSeq[port], m_clientSeq[port] + 1, {}, us + 1);
        add(port, true, A, m_clientSeq[port] + 1, m_serverSeq[port] + 1, {}, us + 2);
    }
    void flush()
    {
        const QByteArray all = m_pcap.bytes();
        m_pipe->feedPcap(all.mid(m_fed));
        m_fed = all.size();
    }

private:
    void add(quint16 port, bool fromClient, quint8 flags, quint32 seq, quint32 ack,
             const QByteArray &payload, qint64 us)
    {
        PcapBuilder::Tcp t;
        if (!fromClient) {
            std::swap(t.srcIp, t.dstIp);
            t.srcPort = 8080;
            t.dstPort = port;
        } else {
            t.srcPort = port;
        }
        t.flags = flags;
        t.seq = seq;
        t.ack = ack;
        t.payload = payload;
        m_pcap.add(t, us);
    }

    PodTapPipeline *m_pipe;
    PcapBuilder m_pcap;
    qsizetype m_fed = 0;
    QHash<quint16, quint32> m_clientSeq, m_serverSeq;
};

QSet<qint64> ids(const QJsonArray &a)
{
    QSet<qint64> s;
    for (const QJsonValue v : a)
        s.insert(v[u"id"_s].toInteger());
    return s;
}
} // namespace

class TestLivePipeline : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void openedOnceThenPacedProgress();
    void budgetReachesEveryConnection();
    void closedConnectionLeavesTheLiveView();
    void tickCostAt10kOpen();
};

void TestLivePipeline::openedOnceThenPacedProgress()
{
    Observer observer;
    PodTapPipeline pipe(nullptr, podtap::PodInfo{}, 0, 8080, QString(), &observer);
    Stream s(&pipe);
    for (quint16 port = 40000; port < 40003; ++port)
        s.open(port, 1000 * port);
    s.flush();

    QJsonArray opened, progress;
    QCOMPARE(pipe.takeLiveConnections(0, 100, &opened, &progress), 3);
    QCOMPARE(opened.size(), 3);
    QCOMPARE(progress.size(), 0);
    for (const QJsonValue v : std::as_const(opened)) {
        QVERIFY(v[u"open"_s].toBool());
        QCOMPARE(v[u"server"_s].toString(), u"198.18.0.1:8080"_s);
        QCOMPARE(v[u"c2s"_s][u"packets"_s].toInteger(), 2);
    }
    QCOMPARE(pipe.openConnections().size(), 3);

    // Nothing moved: nothing to report, however late.
    opened = progress = QJsonArray();
    QCOMPARE(pipe.takeLiveConnections(5000, 100, &opened, &progress), 0);

    // Traffic on one connection: due (its last report was 5 s ago) and changed.
    s.exchange(40001, 50000000);
    s.flush();
    QCOMPARE(pipe.takeLiveConnections(5000, 100, &opened, &progress), 1);
    QCOMPARE(opened.size(), 0);
    QCOMPARE(progress.size(), 1);
    const qint64 id = progress.at(0)[u"id"_s].toInteger();
    QCOMPARE(progress.at(0)[u"c2s"_s][u"packets"_s].toInteger(), 3);
    QCOMPARE(progress.at(0)[u"s2c"_s][u"bytes"_s].toInteger(), 5);

    // More traffic at once: held until a whole interval after that report.
    s.exchange(40001, 50100000);
    s.flush();
    progress = QJsonArray();
    QCOMPARE(pipe.takeLiveConnections(5500, 100, &opened, &progress), 0);
    QCOMPARE(pipe.takeLiveConnections(5000 + PodTapPipeline::ProgressIntervalMs - 1, 100, &opened,
                                      &progress),
             0);
    QCOMPARE(pipe.takeLiveConnections(5000 + PodTapPipeline::ProgressIntervalMs, 100, &opened,
                                      &progress),
             1);
    QCOMPARE(progress.at(0)[u"id"_s].toInteger(), id);
    QCOMPARE(progress.at(0)[u"c2s"_s][u"packets"_s].toInteger(), 4);
    QCOMPARE(progress.at(0)[u"c2s"_s][u"bytes"_s].toInteger(), 8);
    QVERIFY(progress.at(0)[u"open"_s].toBool());
    QCOMPARE(pipe.takeLiveConnections(60000, 100, &opened, &progress), 0);
    QCOMPARE(observer.closed.size(), 0);
}

void TestLivePipeline::budgetReachesEveryConnection()
{
    Observer observer;
    PodTapPipeline pipe(nullptr, podtap::PodInfo{}, 0, 8080, QString(), &observer);
    Stream s(&pipe);
    for (quint16 port = 40000; port < 40010; ++port)
        s.open(port, 1000 * port);
    s.flush();
    QSet<qint64> seen;
    for (int expected : {4, 4, 2}) {
        QJsonArray opened, progress;
        QCOMPARE(pipe.takeLiveConnections(0, 4, &opened, &progress), expected);
        QCOMPARE(progress.size(), 0);
        const QSet<qint64> batch = ids(opened);
        QVERIFY(!batch.intersects(seen)); // each opened once
        seen.unite(batch);
    }
    QCOMPARE(seen.size(), 10);

    // Every one changed: a budget of 4 reaches all ten in three calls, none twice.
    for (quint16 port = 40000; port < 40010; ++port)
        s.exchange(port, 60000000 + 1000 * port);
    s.flush();
    seen.clear();
    for (int expected : {4, 4, 2}) {
        QJsonArray opened, progress;
        QCOMPARE(pipe.takeLiveConnections(1000, 4, &opened, &progress), expected);
        const QSet<qint64> batch = ids(progress);
        QVERIFY(!batch.intersects(seen));
        seen.unite(batch);
    }
    QCOMPARE(seen.size(), 10);

    // A new connection goes before any progress when the budget is short.
    s.open(40010, 70000000);
    for (quint16 port = 40000; port < 40010; ++port)
        s.exchange(port, 70000100 + 1000 * port);
    s.flush();
    QJsonArray opened, progress;
    QCOMPARE(pipe.takeLiveConnections(3000, 3, &opened, &progress), 3);
    QCOMPARE(opened.size(), 1);
    QCOMPARE(progress.size(), 2);
    QCOMPARE(opened.at(0)[u"client"_s].toString(), u"198.18.0.2:40010"_s);
}

void TestLivePipeline::closedConnectionLeavesTheLiveView()
{
    Observer observer;
    PodTapPipeline pipe(nullptr, podtap::PodInfo{}, 0, 8080, QString(), &observer);
    Stream s(&pipe);
    s.open(40000, 1000);
    s.open(40001, 2000);
    s.flush();
    QJsonArray opened, progress;
    QCOMPARE(pipe.takeLiveConnections(0, 100, &opened, &progress), 2);

    s.exchange(40000, 3000);
    s.exchange(40001, 4000);
    s.close(40000, 5000);
    s.flush();
    QCOMPARE(observer.closed.size(), 1);
    const QJsonObject summary = observer.closed.constFirst();
    QCOMPARE(summary[u"client"_s].toString(), u"198.18.0.2:40000"_s);
    QVERIFY(!summary[u"open"_s].toBool());
    QVERIFY(!summary.contains(u"mirror"_s)); // the mirror event says how it ended
    const QList<QJsonObject> open = pipe.openConnections();
    QCOMPARE(open.size(), 1);
    QCOMPARE(open.constFirst()[u"client"_s].toString(), u"198.18.0.2:40001"_s);

    // Only the open one is reported; the closed one never again.
    opened = progress = QJsonArray();
    QCOMPARE(pipe.takeLiveConnections(2000, 100, &opened, &progress), 1);
    QCOMPARE(progress.at(0)[u"client"_s].toString(), u"198.18.0.2:40001"_s);

    // End of capture: every connection closes and the live view is empty.
    pipe.finishEngine();
    QCOMPARE(observer.closed.size(), 2);
    QVERIFY(pipe.openConnections().isEmpty());
    QCOMPARE(pipe.takeLiveConnections(90000, 100, &opened, &progress), 0);
}

// What a stats tick costs the daemon's event loop with 10,000 open connections that all moved:
// the scan plus the largest batch (CaptureSession::MaxLivePerTick records). Printed, never
// asserted.
void TestLivePipeline::tickCostAt10kOpen()
{
    constexpr int Open = 10000;
    constexpr int Budget = 4000;
    Observer observer;
    PodTapPipeline pipe(nullptr, podtap::PodInfo{}, 0, 8080, QString(), &observer);
    Stream s(&pipe);
    for (int i = 0; i < Open; ++i)
        s.open(quint16(20000 + i), 1000 * i);
    s.flush();
    QJsonArray opened, progress;
    QElapsedTimer t;
    t.start();
    int taken = 0;
    for (qint64 now = 0; taken < Open; now += 500)
        taken += pipe.takeLiveConnections(now, Budget, &opened, &progress);
    const double openedMs = double(t.nsecsElapsed()) / 1e6;
    QCOMPARE(opened.size(), Open);
    for (int i = 0; i < Open; ++i)
        s.exchange(quint16(20000 + i), 20000000 + 1000 * i);
    s.flush();
    QList<double> tickMs;
    int reported = 0;
    for (qint64 now = 10000; reported < Open; now += 500) {
        progress = QJsonArray();
        t.start();
        reported += pipe.takeLiveConnections(now, Budget, &opened, &progress);
        tickMs << double(t.nsecsElapsed()) / 1e6;
    }
    QCOMPARE(reported, Open);
    // Nothing moved: the scan alone.
    progress = QJsonArray();
    t.start();
    QCOMPARE(pipe.takeLiveConnections(60000, Budget, &opened, &progress), 0);
    const double idleMs = double(t.nsecsElapsed()) / 1e6;
    qInfo("10,000 open connections: opened in %.1f ms (all ticks); a tick of %d progress "
          "records %.1f ms (max of %lld ticks); a tick with nothing to report %.2f ms",
          openedMs, Budget, *std::max_element(tickMs.cbegin(), tickMs.cend()),
          qint64(tickMs.size()), idleMs);
}

QTEST_GUILESS_MAIN(TestLivePipeline)
#include "tst_livepipeline.moc"
