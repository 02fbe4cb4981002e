// podtapd: the per-user background daemon. Parses arguments and wires objects only.
#include "daemonservice.h"
#include "ipc/ipcclient.h"
#include "unixsignalwatcher.h"
#include "version.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <csignal>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("podtapd"));
    QCoreApplication::setApplicationVersion(QLatin1String(podtap::versionString()));
    QCommandLineParser p;
    p.setApplicationDescription(
            QStringLiteral("podtap daemon: owns taps, capture sessions and mirrors."));
    p.addHelpOption();
    p.addVersionOption();
    const QCommandLineOption socketOpt(QStringLiteral("socket"), QStringLiteral("Socket path."),
                                       QStringLiteral("PATH"),
                                       podtap::IpcClient::defaultSocketPath());
    p.addOption(socketOpt);
    p.process(app);

    // SIGTERM/SIGINT end the event loop cleanly (the socket file is removed on the way out).
    podtap::UnixSignalWatcher signals({SIGTERM, SIGINT});
    QObject::connect(&signals, &podtap::UnixSignalWatcher::received, &app,
                     [] { QCoreApplication::quit(); });

    podtap::DaemonService service;
    const auto started = service.start(p.value(socketOpt));
    if (!started) {
        std::fprintf(stderr, "podtapd: %s\n", qPrintable(started.error()));
        return 1;
    }
    std::fprintf(stderr, "podtapd %s listening on %s\n", podtap::versionString(),
                 qPrintable(service.server()->socketPath()));
    return app.exec();
}
