#pragma once

#include "result.h"
#include "storedsession.h"

#include <QJsonObject>
#include <QList>
#include <QSet>

#include <limits>

namespace podtap {

// Read-only questions about a stored session that need a pass over its index: one
// connection's packets, a time histogram, one connection's reassembled conversation. They
// run where the files are, so millions of index records never cross the IPC socket. Each
// call costs one sequential read of the index (32 B per packet); safe on a worker thread
// (the StoredSession is a copy).
class StoreQueries
{
public:
    struct PacketPage
    {
        QList<QPair<quint64, PacketIndexEntry>> packets; // session-wide number, entry
        quint64 next = 0;                                // where the next page starts
        bool end = false;                                // the index was scanned to its end
    };
    struct PacketFilter
    {
        QSet<quint64> connections; // empty: any
        qint64 fromNs = std::numeric_limits<qint64>::min();
        qint64 toNs = std::numeric_limits<qint64>::max(); // inclusive
        bool matches(const PacketIndexEntry &e) const
        {
            return e.tsNs >= fromNs && e.tsNs <= toNs
                   && (connections.isEmpty() || connections.contains(e.connectionId));
        }
    };
    // Packets matching `filter` from packet `from` on, at most `count`; stops after
    // `scanLimit` records even when fewer matched so that one request stays short.
    static PacketPage packets(const StoredSession &session, const PacketFilter &filter,
                              quint64 from, int count, quint64 scanLimit);

    struct HistogramQuery
    {
        qint64 fromNs = std::numeric_limits<qint64>::min(); // min: the first packet's time
        qint64 toNs = std::numeric_limits<qint64>::max();   // max: the last packet's time
        int bins = 512;
        QSet<quint64> connections; // empty: every packet
    };
    static Result<QJsonObject> histogram(const StoredSession &session, const HistogramQuery &q);

    struct StreamQuery
    {
        quint64 connection = 0;
        qint64 maxBytes = 1024 * 1024;
        int tappedPort = 0;
    };
    static Result<QJsonObject> stream(const StoredSession &session, const StreamQuery &q);

    // HTTP exchanges (http.jsonl) joined with their shadow-comparison verdicts (compare.jsonl)
    // by (id, index), filtered, one page: {total, offset, next, end, compared, requests:[…]}.
    // A request is the exchange record plus `compare` (its verdict record) once compared; a
    // verdict whose exchange is not stored comes last, as {id, index, method, target, route,
    // compare}. Reads both files once per call (they are small next to the packet index).
    struct RequestQuery
    {
        qint64 offset = 0;
        int limit = 1000;
        qint64 connection = -1; // -1: any
        // Empty: any. Else a verdict name (same, status, body, …), "none" (not compared) or
        // "differ" (status, body or headers).
        QSet<QString> verdicts;
        QString route; // empty: any; else the exact route template
        // Empty: any. Else an HTTP method (any case), a gRPC method as "pkg.Service/Method" or
        // just "Method" (the exchange's grpc.service and grpc.method).
        QString method;
    };
    static Result<QJsonObject> requests(const StoredSession &session, const RequestQuery &q);

    static constexpr int MaxBins = 4096;
    // session.stream's largest maxBytes: base64 makes 8 MiB into 10.7 MiB, which leaves room
    // for the chunks' JSON in one IPC frame (IpcFrame::MaxFrameBytes, 16 MiB). More is
    // refused with `too-large`; an answer that still outgrows the frame (many tiny chunks) is
    // refused by IpcPeer::reply.
    static constexpr qint64 MaxStreamBytes = 8ll * 1024 * 1024;
    static constexpr int MaxRequestsPerPage = 10000;
};

} // namespace podtap
