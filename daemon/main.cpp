// podtapd: the per-user background daemon. Parses arguments and wires objects only.
#include "daemonservice.h"
#include "ipc/ipcclient.h"
#include "version.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QSocketNotifier>

#include <csignal>
#include <sys/signalfd.h>
#include <unistd.h>

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
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    const int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    QSocketNotifier notifier(sfd, QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, &app,
                     [] { QCoreApplication::quit(); });

    podtap::DaemonService service;
    const auto started = service.start(p.value(socketOpt));
    if (!started) {
        std::fprintf(stderr, "podtapd: %s\n", qPrintable(started.error()));
        return 1;
    }
    std::fprintf(stderr, "podtapd %s listening on %s\n", podtap::versionString(),
                 qPrintable(service.server()->socketPath()));
    const int rc = app.exec();
    ::close(sfd);
    return rc;
}
