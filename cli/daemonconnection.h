#pragma once

#include "ipc/ipcclient.h"

#include <QCommandLineParser>

#include <cstdio>
#include <memory>

namespace podtap {

// The CLI's way to the daemon: --socket (or PODTAP_SOCKET, or the per-user default), and
// podtapd started on demand when nobody answers there — found next to podtap (installed),
// in the build tree, or on PATH — detached, its log in $XDG_STATE_HOME/podtap/podtapd.log.
class DaemonConnection
{
public:
    DaemonConnection();
    void addOptions(QCommandLineParser &parser);
    // Connected and handshaken, or nullptr after printing why (exit code 2).
    std::unique_ptr<IpcClient> open(const QCommandLineParser &parser, FILE *err,
                                    bool startIfNeeded = true);
    static QString socketPath(const QCommandLineParser &parser, const QCommandLineOption &option);
    static QString findDaemon();

    static constexpr int ExitNoDaemon = 2;

private:
    QCommandLineOption m_socket;
    QCommandLineOption m_noStart;
};

} // namespace podtap
