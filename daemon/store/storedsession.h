#pragma once

#include "indexfileheader.h"
#include "packetindexentry.h"
#include "result.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace podtap {

// The read side of one session folder. Works while the spool is still writing: every call
// looks at the files as they are now, reads only the index records asked for, and fetches
// packet bytes on demand. Packets have session-wide numbers; rotated-out ones are below
// firstPacket(). Not thread-safe per object; copies are independent.
class StoredSession
{
public:
    struct SpoolFileInfo
    {
        int number = 0;
        quint64 firstPacket = 0; // session-wide number of its first packet
        quint64 packets = 0;     // complete index records now
        QList<int> linkTypes;    // by pcapng interface id
        QString capturePath;
        QString indexPath;
    };

    static Result<StoredSession> open(const QString &sessionDir);

    QJsonObject meta() const; // as on disk now
    QString id() const;
    QString directory() const { return m_dir; }
    quint64 firstPacket() const;
    quint64 packetCount() const; // up to the last complete index record on disk now
    // Entries of packets [max(from, firstPacket()), from + count), read from disk.
    QList<PacketIndexEntry> entries(quint64 from, int count) const;
    Result<QByteArray> packetData(const PacketIndexEntry &entry) const; // the captured bytes
    int linkTypeOf(const PacketIndexEntry &entry) const;                // -1 when unknown
    QStringList files() const;              // spool files still present, oldest first (for replay)
    QList<QJsonObject> connections() const; // connections.jsonl
    QList<SpoolFileInfo> spoolFiles() const;
    qint64 diskBytes() const; // capture and index files present

private:
    StoredSession() = default;
    bool header(int number, const QString &indexPath, bool reload, IndexFileHeader *out) const;

    QString m_dir;
    QJsonObject m_meta;
    mutable QHash<int, IndexFileHeader> m_headers;
};

} // namespace podtap
