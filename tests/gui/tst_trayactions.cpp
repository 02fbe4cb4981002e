// The tray's quick mirror, replay and "Open in Wireshark" against a real podtapd capturing a
// real pod (kubesim, scenario gui.yaml) with real TCP traffic (trafficgen):
//  - a recent target whose local port nobody listens on: one click starts a mirror session,
//    the refused connections raise one notification (and no second one within the minute),
//    another click stops the session;
//  - the same target with a local server: the click mirrors every new connection there, the
//    entry is checked while it runs, closing the window leaves it running, a click stops
//    it; screenshots/tray-menu.png;
//  - the stored session replayed through the replay dialog to another local server: the
//    dialog shows the daemon's final counts, equal to the session's connections;
//  - Open in Wireshark with a fake launcher (PODTAP_WIRESHARK) that records its argv: it gets
//    a private pcapng that capinfos reads; the window's actions and shortcuts;
//  - a quick mirror of a pod that is not there: a notification says why.
#include "daemonlink.h"
#include "guard/contextguard.h"
#include "livedaemonfixture.h"
#include "mainwindow.h"
#include "projectmirrors.h"
#include "protectedcontextdialog.h"
#include "recenttargets.h"
#include "replaycontroller.h"
#include "replaydialog.h"
#include "screenshot.h"
#include "sessioncontroller.h"
#include "sessionlistmodel.h"
#include "settings.h"
#include "traycontroller.h"
#include "wiresharklauncher.h"

#include "../e2e/support/clirunner.h"
#include "../e2e/support/jsonhelpers.h"
#include "../e2e/support/trafficgencommand.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QCheckBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using podtap::RecentTargets;
using podtap::SessionListModel;

namespace {
const QString Trafficgen = TrafficgenCommand::program();

int countLines(const QString &path)
{
    return int(podtap::test::readRecords(path).size());
}

QString json(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}
} // namespace

class TestTrayActions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();
    void quickMirrorRefusedPort();
    void quickMirrorToLocalServer();
    void replayStoredSession();
    void openInWireshark();
    void openLiveInWireshark();
    void quickMirrorFailure();
    void protectedContextsNeverQuick();
    void projectMirrorFromTray();

private:
    bool runClient(int connections, QString *output);
    int startServer(const QString &record);
    QAction *quickAction(int index) const;
    bool waitCapturing(const QString &id);

    LiveDaemonFixture m_fixture;
    std::unique_ptr<podtap::DaemonLink> m_link;
    std::unique_ptr<SessionListModel> m_sessions;
    std::unique_ptr<QAbstractItemModelTester> m_sessionsTester;
    std::unique_ptr<podtap::SessionController> m_controller;
    std::unique_ptr<RecentTargets> m_recent;
    std::unique_ptr<podtap::TrayController> m_tray;
    QString m_podIp;
    QString m_mirrored; // the session that mirrored to the local server
    QList<QProcess *> m_children;
};

void TestTrayActions::initTestCase()
{
    if (const QString why = LiveDaemonFixture::skipReason(); !why.isEmpty())
        QSKIP(qPrintable(why));
    QVERIFY(m_fixture.dir().isValid());
    // The user's own settings (image, limits, recent targets) stay out of the test.
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_fixture.filePath(u"config"_s));
    QVERIFY(podtap::Settings::fileName().startsWith(m_fixture.dir().path()));
    // The context guard's patterns (guard.conf), shared by podtapd and the tray.
    qputenv("XDG_CONFIG_HOME", m_fixture.filePath(u"xdg-config"_s).toLocal8Bit());
    QString error;
    QVERIFY2(m_fixture.start(QStringLiteral(SRCDIR "/scenarios/gui.yaml"), &error),
             qPrintable(error));
    // The kubeconfig comes from Settings, as a user's would.
    podtap::Settings::setKubeconfigPaths({m_fixture.kubesim().kubeconfig()});

    m_link = m_fixture.makeLink();
    m_sessions = std::make_unique<SessionListModel>(m_link.get());
    m_sessionsTester = std::make_unique<QAbstractItemModelTester>(
            m_sessions.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    m_controller = std::make_unique<podtap::SessionController>(m_link.get());
    m_recent = std::make_unique<RecentTargets>();
    m_tray = std::make_unique<podtap::TrayController>(m_link.get(), m_sessions.get(),
                                                      m_controller.get());
    m_tray->setRecentTargets(m_recent.get());
    m_link->start();
    QTRY_VERIFY(m_sessions->isLoaded());
}

void TestTrayActions::cleanup()
{
    m_fixture.noteFailure();
}

void TestTrayActions::cleanupTestCase()
{
    for (QProcess *p : std::as_const(m_children))
        CliRunner::stop(p, 5000, 2000);
    qDeleteAll(m_children);
    m_tray.reset();
    m_sessionsTester.reset();
    m_sessions.reset();
    m_controller.reset();
    m_link.reset();
    m_fixture.finish();
}

bool TestTrayActions::runClient(int connections, QString *output)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(u"ip"_s, TrafficgenCommand::clientInNetns(
                             m_fixture.kubesim().netns(u"c1"_s),
                             {u"--connect"_s, m_podIp + u":8080"_s, u"--connections"_s,
                              QString::number(connections), u"--concurrency"_s, u"5"_s,
                              u"--requests-per-conn"_s, u"2"_s, u"--request-size"_s, u"200"_s,
                              u"--response-size"_s, u"1000"_s, u"--seed"_s, u"11"_s, u"--timeout"_s,
                              u"60"_s}));
    const bool finished = p.waitForFinished(90000);
    *output = QString::fromUtf8(p.readAll());
    return finished && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

int TestTrayActions::startServer(const QString &record)
{
    auto *server = new QProcess;
    m_children << server;
    server->start(Trafficgen, {u"serve"_s, u"--listen"_s, u"127.0.0.1:0"_s, u"--mode"_s, u"http"_s,
                               u"--record"_s, record});
    if (!server->waitForStarted())
        return 0;
    QElapsedTimer t;
    t.start();
    while (!server->canReadLine() && t.elapsed() < 10000)
        server->waitForReadyRead(200);
    const auto m = QRegularExpression(u"^listening 127\\.0\\.0\\.1:(\\d+)"_s)
                           .match(QString::fromLatin1(server->readLine()));
    return m.hasMatch() ? m.captured(1).toInt() : 0;
}

QAction *TestTrayActions::quickAction(int index) const
{
    // The menu is rebuilt when what it lists changes: look the entry up every time.
    return m_tray->menu()->findChild<QAction *>(u"quickMirror%1"_s.arg(index));
}

bool TestTrayActions::waitCapturing(const QString &id)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 90000) {
        const QString state = m_sessions->summary(id).value(u"state").toString();
        if (state == u"capturing"_s)
            return true;
        if (state == u"failed"_s)
            return false;
        QTest::qWait(50);
    }
    return false;
}

void TestTrayActions::quickMirrorRefusedPort()
{
    // A port that was free a moment ago: nobody listens there.
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const int refused = probe.serverPort();
    probe.close();

    QSignalSpy notified(m_tray.get(), &podtap::TrayController::notified);
    QSignalSpy started(m_controller.get(), &podtap::SessionController::started);
    QSignalSpy failed(m_controller.get(), &podtap::SessionController::failed);
    m_recent->add({u"tapper"_s, u"shop"_s, u"web"_s, 8080, refused});
    QTRY_VERIFY(quickAction(0));
    QVERIFY(!quickAction(0)->isChecked());
    QCOMPARE(quickAction(0)->text(), u"shop/web (tapper) :8080 → 127.0.0.1:%1"_s.arg(refused));
    QElapsedTimer clock;
    clock.start();
    quickAction(0)->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(started.size(), 1, 30000);
    const QString id = started.at(0).at(0).toJsonObject().value(u"id").toString();
    QTRY_VERIFY(m_sessions->rowOf(id) >= 0);
    QVERIFY2(waitCapturing(id), qPrintable(json(m_sessions->summary(id))));
    qInfo("quick mirror: click to capturing in %lld ms", clock.elapsed());
    QVERIFY(SessionListModel::isMirroring(m_sessions->summary(id)));
    QTRY_VERIFY(quickAction(0) && quickAction(0)->isChecked());
    QCOMPARE(m_tray->status(), podtap::TrayController::Status::Mirroring);
    m_podIp = m_sessions->summary(id)
                      .value(u"pods")
                      .toArray()
                      .at(0)
                      .toObject()
                      .value(u"ip")
                      .toString();
    QVERIFY(!m_podIp.isEmpty());

    QString out;
    QVERIFY2(runClient(5, &out), qPrintable(out));
    auto refusedNotes = [&] {
        int n = 0;
        for (const QList<QVariant> &args : std::as_const(notified))
            n += args.at(1).toString().contains(u"Session %1 "_s.arg(id)) ? 1 : 0;
        return n;
    };
    QTRY_COMPARE_WITH_TIMEOUT(refusedNotes(), 1, 30000);
    qInfo("notification: %s: %s", qPrintable(notified.constLast().at(0).toString()),
          qPrintable(notified.constLast().at(1).toString()));
    QVERIFY(notified.constLast().at(0).toString().contains(u"refused"_s));
    // More refused connections within the minute: no second notification.
    const qint64 before = m_sessions->summary(id)
                                  .value(u"mirror"_s)
                                  .toObject()
                                  .value(u"localErrors"_s)
                                  .toInteger();
    QVERIFY2(runClient(5, &out), qPrintable(out));
    QTRY_VERIFY_WITH_TIMEOUT(m_sessions->summary(id)
                                             .value(u"mirror"_s)
                                             .toObject()
                                             .value(u"localErrors"_s)
                                             .toInteger()
                                     > before,
                             30000);
    QTest::qWait(1500); // a poll or two after the count went up
    QCOMPARE(refusedNotes(), 1);
    qInfo("local errors: %lld after the first burst, %lld after the second; 1 notification", before,
          m_sessions->summary(id)
                  .value(u"mirror"_s)
                  .toObject()
                  .value(u"localErrors"_s)
                  .toInteger());

    // A second click stops it.
    QSignalSpy stopped(m_controller.get(), &podtap::SessionController::stopped);
    quickAction(0)->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(stopped.size(), 1, 30000);
    QCOMPARE(stopped.at(0).at(0).toString(), id);
    QTRY_VERIFY(!m_sessions->isRunning(m_sessions->rowOf(id)));
    QTRY_VERIFY(quickAction(0) && !quickAction(0)->isChecked());
    QCOMPARE(failed.size(), 0);
}

void TestTrayActions::quickMirrorToLocalServer()
{
    if (m_podIp.isEmpty())
        QSKIP("needs the pod found by quickMirrorRefusedPort");
    const QString record = m_fixture.filePath(u"mirror-server.jsonl"_s);
    const int port = startServer(record);
    QVERIFY(port > 0);
    // Another recent target, then ours again: it moves to the front with its new port.
    m_recent->add({u"tapper"_s, u"shop"_s, u"deployment/web"_s, 8080, 9001});
    m_recent->add({u"tapper"_s, u"shop"_s, u"web"_s, 8080, port});
    QCOMPARE(m_recent->entries().size(), 2);
    QCOMPARE(m_recent->rememberedLocalPort(u"tapper"_s, u"shop"_s, u"web"_s, 8080), port);
    QTRY_VERIFY(quickAction(1));
    QVERIFY(quickAction(0)->text().endsWith(u":%1"_s.arg(port)));

    QSignalSpy started(m_controller.get(), &podtap::SessionController::started);
    quickAction(0)->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(started.size(), 1, 30000);
    const QString id = started.at(0).at(0).toJsonObject().value(u"id").toString();
    m_mirrored = id;
    QTRY_VERIFY(m_sessions->rowOf(id) >= 0);
    QVERIFY2(waitCapturing(id), qPrintable(json(m_sessions->summary(id))));
    QTRY_VERIFY(quickAction(0) && quickAction(0)->isChecked());
    QVERIFY(!quickAction(1)->isChecked());

    QString out;
    QElapsedTimer clock;
    clock.start();
    QVERIFY2(runClient(20, &out), qPrintable(out));
    QTRY_COMPARE_WITH_TIMEOUT(countLines(record), 20, 30000);
    qInfo("20 connections mirrored to 127.0.0.1:%d within %lld ms of the client starting", port,
          clock.elapsed());
    QTRY_VERIFY_WITH_TIMEOUT(
            m_sessions->summary(id).value(u"mirror"_s).toObject().value(u"completed"_s).toInteger()
                    == 20,
            30000);

    // The tray's menu as a user sees it: a running mirror session and the recent targets.
    {
        QMenu *menu = m_tray->menu();
        menu->ensurePolished();
        menu->adjustSize();
        const QImage image = menu->grab().toImage();
        QVERIFY(image.width() > 100 && image.height() > 100);
        const QString path = podtap::test::screenshotPath(u"tray-menu"_s);
        QVERIFY(image.save(path));
        qInfo("screenshot: %s (%dx%d)", qPrintable(path), image.width(), image.height());
        QStringList texts;
        for (const QAction *a : menu->actions())
            texts << a->text();
        QVERIFY2(texts.join(u'\n').contains(u"Stop #%1"_s.arg(id)), qPrintable(texts.join(u'\n')));
    }

    // Closing the window (no tray here: the app would quit) leaves the session in podtapd.
    {
        podtap::MainWindow window(m_link.get(), m_sessions.get(), m_controller.get());
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.close());
    }
    QTest::qWait(1000);
    QCOMPARE(m_sessions->summary(id).value(u"state").toString(), u"capturing"_s);
    QVERIFY(quickAction(0)->isChecked());

    QSignalSpy stopped(m_controller.get(), &podtap::SessionController::stopped);
    quickAction(0)->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(stopped.size(), 1, 30000);
    QTRY_COMPARE(m_sessions->summary(id).value(u"state").toString(), u"stopped"_s);
    QTRY_VERIFY(quickAction(0) && !quickAction(0)->isChecked());
    QCOMPARE(m_tray->status(), podtap::TrayController::Status::Idle);
}

void TestTrayActions::replayStoredSession()
{
    if (m_mirrored.isEmpty())
        QSKIP("needs the session recorded by quickMirrorToLocalServer");
    const qint64 connections = m_sessions->summary(m_mirrored).value(u"connections").toInteger();
    QCOMPARE(connections, qint64(20));
    const QString record = m_fixture.filePath(u"replay-server.jsonl"_s);
    const int port = startServer(record);
    QVERIFY(port > 0);

    podtap::ReplayDialog dialog(m_link.get(), m_sessions.get(), m_mirrored, {});
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    dialog.setSessionSource(m_mirrored);
    dialog.setPort(port);
    dialog.setSpeed(0);
    auto *start = dialog.findChild<QPushButton *>(u"startReplay"_s);
    auto *stop = dialog.findChild<QPushButton *>(u"stopReplay"_s);
    QVERIFY(start && stop);
    QVERIFY(start->isEnabled());
    QSignalSpy finished(dialog.controller(), &podtap::ReplayController::finished);
    QSignalSpy failed(dialog.controller(), &podtap::ReplayController::failed);
    QElapsedTimer clock;
    clock.start();
    QTest::mouseClick(start, Qt::LeftButton);
    QTRY_VERIFY(stop->isEnabled() || finished.size() > 0);
    QTRY_VERIFY2_WITH_TIMEOUT(finished.size() == 1 || failed.size() > 0,
                              qPrintable(dialog.resultText()), 60000);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
    const QJsonObject done = finished.at(0).at(0).toJsonObject();
    qInfo("replay of %lld connections done in %lld ms: %s", connections, clock.elapsed(),
          qPrintable(json(done)));
    QVERIFY2(done.value(u"ok").toBool(), qPrintable(json(done)));
    QCOMPARE(done.value(u"connections").toInteger(), connections);
    QCOMPARE(done.value(u"completed").toInteger(), connections);
    QCOMPARE(done.value(u"localErrors").toInteger(), qint64(0));
    QVERIFY(done.value(u"bytesSent").toInteger() >= connections * 2 * 200);
    QTRY_COMPARE_WITH_TIMEOUT(countLines(record), int(connections), 10000);
    QVERIFY2(dialog.resultText().contains(u"20 connections, 20 completed, 0 local errors"_s),
             qPrintable(dialog.resultText()));
    QVERIFY(start->isEnabled());
    QVERIFY(!stop->isEnabled());

    // Only some connections (as selected in the window's connection table).
    QList<qint64> ids;
    bool paged = false;
    m_link->request(u"session.connections"_s,
                    QJsonObject{{u"id"_s, m_mirrored}, {u"from"_s, 0}, {u"count"_s, 100}}, this,
                    [&](const podtap::IpcClient::Reply &r) {
                        for (const QJsonValue v : r.result.value(u"connections"_s).toArray())
                            if (ids.size() < 5)
                                ids << v.toObject().value(u"id"_s).toInteger();
                        paged = true;
                    });
    QTRY_VERIFY(paged);
    QCOMPARE(ids.size(), 5);
    const QString selectedRecord = m_fixture.filePath(u"replay-selected.jsonl"_s);
    const int selectedPort = startServer(selectedRecord);
    QVERIFY(selectedPort > 0);
    {
        podtap::ReplayDialog some(m_link.get(), m_sessions.get(), m_mirrored, ids);
        some.setPort(selectedPort);
        auto *only = some.findChild<QCheckBox *>(u"replayOnlySelected"_s);
        QVERIFY(only && only->isEnabled() && only->isChecked());
        QSignalSpy someDone(some.controller(), &podtap::ReplayController::finished);
        some.startReplay();
        QTRY_COMPARE_WITH_TIMEOUT(someDone.size(), 1, 60000);
        const QJsonObject d = someDone.at(0).at(0).toJsonObject();
        qInfo("replay of 5 selected connections: %s", qPrintable(json(d)));
        QCOMPARE(d.value(u"completed").toInteger(), qint64(5));
        QTRY_COMPARE_WITH_TIMEOUT(countLines(selectedRecord), 5, 10000);
    }

    // A file that is not there is refused in the dialog, before the daemon.
    dialog.setFileSource(m_fixture.filePath(u"missing.pcapng"_s));
    QTest::mouseClick(start, Qt::LeftButton);
    QVERIFY2(dialog.resultText().contains(u"is not a file"_s), qPrintable(dialog.resultText()));
    // A session the daemon does not have: its message, no hang.
    podtap::ReplayController controller(m_link.get());
    QSignalSpy refused(&controller, &podtap::ReplayController::failed);
    controller.start({u"no-such-session"_s, QString(), port, 0, {}});
    QTRY_COMPARE(refused.size(), 1);
    qInfo("unknown session: %s", qPrintable(refused.at(0).at(0).toString()));
    QVERIFY(!controller.isRunning());
}

// A stand-in for Wireshark that writes its argv, one per line, to `argsFile` (atomically).
static bool writeArgvRecorder(const QString &script, const QString &argsFile)
{
    QFile f(script);
    if (!f.open(QIODevice::WriteOnly))
        return false;
    f.write("#!/bin/sh\nprintf '%s\\n' \"$@\" > '" + argsFile.toLocal8Bit() + ".tmp'\nmv '"
            + argsFile.toLocal8Bit() + ".tmp' '" + argsFile.toLocal8Bit() + "'\n");
    f.close();
    return QFile::setPermissions(script, QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                                 | QFileDevice::ExeOwner);
}

void TestTrayActions::openInWireshark()
{
    if (m_mirrored.isEmpty())
        QSKIP("needs the session recorded by quickMirrorToLocalServer");
    // Not installed: the action is off and says what to do.
    qputenv("PODTAP_WIRESHARK", m_fixture.filePath(u"no-such-wireshark"_s).toLocal8Bit());
    QVERIFY(!podtap::WiresharkLauncher::isAvailable());
    {
        podtap::MainWindow window(m_link.get(), m_sessions.get(), m_controller.get());
        window.selectSession(m_mirrored);
        auto *action = window.findChild<QAction *>(u"wiresharkAction"_s);
        QVERIFY(action);
        QVERIFY(!action->isEnabled());
        QVERIFY2(action->toolTip().contains(u"install"_s), qPrintable(action->toolTip()));
        QCOMPARE(action->shortcut(), QKeySequence(u"Ctrl+Shift+W"_s));
        QCOMPARE(window.findChild<QAction *>(u"replayAction"_s)->shortcut(),
                 QKeySequence(u"Ctrl+R"_s));
        QCOMPARE(window.findChild<QAction *>(u"settingsAction"_s)->shortcut(),
                 QKeySequence(u"Ctrl+,"_s));
    }

    const QString argsFile = m_fixture.filePath(u"wireshark-args.txt"_s);
    const QString script = m_fixture.filePath(u"fake-wireshark"_s);
    QVERIFY(writeArgvRecorder(script, argsFile));
    qputenv("PODTAP_WIRESHARK", script.toLocal8Bit());
    QVERIFY(podtap::WiresharkLauncher::isAvailable());
    {
        podtap::MainWindow window(m_link.get(), m_sessions.get(), m_controller.get());
        window.selectSession(m_mirrored);
        QVERIFY(window.findChild<QAction *>(u"wiresharkAction"_s)->isEnabled());
    }

    podtap::WiresharkLauncher launcher(m_link.get());
    QSignalSpy launched(&launcher, &podtap::WiresharkLauncher::launched);
    QSignalSpy failed(&launcher, &podtap::WiresharkLauncher::failed);
    launcher.open(m_mirrored);
    QTRY_VERIFY_WITH_TIMEOUT(launched.size() == 1 || failed.size() > 0, 30000);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(argsFile), 10000);
    QFile args(argsFile);
    QVERIFY(args.open(QIODevice::ReadOnly));
    const QStringList argv = QString::fromUtf8(args.readAll()).split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(argv.size(), 1);
    const QString file = argv.at(0);
    QCOMPARE(file, launched.at(0).at(1).toString());
    QVERIFY(file.endsWith(u".pcapng"_s));
    struct stat st = {};
    QCOMPARE(::stat(QFile::encodeName(file).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, mode_t(0600));
    QCOMPARE(::stat(QFile::encodeName(QFileInfo(file).path()).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, mode_t(0700));
    if (QStandardPaths::findExecutable(u"capinfos"_s).isEmpty())
        QSKIP("capinfos (wireshark-common) is not installed: the file was not read back");
    QProcess capinfos;
    capinfos.start(u"capinfos"_s, {u"-c"_s, u"-M"_s, file});
    QVERIFY(capinfos.waitForFinished(30000));
    const QString info = QString::fromUtf8(capinfos.readAllStandardOutput());
    QCOMPARE(capinfos.exitCode(), 0);
    const auto c = QRegularExpression(u"Number of packets:\\s+(\\d+)"_s).match(info);
    QVERIFY2(c.hasMatch(), qPrintable(info));
    const qint64 packets = c.captured(1).toLongLong();
    qInfo("Wireshark got %s: %lld packets (session: %lld)", qPrintable(file), packets,
          m_sessions->summary(m_mirrored).value(u"packets").toInteger());
    QCOMPARE(packets, m_sessions->summary(m_mirrored).value(u"packets").toInteger());
}

void TestTrayActions::openLiveInWireshark()
{
    if (m_mirrored.isEmpty())
        QSKIP("needs the session recorded by quickMirrorToLocalServer");
    // A stopped session has nothing live to follow.
    {
        podtap::MainWindow window(m_link.get(), m_sessions.get(), m_controller.get());
        window.selectSession(m_mirrored);
        auto *action = window.findChild<QAction *>(u"wiresharkLiveAction"_s);
        QVERIFY(action);
        QCOMPARE(action->isEnabled(), m_sessions->isRunning(m_sessions->rowOf(m_mirrored)));
    }
    const QString argsFile = m_fixture.filePath(u"wireshark-live-args.txt"_s);
    const QString script = m_fixture.filePath(u"fake-wireshark-live"_s);
    QVERIFY(writeArgvRecorder(script, argsFile));
    qputenv("PODTAP_WIRESHARK", script.toLocal8Bit());
    podtap::WiresharkLauncher launcher(m_link.get());
    QSignalSpy launched(&launcher, &podtap::WiresharkLauncher::launched);
    QSignalSpy failed(&launcher, &podtap::WiresharkLauncher::failed);

    // Without the extcap in Wireshark's folder, Wireshark would show no podtap interface.
    qputenv("PODTAP_WIRESHARK_EXTCAP", m_fixture.filePath(u"no-such-extcap"_s).toLocal8Bit());
    launcher.openLive(u"7"_s);
    QCOMPARE(failed.size(), 1);
    QVERIFY2(failed.at(0).at(0).toString().contains(u"podtap-extcap is not in Wireshark's"_s),
             qPrintable(failed.at(0).at(0).toString()));
    QVERIFY(launched.isEmpty());

    // With it: Wireshark starts capturing at once on podtap's interface, joined to session 7
    // (tst_extcap runs the same -o through the real tshark).
    qputenv("PODTAP_WIRESHARK_EXTCAP", script.toLocal8Bit());
    launcher.openLive(u"7"_s);
    QCOMPARE(launched.size(), 1);
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(argsFile), 10000);
    QFile args(argsFile);
    QVERIFY(args.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(args.readAll()).split(u'\n', Qt::SkipEmptyParts),
             (QStringList{u"-k"_s, u"-i"_s, u"podtap"_s, u"-o"_s, u"extcap.podtap.session:7"_s}));
    qunsetenv("PODTAP_WIRESHARK_EXTCAP");
}

void TestTrayActions::quickMirrorFailure()
{
    // A target that is not there: the click's outcome comes back as a notification (there may
    // be no window to show it) and the entry is not left checked.
    QSignalSpy notified(m_tray.get(), &podtap::TrayController::notified);
    m_recent->add({u"tapper"_s, u"shop"_s, u"no-such-pod"_s, 8080, 9999});
    QTRY_VERIFY(quickAction(0) && quickAction(0)->text().contains(u"no-such-pod"_s));
    quickAction(0)->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!notified.isEmpty(), 60000);
    qInfo("notification: %s: %s", qPrintable(notified.constLast().at(0).toString()),
          qPrintable(notified.constLast().at(1).toString()));
    QVERIFY2(notified.constLast().at(1).toString().contains(u"no-such-pod"_s),
             qPrintable(notified.constLast().at(1).toString()));
    QTRY_VERIFY(quickAction(0) && !quickAction(0)->isChecked());
    QCOMPARE(m_sessions->runningSessions().size(), 0);
}

void TestTrayActions::protectedContextsNeverQuick()
{
    // Default guard (no guard.conf): "*prod*". A production target is never a one-click mirror.
    m_recent->add({u"tapper"_s, u"shop"_s, u"web"_s, 8080, 9201});
    m_recent->add({u"shop-PROD-eu"_s, u"shop"_s, u"web"_s, 8080, 9202});
    m_tray->refresh();
    QTRY_VERIFY(quickAction(1) && quickAction(1)->text().contains(u"9201"_s));
    QVERIFY(!quickAction(0)); // entry 0 is the production one
    for (const QAction *a : m_tray->menu()->actions())
        QVERIFY2(!a->text().contains(u"shop-PROD-eu"_s), qPrintable(a->text()));

    // The user protects "tapper" too: the tray drops it at the next refresh, and podtapd asks
    // for a typed confirmation instead of starting (the window shows the dialog).
    const QString conf = m_fixture.filePath(u"xdg-config/podtap/guard.conf"_s);
    QVERIFY(podtap::ContextGuard::save({u"*prod*"_s, u"tapper"_s}, conf));
    m_tray->refresh();
    QTRY_VERIFY(!quickAction(1));
    QSignalSpy confirm(m_controller.get(), &podtap::SessionController::confirmationNeeded);
    QSignalSpy failed(m_controller.get(), &podtap::SessionController::failed);
    podtap::SessionController::StartRequest r;
    r.context = u"tapper"_s;
    r.ns = u"shop"_s;
    r.target = u"web"_s;
    r.port = 8080;
    m_controller->start(r);
    QTRY_VERIFY_WITH_TIMEOUT(!confirm.isEmpty() || !failed.isEmpty(), 30000);
    QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(1).toString()));
    QCOMPARE(confirm.constFirst().at(1).toString(), u"tapper"_s);
    QVERIFY(confirm.constFirst().at(2).toString().contains(u"protected"_s));
    QCOMPARE(m_sessions->runningSessions().size(), 0);
    // Without a context the daemon resolves the current one; its error names it in a field
    // of its own (the dialog asks for exactly that name).
    r.context.clear();
    m_controller->start(r);
    QTRY_VERIFY_WITH_TIMEOUT(confirm.size() == 2 || !failed.isEmpty(), 30000);
    QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(1).toString()));
    QCOMPARE(confirm.at(1).at(1).toString(), u"tapper"_s);
    QCOMPARE(m_sessions->runningSessions().size(), 0);

    // The typed confirmation: OK only for the exact name.
    podtap::ProtectedContextDialog dialog(u"tapper"_s, u"matches 'tapper'"_s);
    QVERIFY(!dialog.okButton()->isEnabled());
    QTest::keyClicks(dialog.input(), u"Tapper"_s);
    QVERIFY(!dialog.okButton()->isEnabled());
    dialog.input()->clear();
    QTest::keyClicks(dialog.input(), u"tapper"_s);
    QVERIFY(dialog.okButton()->isEnabled());
    QVERIFY(QFile::remove(conf));
    m_tray->refresh();
    QTRY_VERIFY(quickAction(1));
}

void TestTrayActions::projectMirrorFromTray()
{
    if (m_podIp.isEmpty())
        QSKIP("needs the pod found by quickMirrorRefusedPort");
    const QString record = m_fixture.filePath(u"project-server.jsonl"_s);
    const int port = startServer(record);
    QVERIFY(port > 0);
    const QString dir = m_fixture.filePath(u"project/src"_s);
    QVERIFY(QDir().mkpath(dir));
    QFile f(m_fixture.filePath(u"project/.podtap.yaml"_s));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QStringLiteral("mirrors:\n"
                           "  web: {context: tapper, namespace: shop, target: web,\n"
                           "        ports: [{remote: 8080, local: %1}]}\n"
                           "  live: {context: shop-prod, namespace: shop, target: web,\n"
                           "         ports: [{remote: 8080, local: 9301}]}\n")
                    .arg(port)
                    .toUtf8());
    f.close();
    podtap::ProjectMirrors project(m_link.get(), m_sessions.get());
    project.setProject(dir); // found in the parent folder
    QCOMPARE(project.file(), f.fileName());
    QVERIFY2(project.error().isEmpty(), qPrintable(project.error()));
    m_tray->setProjectMirrors(&project);
    auto projectAction = [this](const QString &name) {
        return m_tray->menu()->findChild<QAction *>(u"projectMirror_"_s + name);
    };
    // The tray offers only the unprotected one; the window lists both, marked.
    QTRY_VERIFY(projectAction(u"web"_s));
    QVERIFY(!projectAction(u"live"_s));
    {
        podtap::MainWindow window(m_link.get(), m_sessions.get(), m_controller.get());
        window.setProjectMirrors(&project);
        const QAction *live = window.projectMenu()->findChild<QAction *>(u"projectMirror_live"_s);
        QVERIFY(live);
        QVERIFY2(live->text().startsWith(u"PRODUCTION · live"_s), qPrintable(live->text()));
        QVERIFY(window.projectMenu()->findChild<QAction *>(u"projectMirror_web"_s));
    }

    QSignalSpy started(&project, &podtap::ProjectMirrors::started);
    QSignalSpy failed(&project, &podtap::ProjectMirrors::failed);
    projectAction(u"web"_s)->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!started.isEmpty() || !failed.isEmpty(), 90000);
    QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(1).toString()));
    const QStringList ids = started.constFirst().at(1).toStringList();
    QCOMPARE(ids.size(), 1);
    QString out;
    QVERIFY2(runClient(10, &out), qPrintable(out));
    QTRY_COMPARE_WITH_TIMEOUT(countLines(record), 10, 30000);
    QSignalSpy stopped(m_controller.get(), &podtap::SessionController::stopped);
    m_controller->stop(ids.constFirst());
    QTRY_COMPARE_WITH_TIMEOUT(stopped.size(), 1, 30000);
    QCOMPARE(stopped.constFirst().at(1).toJsonObject()[u"mirror"_s][u"completed"_s].toInteger(),
             10);

    // A broken file: the tray says where, and offers nothing from it.
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write("mirrors:\n  web:\n    targt: web\n");
    f.close();
    project.reload();
    QTRY_VERIFY(!projectAction(u"web"_s));
    QStringList texts;
    for (const QAction *a : m_tray->menu()->actions())
        texts << a->text();
    QVERIFY2(texts.contains(f.fileName()
                            + u":3:5: unknown key 'targt' in mirrors.web (did you mean target?)"_s),
             qPrintable(texts.join(u'\n')));
    m_tray->setProjectMirrors(nullptr);
}

QTEST_MAIN(TestTrayActions)
#include "tst_trayactions.moc"
