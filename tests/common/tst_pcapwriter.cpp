// The pcap/pcapng writers, checked by Wireshark's own tools and by reading back.
#include "capture/captureengine.h"
#include "capture/pcapwriter.h"
#include "pcapbuilder.h"

#include <QBuffer>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap;

namespace {
QList<QByteArray> readRecords(const QByteArray &bytes, QList<std::int64_t> *ts = nullptr)
{
    QList<QByteArray> out;
    PcapStreamReader r;
    r.setPacketCallback([&](const RawPacket &p) {
        out << QByteArray(reinterpret_cast<const char *>(p.data), qsizetype(p.caplen));
        if (ts)
            *ts << p.tsNs;
    });
    r.feed(reinterpret_cast<const std::uint8_t *>(bytes.constData()), std::size_t(bytes.size()));
    r.endOfStream();
    return out;
}

QString run(const QString &program, const QStringList &args)
{
    QProcess p;
    p.start(program, args);
    p.waitForFinished(30000);
    return QString::fromUtf8(p.readAllStandardOutput());
}
} // namespace

class TestPcapWriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTripAndWiresharkTools_data();
    void roundTripAndWiresharkTools();
    void failingDeviceReportsError();
};

void TestPcapWriter::roundTripAndWiresharkTools_data()
{
    QTest::addColumn<int>("format");
    QTest::addRow("pcap") << int(PcapWriter::Format::Pcap);
    QTest::addRow("pcapng") << int(PcapWriter::Format::Pcapng);
}

void TestPcapWriter::roundTripAndWiresharkTools()
{
    QFETCH(int, format);
    PcapBuilder src(PcapBuilder::Link::Sll2, true);
    for (int i = 0; i < 50; ++i) {
        PcapBuilder::Tcp t;
        t.seq = quint32(1000 + i * 10);
        t.flags = 0x18;
        t.payload = QByteArray(i % 13 + 1, char('a' + i % 26)); // odd sizes exercise padding
        src.add(t, 1'700'000'000'000'000 + i * 1001);
    }
    QList<std::int64_t> srcTs;
    const QList<QByteArray> srcRecords = readRecords(src.bytes(), &srcTs);
    QCOMPARE(srcRecords.size(), 50);

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("out.cap"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    PcapWriter::Options o;
    o.format = PcapWriter::Format(format);
    o.linkType = 276;
    o.interfaceDescription = QStringLiteral("pod shop/web-1, port 8080");
    o.sectionComment = QStringLiteral("podtap capture of shop/web-1:8080");
    PcapWriter w(&f, o);
    QVERIFY(w.begin());
    PcapStreamReader r;
    int i = 0;
    r.setPacketCallback([&](const RawPacket &p) {
        w.write(p, i++ == 3 ? QStringLiteral("gap of 100 bytes before this packet") : QString());
    });
    r.feed(reinterpret_cast<const std::uint8_t *>(src.bytes().constData()),
           std::size_t(src.bytes().size()));
    r.endOfStream();
    QVERIFY(w.flush());
    f.close();
    QCOMPARE(w.packetsWritten(), quint64(50));

    QFile back(path);
    QVERIFY(back.open(QIODevice::ReadOnly));
    QList<std::int64_t> ts;
    QCOMPARE(readRecords(back.readAll(), &ts), srcRecords);
    QCOMPARE(ts, srcTs); // nanoseconds survive

    if (QStandardPaths::findExecutable(QStringLiteral("capinfos")).isEmpty())
        QSKIP("capinfos/tshark not installed: only the read-back was checked");
    const QString info
            = run(QStringLiteral("capinfos"), {QStringLiteral("-c"), QStringLiteral("-t"), path});
    QVERIFY2(info.contains(QLatin1String("Number of packets:   50")), qPrintable(info));
    QVERIFY2(info.contains(format == int(PcapWriter::Format::Pcap) ? QLatin1String("pcap")
                                                                   : QLatin1String("pcapng")),
             qPrintable(info));
    const QString tshark
            = run(QStringLiteral("tshark"),
                  {QStringLiteral("-r"), path, QStringLiteral("-T"), QStringLiteral("fields"),
                   QStringLiteral("-e"), QStringLiteral("tcp.len")});
    QCOMPARE(tshark.split(QLatin1Char('\n'), Qt::SkipEmptyParts).size(), 50);
    if (format == int(PcapWriter::Format::Pcapng)) {
        const QString comments
                = run(QStringLiteral("tshark"),
                      {QStringLiteral("-r"), path, QStringLiteral("-T"), QStringLiteral("fields"),
                       QStringLiteral("-e"), QStringLiteral("frame.comment")});
        QVERIFY2(comments.contains(QLatin1String("gap of 100 bytes")), qPrintable(comments));
        const QString ifaces = run(QStringLiteral("capinfos"), {QStringLiteral("-I"), path});
        QVERIFY2(ifaces.contains(QLatin1String("pod shop/web-1, port 8080")), qPrintable(ifaces));
    }
}

void TestPcapWriter::failingDeviceReportsError()
{
    QBuffer closed; // never opened: every write fails
    PcapWriter w(&closed, {});
    QVERIFY(!w.begin());
    QVERIFY(!w.errorString().isEmpty());
}

QTEST_GUILESS_MAIN(TestPcapWriter)
#include "tst_pcapwriter.moc"
