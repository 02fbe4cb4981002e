#include "spoolfile.h"

#include "packetindexentry.h"
#include "sessionlayout.h"
#include "storeio.h"
#include "storelog.h"

#include <QFile>
#include <QStringBuilder>
#include <QtEndian>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace podtap {

namespace {
constexpr qint64 IndexReserveStep = 64 * 1024;
constexpr qsizetype DataBufferReserve = 1024 * 1024 + 64 * 1024;
constexpr qsizetype IndexBufferReserve = 64 * 1024;
} // namespace

SpoolFile::SpoolFile(const QString &dir, int number, quint64 firstPacket,
                     const PcapWriter::Options &options)
    : m_dir(dir)
    , m_options(options)
{
    m_header.fileNumber = std::uint32_t(number);
    m_header.firstPacket = firstPacket;
}

SpoolFile::~SpoolFile()
{
    if (m_dataFd >= 0)
        ::close(m_dataFd);
    if (m_indexFd >= 0)
        ::close(m_indexFd);
}

QString SpoolFile::capturePath() const
{
    return m_dir % QLatin1Char('/') % SessionLayout::captureFile(number());
}

QString SpoolFile::indexPath() const
{
    return m_dir % QLatin1Char('/') % SessionLayout::indexFile(number());
}

qint64 SpoolFile::recordSize(const RawPacket &packet)
{
    return 32 + ((qint64(packet.caplen) + 3) & ~qint64(3));
}

bool SpoolFile::open(QString *error)
{
    m_dataFd = StoreIo::createPrivateFile(capturePath(), true, error);
    if (m_dataFd < 0)
        return false;
    m_indexFd = StoreIo::createPrivateFile(indexPath(), true, error);
    if (m_indexFd < 0)
        return false;
    m_data.reserve(DataBufferReserve);
    m_index.reserve(IndexBufferReserve);
    m_blocks.reserve(4096);
    m_blocks << 0;
    m_data.append(PcapWriter::pcapngSectionHeader(m_options));
    interfaceFor(m_options.linkType);
    m_headerDirty = true;
    return flush(error);
}

bool SpoolFile::acceptsLinkType(int linkType) const
{
    return m_header.linkTypes.contains(linkType)
           || m_header.linkTypes.size() < IndexFileHeader::MaxInterfaces;
}

int SpoolFile::interfaceFor(int linkType)
{
    const qsizetype known = m_header.linkTypes.indexOf(linkType);
    if (known >= 0)
        return int(known);
    // A new link type gets its own IDB; the header learns it before any record uses it.
    m_blocks << m_data.size();
    m_data.append(PcapWriter::pcapngInterface(linkType, m_options));
    m_header.linkTypes << linkType;
    m_headerDirty = true;
    return int(m_header.linkTypes.size() - 1);
}

void SpoolFile::append(const RawPacket &packet, std::uint64_t connectionId, std::uint8_t direction,
                       std::uint8_t tcpFlags)
{
    const int iface = interfaceFor(packet.linkType);
    PacketIndexEntry e;
    e.tsNs = packet.tsNs;
    e.connectionId = connectionId;
    e.fileOffset = std::uint64_t(m_dataOnDisk + m_data.size());
    e.length = std::max(packet.len, packet.caplen);
    e.fileNumber = std::uint16_t(number());
    e.direction = direction;
    e.tcpFlags = tcpFlags;
    m_blocks << m_data.size();
    PcapWriter::appendPcapngPacket(m_data, packet, std::uint32_t(iface));
    char record[PacketIndexEntry::DiskSize];
    e.toDisk(record);
    m_index.append(record, PacketIndexEntry::DiskSize);
    ++m_packets;
    m_newestTsNs = std::max(m_newestTsNs, packet.tsNs);
}

bool SpoolFile::flush(QString *error)
{
    if (m_failed) {
        if (error)
            *error = m_error;
        return false;
    }
    if (m_data.isEmpty() && m_index.isEmpty() && !m_headerDirty)
        return true;
    const qint64 pendingRecords = m_index.size() / PacketIndexEntry::DiskSize;

    // 1. Room for the index first: the records of whatever data reaches the disk must fit.
    const qint64 indexEnd
            = std::max<qint64>(m_indexOnDisk, IndexFileHeader::DiskSize) + m_index.size();
    if (m_canReserve && indexEnd > m_indexReserved) {
        const qint64 want = (indexEnd + IndexReserveStep - 1) / IndexReserveStep * IndexReserveStep;
        if (::fallocate(m_indexFd, FALLOC_FL_KEEP_SIZE, m_indexReserved, want - m_indexReserved)
            == 0) {
            m_indexReserved = want;
        } else if (errno == EOPNOTSUPP || errno == ENOSYS) {
            m_canReserve = false;
        } else if (::fallocate(m_indexFd, FALLOC_FL_KEEP_SIZE, m_indexReserved,
                               indexEnd - m_indexReserved)
                   == 0) {
            m_indexReserved = indexEnd;
        } else {
            const int err = errno;
            m_lost += quint64(pendingRecords);
            return fail(indexPath(), err, error);
        }
    }

    // 2. The packet data. On a short write keep whole blocks only.
    qint64 written = 0;
    int dataErr = 0;
    if (!StoreIo::writeAll(m_dataFd, m_data.constData(), m_data.size(), &written)) {
        dataErr = errno;
        qsizetype keep = 0;
        for (const qsizetype start : std::as_const(m_blocks)) {
            if (start > written)
                break;
            keep = start;
        }
        if (::ftruncate(m_dataFd, m_dataOnDisk + keep) != 0)
            qCWarning(lcStore) << "cannot cut" << capturePath()
                               << "back to a whole block:" << StoreIo::errnoText(errno);
        written = keep;
    }
    m_dataOnDisk += written;

    // 3. The header, then 4. the records of blocks that are on disk.
    qint64 records = pendingRecords;
    if (dataErr) {
        records = 0;
        while (records < pendingRecords
               && qFromLittleEndian<std::uint64_t>(m_index.constData()
                                                   + records * PacketIndexEntry::DiskSize + 16)
                          < std::uint64_t(m_dataOnDisk)) {
            ++records;
        }
        m_lost += quint64(pendingRecords - records);
    }
    if (m_headerDirty) {
        char header[IndexFileHeader::DiskSize];
        m_header.toDisk(header);
        if (!StoreIo::pwriteAll(m_indexFd, header, IndexFileHeader::DiskSize, 0)) {
            const int err = errno;
            m_lost += quint64(records);
            return fail(indexPath(), err, error);
        }
        m_headerDirty = false;
        m_indexOnDisk = std::max<qint64>(m_indexOnDisk, IndexFileHeader::DiskSize);
    }
    const qint64 recordBytes = records * PacketIndexEntry::DiskSize;
    if (recordBytes > 0
        && !StoreIo::pwriteAll(m_indexFd, m_index.constData(), recordBytes, m_indexOnDisk)) {
        const int err = errno;
        m_lost += quint64(records);
        return fail(indexPath(), err, error);
    }
    m_indexOnDisk += recordBytes;
    if (dataErr)
        return fail(capturePath(), dataErr, error);
    clearBuffers();
    return true;
}

void SpoolFile::clearBuffers()
{
    m_data.resize(0); // keeps the capacity: no allocation per flush
    m_index.resize(0);
    m_blocks.resize(0);
}

bool SpoolFile::fail(const QString &path, int err, QString *error)
{
    m_failed = true;
    m_error = (err == ENOSPC || err == EDQUOT ? QStringLiteral("disk full while writing ")
                                              : QStringLiteral("cannot write "))
              % path % QStringLiteral(": ") % StoreIo::errnoText(err);
    clearBuffers();
    if (error)
        *error = m_error;
    return false;
}

bool SpoolFile::close(bool durable, QString *error)
{
    bool ok = m_failed || flush(error);
    if (m_indexFd >= 0 && m_indexReserved > m_indexOnDisk) {
        // Give back the reservation beyond the end (truncating to the same size does not on tmpfs).
        ::fallocate(m_indexFd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, m_indexOnDisk,
                    m_indexReserved - m_indexOnDisk);
        m_indexReserved = m_indexOnDisk;
    }
    if (durable) {
        for (const int fd : {m_dataFd, m_indexFd}) {
            if (fd >= 0 && ::fsync(fd) != 0 && ok) {
                ok = false;
                if (error)
                    *error = QStringLiteral("cannot sync ") % capturePath() % QStringLiteral(": ")
                             % StoreIo::errnoText(errno);
            }
        }
    }
    for (int *fd : {&m_dataFd, &m_indexFd}) {
        if (*fd >= 0)
            ::close(*fd);
        *fd = -1;
    }
    m_data = QByteArray();
    m_index = QByteArray();
    m_blocks = QList<qsizetype>();
    return ok;
}

} // namespace podtap
