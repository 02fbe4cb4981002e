// Real traffic, real tcpdump: inspect must report exactly what the senders wrote.
#include "capturecheck.h"
#include "netnslab.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace CaptureCheck;

class TestRealTraffic : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void traffic_data();
    void traffic();

private:
    std::unique_ptr<NetnsLab> m_lab;
};

void TestRealTraffic::initTestCase()
{
    const QString missing = missingPrerequisite(true);
    if (!missing.isEmpty())
        QSKIP(qPrintable(missing));
    m_lab = std::make_unique<NetnsLab>(QStringLiteral("rt"));
    QString error;
    QVERIFY2(m_lab->setUp(&error), qPrintable(error));
}

void TestRealTraffic::cleanupTestCase()
{
    m_lab.reset();
}

void TestRealTraffic::traffic_data()
{
    QTest::addColumn<QString>("family"); // v4, v6, lo
    QTest::addColumn<QString>("iface");  // any (LINUX_SLL2), veth (EN10MB), lo
    QTest::addColumn<QString>("serverMode");
    QTest::addColumn<QStringList>("clientArgs");
    QTest::addColumn<int>("tsharkStreams"); // streams cross-checked with tshark (0: none)
    QTest::addColumn<bool>("alsoPcapng");   // re-check after `editcap -F pcapng`

    const QStringList http = {QStringLiteral("--connections"),       QStringLiteral("12"),
                              QStringLiteral("--concurrency"),       QStringLiteral("4"),
                              QStringLiteral("--requests-per-conn"), QStringLiteral("6"),
                              QStringLiteral("--request-size"),      QStringLiteral("3000"),
                              QStringLiteral("--response-size"),     QStringLiteral("70000"),
                              QStringLiteral("--pipeline"),          QStringLiteral("2")};
    QTest::addRow("http-any-sll2") << "v4"
                                   << "any"
                                   << "http" << http << 12 << true;
    QTest::addRow("http-veth-ethernet") << "v4"
                                        << "veth"
                                        << "http" << http << 12 << true;
    QTest::addRow("http-ipv6-any") << "v6"
                                   << "any"
                                   << "http" << http << 12 << true;
    QTest::addRow("http-ipv6-veth") << "v6"
                                    << "veth"
                                    << "http" << http << 4 << false;
    QTest::addRow("http-loopback") << "lo"
                                   << "lo"
                                   << "http" << http << 4 << false;
    QTest::addRow("echo-bulk-veth")
            << "v4"
            << "veth"
            << "echo" << QStringList{QStringLiteral("--mode"),        QStringLiteral("bulk"),
                                     QStringLiteral("--bulk-bytes"),  QStringLiteral("5000000"),
                                     QStringLiteral("--connections"), QStringLiteral("3"),
                                     QStringLiteral("--concurrency"), QStringLiteral("3")}
            << 3 << true;
    // 1,000 connections open at the same time (one thread each on both sides).
    QTest::addRow("1000-concurrent-any")
            << "v4"
            << "any"
            << "http" << QStringList{QStringLiteral("--connections"),       QStringLiteral("1000"),
                                     QStringLiteral("--concurrency"),       QStringLiteral("1000"),
                                     QStringLiteral("--requests-per-conn"), QStringLiteral("1"),
                                     QStringLiteral("--request-size"),      QStringLiteral("200"),
                                     QStringLiteral("--response-size"),     QStringLiteral("2000")}
            << 25 << true;
    // >= 200 MB one way; tshark would need ~1 GB RAM and a minute here, so no cross-check.
    QTest::addRow("bulk-200MB-veth")
            << "v4"
            << "veth"
            << "sink"
            << QStringList{QStringLiteral("--mode"), QStringLiteral("bulk"),
                           QStringLiteral("--bulk-bytes"), QStringLiteral("209715200")}
            << 0 << false;
}

void TestRealTraffic::traffic()
{
    QFETCH(QString, family);
    QFETCH(QString, iface);
    QFETCH(QString, serverMode);
    QFETCH(QStringList, clientArgs);
    QFETCH(int, tsharkStreams);
    QFETCH(bool, alsoPcapng);

    QTemporaryDir dir; // /tmp; removed (with the capture) when the row ends, pass or fail
    QVERIFY(dir.isValid());
    if (qEnvironmentVariableIsSet("PODTAP_KEEP_CAPTURES")) {
        dir.setAutoRemove(false);
        qInfo("keeping %s", qPrintable(dir.path()));
    }
    QElapsedTimer timer;
    timer.start();

    Scenario s;
    s.serverNs = m_lab->serverNs();
    s.clientNs = family == QLatin1String("lo") ? m_lab->serverNs() : m_lab->clientNs();
    s.listenAddress = family == QLatin1String("v6")
                              ? QLatin1Char('[') + NetnsLab::serverV6() + QLatin1Char(']')
                      : family == QLatin1String("lo") ? QStringLiteral("127.0.0.1")
                                                      : NetnsLab::serverV4();
    s.captureIface = iface == QLatin1String("veth") ? m_lab->serverVeth() : iface;
    s.serverMode = serverMode;
    s.clientArgs = clientArgs;
    s.dir = dir.path();
    const ScenarioResult r = runScenario(s);
    QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
    const qint64 trafficMs = timer.restart();

    const QString capture = dir.filePath(QStringLiteral("capture.pcap"));
    const Inspect in = runInspect(capture, {QStringLiteral("--port"), QString::number(r.port)});
    QStringList problems = compareWithRecords(in, r.clientRecords, r.serverRecords);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.mid(0, 15).join(QLatin1Char('\n'))));
    const int expectedLink = iface == QLatin1String("any") ? 276 : 1; // LINUX_SLL2 / EN10MB
    QCOMPARE(in.doc.value(QLatin1String("stats"))
                     .toObject()
                     .value(QLatin1String("link_type"))
                     .toInt(expectedLink),
             expectedLink);
    const qint64 inspectMs = timer.restart();

    if (r.clientRecords.size() <= 50 && QFileInfo(capture).size() < 50 * 1024 * 1024) {
        // Random chunk boundaries (1..65536 bytes) must not change anything.
        const Inspect chunked
                = runInspect(capture, {QStringLiteral("--chunk-size"), QStringLiteral("0"),
                                       QStringLiteral("--seed"), QString::number(r.port)});
        problems = compareWithRecords(chunked, r.clientRecords, r.serverRecords);
        QVERIFY2(problems.isEmpty(), qPrintable(QStringLiteral("random chunks: ")
                                                + problems.mid(0, 15).join(QLatin1Char('\n'))));
    }

    if (alsoPcapng) {
        const QString ng = dir.filePath(QStringLiteral("capture.pcapng"));
        QString error;
        QVERIFY2(NetnsLab::run({QStringLiteral("editcap"), QStringLiteral("-F"),
                                QStringLiteral("pcapng"), capture, ng},
                               &error, 120000),
                 qPrintable(error));
        const Inspect ngIn = runInspect(ng, {QStringLiteral("--port"), QString::number(r.port)});
        problems = compareWithRecords(ngIn, r.clientRecords, r.serverRecords);
        QVERIFY2(problems.isEmpty(), qPrintable(QStringLiteral("pcapng: ")
                                                + problems.mid(0, 15).join(QLatin1Char('\n'))));
    }

    if (tsharkStreams > 0) {
        const QList<int> streams = sampleStreams(int(r.clientRecords.size()), tsharkStreams);
        QString error;
        const QList<FollowedStream> followed = tsharkFollow(capture, streams, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        problems = compareWithTshark(in, followed);
        QVERIFY2(problems.isEmpty(), qPrintable(QStringLiteral("tshark: ")
                                                + problems.mid(0, 15).join(QLatin1Char('\n'))));
    }
    qInfo("%s: %lld connections, capture %lld bytes, traffic %lld ms, inspect %lld ms, "
          "checks %lld ms",
          QTest::currentDataTag(), qint64(r.clientRecords.size()), QFile(capture).size(), trafficMs,
          inspectMs, timer.elapsed());
}

QTEST_GUILESS_MAIN(TestRealTraffic)
#include "tst_realtraffic.moc"
