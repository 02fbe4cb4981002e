// CaptureStreamAccounting: the books podtapd's pipeline and `capture --direct` keep for a
// tap's streams (lost on the way, kernel drops, unread at stop, streams without counts).
#include "kube/capturestreamaccounting.h"

#include <QTest>

#include <array>

using namespace podtap;

namespace {
// A Linux "cooked" v2 header (DLT_LINUX_SLL2): the ARPHRD type at bytes 8-9 says whether
// the packet was taken on a loopback device (772) or not (1, Ethernet).
struct Sll2Packet
{
    std::array<std::uint8_t, 20> bytes{};
    RawPacket raw;
    explicit Sll2Packet(bool loopback)
    {
        const std::uint16_t hatype = loopback ? 772 : 1;
        bytes[8] = std::uint8_t(hatype >> 8);
        bytes[9] = std::uint8_t(hatype & 0xff);
        raw.data = bytes.data();
        raw.caplen = raw.len = std::uint32_t(bytes.size());
        raw.linkType = 276;
    }
};

struct Stream
{
    int packets = 0;  // arrived, not loopback
    int loopback = 0; // arrived, taken on lo
    CaptureCommand::Counts counts;
};

CaptureCommand::Counts counts(qint64 captured, qint64 received, qint64 dropped)
{
    CaptureCommand::Counts c;
    c.captured = captured;
    c.receivedByFilter = received;
    c.droppedByKernel = dropped;
    c.droppedByInterface = 0;
    return c;
}
} // namespace

Q_DECLARE_METATYPE(QList<Stream>)

class TestCaptureStreamAccounting : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void books_data();
    void books();
    void streamBytes();
};

void TestCaptureStreamAccounting::books_data()
{
    QTest::addColumn<QList<Stream>>("streams");
    QTest::addColumn<qint64>("received");
    QTest::addColumn<qint64>("kernelDrops");
    QTest::addColumn<qint64>("lostOnTheWay");
    QTest::addColumn<qint64>("unread");
    QTest::addColumn<qint64>("tcpdumpCaptured");
    QTest::addColumn<bool>("everyStreamCounted");

    QTest::addRow("all arrived") << QList<Stream>{{10, 0, counts(10, 10, 0)}} << 10ll << 0ll << 0ll
                                 << 0ll << 10ll << true;
    QTest::addRow("lost on the way")
            << QList<Stream>{{7, 0, counts(10, 10, 0)}} << 7ll << 0ll << 3ll << 0ll << 10ll << true;
    QTest::addRow("kernel drops") << QList<Stream>{{6, 0, counts(6, 10, 4)}} << 6ll << 4ll << 0ll
                                  << 0ll << 6ll << true;
    // 20 received by the filter: 10 written, 2 dropped, 5 loopback ones counted twice by the
    // kernel: 3 were still in the ring.
    QTest::addRow("unread, loopback counted twice") << QList<Stream>{{5, 5, counts(10, 20, 2)}}
                                                    << 10ll << 2ll << 0ll << 3ll << 10ll << true;
    QTest::addRow("no counts") << QList<Stream>{{8, 0, CaptureCommand::Counts{}}} << 8ll << 0ll
                               << 0ll << 0ll << 0ll << false;
    // Each stream checked on its own: the first stream's surplus hides nothing of the second.
    QTest::addRow("two streams") << QList<Stream>{{5, 0, counts(5, 5, 0)}, {4, 0, counts(6, 6, 1)}}
                                 << 9ll << 1ll << 2ll << 0ll << 11ll << true;
    QTest::addRow("a second stream cut")
            << QList<Stream>{{5, 0, counts(5, 5, 0)}, {3, 0, CaptureCommand::Counts{}}} << 8ll
            << 0ll << 0ll << 0ll << 5ll << false;
}

void TestCaptureStreamAccounting::books()
{
    QFETCH(QList<Stream>, streams);
    CaptureStreamAccounting account;
    const Sll2Packet eth(false), lo(true);
    qint64 lostSeen = 0, unreadSeen = 0;
    for (const Stream &s : streams) {
        account.beginStream();
        QCOMPARE(account.receivedInStream(), 0);
        for (int i = 0; i < s.packets; ++i)
            account.packetArrived(eth.raw);
        for (int i = 0; i < s.loopback; ++i)
            account.packetArrived(lo.raw);
        const auto loss = account.streamEnded(s.counts);
        QCOMPARE(loss.counted, s.counts.captured >= 0);
        QCOMPARE(loss.received, qint64(s.packets + s.loopback));
        QCOMPARE(loss.captured, s.counts.captured);
        lostSeen += loss.lostOnTheWay;
        unreadSeen += loss.unread;
    }
    QFETCH(qint64, received);
    QFETCH(qint64, kernelDrops);
    QFETCH(qint64, lostOnTheWay);
    QFETCH(qint64, unread);
    QFETCH(qint64, tcpdumpCaptured);
    QFETCH(bool, everyStreamCounted);
    QCOMPARE(qint64(account.received()), received);
    QCOMPARE(account.kernelDrops(), kernelDrops);
    QCOMPARE(account.lostOnTheWay(), lostOnTheWay);
    QCOMPARE(account.unreadAtStop(), unread);
    QCOMPARE(account.tcpdumpCaptured(), tcpdumpCaptured);
    QCOMPARE(account.everyStreamCounted(), everyStreamCounted);
    // What each stream's verdict said adds up to the totals.
    QCOMPARE(lostSeen, lostOnTheWay);
    QCOMPARE(unreadSeen, unread);
}

void TestCaptureStreamAccounting::streamBytes()
{
    CaptureStreamAccounting account;
    QVERIFY(!account.streamHasBytes());
    account.bytesArrived(24);
    QVERIFY(account.streamHasBytes());
    account.beginStream(); // tcpdump restarted: the new stream has sent nothing yet
    QVERIFY(!account.streamHasBytes());
}

QTEST_GUILESS_MAIN(TestCaptureStreamAccounting)
#include "tst_capturestreamaccounting.moc"
