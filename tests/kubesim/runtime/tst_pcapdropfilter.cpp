// PcapDropFilter (kubesim's dropPackets exec fault) on synthetic pcap streams: which records
// it removes, that the rest passes byte-exact whatever the chunking, and what it logs.
#include "pcapdropfilter.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

using namespace kubesim;
using namespace Qt::StringLiterals;

namespace {

QByteArray be16(quint16 v)
{
    QByteArray b(2, 0);
    qToBigEndian(v, b.data());
    return b;
}

QByteArray le32(quint32 v)
{
    QByteArray b(4, 0);
    qToLittleEndian(v, b.data());
    return b;
}

// TCP (20 bytes, flags PSH|ACK unless given) + payload, in IPv4 or IPv6.
QByteArray ipTcp(bool v6, quint16 sport, quint16 dport, int payload, quint8 flags = 0x18)
{
    QByteArray tcp = be16(sport) + be16(dport) + QByteArray(8, 0) + char(0x50) + char(flags)
                     + QByteArray(6, 0) + QByteArray(payload, 'x');
    if (v6)
        return QByteArray(1, char(0x60)) + QByteArray(3, 0) + be16(quint16(tcp.size())) + char(6)
               + char(64) + QByteArray(32, 1) + tcp;
    return QByteArray(1, char(0x45)) + char(0) + be16(quint16(20 + tcp.size())) + QByteArray(4, 0)
           + char(64) + char(6) + QByteArray(10, 2) + tcp;
}

QByteArray frame(quint32 link, const QByteArray &ip, bool vlan = false)
{
    const bool v6 = (quint8(ip.at(0)) >> 4) == 6;
    const quint16 type = v6 ? 0x86dd : 0x0800;
    switch (link) {
    case 1:
        return QByteArray(12, 3) + (vlan ? QByteArray(be16(0x8100) + be16(7)) : QByteArray())
               + be16(type) + ip;
    case 276:
        return be16(type) + QByteArray(18, 0) + ip;
    default:
        return ip; // 101: raw IP
    }
}

QByteArray record(const QByteArray &frame)
{
    return le32(1) + le32(2) + le32(quint32(frame.size())) + le32(quint32(frame.size())) + frame;
}

QByteArray fileHeader(quint32 link)
{
    return le32(0xa1b2c3d4) + QByteArray::fromHex("02000400") + QByteArray(8, 0) + le32(262144)
           + le32(link);
}

// The packets of every row: eligible (TCP payload to 8080) are 0, 4, 5, 6, 7 (ordinals 0-4).
QList<QByteArray> records(quint32 link)
{
    return {record(frame(link, ipTcp(false, 40000, 8080, 100))),
            record(frame(link, ipTcp(false, 40000, 8080, 0, 0x10))), // pure ACK
            record(frame(link, ipTcp(false, 40000, 9090, 100))),     // other port
            record(frame(link, ipTcp(false, 8080, 40000, 100))),     // the answer
            record(frame(link, ipTcp(false, 40000, 8080, 1))),
            record(frame(link, ipTcp(false, 40001, 8080, 1448), link == 1)),
            record(frame(link, ipTcp(true, 40002, 8080, 30))),
            record(frame(link, ipTcp(false, 40000, 8080, 7)))};
}

} // namespace

class TestPcapDropFilter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void drops_data();
    void drops();
    void notPcapPassesThrough();
    void truncatedTailIsKept();
};

void TestPcapDropFilter::drops_data()
{
    QTest::addColumn<quint32>("link");
    QTest::addColumn<int>("every");
    QTest::addColumn<QList<qint64>>("ordinals");
    QTest::addColumn<int>("max");
    QTest::addColumn<int>("chunk");          // bytes per filter() call
    QTest::addColumn<QList<int>>("dropped"); // indices into records()

    QTest::addRow("ethernet-every-2-bytewise")
            << 1u << 2 << QList<qint64>{} << 64 << 1 << QList<int>{4, 6};
    QTest::addRow("ethernet-ordinals-chunk-7")
            << 1u << 0 << QList<qint64>{0, 4} << 64 << 7 << QList<int>{0, 7};
    QTest::addRow("ethernet-every-1-max-2")
            << 1u << 1 << QList<qint64>{} << 2 << 100000 << QList<int>{0, 4};
    QTest::addRow("sll2-every-3") << 276u << 3 << QList<qint64>{} << 64 << 13 << QList<int>{5};
    QTest::addRow("raw-ip-ordinal-3-ipv6")
            << 101u << 0 << QList<qint64>{3} << 64 << 50 << QList<int>{6};
    QTest::addRow("nothing-chosen-matches")
            << 1u << 0 << QList<qint64>{99} << 64 << 10 << QList<int>{};
}

void TestPcapDropFilter::drops()
{
    QFETCH(quint32, link);
    QFETCH(int, every);
    QFETCH(QList<qint64>, ordinals);
    QFETCH(int, max);
    QFETCH(int, chunk);
    QFETCH(QList<int>, dropped);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    PacketDropSpec spec;
    spec.port = 8080;
    spec.every = every;
    spec.ordinals = ordinals;
    spec.max = max;
    spec.logPath = dir.filePath(u"dropped.pcap"_s);
    PcapDropFilter filter(spec);

    const QList<QByteArray> recs = records(link);
    const QByteArray input = fileHeader(link) + recs.join();
    QByteArray out;
    for (qsizetype off = 0; off < input.size(); off += chunk)
        out += filter.filter(input.mid(off, chunk));
    out += filter.takeRemainder();

    QByteArray expected = fileHeader(link);
    QByteArray expectedLog = fileHeader(link);
    for (int i = 0; i < recs.size(); ++i)
        (dropped.contains(i) ? expectedLog : expected) += recs[i];
    QCOMPARE(out.toHex(), expected.toHex());
    QCOMPARE(filter.dropped(), qint64(dropped.size()));
    QCOMPARE(filter.eligible(), qint64(5));
    QFile log(spec.logPath);
    if (dropped.isEmpty()) {
        QVERIFY(!log.exists());
    } else {
        QVERIFY(log.open(QIODevice::ReadOnly));
        QCOMPARE(log.readAll().toHex(), expectedLog.toHex());
    }
}

void TestPcapDropFilter::notPcapPassesThrough()
{
    PacketDropSpec spec;
    spec.port = 8080;
    spec.every = 1;
    PcapDropFilter filter(spec);
    const QByteArray text = "tcpdump: not a capture, just text that is long enough to look at\n";
    QCOMPARE(filter.filter(text.left(10)), QByteArray()); // too short to tell yet
    QCOMPARE(filter.filter(text.mid(10)), text);
    QCOMPARE(filter.filter("more"), QByteArray("more"));
    QCOMPARE(filter.dropped(), qint64(0));
}

void TestPcapDropFilter::truncatedTailIsKept()
{
    PacketDropSpec spec;
    spec.port = 8080;
    spec.ordinals = {1};
    PcapDropFilter filter(spec);
    const QList<QByteArray> recs = records(1);
    const QByteArray input = fileHeader(1) + recs[0] + recs[2] + recs[4].left(20);
    QCOMPARE(filter.filter(input), QByteArray(fileHeader(1) + recs[0] + recs[2]));
    // The stream ended inside a record: it goes out as it came, not dropped, not invented.
    QCOMPARE(filter.takeRemainder(), QByteArray(recs[4].left(20)));
    QCOMPARE(filter.dropped(), qint64(0));
}

QTEST_GUILESS_MAIN(TestPcapDropFilter)
#include "tst_pcapdropfilter.moc"
