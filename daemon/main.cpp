// podtapd: the per-user background daemon. Parses arguments and wires objects only.
#include "daemonservice.h"
#include "ipc/ipcclient.h"
#include "retentionpolicy.h"
#include "store/capturestore.h"
#include "unixsignalwatcher.h"
#include "version.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <QJsonObject>

#include <algorithm>
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
    const QCommandLineOption quotaOpt(
            QStringLiteral("store-quota"),
            QStringLiteral("Total size the stored sessions may use, e.g. 10G, 500M, or off "
                           "(default 2G, or what the GUI or podtap retention set); the oldest "
                           "stopped sessions are removed first."),
            QStringLiteral("SIZE"));
    const QCommandLineOption ageOpt(
            QStringLiteral("store-max-age"),
            QStringLiteral("How long a stopped session is kept, e.g. 7d, 12h, 90m, or off "
                           "(default 7d)."),
            QStringLiteral("DURATION"));
    const QCommandLineOption lingerOpt(
            QStringLiteral("release-after"),
            QStringLiteral("How long a finished session stays in memory before only its "
                           "stored files answer for it, e.g. 10s (the default) or off (at once)."),
            QStringLiteral("DURATION"));
    p.addOptions({socketOpt, storeOpt, quotaOpt, ageOpt, lingerOpt});
    p.process(app);

    // Checked here so that the message names the option; never read as 0 (no limit).
    QJsonObject retention;
    if (p.isSet(quotaOpt)) {
        if (const auto q = podtap::RetentionPolicy::parseSize(p.value(quotaOpt)); !q) {
            std::fprintf(stderr, "podtapd: --store-quota: %s\n", qPrintable(q.error()));
            return 1;
        }
        retention.insert(QStringLiteral("quota"), p.value(quotaOpt));
    }
    if (p.isSet(ageOpt)) {
        if (const auto a = podtap::RetentionPolicy::parseDuration(p.value(ageOpt)); !a) {
            std::fprintf(stderr, "podtapd: --store-max-age: %s\n", qPrintable(a.error()));
            return 1;
        }
        retention.insert(QStringLiteral("maxAge"), p.value(ageOpt));
    }
    podtap::DaemonService service(p.value(storeOpt));
    if (p.isSet(lingerOpt)) {
        const auto linger = podtap::RetentionPolicy::parseDuration(p.value(lingerOpt));
        if (!linger) {
            std::fprintf(stderr, "podtapd: --release-after: %s\n", qPrintable(linger.error()));
            return 1;
        }
        service.sessions()->setFinishedLingerMs(
                int(std::min<qint64>(linger.value(), 86400) * 1000));
    }
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

    const auto started = service.start(p.value(socketOpt), retention);
    if (!started) {
        std::fprintf(stderr, "podtapd: %s\n", qPrintable(started.error()));
        return 1;
    }
    std::fprintf(stderr, "podtapd %s listening on %s\n", podtap::versionString(),
                 qPrintable(service.server()->socketPath()));
    return app.exec();
}
