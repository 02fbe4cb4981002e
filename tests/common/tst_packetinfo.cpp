// The packet list's Info column (PacketInfo) on frames built byte by byte: Wireshark's TCP
// summary, HTTP request and status lines, and hostile or cut input that must give a short
// reason, never garbage or a crash.
#include "capture/packetinfo.h"
#include "capture/rawpacket.h"
#include "pcapbuilder.h"

#include <QTest>

using namespace Qt::StringLiterals;
using podtap::PacketInfo;

class TestPacketInfo : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void describe_data();
    void describe();
    void flagList_data();
    void flagList();
    void hostileInput();
};

namespace {
QString describeFrame(const QByteArray &frame, PcapBuilder::Link link, quint32 caplen = 0)
{
    podtap::RawPacket p;
    p.data = reinterpret_cast<const std::uint8_t *>(frame.constData());
    p.caplen = caplen ? caplen : quint32(frame.size());
    p.len = quint32(frame.size());
    p.linkType = int(link);
    return PacketInfo::describe(p);
}
} // namespace

void TestPacketInfo::describe_data()
{
    QTest::addColumn<int>("link");
    QTest::addColumn<bool>("ipv6");
    QTest::addColumn<quint8>("flags");
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QString>("expected");
    const auto eth = int(PcapBuilder::Link::Ethernet);
    QTest::addRow("syn") << eth << false << quint8(0x02) << QByteArray()
                         << u"40000 → 8080 [SYN] Seq=1000 Win=65535 Len=0"_s;
    QTest::addRow("syn-ack") << eth << false << quint8(0x12) << QByteArray()
                             << u"40000 → 8080 [SYN, ACK] Seq=1000 Ack=77 Win=65535 Len=0"_s;
    QTest::addRow("fin-ack ipv6 sll2")
            << int(PcapBuilder::Link::Sll2) << true << quint8(0x11) << QByteArray()
            << u"40000 → 8080 [FIN, ACK] Seq=1000 Ack=77 Win=65535 Len=0"_s;
    QTest::addRow("rst") << eth << false << quint8(0x04) << QByteArray()
                         << u"40000 → 8080 [RST] Seq=1000 Win=65535 Len=0"_s;
    QTest::addRow("data, not http") << eth << false << quint8(0x18) << QByteArray("hello")
                                    << u"40000 → 8080 [PSH, ACK] Seq=1000 Ack=77 Win=65535 Len=5"_s;
    QTest::addRow("request line") << eth << false << quint8(0x18)
                                  << QByteArray("GET /api/items?id=3 HTTP/1.1\r\nHost: x\r\n\r\n")
                                  << u"GET /api/items?id=3 HTTP/1.1"_s;
    QTest::addRow("status line") << int(PcapBuilder::Link::Raw) << false << quint8(0x18)
                                 << QByteArray("HTTP/1.1 503 Service Unavailable\r\n\r\n")
                                 << u"HTTP/1.1 503 Service Unavailable"_s;
    QTest::addRow("body that looks like a method")
            << eth << false << quint8(0x10) << QByteArray("GETTING\r\n")
            << u"40000 → 8080 [ACK] Seq=1000 Ack=77 Win=65535 Len=9"_s;
}

void TestPacketInfo::describe()
{
    QFETCH(int, link);
    QFETCH(bool, ipv6);
    QFETCH(quint8, flags);
    QFETCH(QByteArray, payload);
    QFETCH(QString, expected);
    PcapBuilder::Tcp t;
    t.ipv6 = ipv6;
    t.seq = 1000;
    t.ack = 77;
    t.flags = flags;
    t.payload = payload;
    QCOMPARE(describeFrame(PcapBuilder::frame(t, PcapBuilder::Link(link)), PcapBuilder::Link(link)),
             expected);
}

void TestPacketInfo::flagList_data()
{
    QTest::addColumn<quint8>("flags");
    QTest::addColumn<QString>("expected");
    QTest::addRow("none") << quint8(0) << u"[<none>]"_s;
    QTest::addRow("syn ack") << quint8(0x12) << u"[SYN, ACK]"_s;
    QTest::addRow("fin psh ack") << quint8(0x19) << u"[FIN, PSH, ACK]"_s;
    QTest::addRow("all") << quint8(0xff) << u"[SYN, FIN, RST, PSH, ACK, URG, ECE, CWR]"_s;
}

void TestPacketInfo::flagList()
{
    QFETCH(quint8, flags);
    QFETCH(QString, expected);
    QCOMPARE(PacketInfo::flagList(flags), expected);
}

void TestPacketInfo::hostileInput()
{
    PcapBuilder::Tcp t;
    t.flags = 0x18;
    // Control characters in a request line are not copied into the list.
    t.payload = QByteArray("GET /a\x1b[31mred HTTP/1.1\r\n", 25);
    const QString escaped = describeFrame(PcapBuilder::frame(t, PcapBuilder::Link::Ethernet),
                                          PcapBuilder::Link::Ethernet);
    QVERIFY2(escaped.startsWith(u"GET /a\ufffd[31mred"_s), qPrintable(escaped));
    // A line longer than 200 bytes is cut with an ellipsis.
    t.payload = "POST /" + QByteArray(500, 'x') + " HTTP/1.1\r\n";
    const QString cut = describeFrame(PcapBuilder::frame(t, PcapBuilder::Link::Ethernet),
                                      PcapBuilder::Link::Ethernet);
    QCOMPARE(cut.size(), 201);
    QVERIFY(cut.endsWith(QChar(0x2026)));
    // Headers cut short by the snap length.
    t.payload.clear();
    const QByteArray frame = PcapBuilder::frame(t, PcapBuilder::Link::Ethernet);
    QVERIFY(describeFrame(frame, PcapBuilder::Link::Ethernet, 30).startsWith(u"truncated"_s));
    // A link type nobody decodes, and nothing at all.
    QCOMPARE(describeFrame(frame, PcapBuilder::Link(147)), u"link type 147 not decoded"_s);
    podtap::RawPacket empty;
    empty.linkType = 1;
    QVERIFY(PacketInfo::describe(empty).startsWith(u"truncated"_s));
    // Not TCP: an ARP frame.
    QByteArray arp(42, '\0');
    arp[12] = char(0x08);
    arp[13] = char(0x06);
    QCOMPARE(describeFrame(arp, PcapBuilder::Link::Ethernet), u"not TCP, 42 bytes"_s);
    QCOMPARE(PacketInfo::httpLine(nullptr, 10), QString());
}

QTEST_GUILESS_MAIN(TestPacketInfo)
#include "tst_packetinfo.moc"
