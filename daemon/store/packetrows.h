#pragma once

#include "packetindexentry.h"
#include "result.h"
#include "storedsession.h"

#include <QJsonObject>
#include <QList>
#include <QSet>
#include <QStringList>

#include <limits>
#include <mutex>
#include <vector>

namespace podtap {

// The rows of a packet list over a stored session's index, addressed by position so a view
// can fetch any range on demand (session.rows). Unfiltered, row r is packet firstPacket() + r
// and costs nothing to find. Filtered (connections, direction, TCP flags, time), the view
// keeps the numbers of the matching packets (8 B each), found by one pass over the index and
// extended from where it stopped as a running session grows, so a page anywhere in the list
// is a lookup, not a scan. Thread-safe: a worker thread may build it while another asks.
class PacketRows
{
public:
    struct Filter
    {
        QSet<quint64> connections; // empty: any
        int direction = -1;        // -1 any, else PacketIndexEntry::ClientToServer/ServerToClient
        quint8 flags = 0;          // packets with any of these TCP flags; 0: any
        qint64 fromNs = std::numeric_limits<qint64>::min();
        qint64 toNs = std::numeric_limits<qint64>::max(); // inclusive
        bool isEmpty() const;
        bool matches(const PacketIndexEntry &e) const;
        QString key() const; // the same for equal filters (a cache key)
        // From session.rows params (connection, direction, flags, fromNs, toNs).
        static Result<Filter> fromParams(const QJsonObject &params);
    };
    struct Page
    {
        quint64 first = 0;  // the session's first stored packet now
        quint64 total = 0;  // rows in the view now
        quint64 offset = 0; // the first row of `rows`
        QList<QPair<quint64, PacketIndexEntry>> rows;
    };

    explicit PacketRows(const Filter &filter);

    // Rows [offset, offset + count) as the index is now.
    Page page(const StoredSession &session, quint64 offset, int count);
    quint64 scannedTo() const;

    // The Info column of each entry (PacketInfo), reading the packets' bytes: one open per
    // spool file, whatever the page's size.
    static QStringList info(const StoredSession &session, const QList<PacketIndexEntry> &entries);

private:
    void extend(const StoredSession &session);

    mutable std::mutex m_mutex;
    Filter m_filter;
    std::vector<quint64> m_numbers; // filtered only: the matching packets, ascending
    quint64 m_scannedTo = 0;
};

} // namespace podtap
