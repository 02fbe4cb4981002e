#include "daemonconnection.h"

#include "ipc/daemonlauncher.h"

#include <QDeadlineTimer>
#include <QFileInfo>
#include <QThread>

namespace podtap {

namespace {
constexpr int StartTimeoutMs = 10000;
}

DaemonConnection::DaemonConnection()
    : m_socket(QStringLiteral("socket"),
               QStringLiteral("Daemon socket (default: $PODTAP_SOCKET or "
                              "$XDG_RUNTIME_DIR/podtap/podtapd.sock)."),
               QStringLiteral("PATH"))
    , m_noStart(QStringLiteral("no-start"),
                QStringLiteral("Do not start podtapd when it is not running."))
{}

void DaemonConnection::addOptions(QCommandLineParser &parser)
{
    parser.addOptions({m_socket, m_noStart});
}

QString DaemonConnection::socketPath(const QCommandLineParser &parser,
                                     const QCommandLineOption &option)
{
    return DaemonLauncher::socketPath(parser.isSet(option) ? parser.value(option) : QString());
}

QString DaemonConnection::findDaemon()
{
    return DaemonLauncher::findDaemon();
}

std::unique_ptr<IpcClient> DaemonConnection::open(const QCommandLineParser &parser, FILE *err,
                                                  bool startIfNeeded)
{
    const QString path = socketPath(parser, m_socket);
    QString refusal;
    auto tryConnect = [&path, &refusal](int timeoutMs) {
        auto client = std::make_unique<IpcClient>();
        client->connectToDaemon(path, QStringLiteral("podtap-cli"));
        const bool ready = client->waitForReady(timeoutMs);
        refusal = client->refusal();
        return ready ? std::move(client) : nullptr;
    };
    if (auto client = tryConnect(3000))
        return client;
    if (!refusal.isEmpty()) { // never start a daemon beside a socket that is not ours
        std::fprintf(err, "podtap: %s\n", qPrintable(refusal));
        return nullptr;
    }
    if (!startIfNeeded || parser.isSet(m_noStart)) {
        std::fprintf(err, "podtap: podtapd is not running (no answer on %s)\n", qPrintable(path));
        return nullptr;
    }
    const QString daemon = findDaemon();
    if (daemon.isEmpty()) {
        std::fprintf(err, "podtap: podtapd is not running and was not found next to podtap or on "
                          "PATH; install podtap or start podtapd yourself\n");
        return nullptr;
    }
    // Detached, with its log in the state folder: it outlives this command.
    const QString logDir = DaemonLauncher::logDirectory();
    const auto started = DaemonLauncher::startDetached(daemon, path);
    if (!started) {
        std::fprintf(err, "podtap: %s\n", qPrintable(started.error()));
        return nullptr;
    }
    std::fprintf(err, "podtap: started podtapd (pid %lld, log %s/podtapd.log)\n",
                 static_cast<long long>(started.value()), qPrintable(logDir));
    QDeadlineTimer deadline(StartTimeoutMs);
    while (!deadline.hasExpired()) {
        if (QFileInfo::exists(path)) {
            if (auto client = tryConnect(2000))
                return client;
        }
        QThread::msleep(50);
    }
    std::fprintf(err, "podtap: podtapd did not answer on %s within %d s; see %s/podtapd.log\n",
                 qPrintable(path), StartTimeoutMs / 1000, qPrintable(logDir));
    return nullptr;
}

} // namespace podtap
