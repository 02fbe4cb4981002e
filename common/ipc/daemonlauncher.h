#pragma once

#include "result.h"

#include <QString>

namespace podtap {

// The rules every client (CLI, GUI) follows to reach podtapd: the socket is the one given,
// else $PODTAP_SOCKET, else the per-user default; podtapd is found next to the client
// (installed), in the build tree, or on PATH, and started detached with its log in
// $XDG_STATE_HOME/podtap/podtapd.log so that it outlives the client that started it.
class DaemonLauncher
{
public:
    static QString socketPath(const QString &explicitPath = {});
    // Empty when podtapd is nowhere to be found.
    static QString findDaemon();
    static QString logDirectory();
    static QString logFile();
    // Starts `program --socket socketPath` detached; its pid, or why it could not start.
    static Result<qint64> startDetached(const QString &program, const QString &socketPath);
};

} // namespace podtap
