#include "spoolfilereader.h"

#include "storeio.h"

#include <QFile>
#include <QStringBuilder>
#include <QtEndian>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace podtap {

namespace {
constexpr qint64 EpbHeader = 28;                   // type, length, interface, ts, caplen, len
constexpr qint64 MaxBlock = 16 * 1024 * 1024 + 64; // far beyond any snap length we write
} // namespace

SpoolFileReader::SpoolFileReader(qint64 readAhead)
    : m_readAhead(readAhead)
{}

SpoolFileReader::~SpoolFileReader()
{
    close();
}

bool SpoolFileReader::open(const QString &path, QString *error)
{
    close();
    m_path = path;
    m_fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (m_fd < 0) {
        const int err = errno;
        if (error && err == ENOENT)
            *error = path % QStringLiteral(" is no longer on disk (rotated out or removed)");
        else if (error)
            *error = QStringLiteral("cannot open ") % path % QStringLiteral(": ")
                     % StoreIo::errnoText(err);
        return false;
    }
    return true;
}

void SpoolFileReader::close()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    m_bufferLength = 0;
}

bool SpoolFileReader::ensure(quint64 offset, qint64 size, QString *error)
{
    if (offset >= m_bufferStart
        && offset + quint64(size) <= m_bufferStart + quint64(m_bufferLength))
        return true;
    const qint64 want = std::max(size, m_readAhead);
    if (m_buffer.size() < want)
        m_buffer.resize(want);
    const qint64 n = StoreIo::preadFull(m_fd, m_buffer.data(), want, qint64(offset));
    if (n < 0) {
        m_bufferLength = 0;
        if (error)
            *error = QStringLiteral("cannot read ") % m_path % QStringLiteral(": ")
                     % StoreIo::errnoText(errno);
        return false;
    }
    m_bufferStart = offset;
    m_bufferLength = n;
    if (n < size) {
        if (error)
            *error = m_path % QStringLiteral(" ends inside the packet at offset ")
                     % QString::number(offset);
        return false;
    }
    return true;
}

bool SpoolFileReader::readPacket(quint64 offset, RawPacket *packet, std::uint32_t *interfaceId,
                                 QString *error)
{
    if (m_fd < 0) {
        if (error)
            *error = QStringLiteral("no spool file open");
        return false;
    }
    if (!ensure(offset, EpbHeader, error))
        return false;
    const auto *b
            = reinterpret_cast<const uchar *>(m_buffer.constData()) + (offset - m_bufferStart);
    const auto type = qFromLittleEndian<std::uint32_t>(b);
    const auto total = qFromLittleEndian<std::uint32_t>(b + 4);
    const auto damaged = [&](const char *why) {
        if (error)
            *error = m_path % QStringLiteral(": no valid packet at offset ")
                     % QString::number(offset) % QStringLiteral(" (") % QLatin1String(why)
                     % QLatin1Char(')');
        return false;
    };
    if (type != 6)
        return damaged("not an enhanced packet block");
    if (total < 32 || total % 4 != 0 || total > MaxBlock)
        return damaged("bad block length");
    if (!ensure(offset, total, error))
        return false;
    b = reinterpret_cast<const uchar *>(m_buffer.constData()) + (offset - m_bufferStart);
    const auto caplen = qFromLittleEndian<std::uint32_t>(b + 20);
    if (caplen > total - 32)
        return damaged("captured length beyond the block");
    if (qFromLittleEndian<std::uint32_t>(b + total - 4) != total)
        return damaged("trailing block length differs");
    if (interfaceId)
        *interfaceId = qFromLittleEndian<std::uint32_t>(b + 8);
    const std::uint64_t ts = (std::uint64_t(qFromLittleEndian<std::uint32_t>(b + 12)) << 32)
                             | qFromLittleEndian<std::uint32_t>(b + 16);
    packet->tsNs = std::int64_t(ts);
    packet->caplen = caplen;
    packet->len = qFromLittleEndian<std::uint32_t>(b + 24);
    packet->data = reinterpret_cast<const std::uint8_t *>(b + EpbHeader);
    packet->streamOffset = offset;
    return true;
}

} // namespace podtap
