#pragma once

#include "result.h"

#include <QStringList>

namespace podtap {

// The tcpdump argv run in the tap, built only from validated parts and passed as an
// argv array (never through a shell):
// tcpdump -p -i any --immediate-mode -U -w - [-s N] tcp port PORT.
class CaptureCommand
{
public:
    struct Options
    {
        int port = 0;       // 1–65535
        int snapLength = 0; // 0: tcpdump's default (262144)
        QStringList hosts;  // optional "host X" terms (IPv4/IPv6 literals only)
    };

    static Result<QStringList> argv(const Options &options);

    // Recognises tcpdump's stderr lines.
    enum class StderrKind { Other, Listening, PrivilegeDrop, PermissionDenied, Counts };
    static StderrKind classify(const QString &line);
    // "12 packets captured" / "3 packets dropped by kernel" → numbers; -1 when absent.
    static bool parseCounts(const QString &line, qint64 *captured, qint64 *droppedByKernel);
};

} // namespace podtap
