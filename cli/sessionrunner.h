#pragma once

#include "ipc/ipcclient.h"
#include "ipc/sessionstartrequest.h"

#include <QIODevice>
#include <QJsonObject>

#include <cstdio>

namespace podtap {

// Starts a daemon session (capture or mirror) and follows it in the terminal: progress,
// warnings and state on stderr, a summary at the end (JSON on stdout with --json).
// Ctrl-C stops the session (tcpdump stopped, the tap stays, the store closed). With
// `detach` it returns as soon as the session captures, leaving it to the daemon.
class SessionRunner
{
public:
    struct Options
    {
        bool detach = false;
        bool json = false;
        bool verbose = false; // every mirrored connection's outcome
        // Live pcap (classic, ns timestamps) written here as packets arrive, packet-buffered;
        // a valid empty file when none came.
        QIODevice *pcapOut = nullptr;
        // pcapOut gets pcapng instead: one interface per pod, the losses as interface
        // statistics at the end (what the Wireshark extcap writes).
        bool pcapng = false;
        // The reader of pcapOut went away (Wireshark closed the pipe): stop the session.
        bool stopWhenOutputFails = false;
        // Shadow comparison: a live summary line, the differing routes at the end, and the
        // JSON report written to `reportPath` (if set).
        bool compare = false;
        QString reportPath;
    };

    // Exit codes (README "Exit codes"): 0 ended cleanly, 2 daemon unreachable or lost,
    // 4 preflight failed (nothing changed), 5 the tap could not be added or started,
    // 6 the session failed while capturing (stream lost for good, store full).
    static int run(IpcClient &client, const SessionStartRequest &start, const Options &options,
                   FILE *out, FILE *err);

    static void printSummary(const QJsonObject &session, FILE *to);
};

} // namespace podtap
