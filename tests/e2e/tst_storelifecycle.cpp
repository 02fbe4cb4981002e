// The capture store's lifecycle end to end: the real podtapd and CLI against kubesim's pods.
// Retention at start-up (sessions whose meta.json says they ended days ago), the quota when a
// real session ends (oldest stopped first, never the running one, each removal announced on
// the "sessions" stream), `podtap rm` (running refused, stopped removed, --all-stopped),
// `podtap retention`, and a finished session leaving the daemon's memory.
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

#include "ipc/ipcclient.h"
#include "support/clirunner.h"
#include "support/jsonhelpers.h"
#include "support/sessionbench.h"

using namespace Qt::StringLiterals;
using namespace podtap::test;

class TestStoreLifecycle : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();
    void retentionAtStartup();
    void quotaAndRmAroundARealSession();
    void retentionCommand();
    void fullDiskAtStart();

private:
    // A stored session as an older podtapd left it: meta.json and a capture file of `bytes`.
    void seed(const QString &id, qint64 endedSecsAgo, qint64 bytes);
    QString sessionDir(const QString &id) const { return m_store + u'/' + id; }
    QList<QJsonObject> removedEvents() const;

    SessionBench m_bench;
    QString m_store;
    QString m_webIp;
    podtap::IpcClient *m_client = nullptr;
    QList<QJsonObject> m_events;
};

void TestStoreLifecycle::seed(const QString &id, qint64 endedSecsAgo, qint64 bytes)
{
    QVERIFY(QDir().mkpath(sessionDir(id)));
    const QDateTime ended = QDateTime::currentDateTimeUtc().addSecs(-endedSecsAgo);
    const QJsonObject meta{{u"id"_s, id},
                           {u"state"_s, u"stopped"_s},
                           {u"title"_s, QString(u"seeded "_s + id)},
                           {u"started"_s, ended.addSecs(-60).toString(Qt::ISODateWithMs)},
                           {u"ended"_s, ended.toString(Qt::ISODateWithMs)}};
    QFile m(sessionDir(id) + u"/meta.json"_s);
    QVERIFY(m.open(QIODevice::WriteOnly));
    m.write(QJsonDocument(meta).toJson());
    QFile c(sessionDir(id) + u"/capture-000001.pcapng"_s);
    QVERIFY(c.open(QIODevice::WriteOnly));
    QVERIFY(c.resize(bytes));
}

QList<QJsonObject> TestStoreLifecycle::removedEvents() const
{
    QList<QJsonObject> out;
    for (const QJsonObject &e : m_events)
        if (e.value(u"stream"_s).toString() == u"sessions"_s
            && e.value(u"event"_s).toString() == u"removed"_s)
            out << e.value(u"data"_s).toObject();
    return out;
}

void TestStoreLifecycle::initTestCase()
{
    if (const QString why = SessionBench::skipReason(); !why.isEmpty())
        QSKIP(qPrintable(why));
    QString error;
    QVERIFY2(m_bench.start(QStringLiteral(SRCDIR "/scenarios/sessions.yaml"), &error),
             qPrintable(error));
    m_webIp = m_bench.podIps(u"shop"_s, &error).value(u"web"_s);
    QVERIFY2(!m_webIp.isEmpty(), qPrintable(u"web has no IP: "_s + error));
    m_store = m_bench.podtapd().storePath();
    QVERIFY(QDir().mkpath(m_store));
    QVERIFY(QFile::setPermissions(m_store, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
}

void TestStoreLifecycle::cleanup()
{
    m_bench.cleanupCase("podtapd.log, cli.log");
}

void TestStoreLifecycle::cleanupTestCase()
{
    delete m_client;
    m_bench.stop();
}

void TestStoreLifecycle::retentionAtStartup()
{
    // Seeded before the daemon starts: two ended more than 7 days ago, two recently (1.5 MiB
    // each, under the 5 MiB quota together).
    seed(u"101"_s, 10 * 86400, 100000);
    seed(u"102"_s, 8 * 86400, 100000);
    seed(u"103"_s, 2 * 3600, 1536 * 1024);
    seed(u"104"_s, 1 * 3600, 1536 * 1024);
    m_bench.podtapd().setExtraArguments({u"--store-quota"_s, u"5M"_s, u"--store-max-age"_s, u"7d"_s,
                                         u"--release-after"_s, u"1s"_s});
    QString error;
    QVERIFY2(m_bench.startDaemon(&error), qPrintable(error));
    QVERIFY(!QFileInfo::exists(sessionDir(u"101"_s)));
    QVERIFY(!QFileInfo::exists(sessionDir(u"102"_s)));
    QVERIFY(QFileInfo::exists(sessionDir(u"103"_s)));
    QVERIFY(QFileInfo::exists(sessionDir(u"104"_s)));
    QFile log(m_bench.podtapd().logPath());
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QByteArray text = log.readAll();
    QVERIFY2(text.contains("removed stored session 101 (100") && text.contains("more than 7d ago")
                     && text.contains("removed stored session 102"),
             text.constData());

    m_client = new podtap::IpcClient;
    m_client->connectToDaemon(m_bench.podtapd().socketPath(), u"tst_storelifecycle"_s);
    QVERIFY(m_client->waitForReady(10000));
    connect(m_client, &podtap::IpcClient::event, this,
            [this](const QJsonObject &e) { m_events << e; });
    const auto sub = m_client->requestAndWait(u"session.subscribe"_s,
                                              QJsonObject{{u"stream"_s, u"sessions"_s}});
    QVERIFY2(sub.ok, qPrintable(sub.errorMessage));
}

void TestStoreLifecycle::quotaAndRmAroundARealSession()
{
    QVERIFY(m_client);
    const auto started
            = m_bench.podtap({u"capture"_s, u"shop/web"_s, u"--port"_s, u"8080"_s, u"--context"_s,
                              u"tapper"_s, u"--detach"_s, u"--no-start"_s},
                             90000);
    QCOMPARE(started.code, 0);
    const QString id = QString::fromUtf8(started.out).trimmed();
    QVERIFY2(!id.isEmpty() && QFileInfo::exists(sessionDir(id)), started.err.constData());

    // About 2.5 MiB stored: with the two seeded sessions the store goes over its 5 MiB quota.
    QProcess *client = m_bench.startClient(
            u"c1"_s,
            {u"--connect"_s, m_webIp + u":8080"_s, u"--record"_s,
             m_bench.filePath(u"client.jsonl"_s), u"--connections"_s, u"150"_s, u"--concurrency"_s,
             u"4"_s, u"--requests-per-conn"_s, u"3"_s, u"--request-size"_s, u"1000"_s,
             u"--response-size"_s, u"3000"_s, u"--timeout"_s, u"60"_s});
    QString why;
    QVERIFY2(m_bench.finishClient(client, u"client"_s, 120000, &why), qPrintable(why));

    // Running: refused, and nothing of it removed; not even by the quota it already exceeds.
    const auto busy = m_bench.podtap({u"rm"_s, id, u"--no-start"_s});
    QCOMPARE(busy.code, 1);
    QVERIFY2(busy.err.contains("still running: stop it first"), busy.err.constData());
    QVERIFY(QFileInfo::exists(sessionDir(id) + u"/meta.json"_s));

    // The session list shows each session's disk use.
    const auto list = m_bench.podtap({u"sessions"_s, u"--no-start"_s});
    QCOMPARE(list.code, 0);
    QVERIFY2(list.out.contains(" DISK "), list.out.constData());
    QVERIFY2(list.out.contains("1.5M"), list.out.constData()); // a seeded one
    const QJsonObject json = m_bench.sessionList();
    qint64 liveDisk = -1;
    for (const QJsonValue v : json.value(u"sessions"_s).toArray())
        if (v[u"id"_s].toString() == id)
            liveDisk = v[u"diskBytes"_s].toInteger();
    QVERIFY2(liveDisk > 1000000, qPrintable(pretty(json)));

    const auto stopped = m_bench.podtap({u"stop"_s, id, u"--no-start"_s}, 60000);
    QCOMPARE(stopped.code, 0);
    // Retention ran when it ended: the oldest stopped session went, announced with why.
    QTRY_VERIFY_WITH_TIMEOUT(!removedEvents().isEmpty(), 10000);
    const QJsonObject first = removedEvents().constFirst();
    QCOMPARE(first.value(u"id"_s).toString(), u"103"_s);
    QVERIFY2(first.value(u"reason"_s).toString().contains(u"5M quota"_s),
             qPrintable(pretty(first)));
    // Its capture file and its meta.json.
    QVERIFY(first.value(u"diskBytes"_s).toInteger() > qint64(1536 * 1024));
    QVERIFY(!QFileInfo::exists(sessionDir(u"103"_s)));
    QVERIFY2(QFileInfo::exists(sessionDir(id)), "the newest session must be kept");
    qint64 total = 0;
    for (const QJsonValue v : m_bench.sessionList().value(u"stored"_s).toArray())
        total += v[u"diskBytes"_s].toInteger();
    QVERIFY2(total <= 5 * 1024 * 1024, qPrintable(QString::number(total)));

    // Finished, it leaves the daemon's memory (--release-after 1s): the store answers for it.
    QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const QJsonObject l = m_bench.sessionList();
                for (const QJsonValue v : l.value(u"sessions"_s).toArray())
                    if (v[u"id"_s].toString() == id)
                        return false;
                for (const QJsonValue v : l.value(u"stored"_s).toArray())
                    if (v[u"id"_s].toString() == id)
                        return v[u"state"_s].toString() == u"stopped"_s;
                return false;
            }(),
            10000);
    const auto got = m_client->requestAndWait(u"session.get"_s, QJsonObject{{u"id"_s, id}});
    QVERIFY2(got.ok, qPrintable(got.errorMessage));
    QCOMPARE(got.result.value(u"live"_s).toBool(), false);
    QVERIFY(num(got.result, "session.packets") > 0);

    // Stopped: removed, with every file; an unknown id says so (exit 3).
    const auto rm = m_bench.podtap({u"rm"_s, id, u"--no-start"_s});
    QCOMPARE(rm.code, 0);
    QVERIFY2(rm.out.contains(QByteArray("removed session " + id.toUtf8())), rm.out.constData());
    QVERIFY(!QFileInfo::exists(sessionDir(id)));
    QTRY_VERIFY_WITH_TIMEOUT(removedEvents().constLast().value(u"id"_s).toString() == id, 5000);
    QCOMPARE(removedEvents().constLast().value(u"reason"_s).toString(), u"removed by request"_s);
    const auto unknown = m_bench.podtap({u"rm"_s, u"424242"_s, u"--no-start"_s});
    QCOMPARE(unknown.code, 3);
    QVERIFY2(unknown.err.contains("no stored capture \"424242\""), unknown.err.constData());

    // --all-stopped: whatever the quota left (the seeded 104, unless the session was big enough
    // to push it out too); nothing is left after it.
    QStringList left;
    for (const QJsonValue v : m_bench.sessionList().value(u"stored"_s).toArray())
        left << v[u"id"_s].toString();
    QCOMPARE(left, QFileInfo::exists(sessionDir(u"104"_s)) ? QStringList{u"104"_s} : QStringList{});
    const auto all = m_bench.podtap({u"rm"_s, u"--all-stopped"_s, u"--json"_s, u"--no-start"_s});
    QCOMPARE(all.code, 0);
    QStringList removed;
    for (const QJsonValue v :
         QJsonDocument::fromJson(all.out).object().value(u"removed"_s).toArray())
        removed << v[u"id"_s].toString();
    QCOMPARE(removed, left);
    QVERIFY(m_bench.sessionList().value(u"stored"_s).toArray().isEmpty());
    QCOMPARE(m_bench.podtap({u"rm"_s, u"--all-stopped"_s, u"--no-start"_s}).out,
             QByteArray("no stopped sessions to remove\n"));
}

void TestStoreLifecycle::retentionCommand()
{
    // Malformed sizes and durations are refused, never read as 0 (no limit).
    const auto bad = m_bench.podtap({u"retention"_s, u"--quota"_s, u"5X"_s, u"--no-start"_s});
    QCOMPARE(bad.code, 1);
    QVERIFY2(bad.err.contains("invalid size '5X'"), bad.err.constData());
    const auto bare = m_bench.podtap({u"retention"_s, u"--max-age"_s, u"7"_s, u"--no-start"_s});
    QCOMPARE(bare.code, 1);
    QVERIFY2(bare.err.contains("invalid duration '7'"), bare.err.constData());

    // podtapd refuses to start with one, naming the option.
    QProcess daemon;
    daemon.start(PodtapdProcess::program(),
                 {u"--socket"_s, m_bench.filePath(u"run/refused.sock"_s), u"--store"_s,
                  m_bench.filePath(u"refused-store"_s), u"--store-quota"_s, u"lots"_s});
    QVERIFY(daemon.waitForFinished(10000));
    QCOMPARE(daemon.exitCode(), 1);
    const QByteArray daemonErr = daemon.readAllStandardError();
    QVERIFY2(daemonErr.contains("--store-quota: invalid size 'lots'"), daemonErr.constData());

    seed(u"201"_s, 3 * 3600, 300000); // 3 hours old
    const auto set = m_bench.podtap({u"retention"_s, u"--quota"_s, u"1G"_s, u"--max-age"_s, u"2h"_s,
                                     u"--json"_s, u"--no-start"_s});
    QCOMPARE(set.code, 0);
    const QJsonObject r = QJsonDocument::fromJson(set.out).object();
    QCOMPARE(str(r, "retention.quota"), u"1G"_s);
    QCOMPARE(str(r, "retention.maxAge"), u"2h"_s);
    QCOMPARE(r.value(u"removed"_s).toArray().size(), 1);
    QVERIFY(!QFileInfo::exists(sessionDir(u"201"_s)));
    // Kept in the store: a restarted podtapd (without options) applies it again.
    QFile saved(m_store + u"/retention.json"_s);
    QVERIFY(saved.open(QIODevice::ReadOnly));
    QCOMPARE(QJsonDocument::fromJson(saved.readAll()).object().value(u"maxAgeSecs"_s).toInteger(),
             qint64(7200));
    const auto shown = m_bench.podtap({u"retention"_s, u"--no-start"_s});
    QVERIFY2(shown.out.contains("quota 1G, stopped sessions kept for 2h"), shown.out.constData());
}

void TestStoreLifecycle::fullDiskAtStart()
{
    // A store on a 4 MiB tmpfs that is already full: the session cannot even create its
    // files, and says why in the words the user needs.
    const QString tiny = m_bench.filePath(u"full"_s);
    QVERIFY(QDir().mkpath(tiny));
    if (QProcess::execute(u"mount"_s,
                          {u"-t"_s, u"tmpfs"_s, u"-o"_s, u"size=4m"_s, u"tmpfs"_s, tiny})
        != 0)
        QSKIP("cannot mount a tmpfs here (needs root)");
    struct Unmount
    {
        QString dir;
        ~Unmount() { QProcess::execute(u"umount"_s, {u"-l"_s, dir}); }
    } unmount{tiny};
    const QString socket = m_bench.filePath(u"run/full.sock"_s);
    QProcess daemon;
    daemon.setProcessEnvironment(m_bench.environment());
    daemon.setStandardErrorFile(m_bench.filePath(u"podtapd-full.log"_s));
    daemon.start(PodtapdProcess::program(),
                 {u"--socket"_s, socket, u"--store"_s, tiny + u"/captures"_s});
    QVERIFY(daemon.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(socket), 10000);
    // Fill the disk: real blocks, not a sparse file.
    QFile filler(tiny + u"/filler"_s);
    QVERIFY(filler.open(QIODevice::WriteOnly | QIODevice::Unbuffered));
    const QByteArray block(64 * 1024, 'x');
    while (filler.write(block) == block.size()) {
    }
    filler.close();
    const auto r = m_bench.podtap({u"capture"_s, u"shop/web"_s, u"--port"_s, u"8080"_s,
                                   u"--context"_s, u"tapper"_s, u"--socket"_s, socket,
                                   u"--no-start"_s, u"--duration"_s, u"30"_s},
                                  60000);
    daemon.terminate();
    daemon.waitForFinished(20000);
    QVERIFY2(r.code != 0, r.err.constData());
    QVERIFY2(r.err.contains("the disk holding the store is full: ")
                     && r.err.contains("No space left on device"),
             r.err.constData());
}

QTEST_GUILESS_MAIN(TestStoreLifecycle)
#include "tst_storelifecycle.moc"
