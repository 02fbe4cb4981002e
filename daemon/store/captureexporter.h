#pragma once

#include "capture/pcapwriter.h"
#include "result.h"

#include <QSet>
#include <QString>

#include <cstdint>
#include <functional>
#include <limits>

namespace podtap {

class StoredSession;

// Writes a stored session, or a selection of it, to a pcap or pcapng file. All or nothing:
// the file is written as .podtap-export-<pid>-<random>.tmp in the destination folder,
// fsynced, renamed over the destination and the folder fsynced. Temps left by a killed
// export (their pid gone) are removed by the next export into that folder. pcapng carries
// one interface per link type (with the spool's name and description) and a section comment
// naming the pod and port. Blocking: run it on a worker thread.
class CaptureExporter
{
public:
    struct Options
    {
        PcapWriter::Format format = PcapWriter::Format::Pcapng;
        QSet<quint64> connections;                                      // empty = all
        std::int64_t fromNs = std::numeric_limits<std::int64_t>::min(); // inclusive
        std::int64_t toNs = std::numeric_limits<std::int64_t>::max();   // inclusive
        QString bpf;     // empty = none; a bad expression is an error before anything is written
        QString comment; // pcapng section comment; default: the spool's, else meta's
                         // target/pod/port
        // Called every 16384 index records scanned with (scanned, total); false cancels.
        std::function<bool(quint64, quint64)> progress;
    };
    struct Summary
    {
        quint64 packets = 0;
        quint64 bytes = 0; // size of the written file
        QString path;
    };

    static Result<Summary> exportSession(const StoredSession &session, const QString &outPath,
                                         const Options &options);
    // The section comment used when Options::comment is empty.
    static QString defaultComment(const StoredSession &session);
    static QString tempPrefix() { return QStringLiteral(".podtap-export-"); }
};

} // namespace podtap
