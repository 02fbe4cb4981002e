#pragma once

#include "capture/pcapwriter.h"
#include "capture/rawpacket.h"
#include "indexfileheader.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <cstdint>

namespace podtap {

// The write side of one spool file pair: capture-NNNNNN.pcapng and its .idx. Packets are
// encoded into constant-size buffers; flush() writes the pcapng bytes first, then the index
// header (when a new link type added an interface) and the index records, so an index record
// never points past data on disk. Index space is reserved (fallocate KEEP_SIZE) before the
// data is written: when the disk fills up, the file is cut back to the last whole block and
// the index still receives every record whose block survived.
class SpoolFile
{
public:
    SpoolFile(const QString &dir, int number, quint64 firstPacket,
              const PcapWriter::Options &options);
    ~SpoolFile(); // closes without flushing or syncing
    SpoolFile(const SpoolFile &) = delete;
    SpoolFile &operator=(const SpoolFile &) = delete;

    // Creates both files (0600; they must not exist) with the SHB, the first IDB and the header.
    bool open(QString *error);
    // Whether a packet of this link type fits: known interface or a free interface slot.
    bool acceptsLinkType(int linkType) const;
    void append(const RawPacket &packet, std::uint64_t connectionId, std::uint8_t direction,
                std::uint8_t tcpFlags);
    bool flush(QString *error);
    // Flushes (unless failed), releases unused index reservation, fsyncs with `durable`.
    bool close(bool durable, QString *error);

    int number() const { return m_header.fileNumber; }
    quint64 firstPacket() const { return m_header.firstPacket; }
    quint64 packets() const { return m_packets - m_lost; } // stored or still buffered
    quint64 lostPackets() const { return m_lost; }         // buffered, cut off by a failure
    qint64 captureBytes() const { return m_dataOnDisk + m_data.size(); }
    qint64 indexBytes() const { return m_indexOnDisk + m_index.size(); }
    qint64 bufferedBytes() const { return m_data.size() + m_index.size(); }
    std::int64_t newestTsNs() const { return m_newestTsNs; }
    QString capturePath() const;
    QString indexPath() const;

    // Bytes an EPB for `packet` takes (no comment).
    static qint64 recordSize(const RawPacket &packet);

private:
    int interfaceFor(int linkType);
    bool fail(const QString &path, int err, QString *error);
    void clearBuffers();

    QString m_dir;
    PcapWriter::Options m_options;
    IndexFileHeader m_header;
    QByteArray m_data;          // pending pcapng blocks
    QByteArray m_index;         // pending index records
    QList<qsizetype> m_blocks;  // where each pending block starts in m_data
    qint64 m_dataOnDisk = 0;    // bytes of the pcapng file written
    qint64 m_indexOnDisk = 0;   // bytes of the index file written (header included)
    qint64 m_indexReserved = 0; // bytes of the index file allocated
    bool m_canReserve = true;   // false on file systems without fallocate
    bool m_headerDirty = false;
    quint64 m_packets = 0;
    quint64 m_lost = 0;
    std::int64_t m_newestTsNs = 0;
    int m_dataFd = -1;
    int m_indexFd = -1;
    bool m_failed = false;
    QString m_error;
};

} // namespace podtap
