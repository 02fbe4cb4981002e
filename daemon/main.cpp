// podtapd: the per-user background daemon. Parses arguments and wires objects only.
#include "daemonservice.h"
#include "ipc/ipcclient.h"
#include "store/capturestore.h"
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
    const QCommandLineOption storeOpt(QStringLiteral("store"),
                                      QStringLiteral("Capture store folder (default "
                                                     "$XDG_STATE_HOME/podtap/captures)."),
                                      QStringLiteral("DIR"), podtap::CaptureStore::defaultRoot());
    p.addOptions({socketOpt, storeOpt});
    p.process(app);

    podtap::DaemonService service(p.value(storeOpt));
    // SIGTERM/SIGINT: sessions stop (tcpdump stopped in the taps, stores closed), then the
    // event loop ends and the socket file is removed. A second signal quits at once.
    podtap::UnixSignalWatcher signals({SIGTERM, SIGINT});
    int received = 0;
    QObject::connect(&signals, &podtap::UnixSignalWatcher::received, &app, [&] {
        if (++received > 1)
            QCoreApplication::quit();
        else
            service.shutdown();
    });

    const auto started = service.start(p.value(socketOpt));
    if (!started) {
        std::fprintf(stderr, "podtapd: %s\n", qPrintable(started.error()));
        return 1;
    }
    std::fprintf(stderr, "podtapd %s listening on %s\n", podtap::versionString(),
                 qPrintable(service.server()->socketPath()));
    return app.exec();
}
