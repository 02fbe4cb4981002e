// podtap-gui: the desktop app and tray. Parses arguments and wires objects only.
#include "daemonlink.h"
#include "mainwindow.h"
#include "projectmirrors.h"
#include "recenttargets.h"
#include "sessioncontroller.h"
#include "sessionlistmodel.h"
#include "settings.h"
#include "traycontroller.h"
#include "version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QStatusBar>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("podtap-gui"));
    QApplication::setApplicationDisplayName(QStringLiteral("podtap"));
    QApplication::setApplicationVersion(QLatin1String(podtap::versionString()));
    QApplication::setDesktopFileName(QStringLiteral("podtap-gui"));

    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("podtap desktop app: watch, mirror and export "
                                               "pod traffic captured by podtapd."));
    p.addHelpOption();
    p.addVersionOption();
    const QCommandLineOption socketOpt(QStringLiteral("socket"),
                                       QStringLiteral("Daemon socket (default: $PODTAP_SOCKET or "
                                                      "$XDG_RUNTIME_DIR/podtap/podtapd.sock)."),
                                       QStringLiteral("PATH"));
    const QCommandLineOption noStartOpt(QStringLiteral("no-start"),
                                        QStringLiteral("Do not start podtapd when it is not "
                                                       "running; wait for it."));
    const QCommandLineOption minimizedOpt(QStringLiteral("minimized"),
                                          QStringLiteral("Start in the system tray (when there "
                                                         "is one) without opening the window "
                                                         "(also a setting)."));
    const QCommandLineOption projectOpt(QStringLiteral("project"),
                                        QStringLiteral("Project folder whose .podtap.yaml lists "
                                                       "mirrors (default: the nearest one above "
                                                       "the working directory)."),
                                        QStringLiteral("DIR"));
    p.addOptions({socketOpt, noStartOpt, minimizedOpt, projectOpt});
    p.process(app);

    podtap::DaemonLink::Options options;
    options.socketPath = p.value(socketOpt); // empty: the CLI's rules
    options.startDaemon = !p.isSet(noStartOpt);
    options.clientName = QStringLiteral("podtap-gui/") + QLatin1String(podtap::versionString());
    podtap::DaemonLink link(options);
    podtap::SessionListModel sessions(&link);
    podtap::SessionController controller(&link);
    podtap::MainWindow window(&link, &sessions, &controller);
    podtap::TrayController tray(&link, &sessions, &controller);
    podtap::RecentTargets recent;
    tray.setRecentTargets(&recent);
    window.setRecentTargets(&recent);
    podtap::ProjectMirrors project(&link, &sessions);
    project.setProject(p.value(projectOpt));
    tray.setProjectMirrors(&project);
    window.setProjectMirrors(&project);

    const bool inTray = tray.showTrayIcon();
    // Closing the window never stops a session: they run in podtapd. With a tray the app
    // stays there; without one, closing the window quits the app.
    QApplication::setQuitOnLastWindowClosed(!inTray);
    window.setKeepRunningInTray(inTray);
    QObject::connect(&tray, &podtap::TrayController::statusChanged, &window,
                     [&window](podtap::TrayController::Status s) {
                         window.setWindowIcon(podtap::AppIcons::icon(s));
                     });
    QObject::connect(&tray, &podtap::TrayController::openWindowRequested, &window, [&] {
        window.showAndRaise();
        tray.acknowledgeFailures();
    });
    QObject::connect(&tray, &podtap::TrayController::quitRequested, &app, &QApplication::quit);
    if (!inTray)
        QObject::connect(&tray, &podtap::TrayController::notified, &window,
                         [&window](const QString &title, const QString &message) {
                             window.statusBar()->showMessage(title + QStringLiteral(": ") + message,
                                                             15000);
                         });
    QObject::connect(&window, &podtap::MainWindow::quitRequested, &app, &QApplication::quit);

    link.start();
    if (!(inTray && (p.isSet(minimizedOpt) || podtap::Settings::startMinimized())))
        window.show();
    return app.exec();
}
