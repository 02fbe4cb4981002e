// The GUI's models and actions against a real podtapd capturing a real pod (kubesim): a
// session started through the GUI's controller appears in SessionListModel and follows its
// state machine; traffic from the pod's client namespace shows up as rows in
// ConnectionTableModel with the generator's counts; the mirror delivers new connections to a
// local server; the export is a file Wireshark's tools read; stop ends it; the stored
// session pages back in. A screenshot of the main window with that content is written to
// the build tree (tests/gui/screenshots/main-window.png).
#include "connectionfeed.h"
#include "connectiontablemodel.h"
#include "daemonlink.h"
#include "livedaemonfixture.h"
#include "mainwindow.h"
#include "screenshot.h"
#include "sessioncontroller.h"
#include "sessionlistmodel.h"

#include "../e2e/support/clirunner.h"
#include "../e2e/support/jsonhelpers.h"
#include "../e2e/support/trafficgencommand.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <unistd.h>

using namespace Qt::StringLiterals;
using podtap::ConnectionTableModel;
using podtap::SessionListModel;

namespace {
const QString Trafficgen = TrafficgenCommand::program();

int countLines(const QString &path)
{
    return int(podtap::test::readRecords(path).size());
}
} // namespace

class TestGuiSessions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();
    void liveSessionThroughTheGui();

private:
    bool runClient(int connections, const QString &record, QString *output);
    QString m_podIp;

    LiveDaemonFixture m_fixture;
    QList<QProcess *> m_children;
};

void TestGuiSessions::initTestCase()
{
    if (const QString why = LiveDaemonFixture::skipReason(); !why.isEmpty())
        QSKIP(qPrintable(why));
    QString error;
    QVERIFY2(m_fixture.start(QStringLiteral(SRCDIR "/scenarios/gui.yaml"), &error),
             qPrintable(error));
}

void TestGuiSessions::cleanup()
{
    m_fixture.noteFailure();
}

void TestGuiSessions::cleanupTestCase()
{
    for (QProcess *p : std::as_const(m_children))
        CliRunner::stop(p, 5000, 2000);
    qDeleteAll(m_children);
    m_fixture.finish();
}

bool TestGuiSessions::runClient(int connections, const QString &record, QString *output)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(u"ip"_s, TrafficgenCommand::clientInNetns(
                             m_fixture.kubesim().netns(u"c1"_s),
                             {u"--connect"_s, m_podIp + u":8080"_s, u"--connections"_s,
                              QString::number(connections), u"--concurrency"_s, u"10"_s,
                              u"--requests-per-conn"_s, u"2"_s, u"--request-size"_s, u"200"_s,
                              u"--response-size"_s, u"1000"_s, u"--record"_s, record, u"--seed"_s,
                              u"7"_s, u"--timeout"_s, u"60"_s}));
    const bool finished = p.waitForFinished(90000);
    *output = QString::fromUtf8(p.readAll());
    return finished && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

void TestGuiSessions::liveSessionThroughTheGui()
{
    const std::unique_ptr<podtap::DaemonLink> link = m_fixture.makeLink();
    SessionListModel sessions(link.get());
    QAbstractItemModelTester sessionsTester(&sessions,
                                            QAbstractItemModelTester::FailureReportingMode::QtTest);
    podtap::SessionController controller(link.get());
    QSignalSpy failed(&controller, &podtap::SessionController::failed);
    link->start();
    QTRY_VERIFY(sessions.isLoaded());
    QCOMPARE(sessions.rowCount(), 0);

    // Start: the same request the "New capture/mirror" dialog makes.
    podtap::SessionController::StartRequest request;
    request.kubeconfig = {m_fixture.kubesim().kubeconfig()};
    request.context = u"tapper"_s;
    request.ns = u"shop"_s;
    request.target = u"web"_s;
    request.port = 8080;
    QSignalSpy started(&controller, &podtap::SessionController::started);
    controller.start(request);
    QTRY_COMPARE(started.size(), 1);
    const QString id = started.at(0).at(0).toJsonObject().value(u"id").toString();
    QVERIFY(!id.isEmpty());
    QTRY_VERIFY(sessions.rowOf(id) >= 0);
    auto state = [&] {
        return sessions.summary(id).value(u"state").toString();
    };
    QStringList seenStates;
    QObject watch;
    auto noteState = [&] {
        const QString s = state();
        if (!s.isEmpty() && (seenStates.isEmpty() || seenStates.constLast() != s))
            seenStates << s;
    };
    connect(&sessions, &QAbstractItemModel::dataChanged, &watch, noteState);
    connect(&sessions, &QAbstractItemModel::rowsInserted, &watch, noteState);
    noteState();
    QTRY_VERIFY_WITH_TIMEOUT(state() == u"capturing"_s || state() == u"failed"_s, 90000);
    QVERIFY2(state() == u"capturing"_s,
             qPrintable(QString::fromUtf8(QJsonDocument(sessions.summary(id)).toJson())));
    qInfo("states seen by SessionListModel: %s", qPrintable(seenStates.join(u" → "_s)));
    QVERIFY(sessions.isRunning(sessions.rowOf(id)));
    m_podIp = sessions.summary(id)
                      .value(u"pods")
                      .toArray()
                      .at(0)
                      .toObject()
                      .value(u"ip")
                      .toString();
    QVERIFY(!m_podIp.isEmpty());

    // Follow it as the window does.
    ConnectionTableModel connections;
    QAbstractItemModelTester connectionsTester(
            &connections, QAbstractItemModelTester::FailureReportingMode::QtTest);
    podtap::ConnectionFeed feed(link.get(), &connections);
    feed.setSession(id, true);

    QString out;
    QVERIFY2(runClient(200, m_fixture.filePath(u"client-1.jsonl"_s), &out), qPrintable(out));
    QCOMPARE(countLines(m_fixture.filePath(u"client-1.jsonl"_s)), 200);
    // A connection is reported as soon as both of its directions are over.
    QTRY_VERIFY2_WITH_TIMEOUT(
            connections.rowCount() >= 200,
            qPrintable(
                    u"%1 rows; session: %2"_s.arg(connections.rowCount())
                            .arg(QString::fromUtf8(QJsonDocument(sessions.summary(id)).toJson()))),
            30000);
    QVERIFY2(connections.rowCount() == 200,
             qPrintable(u"%1 rows; session: %2"_s.arg(connections.rowCount())
                                .arg(QString::fromUtf8(
                                        QJsonDocument(sessions.summary(id)).toJson()))));
    qint64 inBytes = 0;
    for (int r = 0; r < connections.rowCount(); ++r)
        inBytes += connections.index(r, ConnectionTableModel::BytesIn)
                           .data(ConnectionTableModel::SortRole)
                           .toLongLong();
    QVERIFY2(inBytes >= 200 * 2 * 200, qPrintable(QString::number(inBytes)));
    const int row = sessions.rowOf(id);
    QTRY_VERIFY_WITH_TIMEOUT(sessions.index(sessions.rowOf(id), SessionListModel::Connections)
                                             .data(SessionListModel::SortRole)
                                             .toLongLong()
                                     >= 200,
                             60000);
    QVERIFY(sessions.index(row, SessionListModel::Packets)
                    .data(SessionListModel::SortRole)
                    .toLongLong()
            > 200 * 8);

    // Mirror to a local server: new connections arrive there.
    auto *server = new QProcess;
    m_children << server;
    const QString serverRecord = m_fixture.filePath(u"local-server.jsonl"_s);
    server->start(Trafficgen, {u"serve"_s, u"--listen"_s, u"127.0.0.1:0"_s, u"--mode"_s, u"http"_s,
                               u"--record"_s, serverRecord});
    QVERIFY(server->waitForStarted());
    QTRY_VERIFY(server->canReadLine());
    const auto m = QRegularExpression(u"^listening 127\\.0\\.0\\.1:(\\d+)"_s)
                           .match(QString::fromLatin1(server->readLine()));
    QVERIFY(m.hasMatch());
    const int port = m.captured(1).toInt();
    QSignalSpy mirrored(&controller, &podtap::SessionController::mirrorChanged);
    controller.setMirror(id, port);
    QTRY_COMPARE(mirrored.size(), 1);
    QTRY_VERIFY_WITH_TIMEOUT(SessionListModel::isMirroring(sessions.summary(id)), 5000);
    QVERIFY2(sessions.index(sessions.rowOf(id), SessionListModel::Mirror)
                     .data()
                     .toString()
                     .startsWith(u"→ 127.0.0.1:%1"_s.arg(port)),
             qPrintable(sessions.index(sessions.rowOf(id), SessionListModel::Mirror)
                                .data()
                                .toString()));
    QVERIFY2(runClient(20, m_fixture.filePath(u"client-2.jsonl"_s), &out), qPrintable(out));
    QTRY_COMPARE_WITH_TIMEOUT(countLines(serverRecord), 20, 30000);
    QTRY_VERIFY2_WITH_TIMEOUT(
            connections.rowCount() >= 220,
            qPrintable(
                    u"%1 rows; session: %2"_s.arg(connections.rowCount())
                            .arg(QString::fromUtf8(QJsonDocument(sessions.summary(id)).toJson()))),
            60000);
    // The Mirror column says what reached the local server, per connection.
    auto mirroredRows = [&] {
        int n = 0;
        for (int r = 0; r < connections.rowCount(); ++r)
            // "mirrored", and for HTTP/1.x "mirrored · N requests" (none lost: no gap here)
            n += connections.index(r, ConnectionTableModel::Mirror)
                                 .data()
                                 .toString()
                                 .startsWith(u"mirrored"_s)
                         ? 1
                         : 0;
        return n;
    };
    QTRY_COMPARE_WITH_TIMEOUT(mirroredRows(), 20, 30000);
    QVERIFY2(connections.rowCount() == 220,
             qPrintable(u"%1 rows; session: %2"_s.arg(connections.rowCount())
                                .arg(QString::fromUtf8(
                                        QJsonDocument(sessions.summary(id)).toJson()))));

    // The window, as a user sees it, for the README.
    {
        podtap::MainWindow window(link.get(), &sessions, &controller);
        window.resize(1280, 760);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.selectSession(id);
        // A running session cannot be deleted (podtapd refuses it too).
        auto *deleteAction = window.findChild<QAction *>(u"deleteAction"_s);
        QVERIFY(deleteAction && !deleteAction->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(window.connectionModel()->rowCount(), 220, 30000);
        window.findChild<QTableView *>(u"connectionsView"_s)
                ->sortByColumn(ConnectionTableModel::BytesOut, Qt::DescendingOrder);
        QTest::qWait(200);
        const QString shot = podtap::test::saveScreenshot(&window, u"main-window"_s);
        QVERIFY(!shot.isEmpty());
        qInfo("screenshot: %s", qPrintable(shot));
    }

    // Export through the daemon: a file Wireshark's tools read, with the session's packets.
    const QString exported = m_fixture.filePath(u"session.pcapng"_s);
    QSignalSpy exportedSpy(&controller, &podtap::SessionController::exported);
    controller.exportSession(id, exported, u"pcapng"_s);
    QTRY_COMPARE_WITH_TIMEOUT(exportedSpy.size(), 1, 30000);
    const qint64 packets = exportedSpy.at(0).at(2).toLongLong();
    QVERIFY(packets > 220 * 8);
    QVERIFY(QFileInfo(exported).size() > 0);
    if (!QStandardPaths::findExecutable(u"capinfos"_s).isEmpty()) {
        QProcess capinfos;
        capinfos.start(u"capinfos"_s, {u"-c"_s, u"-M"_s, exported});
        QVERIFY(capinfos.waitForFinished(30000));
        const auto c = QRegularExpression(u"Number of packets:\\s+(\\d+)"_s)
                               .match(QString::fromUtf8(capinfos.readAllStandardOutput()));
        QVERIFY(c.hasMatch());
        QCOMPARE(c.captured(1).toLongLong(), packets);
    }

    // A viewer that pages the store right after an announcement finds every announced
    // connection there: the daemon writes out a live session's buffers before answering.
    // (The GUI subscribes, then pages; what ended in between must not fall through.)
    {
        int batches = 0;
        int asked = 0;
        qint64 announcedTotal = 0;
        QStringList missing;
        QObject pager;
        connect(link.get(), &podtap::DaemonLink::event, &pager, [&](const QJsonObject &e) {
            if (e.value(u"stream").toString() != u"session/"_s + id
                || e.value(u"event").toString() != u"connections"_s)
                return;
            QSet<qint64> announced;
            for (const QJsonValue v : e.value(u"data"_s).toObject().value(u"ended"_s).toArray())
                announced.insert(v.toObject().value(u"id"_s).toInteger());
            announcedTotal += announced.size();
            ++asked;
            link->request(u"session.connections"_s,
                          QJsonObject{{u"id"_s, id}, {u"from"_s, 0}, {u"count"_s, 10000}}, &pager,
                          [&, announced](const podtap::IpcClient::Reply &r) {
                              QSet<qint64> paged;
                              for (const QJsonValue v : r.result.value(u"connections"_s).toArray())
                                  paged.insert(v.toObject().value(u"id"_s).toInteger());
                              for (const qint64 c : announced)
                                  if (!paged.contains(c))
                                      missing << QString::number(c);
                              ++batches;
                          });
        });
        auto *client = new QProcess;
        m_children << client;
        client->setProcessChannelMode(QProcess::MergedChannels);
        client->start(u"ip"_s, TrafficgenCommand::clientInNetns(
                                       m_fixture.kubesim().netns(u"c1"_s),
                                       {u"--connect"_s, m_podIp + u":8080"_s, u"--connections"_s,
                                        u"60"_s, u"--concurrency"_s, u"2"_s, u"--rate"_s, u"40"_s,
                                        u"--request-size"_s, u"100"_s, u"--response-size"_s,
                                        u"100"_s, u"--timeout"_s, u"60"_s}));
        QTRY_VERIFY_WITH_TIMEOUT(client->state() == QProcess::NotRunning, 90000);
        const QByteArray clientOut = client->readAll();
        QVERIFY2(client->exitCode() == 0, clientOut.constData());
        QTRY_VERIFY2_WITH_TIMEOUT(
                connections.rowCount() >= 280,
                qPrintable(u"%1 rows, %2 announced; client: %3"_s.arg(connections.rowCount())
                                   .arg(announcedTotal)
                                   .arg(QString::fromUtf8(clientOut))),
                60000);
        QTRY_COMPARE_WITH_TIMEOUT(announcedTotal, qint64(60), 30000);
        QTRY_COMPARE(batches, asked);
        QVERIFY2(missing.isEmpty(),
                 qPrintable(u"announced but not paged: "_s + missing.join(u", "_s)));
        qInfo("%d announcements paged right after they arrived; none missing", batches);
        QCOMPARE(connections.rowCount(), 280);
    }

    // Stop: the row says so and is no longer running.
    QSignalSpy stopped(&controller, &podtap::SessionController::stopped);
    controller.stop(id);
    QTRY_COMPARE_WITH_TIMEOUT(stopped.size(), 1, 30000);
    QTRY_COMPARE(state(), u"stopped"_s);
    QVERIFY(!sessions.isRunning(sessions.rowOf(id)));
    QCOMPARE(failed.size(), 0);
    // Its disk use, re-read when it ended, is what its folder holds.
    QTRY_VERIFY(sessions.summary(id).value(u"diskBytes").toInteger() > 100000);
    QVERIFY(!sessions.index(sessions.rowOf(id), SessionListModel::Disk)
                     .data()
                     .toString()
                     .isEmpty());

    // The stored session pages back in (session.connections), as after a restart.
    ConnectionTableModel stored;
    podtap::ConnectionFeed storedFeed(link.get(), &stored);
    storedFeed.setSession(id, false);
    QTRY_VERIFY(!storedFeed.isLoading() && stored.rowCount() > 0);
    QCOMPARE(stored.rowCount(), connections.rowCount());
    QCOMPARE(storedFeed.storedTotal(), qint64(connections.rowCount()));
}

QTEST_MAIN(TestGuiSessions)
#include "tst_guisessions.moc"
