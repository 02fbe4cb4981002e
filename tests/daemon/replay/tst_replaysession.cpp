// Replaying a capture file to a real local TCP server: bytes, timing and concurrency.
#include "pcapbuilder.h"
#include "replay/replaysession.h"

#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap;

namespace {
constexpr quint8 F = 0x01, S = 0x02, A = 0x10, PA = 0x18;

struct Arrival
{
    qint64 firstByteMs = -1;
    QByteArray bytes;
};

// Three connections starting 0, 400 and 800 ms into the capture; the first one stays
// open across the others (overlap), each sends a distinct request.
QString writeCapture(const QTemporaryDir &dir)
{
    PcapBuilder pcap(PcapBuilder::Link::Ethernet, true);
    const qint64 t0 = 1'700'000'000'000'000;
    auto pkt = [&](quint16 cport, bool c2s, quint32 seq, quint32 ack, quint8 flags, qint64 tsUs,
                   const QByteArray &payload = {}) {
        PcapBuilder::Tcp t;
        t.srcPort = c2s ? cport : 8080;
        t.dstPort = c2s ? 8080 : cport;
        if (!c2s)
            std::swap(t.srcIp, t.dstIp);
        t.seq = seq;
        t.ack = ack;
        t.flags = flags;
        t.payload = payload;
        pcap.add(t, tsUs);
    };
    for (int k = 0; k < 3; ++k) {
        const quint16 port = quint16(50000 + k);
        const qint64 start = t0 + k * 400'000;
        pkt(port, true, 1, 0, S, start);
        pkt(port, false, 5, 2, S | A, start + 10);
        pkt(port, true, 2, 6, A, start + 20);
        pkt(port, true, 2, 6, PA, start + 30, QByteArray("request-") + QByteArray::number(k));
    }
    for (int k = 0; k < 3; ++k) {
        const quint16 port = quint16(50000 + k);
        pkt(port, true, 11, 6, F | A, t0 + 900'000 + k);
        pkt(port, false, 6, 12, F | A, t0 + 900'010 + k);
    }
    const QString path = dir.filePath(QStringLiteral("three.pcap"));
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    f.write(pcap.bytes());
    return path;
}
} // namespace

class TestReplaySession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void timing_data();
    void timing();
    void missingFileIsAnError();
};

void TestReplaySession::timing_data()
{
    QTest::addColumn<double>("speed");
    QTest::addRow("original timing") << 1.0;
    QTest::addRow("x4") << 4.0;
    QTest::addRow("as fast as possible") << 0.0;
}

void TestReplaySession::timing()
{
    QFETCH(double, speed);
    QTemporaryDir dir;
    const QString file = writeCapture(dir);
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QElapsedTimer clock;
    QList<Arrival> arrivals;
    connect(&server, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *s = server.nextPendingConnection()) {
            const int idx = int(arrivals.size());
            arrivals.append(Arrival{});
            connect(s, &QTcpSocket::readyRead, this, [&, s, idx] {
                if (arrivals[idx].firstByteMs < 0)
                    arrivals[idx].firstByteMs = clock.elapsed();
                arrivals[idx].bytes += s->readAll();
            });
        }
    });
    ReplaySession::Options o;
    o.file = file;
    o.port = server.serverPort();
    o.speed = speed;
    ReplaySession replay(o);
    QSignalSpy done(&replay, &ReplaySession::done);
    clock.start();
    QString error;
    QVERIFY2(replay.start(&error), qPrintable(error));
    QVERIFY(done.wait(20000));
    QVERIFY2(done.at(0).at(0).toBool(), qPrintable(done.at(0).at(1).toString()));
    QCOMPARE(arrivals.size(), 3);
    QList<QByteArray> got;
    for (const auto &a : std::as_const(arrivals))
        got << a.bytes;
    std::sort(got.begin(), got.end());
    QCOMPARE(got, (QList<QByteArray>{"request-0", "request-1", "request-2"}));
    QCOMPARE(replay.stats().completed, quint64(3));
    if (speed > 0) {
        // Start order and spacing follow the capture (lower bounds only: machines are noisy).
        std::sort(arrivals.begin(), arrivals.end(),
                  [](const Arrival &a, const Arrival &b) { return a.bytes < b.bytes; });
        const qint64 spacing = qint64(400 / speed);
        QVERIFY2(arrivals[1].firstByteMs - arrivals[0].firstByteMs >= spacing * 8 / 10,
                 qPrintable(QStringLiteral("%1 ms apart")
                                    .arg(arrivals[1].firstByteMs - arrivals[0].firstByteMs)));
        QVERIFY2(arrivals[2].firstByteMs - arrivals[1].firstByteMs >= spacing * 8 / 10,
                 qPrintable(QStringLiteral("%1 ms apart")
                                    .arg(arrivals[2].firstByteMs - arrivals[1].firstByteMs)));
    }
}

void TestReplaySession::missingFileIsAnError()
{
    ReplaySession::Options o;
    o.file = QStringLiteral("/nonexistent/capture.pcap");
    o.port = 1;
    ReplaySession replay(o);
    QString error;
    QVERIFY(!replay.start(&error));
    QVERIFY2(error.contains(QLatin1String("/nonexistent/capture.pcap")), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestReplaySession)
#include "tst_replaysession.moc"
