// The main window and the tray against a real podtapd (no cluster needed): the empty states
// explain what is going on and what to do, the status bar follows the daemon link, actions
// follow the selected session, closing the window keeps the app in the tray, and the tray's
// status and menu follow the sessions. Writes tests/gui/screenshots/main-window-empty.png.
#include "appicons.h"
#include "daemonlink.h"
#include "daemonprocess.h"
#include "ipc/ipcclient.h"
#include "mainwindow.h"
#include "placeholderstack.h"
#include "screenshot.h"
#include "sessioncontroller.h"
#include "sessionlistmodel.h"
#include "settingsdialog.h"
#include "traycontroller.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace Qt::StringLiterals;
using podtap::DaemonLink;
using podtap::SessionListModel;
using podtap::TrayController;

namespace {
QJsonObject summary(const QString &id, const QString &state, int mirrorPort = 0)
{
    return QJsonObject{
            {u"id"_s, id},
            {u"title"_s, u"shop/web:8080"_s},
            {u"state"_s, state},
            {u"packets"_s, 1234},
            {u"connections"_s, 56},
            {u"mirror"_s, QJsonObject{{u"enabled"_s, mirrorPort > 0},
                                      {u"to"_s, mirrorPort > 0 ? u"127.0.0.1:%1"_s.arg(mirrorPort)
                                                               : QString()}}}};
}

QStringList actionTexts(const QMenu *menu)
{
    QStringList out;
    const QList<QAction *> actions = menu->actions();
    for (const QAction *a : actions)
        if (!a->isSeparator())
            out << a->text();
    return out;
}

// A stored session as podtapd leaves it: meta.json and a capture file of `bytes`.
bool seedSession(const QString &store, const QString &id, qint64 bytes)
{
    const QString dir = store + u'/' + id;
    if (!QDir().mkpath(dir))
        return false;
    const QString when = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    QFile meta(dir + u"/meta.json"_s);
    QFile capture(dir + u"/capture-000001.pcapng"_s);
    return meta.open(QIODevice::WriteOnly)
           && meta.write(QJsonDocument(QJsonObject{{u"id"_s, id},
                                                   {u"title"_s, QString(u"shop/web:8080 #"_s + id)},
                                                   {u"state"_s, u"stopped"_s},
                                                   {u"started"_s, when},
                                                   {u"ended"_s, when}})
                                 .toJson())
                      > 0
           && capture.open(QIODevice::WriteOnly) && capture.resize(bytes);
}

// Clicks `button` (an object name, or "cancel") of the next modal message box.
void answerNextMessageBox(const QString &button, QString *text)
{
    QTimer::singleShot(0, qApp, [button, text] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (!box) {
            answerNextMessageBox(button, text); // not shown yet
            return;
        }
        *text = box->text() + u'\n' + box->informativeText();
        if (button == u"cancel"_s)
            box->button(QMessageBox::Cancel)->click();
        else
            box->findChild<QPushButton *>(button)->click();
    });
}

void saveScreenshot(QWidget *w, const QString &name)
{
    const QString path = podtap::test::saveScreenshot(w, name);
    QVERIFY(!path.isEmpty());
    qInfo("screenshot: %s", qPrintable(path));
}
} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void iconsRender();
    void trayStatus_data();
    void trayStatus();
    void trayMenuListsRunningSessions();
    void windowFollowsDaemonAndSessions();
    void closingKeepsAppInTray();
    void deleteWithConfirmation();
    void storeRetentionInSettings();

private:
    QTemporaryDir m_dir;
};

void TestMainWindow::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(QDir().mkpath(m_dir.filePath(u"run"_s)));
    QFile::setPermissions(m_dir.filePath(u"run"_s),
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    qputenv("XDG_STATE_HOME", m_dir.filePath(u"state"_s).toLocal8Bit());
}

void TestMainWindow::iconsRender()
{
    for (const auto kind : {podtap::AppIcons::Kind::Idle, podtap::AppIcons::Kind::Capturing,
                            podtap::AppIcons::Kind::Mirroring, podtap::AppIcons::Kind::Error}) {
        const QIcon icon = podtap::AppIcons::icon(kind);
        QVERIFY2(!icon.isNull(), qPrintable(podtap::AppIcons::resourcePath(kind)));
        const QImage image = icon.pixmap(64, 64).toImage();
        int opaque = 0;
        for (int y = 0; y < image.height(); ++y)
            for (int x = 0; x < image.width(); ++x)
                opaque += qAlpha(image.pixel(x, y)) > 200 ? 1 : 0;
        QVERIFY2(opaque > 64 * 64 / 4, qPrintable(podtap::AppIcons::resourcePath(kind)));
    }
}

void TestMainWindow::trayStatus_data()
{
    QTest::addColumn<DaemonLink::State>("link");
    QTest::addColumn<QJsonArray>("running");
    QTest::addColumn<bool>("failureUnseen");
    QTest::addColumn<TrayController::Status>("expected");
    using S = TrayController::Status;
    const QJsonObject capturing = summary(u"1"_s, u"capturing"_s);
    const QJsonObject mirroring = summary(u"2"_s, u"capturing"_s, 9000);
    QTest::addRow("nothing running")
            << DaemonLink::State::Connected << QJsonArray() << false << S::Idle;
    QTest::addRow("still connecting")
            << DaemonLink::State::Connecting << QJsonArray() << false << S::Idle;
    QTest::addRow("capturing") << DaemonLink::State::Connected << QJsonArray{capturing} << false
                               << S::Capturing;
    QTest::addRow("one of two mirrors")
            << DaemonLink::State::Connected << QJsonArray{capturing, mirroring} << false
            << S::Mirroring;
    QTest::addRow("daemon unreachable")
            << DaemonLink::State::Waiting << QJsonArray{mirroring} << false << S::Error;
    QTest::addRow("a failure not seen yet")
            << DaemonLink::State::Connected << QJsonArray{capturing} << true << S::Error;
}

void TestMainWindow::trayStatus()
{
    QFETCH(DaemonLink::State, link);
    QFETCH(QJsonArray, running);
    QFETCH(bool, failureUnseen);
    QFETCH(TrayController::Status, expected);
    QList<QJsonObject> sessions;
    for (const QJsonValue v : running)
        sessions << v.toObject();
    QCOMPARE(TrayController::statusFor(link, sessions, failureUnseen), expected);
}

void TestMainWindow::trayMenuListsRunningSessions()
{
    DaemonLink::Options o;
    o.socketPath = m_dir.filePath(u"run/nobody.sock"_s);
    o.startDaemon = false;
    DaemonLink link(o); // not started: the models are fed by hand
    SessionListModel sessions(&link);
    QAbstractItemModelTester tester(&sessions,
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
    podtap::SessionController controller(&link);
    TrayController tray(&link, &sessions, &controller);
    QSignalSpy status(&tray, &TrayController::statusChanged);
    QCOMPARE(actionTexts(tray.menu()), (QStringList{u"Open podtap"_s, u"No session running"_s,
                                                    u"Quit (sessions keep running in podtapd)"_s}));

    sessions.applySnapshot(QJsonArray{summary(u"3"_s, u"capturing"_s, 9000),
                                      summary(u"4"_s, u"waiting-for-tap"_s),
                                      summary(u"5"_s, u"stopped"_s)},
                           QJsonArray{summary(u"1"_s, u"interrupted"_s)});
    QCOMPARE(sessions.rowCount(), 4);
    QCOMPARE(tray.status(), TrayController::Status::Mirroring);
    QCOMPARE(status.size(), 1);
    const QStringList texts = actionTexts(tray.menu());
    QVERIFY2(texts.contains(u"Stop #3 shop/web:8080 (mirroring to 127.0.0.1:9000)"_s),
             qPrintable(texts.join(u" | "_s)));
    QVERIFY2(texts.contains(u"Stop #4 shop/web:8080 (waiting-for-tap)"_s),
             qPrintable(texts.join(u" | "_s)));
    QCOMPARE(texts.size(), 4); // open, two sessions, quit (the section title is a separator)

    // "Stop" goes to the daemon (not connected here: the failure is reported, not swallowed).
    QSignalSpy failed(&controller, &podtap::SessionController::failed);
    const QList<QAction *> actions = tray.menu()->actions();
    for (QAction *a : actions)
        if (a->text().startsWith(u"Stop #3"_s))
            a->trigger();
    QTRY_COMPARE(failed.size(), 1);
    QCOMPARE(failed.at(0).at(0).toString(), u"Stop"_s);

    // A running session fails while we watch: error until the user has looked.
    sessions.applySummary(summary(u"4"_s, u"failed"_s));
    QCOMPARE(tray.status(), TrayController::Status::Error);
    QVERIFY(tray.toolTip().contains(u"Session 4"_s));
    tray.acknowledgeFailures();
    QCOMPARE(tray.status(), TrayController::Status::Mirroring);
    // Quit and open are wired.
    QSignalSpy quit(&tray, &TrayController::quitRequested);
    tray.menu()->actions().constLast()->trigger();
    QCOMPARE(quit.size(), 1);
}

void TestMainWindow::windowFollowsDaemonAndSessions()
{
    if (!QFile::exists(DaemonProcess::program()))
        QSKIP("podtapd was not built");
    const QString socket = m_dir.filePath(u"run/window.sock"_s);
    DaemonLink::Options o;
    o.socketPath = socket;
    o.startDaemon = false;
    o.firstRetryMs = 100;
    o.maxRetryMs = 200;
    DaemonLink link(o);
    SessionListModel sessions(&link);
    podtap::SessionController controller(&link);
    podtap::MainWindow window(&link, &sessions, &controller);
    window.resize(1100, 600);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto *sessionsStack = window.findChild<podtap::PlaceholderStack *>(u"sessionsPlaceholder"_s);
    auto *connectionsStack
            = window.findChild<podtap::PlaceholderStack *>(u"connectionsPlaceholder"_s);
    auto *linkStatus = window.findChild<QLabel *>(u"linkStatus"_s);
    auto *newAction = window.findChild<QAction *>(u"newAction"_s);
    auto *stopAction = window.findChild<QAction *>(u"stopAction"_s);
    auto *exportAction = window.findChild<QAction *>(u"exportAction"_s);
    QVERIFY(sessionsStack && connectionsStack && linkStatus && newAction && stopAction
            && exportAction);
    QVERIFY(sessionsStack->isShowingMessage());
    QCOMPARE(sessionsStack->messageTitle(), u"Starting podtapd…"_s);

    // No daemon (and not allowed to start one): the window says so and keeps retrying.
    link.start();
    QTRY_COMPARE(link.state(), DaemonLink::State::Waiting);
    QCOMPARE(sessionsStack->messageTitle(), u"podtapd is not reachable"_s);
    QVERIFY2(sessionsStack->messageText().contains(u"keeps retrying"_s),
             qPrintable(sessionsStack->messageText()));
    QVERIFY2(linkStatus->text().contains(u"podtapd is not running"_s),
             qPrintable(linkStatus->text()));
    QVERIFY(!newAction->isEnabled());

    // The daemon comes: no sessions yet, and how to start one.
    DaemonProcess daemon(socket, m_dir.filePath(u"store"_s), m_dir.filePath(u"podtapd.log"_s));
    QString error;
    QVERIFY2(daemon.start(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(link.isConnected(), 5000);
    QTRY_COMPARE(sessionsStack->messageTitle(), u"No sessions yet"_s);
    QVERIFY(sessionsStack->messageText().contains(u"Ctrl+N"_s));
    QVERIFY2(linkStatus->text().startsWith(u"Connected to podtapd"_s),
             qPrintable(linkStatus->text()));
    QVERIFY(newAction->isEnabled());
    QCOMPARE(connectionsStack->messageTitle(), u"No session selected"_s);
    saveScreenshot(&window, u"main-window-empty"_s);

    // A session the cluster cannot serve (no such kubeconfig): it is listed, fails, and the
    // window offers what applies to a failed session.
    podtap::SessionController::StartRequest request;
    request.kubeconfig = {m_dir.filePath(u"no-such-kubeconfig"_s)};
    request.target = u"shop/web"_s;
    request.port = 8080;
    controller.start(request);
    QTRY_COMPARE(sessions.rowCount(), 1);
    QVERIFY(!sessionsStack->isShowingMessage());
    const QString id = sessions.summaryAt(0).value(u"id").toString();
    QTRY_COMPARE(window.selectedSessionId(), id); // a session we started is selected
    QTRY_COMPARE(sessions.summaryAt(0).value(u"state").toString(), u"failed"_s);
    QVERIFY(!stopAction->isEnabled());
    QVERIFY(exportAction->isEnabled());
    QTRY_COMPARE(connectionsStack->messageTitle(), u"No connections"_s);
    QVERIFY(sessions.index(0, SessionListModel::State)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(u"failed"_s));

    // The daemon dies: the rows stay, the status bar says it.
    daemon.kill();
    QTRY_COMPARE(link.state(), DaemonLink::State::Waiting);
    QVERIFY2(linkStatus->text().startsWith(u"Lost podtapd"_s), qPrintable(linkStatus->text()));
    QCOMPARE(sessions.rowCount(), 1);
    QVERIFY(!sessionsStack->isShowingMessage());
    QCOMPARE(window.selectedSessionId(), id);
    QVERIFY(!exportAction->isEnabled());
}

void TestMainWindow::deleteWithConfirmation()
{
    if (!QFile::exists(DaemonProcess::program()))
        QSKIP("podtapd was not built");
    const QString store = m_dir.filePath(u"delete-store"_s);
    QVERIFY(seedSession(store, u"7"_s, 3 * 1024 * 1024));
    QVERIFY(seedSession(store, u"8"_s, 1000));
    const QString socket = m_dir.filePath(u"run/delete.sock"_s);
    DaemonProcess daemon(socket, store, m_dir.filePath(u"podtapd-delete.log"_s));
    QString error;
    QVERIFY2(daemon.start(&error), qPrintable(error));
    DaemonLink::Options o;
    o.socketPath = socket;
    o.startDaemon = false;
    DaemonLink link(o);
    SessionListModel sessions(&link);
    QAbstractItemModelTester tester(&sessions);
    podtap::SessionController controller(&link);
    podtap::MainWindow window(&link, &sessions, &controller);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    link.start();
    QTRY_COMPARE(sessions.rowCount(), 2);
    auto *deleteAction = window.findChild<QAction *>(u"deleteAction"_s);
    QVERIFY(deleteAction);
    // The session list shows each session's disk use.
    const int row = sessions.rowOf(u"7"_s);
    QVERIFY2(sessions.index(row, SessionListModel::Disk).data().toString().startsWith(u"3"_s),
             qPrintable(sessions.index(row, SessionListModel::Disk).data().toString()));
    QVERIFY(sessions.index(row, SessionListModel::Disk)
                    .data(SessionListModel::SortRole)
                    .toLongLong()
            > 3 * 1024 * 1024);

    window.selectSession(u"7"_s);
    QTRY_VERIFY(deleteAction->isEnabled());
    // Cancelled: nothing happens.
    QString asked;
    answerNextMessageBox(u"cancel"_s, &asked);
    deleteAction->trigger();
    QVERIFY2(asked.contains(u"Delete session 7"_s) && asked.contains(u"cannot be undone"_s),
             qPrintable(asked));
    QTest::qWait(200);
    QCOMPARE(sessions.rowCount(), 2);
    QVERIFY(QFileInfo::exists(store + u"/7/meta.json"_s));
    // Confirmed: the row and every file go.
    answerNextMessageBox(u"confirmDelete"_s, &asked);
    deleteAction->trigger();
    QTRY_COMPARE(sessions.rowCount(), 1);
    QCOMPARE(sessions.summaryAt(0).value(u"id").toString(), u"8"_s);
    QVERIFY(!QFileInfo::exists(store + u"/7"_s));
    QVERIFY(QFileInfo::exists(store + u"/8/meta.json"_s));
    // A live summary carries no disk use: the last one known stays shown.
    const QString disk8 = sessions.index(0, SessionListModel::Disk).data().toString();
    QVERIFY(!disk8.isEmpty());
    QJsonObject live = sessions.summaryAt(0);
    live.remove(u"diskBytes"_s);
    live[u"packets"_s] = 99;
    sessions.applySummary(live);
    QCOMPARE(sessions.index(0, SessionListModel::Disk).data().toString(), disk8);
    // Removed elsewhere (podtap rm, retention): the "removed" event drops the row.
    podtap::IpcClient other;
    other.connectToDaemon(socket, u"tst_mainwindow"_s);
    QVERIFY(other.waitForReady(5000));
    const auto rm = other.requestAndWait(u"session.delete"_s, QJsonObject{{u"id"_s, u"8"_s}});
    QVERIFY2(rm.ok, qPrintable(rm.errorMessage));
    QTRY_COMPARE(sessions.rowCount(), 0);
    daemon.terminate();
}

void TestMainWindow::storeRetentionInSettings()
{
    if (!QFile::exists(DaemonProcess::program()))
        QSKIP("podtapd was not built");
    const QString socket = m_dir.filePath(u"run/retention.sock"_s);
    DaemonProcess daemon(socket, m_dir.filePath(u"retention-store"_s),
                         m_dir.filePath(u"podtapd-retention.log"_s));
    QString error;
    QVERIFY2(daemon.start(&error), qPrintable(error));
    DaemonLink::Options o;
    o.socketPath = socket;
    o.startDaemon = false;
    DaemonLink link(o);
    link.start();
    QTRY_VERIFY(link.isConnected());
    podtap::SettingsDialog dialog(nullptr, &link);
    auto *quota = dialog.findChild<QLineEdit *>(u"storeQuota"_s);
    auto *age = dialog.findChild<QLineEdit *>(u"storeMaxAge"_s);
    auto *saveError = dialog.findChild<QLabel *>(u"saveError"_s);
    QVERIFY(quota && age && saveError);
    // podtapd's defaults, as it reports them.
    QTRY_COMPARE(quota->text(), u"2G"_s);
    QCOMPARE(age->text(), u"7d"_s);
    QVERIFY(dialog.retentionChange().isEmpty());
    // A size podtapd would refuse is refused here, and the dialog stays open.
    dialog.show();
    quota->setText(u"lots"_s);
    dialog.accept();
    QVERIFY(dialog.isVisible());
    QVERIFY2(saveError->text().contains(u"invalid size 'lots'"_s), qPrintable(saveError->text()));
    quota->setText(u"10G"_s);
    QCOMPARE(dialog.retentionChange(), (QJsonObject{{u"quota"_s, u"10G"_s}}));
    daemon.terminate();
}

void TestMainWindow::closingKeepsAppInTray()
{
    DaemonLink::Options o;
    o.socketPath = m_dir.filePath(u"run/nobody.sock"_s);
    o.startDaemon = false;
    DaemonLink link(o);
    SessionListModel sessions(&link);
    podtap::SessionController controller(&link);
    {
        podtap::MainWindow window(&link, &sessions, &controller);
        window.setKeepRunningInTray(true);
        QSignalSpy hidden(&window, &podtap::MainWindow::hiddenToTray);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(!window.close()); // refused: hidden instead
        QVERIFY(!window.isVisible());
        QCOMPARE(hidden.size(), 1);
        window.showAndRaise();
        QVERIFY(window.isVisible());
        QVERIFY(!window.close());
        QCOMPARE(hidden.size(), 1); // said once
    }
    {
        podtap::MainWindow window(&link, &sessions, &controller);
        window.setKeepRunningInTray(false); // no tray: closing closes
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.close());
        QVERIFY(!window.isVisible());
    }
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
