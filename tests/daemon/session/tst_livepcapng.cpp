// LivePcapng: a session's live pcapng with one interface per pod and the losses at the end,
// read back by the real tshark (interfaces, packets) and checked block by block (statistics).
#include "session/livepcapng.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>

using namespace podtap;

namespace {

// A minimal LINUX_SLL2 + IPv4 + TCP SYN, enough for tshark to dissect.
QByteArray synPacket(quint8 lastOctet)
{
    QByteArray sll2(20, '\0');
    sll2[0] = 0x08; // protocol 0x0800
    sll2[1] = 0x00;
    QByteArray ip = QByteArray::fromHex("4500002800010000400600000a0000010a000002");
    ip[19] = char(lastOctet); // the destination
    const QByteArray tcp = QByteArray::fromHex("3039005000000001000000005002ffff00000000");
    return sll2 + ip + tcp;
}

QList<QPair<quint32, QByteArray>> blocksOf(const QByteArray &b)
{
    QList<QPair<quint32, QByteArray>> out;
    for (qsizetype at = 0; at + 12 <= b.size();) {
        quint32 type = 0, length = 0;
        std::memcpy(&type, b.constData() + at, 4);
        std::memcpy(&length, b.constData() + at + 4, 4);
        if (length < 12 || at + length > b.size())
            return {};
        out.append({type, b.mid(at, length)});
        at += length;
    }
    return out;
}

} // namespace

class TstLivePcapng : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void interfacePerPodAndLossesAtTheEnd();
    void lateReaderGetsTheInterfacesSoFar();
};

void TstLivePcapng::interfacePerPodAndLossesAtTheEnd()
{
    LivePcapng live(QStringLiteral("podtap session 7"), 8080);
    QByteArray file = live.header();
    const QByteArray p1 = synPacket(1), p2 = synPacket(2);
    RawPacket a{reinterpret_cast<const std::uint8_t *>(p1.constData()), std::uint32_t(p1.size()),
                std::uint32_t(p1.size()), 1'700'000'000'000'000'000, 276};
    RawPacket b = a;
    b.data = reinterpret_cast<const std::uint8_t *>(p2.constData());
    bool fresh = false;
    file += live.packet(a, 0, QStringLiteral("shop/web-0"), &fresh);
    QVERIFY(fresh);
    file += live.packet(b, 1, QStringLiteral("shop/web-1"), &fresh);
    QVERIFY(fresh);
    file += live.packet(a, 0, QStringLiteral("shop/web-0"), &fresh);
    QVERIFY(!fresh);
    QCOMPARE(live.interfaceCount(), 2);
    file += live.statistics({{0, 3, 2, 1}, {1, 0, 0, 0}}, 1'700'000'001'000'000'000);

    const auto blocks = blocksOf(file);
    QList<quint32> types;
    for (const auto &blk : blocks)
        types << blk.first;
    // SHB, IDB 0, EPB, IDB 1, EPB, EPB, ISB 0, ISB 1
    QCOMPARE(types, (QList<quint32>{0x0A0D0D0A, 1, 6, 1, 6, 6, 5, 5}));
    const QByteArray isb0 = blocks[6].second;
    QVERIFY(isb0.contains("podtap: pod shop/web-0: 3 packets dropped by the kernel, 2 lost on the "
                          "way, 1 unread when tcpdump stopped"));
    // isb_ifdrop (code 5, 8 bytes) = 3 + 2 + 1; isb_ifrecv (code 4) = 2 packets.
    QVERIFY(isb0.contains(QByteArray::fromHex("050008000600000000000000")));
    QVERIFY(isb0.contains(QByteArray::fromHex("040008000200000000000000")));

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("live.pcapng"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(file);
    f.close();
    QProcess tshark;
    tshark.start(QStringLiteral("tshark"),
                 {QStringLiteral("-r"), path, QStringLiteral("-T"), QStringLiteral("fields"),
                  QStringLiteral("-e"), QStringLiteral("frame.interface_name"),
                  QStringLiteral("-e"), QStringLiteral("ip.dst")});
    if (!tshark.waitForStarted())
        QSKIP("tshark is not installed (scripts/install-deps installs it)");
    QVERIFY(tshark.waitForFinished(30000));
    QCOMPARE(tshark.exitCode(), 0);
    QCOMPARE(QString::fromUtf8(tshark.readAllStandardOutput()),
             QStringLiteral("shop/web-0\t10.0.0.1\nshop/web-1\t10.0.0.2\nshop/web-0\t10.0.0.1\n"));
}

void TstLivePcapng::lateReaderGetsTheInterfacesSoFar()
{
    LivePcapng live(QStringLiteral("s"), 80);
    const QByteArray p = synPacket(1);
    RawPacket a{reinterpret_cast<const std::uint8_t *>(p.constData()), std::uint32_t(p.size()),
                std::uint32_t(p.size()), 1, 276};
    live.packet(a, 4, QStringLiteral("ns/a"));
    a.linkType = 113; // the same pod with another link type is another interface
    live.packet(a, 4, QStringLiteral("ns/a"));
    QList<quint32> types;
    for (const auto &blk : blocksOf(live.header()))
        types << blk.first;
    QCOMPARE(types, (QList<quint32>{0x0A0D0D0A, 1, 1}));
}

QTEST_GUILESS_MAIN(TstLivePcapng)
#include "tst_livepcapng.moc"
