#pragma once

#include "result.h"

#include <QStringList>

namespace podtap {

// The tcpdump argv run in the tap, built only from validated parts and passed as an
// argv array (never through a shell):
// tcpdump -p -i any --immediate-mode -B 65536 -U -w - -s 65600 tcp port PORT.
class CaptureCommand
{
public:
    struct Options
    {
        int port = 0;       // 1–65535
        int snapLength = 0; // 0: DefaultSnapLength
        QStringList hosts;  // optional "host X" terms (IPv4/IPv6 literals only)
    };

    // Whole packets on every link tcpdump -i any sees (see argv() for the measurements).
    static constexpr int DefaultSnapLength = 65600;

    static Result<QStringList> argv(const Options &options);

    // Recognises tcpdump's stderr lines.
    enum class StderrKind { Other, Listening, PrivilegeDrop, PermissionDenied, Counts };
    static StderrKind classify(const QString &line);
    // tcpdump's final counts; -1 until its line was seen.
    struct Counts
    {
        qint64 captured = -1;
        qint64 receivedByFilter = -1;
        qint64 droppedByKernel = -1;
        qint64 droppedByInterface = -1;
        // Packets the filter accepted that tcpdump neither wrote nor saw dropped: still in
        // the ring when it stopped, lost like drops. The kernel counts loopback packets
        // twice (libpcap skips the outgoing copy), so the caller passes how many of the
        // packets it received were taken on a loopback device.
        qint64 unread(qint64 loopbackCaptured) const;
    };
    // Folds one stderr line ("12 packets captured", "3 packets dropped by kernel", ...)
    // into counts; false when the line is not a count.
    static bool parseCounts(const QString &line, Counts *counts);
};

} // namespace podtap
