#pragma once

#include "capture/pcapwriter.h"
#include "capture/rawpacket.h"
#include "result.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QTimer>

#include <cstdint>
#include <deque>
#include <memory>

namespace podtap {

class JsonLinesWriter;
class MetaFile;
class SpoolFile;

// The write side of one session folder: spools packets to capture-NNNNNN.pcapng with an
// index per file, keeps meta.json and connections.jsonl. Buffers are constant-size and
// written at least every 100 ms (from append() under load, from a timer when idle), so a
// killed daemon loses at most ~100 ms of packets and leaves files that tshark and
// StoredSession read. Nothing is fsynced before close(): a process crash keeps the page cache.
// Size and age limits rotate files ring-style: the oldest files and their index go first.
class SessionSpool : public QObject
{
    Q_OBJECT

public:
    struct Limits
    {
        qint64 maxTotalBytes = 0;                 // 0 = unlimited; else oldest files are deleted
        qint64 maxFileBytes = 64ll * 1024 * 1024; // rotate to a new file beyond this
        qint64 maxAgeSeconds = 0; // 0 = unlimited; files whose newest packet is older are deleted
    };
    static constexpr int FlushIntervalMs = 100;
    static constexpr qsizetype FlushBytes = 1024 * 1024;
    static constexpr qsizetype ConnectionsFlushBytes = 1024 * 1024;
    static constexpr qint64 MinFileBytes = 16 * 1024;

    explicit SessionSpool(QObject *parent = nullptr);
    ~SessionSpool() override; // closes with state "closed" if still open

    // Creates the folder (0700) and the first spool file; `meta` is written to meta.json with
    // id (the folder name), state "capturing" and started added unless given.
    // writerOptions.interfaceDescription / sectionComment name the pod and port; they are kept
    // in meta.json for exports. With maxTotalBytes set, files rotate at a quarter of it at the
    // latest so the ring keeps at least three quarters of the limit; with maxAgeSeconds set, a
    // file also rotates after a quarter of that age (at least 1 s) so old packets can age out.
    Result<bool> create(const QString &sessionDir, const QJsonObject &meta, const Limits &limits,
                        const PcapWriter::Options &writerOptions);
    // Any link type (a new one gets its own IDB). False once failed().
    bool append(const RawPacket &packet, std::uint64_t connectionId, std::uint8_t direction,
                std::uint8_t tcpFlags);
    // One finished connection's summary (JSON object), appended to connections.jsonl.
    void appendConnection(const QJsonObject &connection);
    // HTTP exchanges and comparison verdicts (http.jsonl, compare.jsonl).
    void appendHttp(const QJsonObject &exchange);
    void appendCompare(const QJsonObject &verdict);
    void updateMeta(const QJsonObject &fields); // merged into meta.json at the next flush
    void flush();                               // also runs every 100 ms from a timer
    void close(const QString &finalState);      // flush, meta.state, meta.ended, fsync

    bool isOpen() const { return m_open; }
    QString error() const { return m_error; }
    quint64 packets() const { return m_packets; } // appended and kept, rotated-out ones included
    quint64 bytes() const { return m_bytes; }     // captured bytes of those packets
    quint64 rotatedOutPackets() const { return m_rotatedOut; }
    quint64 firstPacket() const { return m_firstPacket; } // oldest packet still on disk
    qint64 diskBytes() const;                             // capture and index files present
    QString directory() const { return m_dir; }

Q_SIGNALS:
    // E.g. "disk full while writing …/capture-000003.pcapng: No space left on device". Emitted
    // once; earlier data stays intact and readable. Do not delete the spool from the slot.
    void failed(const QString &why);

private:
    struct ClosedFile
    {
        int number = 0;
        quint64 firstPacket = 0;
        quint64 packets = 0;
        qint64 bytes = 0;
        std::int64_t newestTsNs = 0;
    };

    qint64 fileLimit() const;
    bool ageRotationDue() const;
    bool rotate();
    void enforceLimits();
    void deleteOldest();
    bool writeConnections();
    void writeMeta(bool durable);
    void fail(const QString &why);

    QString m_dir;
    Limits m_limits;
    PcapWriter::Options m_options;
    std::unique_ptr<SpoolFile> m_file;
    std::unique_ptr<MetaFile> m_metaFile;
    std::deque<ClosedFile> m_closed; // oldest first
    qint64 m_closedBytes = 0;
    QJsonObject m_meta;
    bool m_metaDirty = false;
    quint64 m_metaPackets = 0; // packets when meta.json was last written
    QByteArray m_connections;  // pending lines of connections.jsonl
    int m_connectionsFd = -1;
    std::unique_ptr<JsonLinesWriter> m_http;
    std::unique_ptr<JsonLinesWriter> m_compare;
    void appendTo(std::unique_ptr<JsonLinesWriter> &writer, const QString &name,
                  const QJsonObject &record);
    QTimer m_timer;
    QElapsedTimer m_sinceFlush;
    QElapsedTimer m_sinceMeta;
    QElapsedTimer m_fileAge;
    quint64 m_packets = 0;
    quint64 m_bytes = 0;
    quint64 m_rotatedOut = 0;
    quint64 m_firstPacket = 0;
    std::int64_t m_lastPacketNs = 0;
    bool m_open = false;
    bool m_failed = false;
    QString m_error;
};

} // namespace podtap
