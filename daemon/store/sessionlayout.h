#pragma once

#include <QString>

namespace podtap {

// Names inside a session folder:
//   meta.json                 session metadata, rewritten atomically (temp + rename)
//   capture-000001.pcapng     spool file 1 (then 2, 3, … on rotation)
//   capture-000001.idx        its index: IndexFileHeader, then PacketIndexEntry records
//   connections.jsonl         one finished connection's summary per line
//   http.jsonl                one HTTP exchange (request + answer summary) per line
//   compare.jsonl             one shadow-comparison verdict per line (mirror --compare)
class SessionLayout
{
public:
    static QString metaFile() { return QStringLiteral("meta.json"); }
    static QString metaSpareFile() { return QStringLiteral(".meta.json.tmp"); }
    static QString connectionsFile() { return QStringLiteral("connections.jsonl"); }
    static QString httpFile() { return QStringLiteral("http.jsonl"); }
    static QString compareFile() { return QStringLiteral("compare.jsonl"); }
    static QString captureFile(int number);
    static QString indexFile(int number);
    // The number in "capture-000042.pcapng" / ".idx", or 0 when `fileName` is neither.
    static int fileNumber(const QString &fileName);
    static constexpr int MaxFileNumber = 65535; // PacketIndexEntry::fileNumber is 16 bits
};

} // namespace podtap
