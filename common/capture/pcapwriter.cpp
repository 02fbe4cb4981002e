#include "pcapwriter.h"

#include <QIODevice>

#include <algorithm>

namespace podtap {

namespace {
constexpr qsizetype FlushThreshold = 256 * 1024;

void u16(QByteArray &b, std::uint16_t v)
{
    b.append(char(v & 0xff)).append(char(v >> 8));
}
void u32(QByteArray &b, std::uint32_t v)
{
    u16(b, std::uint16_t(v & 0xffff));
    u16(b, std::uint16_t(v >> 16));
}
void pad4(QByteArray &b)
{
    while (b.size() % 4)
        b.append('\0');
}
// pcapng option: code, length, value padded to 32 bits (RFC draft-ietf-opsawg-pcapng §3.5).
void option(QByteArray &b, std::uint16_t code, const QByteArray &value)
{
    if (value.isEmpty())
        return;
    const QByteArray v = value.left(65535);
    u16(b, code);
    u16(b, std::uint16_t(v.size()));
    b.append(v);
    pad4(b);
}
void endOfOptions(QByteArray &b)
{
    u32(b, 0);
}
// Wraps a body into a block: type, total length, body, total length.
QByteArray block(std::uint32_t type, const QByteArray &body)
{
    QByteArray b;
    const auto total = std::uint32_t(12 + body.size());
    u32(b, type);
    u32(b, total);
    b.append(body);
    u32(b, total);
    return b;
}
} // namespace

PcapWriter::PcapWriter(QIODevice *device, const Options &options)
    : m_device(device)
    , m_options(options)
{}

PcapWriter::~PcapWriter() = default;

QByteArray PcapWriter::pcapHeader(int linkType, std::uint32_t snapLength)
{
    QByteArray h;
    u32(h, 0xa1b23c4d); // nanosecond-resolution magic
    u16(h, 2);
    u16(h, 4);
    u32(h, 0);
    u32(h, 0);
    u32(h, snapLength);
    u32(h, std::uint32_t(linkType));
    return h;
}

QByteArray PcapWriter::pcapRecord(const RawPacket &p)
{
    QByteArray r;
    r.reserve(16 + qsizetype(p.caplen));
    appendPcapRecord(r, p);
    return r;
}

void PcapWriter::appendPcapRecord(QByteArray &r, const RawPacket &p)
{
    u32(r, std::uint32_t(p.tsNs / 1000000000));
    u32(r, std::uint32_t(p.tsNs % 1000000000));
    u32(r, p.caplen);
    u32(r, std::max(p.len, p.caplen));
    r.append(reinterpret_cast<const char *>(p.data), qsizetype(p.caplen));
}

QByteArray PcapWriter::pcapngSectionHeader(const Options &options)
{
    QByteArray shb;
    u32(shb, 0x1A2B3C4D);
    u16(shb, 1);
    u16(shb, 0);
    u32(shb, 0xffffffff); // section length unknown
    u32(shb, 0xffffffff);
    option(shb, 1, options.sectionComment.toUtf8()); // shb_comment
    option(shb, 4, options.application.toUtf8());    // shb_userappl
    endOfOptions(shb);
    return block(0x0A0D0D0A, shb);
}

QByteArray PcapWriter::pcapngInterface(int linkType, const Options &options)
{
    QByteArray idb;
    u16(idb, std::uint16_t(linkType));
    u16(idb, 0);
    u32(idb, options.snapLength);
    option(idb, 2, options.interfaceName.toUtf8());        // if_name
    option(idb, 3, options.interfaceDescription.toUtf8()); // if_description
    option(idb, 9, QByteArray(1, char(9)));                // if_tsresol: 10^-9
    endOfOptions(idb);
    return block(1, idb);
}

void PcapWriter::appendPcapngPacket(QByteArray &out, const RawPacket &p, std::uint32_t interfaceId,
                                    const QString &comment)
{
    // No reserve() here: Qt 6 reserves exactly, which would defeat geometric growth of `out`.
    const QByteArray c = comment.isEmpty() ? QByteArray() : comment.toUtf8().left(65535);
    const auto padding = [](qsizetype n) {
        return (4 - n % 4) % 4;
    };
    const qsizetype options = c.isEmpty() ? 0 : 4 + c.size() + padding(c.size()) + 4;
    const auto total
            = std::uint32_t(12 + 20 + qsizetype(p.caplen) + padding(qsizetype(p.caplen)) + options);
    const auto ts = std::uint64_t(p.tsNs);
    u32(out, 6); // enhanced packet block
    u32(out, total);
    u32(out, interfaceId);
    u32(out, std::uint32_t(ts >> 32));
    u32(out, std::uint32_t(ts & 0xffffffff));
    u32(out, p.caplen);
    u32(out, std::max(p.len, p.caplen));
    out.append(reinterpret_cast<const char *>(p.data), qsizetype(p.caplen));
    out.append(padding(qsizetype(p.caplen)), '\0');
    if (!c.isEmpty()) {
        u16(out, 1); // opt_comment
        u16(out, std::uint16_t(c.size()));
        out.append(c);
        out.append(padding(c.size()), '\0');
        endOfOptions(out);
    }
    u32(out, total);
}

QByteArray PcapWriter::pcapngStatistics(std::uint32_t interfaceId, const InterfaceStatistics &s)
{
    QByteArray isb;
    const auto ts = std::uint64_t(s.tsNs);
    u32(isb, interfaceId);
    u32(isb, std::uint32_t(ts >> 32));
    u32(isb, std::uint32_t(ts & 0xffffffff));
    option(isb, 1, s.comment.toUtf8()); // opt_comment
    auto u64 = [](std::int64_t v) {
        QByteArray b;
        u32(b, std::uint32_t(std::uint64_t(v) & 0xffffffff));
        u32(b, std::uint32_t(std::uint64_t(v) >> 32));
        return b;
    };
    if (s.received >= 0)
        option(isb, 4, u64(s.received)); // isb_ifrecv
    if (s.dropped >= 0)
        option(isb, 5, u64(s.dropped)); // isb_ifdrop
    endOfOptions(isb);
    return block(5, isb);
}

bool PcapWriter::begin()
{
    if (m_options.format == Format::Pcap) {
        m_buffer.append(pcapHeader(m_options.linkType, m_options.snapLength));
        return writeOut(true);
    }
    m_buffer.append(pcapngSectionHeader(m_options));
    m_buffer.append(pcapngInterface(m_options.linkType, m_options));
    return writeOut(true);
}

bool PcapWriter::write(const RawPacket &p, const QString &comment)
{
    if (m_failed)
        return false;
    if (m_options.format == Format::Pcap)
        appendPcapRecord(m_buffer, p);
    else
        appendPcapngPacket(m_buffer, p, 0, comment);
    ++m_packets;
    return writeOut(false);
}

bool PcapWriter::flush()
{
    return writeOut(true);
}

bool PcapWriter::writeOut(bool force)
{
    if (m_failed)
        return false;
    if (!force && m_buffer.size() < FlushThreshold)
        return true;
    qsizetype off = 0;
    while (off < m_buffer.size()) {
        const qint64 n = m_device->write(m_buffer.constData() + off, m_buffer.size() - off);
        if (n <= 0) {
            m_failed = true;
            m_error = m_device->errorString();
            return false;
        }
        off += qsizetype(n);
    }
    m_bytes += std::uint64_t(m_buffer.size());
    m_buffer.clear();
    return true;
}

} // namespace podtap
