// DaemonLink against a real podtapd: the handshake, a daemon killed and started again (the
// link says so, backs off, reconnects, re-subscribes, and the models keep their rows), and
// podtapd started on demand with the CLI's rules.
#include "daemonlink.h"
#include "daemonprocess.h"
#include "ipc/ipcclient.h"
#include "sessionlistmodel.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>
#include <unistd.h>

using namespace Qt::StringLiterals;
using podtap::DaemonLink;

class TestDaemonLink : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void handshake();
    void requestsFailWhileDisconnected();
    void reconnectsAfterDaemonKilled();
    void subscribersShareAStream();
    void startsDaemonOnDemand();
    void missingDaemonIsExplained();

private:
    DaemonLink::Options options() const;
    // A session that the daemon accepts and that fails at once (no such kubeconfig): a row
    // without a cluster.
    static QJsonObject failingSession();

    QTemporaryDir m_dir;
    QString m_socket;
    std::unique_ptr<DaemonProcess> m_daemon;
};

void TestDaemonLink::initTestCase()
{
    if (!QFile::exists(DaemonProcess::program()))
        QSKIP("podtapd was not built");
    QVERIFY(m_dir.isValid());
    QVERIFY(QDir().mkpath(m_dir.filePath(u"run"_s)));
    QFile::setPermissions(m_dir.filePath(u"run"_s),
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    // podtapd and its log stay in the test's folder, whoever starts it.
    qputenv("XDG_STATE_HOME", m_dir.filePath(u"state"_s).toLocal8Bit());
    qputenv("XDG_RUNTIME_DIR", m_dir.filePath(u"run"_s).toLocal8Bit());
    m_socket = m_dir.filePath(u"run/podtap/podtapd.sock"_s);
}

void TestDaemonLink::init()
{
    m_daemon = std::make_unique<DaemonProcess>(m_socket, m_dir.filePath(u"store"_s),
                                               m_dir.filePath(u"podtapd.log"_s));
}

void TestDaemonLink::cleanup()
{
    m_daemon.reset();
    if (QTest::currentTestFailed() && m_dir.autoRemove()) {
        m_dir.setAutoRemove(false);
        qWarning("kept the test's files in %s", qPrintable(m_dir.path()));
    }
}

DaemonLink::Options TestDaemonLink::options() const
{
    DaemonLink::Options o;
    o.socketPath = m_socket;
    o.startDaemon = false;
    o.firstRetryMs = 200;
    o.maxRetryMs = 1600;
    return o;
}

QJsonObject TestDaemonLink::failingSession()
{
    return QJsonObject{{u"kubeconfig"_s, QJsonArray{u"/nonexistent/kubeconfig"_s}},
                       {u"target"_s, u"shop/web"_s},
                       {u"port"_s, 8080}};
}

void TestDaemonLink::handshake()
{
    QString error;
    QVERIFY2(m_daemon->start(&error), qPrintable(error));
    DaemonLink link(options());
    QSignalSpy connected(&link, &DaemonLink::connected);
    link.start();
    QTRY_COMPARE(connected.size(), 1);
    QCOMPARE(link.state(), DaemonLink::State::Connected);
    QCOMPARE(link.daemonPid(), m_daemon->pid());
    QVERIFY2(link.statusText().startsWith(u"Connected to podtapd/"_s),
             qPrintable(link.statusText()));

    podtap::IpcClient::Reply reply;
    bool answered = false;
    QObject context;
    link.request(u"daemon.status"_s, {}, &context, [&](const podtap::IpcClient::Reply &r) {
        reply = r;
        answered = true;
    });
    QTRY_VERIFY(answered);
    QVERIFY2(reply.ok, qPrintable(reply.errorMessage));
    QCOMPARE(reply.result.value(u"pid").toInteger(), m_daemon->pid());
}

void TestDaemonLink::requestsFailWhileDisconnected()
{
    DaemonLink link(options()); // nobody listens on the socket
    link.start();
    QTRY_COMPARE(link.state(), DaemonLink::State::Waiting);
    QVERIFY2(link.statusText().contains(u"podtapd is not running"_s),
             qPrintable(link.statusText()));
    bool answered = false;
    QString code;
    QObject context;
    link.request(u"session.list"_s, {}, &context, [&](const podtap::IpcClient::Reply &r) {
        answered = true;
        code = r.errorCode;
    });
    QVERIFY(!answered); // never from inside request()
    QTRY_VERIFY(answered);
    QCOMPARE(code, u"disconnected"_s);
}

void TestDaemonLink::reconnectsAfterDaemonKilled()
{
    QString error;
    QVERIFY2(m_daemon->start(&error), qPrintable(error));
    DaemonLink link(options());
    podtap::SessionListModel sessions(&link);
    QAbstractItemModelTester tester(&sessions,
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy lost(&link, &DaemonLink::connectionLost);
    link.start();
    QTRY_VERIFY(sessions.isLoaded());
    const qint64 firstPid = link.daemonPid();

    // Two sessions, so the model has rows to keep.
    podtap::IpcClient other;
    other.connectToDaemon(m_socket, u"tst-other"_s);
    QVERIFY(other.waitForReady(5000));
    for (int i = 0; i < 2; ++i) {
        const auto r = other.requestAndWait(u"session.start"_s, failingSession());
        QVERIFY2(r.ok, qPrintable(r.errorMessage));
    }
    QTRY_COMPARE(sessions.rowCount(), 2); // through the "sessions" stream
    QTRY_COMPARE(sessions.summaryAt(1).value(u"state").toString(), u"failed"_s);
    const QString lastId = sessions.summaryAt(1).value(u"id").toString();

    // The daemon dies: the link says so and backs off; the rows stay.
    QList<int> delays;
    connect(&link, &DaemonLink::stateChanged, &link, [&](DaemonLink::State s) {
        if (s == DaemonLink::State::Waiting)
            delays << link.nextRetryMs();
    });
    m_daemon->kill();
    QTRY_COMPARE(lost.size(), 1);
    QVERIFY2(link.statusText().startsWith(u"Lost podtapd"_s), qPrintable(link.statusText()));
    QCOMPARE(sessions.rowCount(), 2);
    QTRY_VERIFY_WITH_TIMEOUT(delays.size() >= 5, 10000);
    qInfo("retry delays while podtapd was down (ms): %s", qPrintable([&] {
              QStringList s;
              for (int d : delays)
                  s << QString::number(d);
              return s.join(u", "_s);
          }()));
    QCOMPARE(delays.mid(0, 5), (QList<int>{200, 400, 800, 1600, 1600}));
    QCOMPARE(sessions.rowCount(), 2);

    // Back: the link reconnects by itself, is subscribed again and takes a fresh snapshot
    // (those sessions failed before they stored anything: the new daemon does not know them).
    QSignalSpy loaded(&sessions, &podtap::SessionListModel::loaded);
    QVERIFY2(m_daemon->start(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(link.isConnected(), 5000);
    QVERIFY(link.daemonPid() != firstPid);
    QCOMPARE(link.connections(), 2);
    QTRY_COMPARE(loaded.size(), 1);
    QCOMPARE(sessions.rowCount(), 0);

    // Only the renewed subscription to "sessions" can bring this row: nothing runs, so the
    // model does not poll, and its snapshot came before this session existed.
    podtap::IpcClient again;
    again.connectToDaemon(m_socket, u"tst-other"_s);
    QVERIFY(again.waitForReady(5000));
    const auto r = again.requestAndWait(u"session.start"_s, failingSession());
    QVERIFY2(r.ok, qPrintable(r.errorMessage));
    const QString newId = r.result.value(u"session").toObject().value(u"id").toString();
    QTRY_VERIFY_WITH_TIMEOUT(sessions.rowOf(newId) >= 0, 3000);
    QCOMPARE(sessions.rowCount(), 1);
    QCOMPARE(loaded.size(), 1);
}

void TestDaemonLink::subscribersShareAStream()
{
    // Two views of one stream (a window and a panel, say): one leaving must not cut the
    // other off; the daemon stops sending once the last one left or was destroyed.
    QString error;
    QVERIFY2(m_daemon->start(&error), qPrintable(error));
    DaemonLink link(options());
    link.start();
    QTRY_VERIFY(link.isConnected());
    const QJsonObject sessionsStream{{u"stream"_s, u"sessions"_s}};
    int eventsSeen = 0;
    connect(&link, &DaemonLink::event, &link, [&](const QJsonObject &e) {
        if (e.value(u"stream").toString() == u"sessions"_s)
            ++eventsSeen;
    });
    auto a = std::make_unique<QObject>();
    auto b = std::make_unique<QObject>();
    int answersA = 0;
    int answersB = 0;
    link.subscribe(sessionsStream, a.get(), [&](const podtap::IpcClient::Reply &) { ++answersA; });
    link.subscribe(sessionsStream, b.get(), [&](const podtap::IpcClient::Reply &) { ++answersB; });
    QTRY_COMPARE(answersA, 1);
    QTRY_COMPARE(answersB, 1);
    QCOMPARE(answersA, 1); // each subscriber gets its own answer, not the other's
    QCOMPARE(link.subscriberCount(sessionsStream), 2);

    podtap::IpcClient other;
    other.connectToDaemon(m_socket, u"tst-other"_s);
    QVERIFY(other.waitForReady(5000));
    // Starts a session that fails at once and waits until it has; then a round trip through
    // the link: every event of that session was sent to the link before this answer.
    auto startAndSettle = [&] {
        const auto r = other.requestAndWait(u"session.start"_s, failingSession());
        QVERIFY2(r.ok, qPrintable(r.errorMessage));
        const QString id = r.result.value(u"session").toObject().value(u"id").toString();
        QTRY_COMPARE(other.requestAndWait(u"session.get"_s, QJsonObject{{u"id"_s, id}})
                             .result.value(u"session")
                             .toObject()
                             .value(u"state")
                             .toString(),
                     u"failed"_s);
        bool answered = false;
        QObject context;
        link.request(u"daemon.status"_s, {}, &context,
                     [&](const podtap::IpcClient::Reply &) { answered = true; });
        QTRY_VERIFY(answered);
    };

    link.unsubscribe(sessionsStream, a.get());
    QVERIFY(link.isSubscribed(sessionsStream));
    startAndSettle();
    QVERIFY2(eventsSeen > 0, "b still follows the stream after a left");

    b.reset(); // destroyed without unsubscribing
    QCOMPARE(link.subscriberCount(sessionsStream), 0);
    eventsSeen = 0;
    startAndSettle();
    QCOMPARE(eventsSeen, 0);
    QCOMPARE(answersA, 1);
}

void TestDaemonLink::startsDaemonOnDemand()
{
    // Nobody listens: the link starts podtapd (detached, like the CLI) and connects to it.
    const QString socket = m_dir.filePath(u"run/ondemand/podtapd.sock"_s);
    DaemonLink::Options o = options();
    o.socketPath = socket;
    o.startDaemon = true;
    o.daemonProgram = DaemonProcess::program();
    DaemonLink link(o);
    QSignalSpy started(&link, &DaemonLink::daemonStarted);
    QList<DaemonLink::State> states;
    connect(&link, &DaemonLink::stateChanged, &link, [&](DaemonLink::State s) { states << s; });
    link.start();
    QTRY_VERIFY_WITH_TIMEOUT(link.isConnected(), 15000);
    QCOMPARE(started.size(), 1);
    const qint64 pid = link.startedDaemonPid();
    QCOMPARE(link.daemonPid(), pid);
    QVERIFY(states.contains(DaemonLink::State::StartingDaemon));
    QVERIFY(QFile::exists(m_dir.filePath(u"state/podtap/podtapd.log"_s)));

    // Shut down on purpose: the link waits for it and does not start it behind the user's
    // back; asked to, it does.
    auto shutdown = [&] {
        bool answered = false;
        QObject context;
        link.request(u"daemon.shutdown"_s, {}, &context,
                     [&](const podtap::IpcClient::Reply &) { answered = true; });
        QTRY_VERIFY(answered);
    };
    shutdown();
    QTRY_VERIFY_WITH_TIMEOUT(::kill(pid_t(pid), 0) != 0, 10000);
    QTRY_COMPARE(link.state(), DaemonLink::State::Waiting);
    QTest::qWait(1500);
    QCOMPARE(started.size(), 1);
    QVERIFY(!link.isConnected());

    link.startDaemonNow();
    QTRY_VERIFY_WITH_TIMEOUT(link.isConnected(), 15000);
    QCOMPARE(started.size(), 2);
    const qint64 second = link.startedDaemonPid();
    QVERIFY(second != pid);
    QCOMPARE(link.daemonPid(), second);
    shutdown();
    QTRY_VERIFY_WITH_TIMEOUT(::kill(pid_t(second), 0) != 0, 10000);
}

void TestDaemonLink::missingDaemonIsExplained()
{
    DaemonLink::Options o = options();
    o.socketPath = m_dir.filePath(u"run/missing/podtapd.sock"_s);
    o.startDaemon = true;
    o.daemonProgram = m_dir.filePath(u"no-such-podtapd"_s);
    DaemonLink link(o);
    link.start();
    QTRY_COMPARE(link.state(), DaemonLink::State::Waiting);
    QVERIFY2(link.lastError().contains(u"cannot start"_s), qPrintable(link.lastError()));
    QVERIFY2(link.statusText().contains(u"retrying in"_s), qPrintable(link.statusText()));
}

QTEST_MAIN(TestDaemonLink)
#include "tst_daemonlink.moc"
