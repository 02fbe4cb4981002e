// The capture store with real files, real crashes (SIGKILL of a child), a real full disk
// (a 2 MiB tmpfs) and Wireshark's own tools reading what it wrote.
#include "capture/pcapwriter.h"
#include "pcapbuilder.h"
#include "store/captureexporter.h"
#include "store/capturestore.h"
#include "store/packetindexentry.h"
#include "store/sessionspool.h"
#include "store/storedsession.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace podtap;

namespace {

constexpr int Sll2 = 276;
constexpr int Ethernet = 1;
const std::int64_t BaseNs = 1'700'000'000'000'000'000;

std::int64_t realtimeNs()
{
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// An SLL2 (or Ethernet) TCP frame whose payload starts with `number`, so any packet read back
// can be matched with the one spooled.
QByteArray frameFor(quint64 number, int payloadSize, quint16 dstPort = 8080,
                    PcapBuilder::Link link = PcapBuilder::Link::Sll2)
{
    PcapBuilder::Tcp t;
    t.dstPort = dstPort;
    t.seq = quint32(number);
    t.flags = 0x18;
    t.payload = QByteArray(std::max(payloadSize, 8), char('a' + number % 26));
    for (int i = 0; i < 8; ++i)
        t.payload[i] = char(number >> (8 * i));
    return PcapBuilder::frame(t, link);
}

RawPacket rawOf(const QByteArray &frame, std::int64_t tsNs, int linkType = Sll2)
{
    RawPacket p;
    p.data = reinterpret_cast<const std::uint8_t *>(frame.constData());
    p.caplen = quint32(frame.size());
    p.len = quint32(frame.size());
    p.tsNs = tsNs;
    p.linkType = linkType;
    return p;
}

PcapWriter::Options writerOptions()
{
    PcapWriter::Options o;
    o.interfaceDescription = QStringLiteral("pod shop/web-1, port 8080");
    o.sectionComment = QStringLiteral("podtap capture of pod shop/web-1, port 8080");
    return o;
}

QJsonObject sessionMeta()
{
    return {{QStringLiteral("target"), QStringLiteral("shop/web-1:8080")},
            {QStringLiteral("namespace"), QStringLiteral("shop")},
            {QStringLiteral("pod"), QStringLiteral("web-1")},
            {QStringLiteral("port"), 8080}};
}

struct ToolRun
{
    int exitCode = -1;
    QString out;
    QString err;
};

ToolRun runTool(const QString &program, const QStringList &args)
{
    ToolRun r;
    QProcess p;
    p.start(program, args);
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

bool haveWiresharkTools()
{
    return !QStandardPaths::findExecutable(QStringLiteral("capinfos")).isEmpty()
           && !QStandardPaths::findExecutable(QStringLiteral("tshark")).isEmpty();
}

// capinfos' packet count, or -1 when it cannot read the file (details in `info`).
qint64 capinfosCount(const QString &path, QString *info = nullptr)
{
    const ToolRun r = runTool(QStringLiteral("capinfos"),
                              {QStringLiteral("-c"), QStringLiteral("-M"), path});
    if (info)
        *info = r.out + r.err;
    const auto m = QRegularExpression(QStringLiteral("Number of packets:\\s*(\\d+)")).match(r.out);
    return r.exitCode == 0 && m.hasMatch() ? m.captured(1).toLongLong() : -1;
}

// Packets tshark reads, or -1 when it reports an error.
qint64 tsharkCount(const QString &path, QString *errors = nullptr)
{
    const ToolRun r
            = runTool(QStringLiteral("tshark"),
                      {QStringLiteral("-r"), path, QStringLiteral("-T"), QStringLiteral("fields"),
                       QStringLiteral("-e"), QStringLiteral("frame.number")});
    if (errors)
        *errors = r.err;
    return r.exitCode == 0 ? r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts).size() : -1;
}

int modeOf(const QString &path)
{
    struct stat st;
    if (::lstat(QFile::encodeName(path).constData(), &st) != 0)
        return -1;
    return int(st.st_mode & 07777);
}

qint64 rssKiB()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QString status = QString::fromUtf8(f.readAll());
    const auto m = QRegularExpression(QStringLiteral("VmRSS:\\s*(\\d+)")).match(status);
    return m.hasMatch() ? m.captured(1).toLongLong() : -1;
}

QStringList exportTemps(const QString &dir)
{
    return QDir(dir).entryList({QStringLiteral(".podtap-export-*")}, QDir::Files | QDir::Hidden);
}

// --- child process modes (the test binary re-run with a special first argument) ----------

// Spools 5 packets per millisecond, stamped with the real time, until killed.
int childSpool(const QString &sessionDir)
{
    SessionSpool spool;
    const auto created = spool.create(sessionDir, sessionMeta(), {}, writerOptions());
    if (!created) {
        std::fprintf(stderr, "%s\n", qPrintable(created.error()));
        return 2;
    }
    const QByteArray frame = frameFor(7, 200);
    quint64 n = 0;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setInterval(1);
    QObject::connect(&tick, &QTimer::timeout, &spool, [&] {
        for (int i = 0; i < 5; ++i)
            spool.append(rawOf(frame, realtimeNs()), ++n % 4, 0, 0x18);
    });
    tick.start();
    QTimer::singleShot(300, &spool, [] {
        std::printf("spooling\n");
        std::fflush(stdout);
    });
    return QCoreApplication::exec();
}

// Exports slowly (the progress callback sleeps) so the parent can kill it midway.
int childExport(const QString &sessionDir, const QString &outPath)
{
    const auto session = StoredSession::open(sessionDir);
    if (!session) {
        std::fprintf(stderr, "%s\n", qPrintable(session.error()));
        return 2;
    }
    CaptureExporter::Options o;
    bool announced = false;
    o.progress = [&announced](quint64, quint64) {
        if (!announced) {
            std::printf("exporting\n");
            std::fflush(stdout);
            announced = true;
        }
        QThread::msleep(50);
        return true;
    };
    const auto r = CaptureExporter::exportSession(session.value(), outPath, o);
    std::printf("%s\n", r ? "done" : qPrintable(r.error()));
    return r ? 0 : 1;
}

// Spools `count` packets as fast as possible and prints rate, bytes on disk and memory.
int benchSpool(qint64 count, const QString &sessionDir)
{
    SessionSpool spool;
    if (!spool.create(sessionDir, sessionMeta(), {}, writerOptions()))
        return 2;
    QByteArray frame = frameFor(0, 64);
    const qint64 rssBefore = rssKiB();
    QElapsedTimer t;
    t.start();
    for (qint64 i = 0; i < count; ++i) {
        std::memcpy(frame.data() + frame.size() - 64, &i, sizeof i);
        spool.append(rawOf(frame, BaseNs + i * 1000), quint64(i / 100) + 1, quint8(i % 2), 0x10);
        if (i % 1000000 == 999999)
            std::printf("%lld packets, RSS %lld KiB\n", i + 1, rssKiB());
    }
    const double spooled = double(t.nsecsElapsed()) / 1e9;
    spool.close(QStringLiteral("stopped"));
    const double s = double(t.nsecsElapsed()) / 1e9;
    std::printf("%lld packets of %lld bytes: %.0f packets/s spooled, %.2f s with close (fsync), "
                "%.1f bytes/packet on disk, RSS %lld -> %lld KiB\n",
                count, qint64(frame.size()), double(count) / spooled, s,
                double(spool.diskBytes()) / double(count), rssBefore, rssKiB());
    return 0;
}

} // namespace

class TestCaptureStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void indexEntryLayout();
    void spoolReadsBackByteIdentical();
    void pagesAMillionPackets();
    void privatePermissions_data();
    void privatePermissions();
    void defaultRootFollowsXdg();
    void foreignOrLinkedRootRefused();
    void rotationBySize();
    void rotationByAge();
    void ageingWithWallClock();
    void crashLosesAtMost100ms();
    void diskFull();
    void exportSelection_data();
    void exportSelection();
    void exportMixedLinkTypes();
    void exportBadBpfWritesNothing();
    void exportKilledMidwayLeavesNothing();
    void listSurvivesRestart();

private:
    QString exportSessionDir();
    QProcess *startChild(const QStringList &args, const QByteArray &readyLine);

    QTemporaryDir m_tmp;
    QString m_exportSession;
};

void TestCaptureStore::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    if (!haveWiresharkTools())
        QSKIP("capinfos and tshark are needed to check what the store writes");
}

QProcess *TestCaptureStore::startChild(const QStringList &args, const QByteArray &readyLine)
{
    auto *p = new QProcess(this);
    p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p->start(QCoreApplication::applicationFilePath(), args);
    QElapsedTimer t;
    t.start();
    QByteArray out;
    while (!out.contains(readyLine) && t.elapsed() < 20000 && p->state() != QProcess::NotRunning) {
        p->waitForReadyRead(200);
        out += p->readAllStandardOutput();
    }
    if (!out.contains(readyLine)) {
        qWarning() << "child" << args << "never said" << readyLine << "; output:" << out;
        p->kill();
        p->waitForFinished();
        return nullptr;
    }
    return p;
}

void TestCaptureStore::indexEntryLayout()
{
    PacketIndexEntry e;
    e.tsNs = 0x0102030405060708;
    e.connectionId = 0x1112131415161718;
    e.fileOffset = 0x2122232425262728;
    e.length = 0x31323334;
    e.fileNumber = 0x4142;
    e.direction = 1;
    e.tcpFlags = 0x12;
    char disk[PacketIndexEntry::DiskSize];
    e.toDisk(disk);
    const QByteArray expected = QByteArray::fromHex("0807060504030201"
                                                    "1817161514131211"
                                                    "2827262524232221"
                                                    "34333231"
                                                    "4241"
                                                    "01"
                                                    "12");
    QCOMPARE(QByteArray(disk, sizeof disk), expected);
    QCOMPARE(PacketIndexEntry::fromDisk(disk), e);
}

void TestCaptureStore::spoolReadsBackByteIdentical()
{
    CaptureStore store(m_tmp.filePath(QStringLiteral("readback")));
    QVERIFY(store.open().ok());
    SessionSpool spool;
    const auto created = spool.create(store.sessionDir(QStringLiteral("s1")), sessionMeta(), {},
                                      writerOptions());
    QVERIFY2(created.ok(), qPrintable(created.error()));

    constexpr int Count = 3000;
    QList<QByteArray> frames;
    QList<int> linkTypes;
    for (int i = 0; i < Count; ++i) {
        // 20 Ethernet packets in the middle: a second link type gets its own interface.
        const bool eth = i >= 1500 && i < 1520;
        frames << frameFor(quint64(i), (i * 7) % 1400, 8080,
                           eth ? PcapBuilder::Link::Ethernet : PcapBuilder::Link::Sll2);
        linkTypes << (eth ? Ethernet : Sll2);
        QVERIFY(spool.append(rawOf(frames.last(), BaseNs + i * 1000, linkTypes.last()),
                             quint64(i % 5), quint8(i % 2), quint8(0x10 | (i % 3))));
    }
    spool.appendConnection({{QStringLiteral("id"), 1}, {QStringLiteral("bytes"), 100}});
    spool.appendConnection({{QStringLiteral("id"), 2}, {QStringLiteral("bytes"), 200}});
    spool.flush();

    // Readable while the spool is still open.
    auto live = StoredSession::open(spool.directory());
    QVERIFY2(live.ok(), qPrintable(live.error()));
    QCOMPARE(live->packetCount(), quint64(Count));
    QCOMPARE(live->meta().value(QStringLiteral("state")).toString(), QStringLiteral("capturing"));

    spool.close(QStringLiteral("stopped"));
    QVERIFY(!spool.isOpen());
    QCOMPARE(spool.packets(), quint64(Count));

    const auto session = StoredSession::open(spool.directory());
    QVERIFY(session.ok());
    QCOMPARE(session->id(), QStringLiteral("s1"));
    QCOMPARE(session->firstPacket(), quint64(0));
    QCOMPARE(session->packetCount(), quint64(Count));
    const QList<PacketIndexEntry> entries = session->entries(0, Count + 10);
    QCOMPARE(entries.size(), Count);
    for (int i = 0; i < Count; ++i) {
        const PacketIndexEntry &e = entries.at(i);
        QCOMPARE(e.tsNs, BaseNs + i * 1000);
        QCOMPARE(e.connectionId, quint64(i % 5));
        QCOMPARE(e.direction, quint8(i % 2));
        QCOMPARE(e.tcpFlags, quint8(0x10 | (i % 3)));
        QCOMPARE(e.length, quint32(frames.at(i).size()));
        QCOMPARE(e.fileNumber, quint16(1));
        const auto data = session->packetData(e);
        QVERIFY2(data.ok(), qPrintable(data.error()));
        QCOMPARE(data.value(), frames.at(i));
        if (i % 100 == 0 || (i >= 1499 && i <= 1521))
            QCOMPARE(session->linkTypeOf(e), linkTypes.at(i));
    }
    QCOMPARE(session->entries(2990, 100).size(), 10);
    QCOMPARE(session->entries(Count, 100).size(), 0);
    QCOMPARE(session->connections().size(), 2);
    QCOMPARE(session->connections().at(1).value(QStringLiteral("bytes")).toInt(), 200);

    const QJsonObject meta = session->meta();
    QCOMPARE(meta.value(QStringLiteral("state")).toString(), QStringLiteral("stopped"));
    QVERIFY(meta.contains(QStringLiteral("ended")));
    QCOMPARE(meta.value(QStringLiteral("packets")).toInteger(), Count);
    QCOMPARE(meta.value(QStringLiteral("target")).toString(), QStringLiteral("shop/web-1:8080"));

    QCOMPARE(session->files().size(), 1);
    const QString file = session->files().constFirst();
    QVERIFY(file.endsWith(QLatin1String("/capture-000001.pcapng")));
    QString info;
    QCOMPARE(capinfosCount(file, &info), qint64(Count));
    QCOMPARE(tsharkCount(file), qint64(Count));
    const ToolRun ifaces = runTool(QStringLiteral("capinfos"), {QStringLiteral("-I"), file});
    QVERIFY2(ifaces.out.contains(QLatin1String("pod shop/web-1, port 8080")),
             qPrintable(ifaces.out));
    const QString comment = runTool(QStringLiteral("capinfos"), {QStringLiteral("-k"), file}).out;
    QVERIFY2(comment.contains(QLatin1String("podtap capture of pod shop/web-1, port 8080")),
             qPrintable(comment));
    // No stray files: the meta spare is released at close.
    QCOMPARE(QDir(spool.directory()).entryList(QDir::Files | QDir::Hidden, QDir::Name),
             QStringList({QStringLiteral("capture-000001.idx"),
                          QStringLiteral("capture-000001.pcapng"),
                          QStringLiteral("connections.jsonl"), QStringLiteral("meta.json")}));
}

void TestCaptureStore::pagesAMillionPackets()
{
    CaptureStore store(m_tmp.filePath(QStringLiteral("million")));
    QVERIFY(store.open().ok());
    SessionSpool spool;
    QVERIFY(spool.create(store.sessionDir(QStringLiteral("m")), sessionMeta(), {}, writerOptions())
                    .ok());
    constexpr qint64 Count = 1'000'000;
    QByteArray frame = frameFor(0, 16);
    const qsizetype numberAt = frame.size() - 16; // the payload's first 8 bytes
    QElapsedTimer t;
    t.start();
    qint64 rssAt200k = 0;
    for (qint64 i = 0; i < Count; ++i) {
        std::memcpy(frame.data() + numberAt, &i, sizeof i);
        QVERIFY(spool.append(rawOf(frame, BaseNs + i * 1000), quint64(i / 100) + 1, quint8(i % 2),
                             0x10));
        if (i == 200'000)
            rssAt200k = rssKiB();
    }
    spool.close(QStringLiteral("stopped"));
    const double seconds = double(t.nsecsElapsed()) / 1e9;
    const qint64 rssGrowth = rssKiB() - rssAt200k;
    qInfo("spooled %lld packets of %lld bytes in %.2f s (%.0f packets/s, close and fsync "
          "included); %.1f bytes per packet on disk; RSS grew %lld KiB from 200k to 1M packets",
          Count, qint64(frame.size()), seconds, double(Count) / seconds,
          double(spool.diskBytes()) / double(Count), rssGrowth);
    QVERIFY2(rssGrowth < 16 * 1024, "spool memory must not grow with the packet count");

    const auto session = StoredSession::open(spool.directory());
    QVERIFY(session.ok());
    QCOMPARE(session->packetCount(), quint64(Count));
    const qint64 rssBeforePaging = rssKiB();
    t.restart();
    std::int64_t previous = -1;
    quint64 seen = 0;
    for (quint64 from = 0; from < quint64(Count); from += 10000) {
        const QList<PacketIndexEntry> page = session->entries(from, 10000);
        QCOMPARE(page.size(), 10000);
        QCOMPARE(page.constFirst().tsNs, BaseNs + qint64(from) * 1000);
        QCOMPARE(page.constFirst().connectionId, from / 100 + 1);
        QVERIFY(page.constFirst().tsNs > previous);
        previous = page.constLast().tsNs;
        seen += quint64(page.size());
    }
    QCOMPARE(seen, quint64(Count));
    qInfo("paged 1M index entries in %lld ms; RSS grew %lld KiB while paging", t.elapsed(),
          rssKiB() - rssBeforePaging);
    QVERIFY(rssKiB() - rssBeforePaging < 16 * 1024);

    // Random packets fetched on demand match what was spooled.
    for (int k = 0; k < 200; ++k) {
        const quint64 n = QRandomGenerator::global()->bounded(quint64(Count));
        const auto e = session->entries(n, 1);
        QCOMPARE(e.size(), 1);
        const auto data = session->packetData(e.constFirst());
        QVERIFY(data.ok());
        std::memcpy(frame.data() + numberAt, &n, sizeof n);
        QCOMPARE(data.value(), frame);
    }
    qint64 onDisk = 0;
    for (const QString &file : session->files())
        onDisk += capinfosCount(file);
    QCOMPARE(onDisk, Count);
    QVERIFY(session->files().size() >= 2); // 64 MiB files: paging crossed a file boundary
}

void TestCaptureStore::privatePermissions_data()
{
    QTest::addColumn<int>("mask");
    QTest::addRow("umask 0") << 0;
    QTest::addRow("umask 022") << 022;
    QTest::addRow("umask 077") << 077;
}

void TestCaptureStore::privatePermissions()
{
    QFETCH(int, mask);
    const mode_t old = ::umask(mode_t(mask));
    const auto restore = qScopeGuard([old] { ::umask(old); });

    const QString base
            = m_tmp.filePath(QStringLiteral("perm-%1").arg(mask, 3, 8, QLatin1Char('0')));
    const QString root = base % QStringLiteral("/state/podtap/captures");
    CaptureStore store(root);
    const auto opened = store.open();
    QVERIFY2(opened.ok(), qPrintable(opened.error()));
    QCOMPARE(modeOf(root), 0700);
    QCOMPARE(modeOf(base % QStringLiteral("/state/podtap")), 0700);

    SessionSpool spool;
    QVERIFY(spool.create(store.sessionDir(QStringLiteral("p")), sessionMeta(), {}, writerOptions())
                    .ok());
    const QByteArray frame = frameFor(1, 100);
    for (int i = 0; i < 100; ++i)
        QVERIFY(spool.append(rawOf(frame, BaseNs + i), 1, 0, 0x10));
    spool.appendConnection({{QStringLiteral("id"), 1}});
    spool.flush();
    const auto checkFiles = [&] {
        QCOMPARE(modeOf(spool.directory()), 0700);
        const QStringList names = QDir(spool.directory()).entryList(QDir::Files | QDir::Hidden);
        QVERIFY(names.size() >= 4);
        for (const QString &name : names)
            QVERIFY2(modeOf(spool.directory() % QLatin1Char('/') % name) == 0600, qPrintable(name));
    };
    checkFiles();
    spool.close(QStringLiteral("stopped"));
    checkFiles();

    const auto session = StoredSession::open(spool.directory());
    QVERIFY(session.ok());
    const QString out = base % QStringLiteral("/export.pcapng");
    QVERIFY(CaptureExporter::exportSession(session.value(), out, {}).ok());
    QCOMPARE(modeOf(out), 0600);

    // A too-open existing root is tightened.
    QVERIFY(::chmod(QFile::encodeName(root).constData(), 0755) == 0);
    QVERIFY(CaptureStore(root).open().ok());
    QCOMPARE(modeOf(root), 0700);
}

void TestCaptureStore::defaultRootFollowsXdg()
{
    const QByteArray oldState = qgetenv("XDG_STATE_HOME");
    const auto restore = qScopeGuard([oldState] {
        if (oldState.isNull())
            qunsetenv("XDG_STATE_HOME");
        else
            qputenv("XDG_STATE_HOME", oldState);
    });
    qputenv("XDG_STATE_HOME", "/some/state");
    QCOMPARE(CaptureStore::defaultRoot(), QStringLiteral("/some/state/podtap/captures"));
    qunsetenv("XDG_STATE_HOME");
    QCOMPARE(CaptureStore::defaultRoot(),
             QDir::homePath() % QStringLiteral("/.local/state/podtap/captures"));
    qputenv("XDG_STATE_HOME", "relative/state"); // invalid per the spec: ignored
    QCOMPARE(CaptureStore::defaultRoot(),
             QDir::homePath() % QStringLiteral("/.local/state/podtap/captures"));
}

void TestCaptureStore::foreignOrLinkedRootRefused()
{
    const QString real = m_tmp.filePath(QStringLiteral("real-root"));
    QVERIFY(QDir().mkpath(real));
    const QString link = m_tmp.filePath(QStringLiteral("linked-root"));
    QVERIFY(QFile::link(real, link));
    const auto linked = CaptureStore(link).open();
    QVERIFY(!linked.ok());
    QVERIFY2(linked.error().contains(QLatin1String("symbolic link")), qPrintable(linked.error()));

    if (::geteuid() != 0)
        QSKIP("needs root to give a folder to another uid");
    const QString foreign = m_tmp.filePath(QStringLiteral("foreign-root"));
    QVERIFY(QDir().mkpath(foreign));
    QVERIFY(::chmod(QFile::encodeName(foreign).constData(), 0700) == 0);
    QVERIFY(::chown(QFile::encodeName(foreign).constData(), 65534, 65534) == 0);
    const auto refused = CaptureStore(foreign).open();
    QVERIFY(!refused.ok());
    qInfo("%s", qPrintable(refused.error()));
    QVERIFY2(refused.error().contains(QLatin1String("uid 65534")), qPrintable(refused.error()));
}

void TestCaptureStore::rotationBySize()
{
    CaptureStore store(m_tmp.filePath(QStringLiteral("rot-size")));
    QVERIFY(store.open().ok());
    SessionSpool spool;
    SessionSpool::Limits limits;
    limits.maxFileBytes = 64 * 1024;
    limits.maxTotalBytes = 256 * 1024;
    QVERIFY(spool.create(store.sessionDir(QStringLiteral("r")), sessionMeta(), limits,
                         writerOptions())
                    .ok());
    constexpr int Count = 10000;
    for (int i = 0; i < Count; ++i) {
        const QByteArray frame = frameFor(quint64(i), 150);
        QVERIFY(spool.append(rawOf(frame, BaseNs + i * 1000), 1, 0, 0x10));
        QVERIFY(spool.diskBytes() <= limits.maxTotalBytes + 64 * 1024);
    }
    spool.close(QStringLiteral("stopped"));
    QVERIFY(spool.rotatedOutPackets() > 0);
    QCOMPARE(spool.packets(), quint64(Count));

    const auto session = StoredSession::open(spool.directory());
    QVERIFY(session.ok());
    QCOMPARE(session->packetCount(), quint64(Count));
    QCOMPARE(session->firstPacket(), spool.rotatedOutPackets());
    QVERIFY(session->diskBytes() <= limits.maxTotalBytes);
    QVERIFY(!QFile::exists(spool.directory() % QStringLiteral("/capture-000001.pcapng")));
    QVERIFY(!QFile::exists(spool.directory() % QStringLiteral("/capture-000001.idx")));
    const auto files = session->spoolFiles();
    QVERIFY2(files.size() >= 3 && files.size() <= 5, qPrintable(QString::number(files.size())));
    QCOMPARE(session->files().size(), files.size());
    qInfo("%d packets, %d files kept, first packet on disk %llu, rotated-out %llu", Count,
          int(files.size()), session->firstPacket(), spool.rotatedOutPackets());

    // What remains pages and reads back, numbered as spooled.
    QVERIFY(session->entries(0, 10).isEmpty());
    const quint64 first = session->firstPacket();
    const auto all = session->entries(first, Count);
    QCOMPARE(quint64(all.size()), Count - first);
    for (qsizetype k = 0; k < all.size(); k += 97) {
        const auto data = session->packetData(all.at(k));
        QVERIFY2(data.ok(), qPrintable(data.error()));
        QCOMPARE(data.value(), frameFor(first + quint64(k), 150));
    }
    for (const auto &f : files)
        QCOMPARE(capinfosCount(f.capturePath), qint64(f.packets));
}

void TestCaptureStore::rotationByAge()
{
    CaptureStore store(m_tmp.filePath(QStringLiteral("rot-age")));
    QVERIFY(store.open().ok());
    SessionSpool spool;
    SessionSpool::Limits limits;
    limits.maxFileBytes = 64 * 1024;
    limits.maxAgeSeconds = 3600;
    QVERIFY(spool.create(store.sessionDir(QStringLiteral("a")), sessionMeta(), limits,
                         writerOptions())
                    .ok());
    const std::int64_t now = realtimeNs();
    const std::int64_t threeHoursAgo = now - 3 * 3600 * 1000000000ll;
    for (int i = 0; i < 1000; ++i)
        QVERIFY(spool.append(rawOf(frameFor(quint64(i), 150), threeHoursAgo + i), 1, 0, 0x10));
    for (int i = 1000; i < 2000; ++i)
        QVERIFY(spool.append(rawOf(frameFor(quint64(i), 150), now + i), 2, 0, 0x10));
    spool.flush();

    const auto session = StoredSession::open(spool.directory());
    QVERIFY(session.ok());
    const quint64 first = session->firstPacket();
    qInfo("first packet on disk after ageing: %llu (%llu rotated out)", first,
          spool.rotatedOutPackets());
    QVERIFY(first > 0);
    QVERIFY(first <= 1000); // only files holding nothing but old packets go
    QCOMPARE(spool.rotatedOutPackets(), first);
    QVERIFY(!QFile::exists(spool.directory() % QStringLiteral("/capture-000001.pcapng")));
    QCOMPARE(session->packetCount(), quint64(2000));
    const auto files = session->spoolFiles();
    // Every file but the first kept one holds only recent packets.
    for (qsizetype k = 1; k < files.size(); ++k) {
        const auto e = session->entries(files.at(k).firstPacket, 1);
        QCOMPARE(e.size(), 1);
        QVERIFY(e.constFirst().tsNs >= now);
    }
    spool.close(QStringLiteral("stopped"));
    for (const auto &f : session->spoolFiles())
        QCOMPARE(capinfosCount(f.capturePath), qint64(f.packets));
}

void TestCaptureStore::ageingWithWallClock()
{
    // maxAgeSeconds = 1: files rotate every second and age out while the capture runs.
    CaptureStore store(m_tmp.filePath(QStringLiteral("rot-clock")));
    QVERIFY(store.open().ok());
    SessionSpool spool;
    SessionSpool::Limits limits;
    limits.maxAgeSeconds = 1;
    QVERIFY(spool.create(store.sessionDir(QStringLiteral("c")), sessionMeta(), limits,
                         writerOptions())
                    .ok());
    QElapsedTimer t;
    t.start();
    quint64 n = 0;
    while (t.elapsed() < 3200) {
        QVERIFY(spool.append(rawOf(frameFor(n, 100), realtimeNs()), 1, 0, 0x10));
        ++n;
        QTest::qWait(20);
    }
    const std::int64_t now = realtimeNs();
    const auto session = StoredSession::open(spool.directory());
    QVERIFY(session.ok());
    QVERIFY(spool.rotatedOutPackets() > 0);
    const auto oldest = session->entries(session->firstPacket(), 1);
    QCOMPARE(oldest.size(), 1);
    const double ageS = double(now - oldest.constFirst().tsNs) / 1e9;
    qInfo("after 3.2 s with maxAgeSeconds 1: %llu of %llu packets rotated out, oldest kept is "
          "%.2f s old",
          spool.rotatedOutPackets(), n, ageS);
    QVERIFY(ageS < 2.6); // at most the age plus one rotation step plus timer slack
    spool.close(QStringLiteral("stopped"));
}

void TestCaptureStore::crashLosesAtMost100ms()
{
    CaptureStore store(m_tmp.filePath(QStringLiteral("crash")));
    QVERIFY(store.open().ok());
    const QString dir = store.sessionDir(QStringLiteral("k"));
    QProcess *child = startChild({QStringLiteral("--child-spool"), dir}, "spooling");
    QVERIFY(child);
    QThread::msleep(700 + QRandomGenerator::global()->bounded(100));
    const std::int64_t killNs = realtimeNs();
    ::kill(pid_t(child->processId()), SIGKILL);
    QVERIFY(child->waitForFinished(10000));

    const auto session = StoredSession::open(dir);
    QVERIFY2(session.ok(), qPrintable(session.error()));
    const quint64 count = session->packetCount();
    QVERIFY(count > 1000);
    const auto last = session->entries(count - 1, 1);
    QCOMPARE(last.size(), 1);
    QVERIFY(session->packetData(last.constFirst()).ok());
    const double lossMs = double(killNs - last.constFirst().tsNs) / 1e6;
    qInfo("SIGKILL %.1f ms after the last stored packet (%llu packets stored)", lossMs, count);
    QVERIFY2(lossMs < 500, "a crash must lose at most ~100 ms of packets");

    // Wireshark reads at least what the index lists (data is written before its index).
    QString info;
    for (const QString &file : session->files()) {
        const qint64 n = capinfosCount(file, &info);
        if (n < 0 && info.contains(QLatin1String("cut short"))) {
            // Only when the kill landed inside a write(): tshark still reads the packets before.
            qInfo("kill landed inside a write: %s", qPrintable(info));
            continue;
        }
        QVERIFY2(n >= qint64(count), qPrintable(info));
    }
    delete child;
}

void TestCaptureStore::diskFull()
{
    if (::geteuid() != 0)
        QSKIP("needs root to mount a 2 MiB tmpfs");
    QTemporaryDir mnt(m_tmp.filePath(QStringLiteral("tmpfs-XXXXXX")));
    QVERIFY(mnt.isValid());
    if (::mount("tmpfs", QFile::encodeName(mnt.path()).constData(), "tmpfs", 0, "size=2m") != 0)
        QSKIP(qPrintable(QStringLiteral("cannot mount a tmpfs: ")
                         + QString::fromLocal8Bit(strerror(errno))));
    const auto unmount = qScopeGuard(
            [&mnt] { ::umount2(QFile::encodeName(mnt.path()).constData(), MNT_DETACH); });

    CaptureStore store(mnt.filePath(QStringLiteral("captures")));
    QVERIFY(store.open().ok());
    SessionSpool spool;
    QVERIFY(spool.create(store.sessionDir(QStringLiteral("full")), sessionMeta(), {},
                         writerOptions())
                    .ok());
    QSignalSpy failed(&spool, &SessionSpool::failed);
    quint64 accepted = 0;
    for (quint64 i = 0; i < 100000; ++i) {
        if (!spool.append(rawOf(frameFor(i, 1000), BaseNs + qint64(i) * 1000), 1, 0, 0x18))
            break;
        ++accepted;
    }
    QCOMPARE(failed.count(), 1);
    const QString why = failed.at(0).at(0).toString();
    qInfo("after %llu packets: %s", accepted, qPrintable(why));
    QVERIFY2(why.startsWith(QLatin1String("disk full while writing ")), qPrintable(why));
    QVERIFY2(why.contains(QLatin1String("/full/capture-000001.")), qPrintable(why));
    QVERIFY2(why.endsWith(QLatin1String("No space left on device")), qPrintable(why));
    QCOMPARE(spool.error(), why);
    QVERIFY(!spool.append(rawOf(frameFor(0, 10), BaseNs), 1, 0, 0x18));
    spool.close(QStringLiteral("failed"));

    const auto session = StoredSession::open(spool.directory());
    QVERIFY(session.ok());
    // The final state landed although the disk is full (meta.json's preallocated spare).
    QCOMPARE(session->meta().value(QStringLiteral("state")).toString(), QStringLiteral("failed"));
    QCOMPARE(session->meta().value(QStringLiteral("error")).toString(), why);
    const quint64 stored = session->packetCount();
    QVERIFY(stored > 500);
    QCOMPARE(spool.packets(), stored);
    const auto entries = session->entries(0, int(stored));
    for (qsizetype k = 0; k < entries.size(); k += 50) {
        const auto data = session->packetData(entries.at(k));
        QVERIFY2(data.ok(), qPrintable(data.error()));
        QCOMPARE(data.value(), frameFor(quint64(k), 1000));
    }
    QCOMPARE(session->packetData(entries.constLast()).value(), frameFor(stored - 1, 1000));
    // The file was cut back to whole blocks: Wireshark reads it cleanly, every packet.
    QString info;
    QCOMPARE(capinfosCount(session->files().constFirst(), &info), qint64(stored));
    QCOMPARE(tsharkCount(session->files().constFirst()), qint64(stored));
    QVERIFY2(CaptureStore(store.root()).list().constFirst().value(QStringLiteral("state"))
                     == QStringLiteral("failed"),
             "a failed session is listed as failed, not interrupted");
}

QString TestCaptureStore::exportSessionDir()
{
    if (!m_exportSession.isEmpty())
        return m_exportSession;
    CaptureStore store(m_tmp.filePath(QStringLiteral("export-store")));
    if (!store.open().ok())
        return {};
    SessionSpool spool;
    if (!spool.create(store.sessionDir(QStringLiteral("e")), sessionMeta(), {}, writerOptions()))
        return {};
    // 300 packets, 1 ms apart; connection i % 3 + 1; connection 3 is on port 9090.
    for (int i = 0; i < 300; ++i) {
        const quint64 conn = quint64(i % 3 + 1);
        spool.append(
                rawOf(frameFor(quint64(i), 40, conn == 3 ? 9090 : 8080), BaseNs + i * 1000000ll),
                conn, 0, 0x18);
    }
    spool.close(QStringLiteral("stopped"));
    m_exportSession = spool.directory();
    return m_exportSession;
}

void TestCaptureStore::exportSelection_data()
{
    QTest::addColumn<int>("format");
    QTest::addColumn<QList<quint64>>("connections");
    QTest::addColumn<qint64>("fromMs");
    QTest::addColumn<qint64>("toMs");
    QTest::addColumn<QString>("bpf");
    QTest::addColumn<int>("expected");
    const int pcap = int(PcapWriter::Format::Pcap);
    const int pcapng = int(PcapWriter::Format::Pcapng);
    QTest::addRow("pcap, everything")
            << pcap << QList<quint64>() << qint64(-1) << qint64(-1) << QString() << 300;
    QTest::addRow("pcapng, everything")
            << pcapng << QList<quint64>() << qint64(-1) << qint64(-1) << QString() << 300;
    QTest::addRow("pcapng, connections 1 and 2")
            << pcapng << QList<quint64>{1, 2} << qint64(-1) << qint64(-1) << QString() << 200;
    QTest::addRow("pcap, 100 ms") << pcap << QList<quint64>() << qint64(100) << qint64(199)
                                  << QString() << 100;
    QTest::addRow("pcapng, bpf") << pcapng << QList<quint64>() << qint64(-1) << qint64(-1)
                                 << QStringLiteral("tcp port 9090") << 100;
    QTest::addRow("pcap, all three") << pcap << QList<quint64>{1, 3} << qint64(0) << qint64(149)
                                     << QStringLiteral("tcp dst port 9090") << 50;
}

void TestCaptureStore::exportSelection()
{
    QFETCH(int, format);
    QFETCH(QList<quint64>, connections);
    QFETCH(qint64, fromMs);
    QFETCH(qint64, toMs);
    QFETCH(QString, bpf);
    QFETCH(int, expected);
    const QString dir = exportSessionDir();
    QVERIFY(!dir.isEmpty());
    const auto session = StoredSession::open(dir);
    QVERIFY(session.ok());

    CaptureExporter::Options o;
    o.format = PcapWriter::Format(format);
    o.connections = QSet<quint64>(connections.begin(), connections.end());
    if (fromMs >= 0)
        o.fromNs = BaseNs + fromMs * 1000000;
    if (toMs >= 0)
        o.toNs = BaseNs + toMs * 1000000;
    o.bpf = bpf;
    const QString outDir = m_tmp.filePath(QStringLiteral("exports"));
    QVERIFY(QDir().mkpath(outDir));
    const QString out = outDir % QStringLiteral("/") % QString::fromLatin1(QTest::currentDataTag())
                        % (format == int(PcapWriter::Format::Pcap) ? QStringLiteral(".pcap")
                                                                   : QStringLiteral(".pcapng"));
    const auto r = CaptureExporter::exportSession(session.value(), out, o);
    QVERIFY2(r.ok(), qPrintable(r.error()));
    QCOMPARE(r->packets, quint64(expected));
    QCOMPARE(r->path, out);
    QCOMPARE(qint64(r->bytes), QFileInfo(out).size());
    QVERIFY(exportTemps(outDir).isEmpty());

    QString info;
    QCOMPARE(capinfosCount(out, &info), qint64(expected));
    QCOMPARE(tsharkCount(out), qint64(expected));
    const ToolRun type = runTool(QStringLiteral("capinfos"), {QStringLiteral("-t"), out});
    if (format == int(PcapWriter::Format::Pcapng)) {
        QVERIFY2(type.out.contains(QLatin1String("pcapng")), qPrintable(type.out));
        const QString comment
                = runTool(QStringLiteral("capinfos"), {QStringLiteral("-k"), out}).out;
        QVERIFY2(comment.contains(QLatin1String("Capture comment:"))
                         && comment.contains(QLatin1String("pod shop/web-1, port 8080")),
                 qPrintable(comment));
        const ToolRun ifaces = runTool(QStringLiteral("capinfos"), {QStringLiteral("-I"), out});
        QVERIFY2(ifaces.out.contains(QLatin1String("pod shop/web-1, port 8080")),
                 qPrintable(ifaces.out));
    } else {
        QVERIFY2(!type.out.contains(QLatin1String("pcapng")), qPrintable(type.out));
    }
    if (!bpf.isEmpty()) {
        const ToolRun ports = runTool(QStringLiteral("tshark"),
                                      {QStringLiteral("-r"), out, QStringLiteral("-T"),
                                       QStringLiteral("fields"), QStringLiteral("-e"),
                                       QStringLiteral("tcp.dstport")});
        QCOMPARE(ports.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts),
                 QStringList(expected, QStringLiteral("9090")));
    }
}

void TestCaptureStore::exportMixedLinkTypes()
{
    CaptureStore store(m_tmp.filePath(QStringLiteral("mixed")));
    QVERIFY(store.open().ok());
    SessionSpool spool;
    QVERIFY(spool.create(store.sessionDir(QStringLiteral("x")), sessionMeta(), {}, writerOptions())
                    .ok());
    for (int i = 0; i < 40; ++i) {
        const bool eth = i % 4 == 0;
        spool.append(rawOf(frameFor(quint64(i), 30, 8080,
                                    eth ? PcapBuilder::Link::Ethernet : PcapBuilder::Link::Sll2),
                           BaseNs + i, eth ? Ethernet : Sll2),
                     1, 0, 0x10);
    }
    spool.close(QStringLiteral("stopped"));
    const auto session = StoredSession::open(spool.directory());
    QVERIFY(session.ok());

    const QString ng = m_tmp.filePath(QStringLiteral("mixed.pcapng"));
    const auto r = CaptureExporter::exportSession(session.value(), ng, {});
    QVERIFY2(r.ok(), qPrintable(r.error()));
    QCOMPARE(tsharkCount(ng), qint64(40));
    const ToolRun ifaces = runTool(QStringLiteral("capinfos"), {QStringLiteral("-I"), ng});
    QVERIFY2(ifaces.out.contains(QLatin1String("Number of interfaces in file: 2")),
             qPrintable(ifaces.out));

    CaptureExporter::Options pcap;
    pcap.format = PcapWriter::Format::Pcap;
    const QString classic = m_tmp.filePath(QStringLiteral("mixed.pcap"));
    const auto refused = CaptureExporter::exportSession(session.value(), classic, pcap);
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().contains(QLatin1String("export as pcapng")),
             qPrintable(refused.error()));
    QVERIFY(!QFile::exists(classic));
}

void TestCaptureStore::exportBadBpfWritesNothing()
{
    const auto session = StoredSession::open(exportSessionDir());
    QVERIFY(session.ok());
    const QString outDir = m_tmp.filePath(QStringLiteral("bad-bpf"));
    QVERIFY(QDir().mkpath(outDir));
    CaptureExporter::Options o;
    o.bpf = QStringLiteral("tcp port ((nonsense");
    const QString out = outDir % QStringLiteral("/out.pcapng");
    const auto r = CaptureExporter::exportSession(session.value(), out, o);
    QVERIFY(!r.ok());
    qInfo("%s", qPrintable(r.error()));
    QVERIFY2(r.error().startsWith(QLatin1String("invalid BPF filter \"tcp port ((nonsense\": ")),
             qPrintable(r.error()));
    QVERIFY(QDir(outDir).entryList(QDir::Files | QDir::Hidden).isEmpty());

    const auto noFolder = CaptureExporter::exportSession(
            session.value(), outDir % QStringLiteral("/missing/out.pcapng"), {});
    QVERIFY(!noFolder.ok());
    QVERIFY2(noFolder.error().contains(QLatin1String("does not exist")),
             qPrintable(noFolder.error()));
}

void TestCaptureStore::exportKilledMidwayLeavesNothing()
{
    CaptureStore store(m_tmp.filePath(QStringLiteral("kill-export")));
    QVERIFY(store.open().ok());
    SessionSpool spool;
    QVERIFY(spool.create(store.sessionDir(QStringLiteral("big")), sessionMeta(), {},
                         writerOptions())
                    .ok());
    QByteArray frame = frameFor(0, 200);
    for (qint64 i = 0; i < 400000; ++i) {
        std::memcpy(frame.data() + frame.size() - 200, &i, sizeof i);
        spool.append(rawOf(frame, BaseNs + i * 1000), quint64(i % 10), 0, 0x18);
    }
    spool.close(QStringLiteral("stopped"));

    const QString outDir = m_tmp.filePath(QStringLiteral("kill-export-out"));
    QVERIFY(QDir().mkpath(outDir));
    const QString out = outDir % QStringLiteral("/big.pcapng");
    QProcess *child
            = startChild({QStringLiteral("--child-export"), spool.directory(), out}, "exporting");
    QVERIFY(child);
    QThread::msleep(150);
    QCOMPARE(child->state(), QProcess::Running); // still exporting: killed midway
    ::kill(pid_t(child->processId()), SIGKILL);
    QVERIFY(child->waitForFinished(10000));
    delete child;

    QVERIFY(!QFile::exists(out));
    const QStringList left = QDir(outDir).entryList(QDir::Files | QDir::Hidden);
    qInfo() << "left after the killed export:" << left;
    QVERIFY(left.size() <= 1);
    for (const QString &name : left)
        QVERIFY2(QRegularExpression(QStringLiteral("^\\.podtap-export-\\d+-[0-9a-f]+\\.tmp$"))
                         .match(name)
                         .hasMatch(),
                 qPrintable(name));

    // The next export into that folder removes the dead export's temp.
    const auto session = StoredSession::open(spool.directory());
    QVERIFY(session.ok());
    CaptureExporter::Options o;
    o.connections = {3};
    const auto r = CaptureExporter::exportSession(session.value(), out, o);
    QVERIFY2(r.ok(), qPrintable(r.error()));
    QCOMPARE(r->packets, quint64(40000));
    QCOMPARE(QDir(outDir).entryList(QDir::Files | QDir::Hidden),
             QStringList{QStringLiteral("big.pcapng")});
    QCOMPARE(capinfosCount(out), qint64(40000));
}

void TestCaptureStore::listSurvivesRestart()
{
    const QString root = m_tmp.filePath(QStringLiteral("list"));
    quint64 killedCount = 0;
    {
        CaptureStore store(root);
        QVERIFY(store.open().ok());
        SessionSpool done;
        QVERIFY(done.create(store.sessionDir(QStringLiteral("a-done")), sessionMeta(), {},
                            writerOptions())
                        .ok());
        for (int i = 0; i < 500; ++i)
            done.append(rawOf(frameFor(quint64(i), 50), BaseNs + i), 1, 0, 0x10);
        done.close(QStringLiteral("stopped"));

        QProcess *child = startChild(
                {QStringLiteral("--child-spool"), store.sessionDir(QStringLiteral("b-killed"))},
                "spooling");
        QVERIFY(child);
        ::kill(pid_t(child->processId()), SIGKILL);
        QVERIFY(child->waitForFinished(10000));
        delete child;
        const auto killed = StoredSession::open(store.sessionDir(QStringLiteral("b-killed")));
        QVERIFY(killed.ok());
        killedCount = killed->packetCount();
        QVERIFY(killedCount > 0);
    }

    // "Restart": a new store object on the same folder, one session live in this process.
    CaptureStore store(root);
    QVERIFY(store.open().ok());
    SessionSpool live;
    QVERIFY(live.create(store.sessionDir(QStringLiteral("c-live")), sessionMeta(), {},
                        writerOptions())
                    .ok());
    live.append(rawOf(frameFor(1, 50), BaseNs), 1, 0, 0x10);
    live.flush();
    QVERIFY(QDir(root).mkpath(QStringLiteral("not-a-session")));

    const QList<QJsonObject> sessions = store.list({QStringLiteral("c-live")});
    QCOMPARE(sessions.size(), 3);
    QHash<QString, QJsonObject> byId;
    for (const QJsonObject &s : sessions)
        byId.insert(s.value(QStringLiteral("id")).toString(), s);
    const QJsonObject a = byId.value(QStringLiteral("a-done"));
    QCOMPARE(a.value(QStringLiteral("state")).toString(), QStringLiteral("stopped"));
    QCOMPARE(a.value(QStringLiteral("packets")).toInteger(), 500);
    QCOMPARE(a.value(QStringLiteral("target")).toString(), QStringLiteral("shop/web-1:8080"));
    QVERIFY(a.contains(QStringLiteral("started")) && a.contains(QStringLiteral("ended")));
    QVERIFY(a.value(QStringLiteral("diskBytes")).toInteger() > 500 * 50);
    const QJsonObject b = byId.value(QStringLiteral("b-killed"));
    QCOMPARE(b.value(QStringLiteral("state")).toString(), QStringLiteral("interrupted"));
    QCOMPARE(b.value(QStringLiteral("lastState")).toString(), QStringLiteral("capturing"));
    QCOMPARE(quint64(b.value(QStringLiteral("packets")).toInteger()), killedCount);
    const QJsonObject c = byId.value(QStringLiteral("c-live"));
    QCOMPARE(c.value(QStringLiteral("state")).toString(), QStringLiteral("capturing"));
    QCOMPARE(c.value(QStringLiteral("packets")).toInteger(), 1);
    // Without the live id, the live one would look interrupted too.
    QCOMPARE(store.list().size(), 3);

    QVERIFY(store.remove(QStringLiteral("a-done")).ok());
    QVERIFY(!QFileInfo::exists(store.sessionDir(QStringLiteral("a-done"))));
    QCOMPARE(store.list({QStringLiteral("c-live")}).size(), 2);
    QVERIFY(!store.remove(QStringLiteral("../list")).ok());
    QVERIFY(!store.remove(QStringLiteral("a-done")).ok());
    live.close(QStringLiteral("stopped"));
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments();
    if (args.size() >= 3 && args.at(1) == QLatin1String("--child-spool"))
        return childSpool(args.at(2));
    if (args.size() >= 4 && args.at(1) == QLatin1String("--child-export"))
        return childExport(args.at(2), args.at(3));
    if (args.size() >= 4 && args.at(1) == QLatin1String("--bench-spool"))
        return benchSpool(args.at(2).toLongLong(), args.at(3));
    TestCaptureStore test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_capturestore.moc"
