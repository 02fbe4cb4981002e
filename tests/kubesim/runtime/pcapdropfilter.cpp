#include "pcapdropfilter.h"

#include <QFile>
#include <QLoggingCategory>
#include <QtEndian>

namespace kubesim {

Q_LOGGING_CATEGORY(lcDrop, "kubesim.exec.drop")

namespace {

constexpr qsizetype GlobalHeaderSize = 24; // pcap file header (pcap-savefile(5))
constexpr qsizetype RecordHeaderSize = 16; // ts_sec, ts_frac, caplen, len
constexpr quint32 MaxRecord = 1024 * 1024; // larger caplen: not a stream we understand

quint16 be16(const char *p)
{
    return quint16((quint8(p[0]) << 8) | quint8(p[1]));
}

} // namespace

PcapDropFilter::PcapDropFilter(const PacketDropSpec &spec)
    : m_spec(spec)
{}

PcapDropFilter::~PcapDropFilter() = default;

quint32 PcapDropFilter::u32(const char *p) const
{
    const quint32 le = quint32(quint8(p[0])) | quint32(quint8(p[1])) << 8
                       | quint32(quint8(p[2])) << 16 | quint32(quint8(p[3])) << 24;
    return m_swapped ? qbswap(le) : le;
}

QByteArray PcapDropFilter::filter(const QByteArray &chunk)
{
    if (m_passThrough)
        return chunk;
    m_buf += chunk;
    QByteArray out;
    if (m_globalHeader.isEmpty()) {
        if (m_buf.size() < GlobalHeaderSize)
            return out;
        const quint32 magic = quint32(quint8(m_buf[0])) | quint32(quint8(m_buf[1])) << 8
                              | quint32(quint8(m_buf[2])) << 16 | quint32(quint8(m_buf[3])) << 24;
        if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
            m_swapped = false;
        } else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
            m_swapped = true;
        } else {
            m_passThrough = true; // pcapng or not a capture at all
            out.swap(m_buf);
            return out;
        }
        m_globalHeader = m_buf.left(GlobalHeaderSize);
        m_linkType = u32(m_buf.constData() + 20) & 0x0fffffff; // upper bits: FCS info
        out += m_globalHeader;
        m_buf.remove(0, GlobalHeaderSize);
    }
    qsizetype pos = 0;
    while (m_buf.size() - pos >= RecordHeaderSize) {
        const quint32 caplen = u32(m_buf.constData() + pos + 8);
        if (caplen > MaxRecord) {
            qCWarning(lcDrop) << "pcap record of" << caplen << "bytes: passing the stream through";
            m_passThrough = true;
            break;
        }
        const qsizetype size = RecordHeaderSize + qsizetype(caplen);
        if (m_buf.size() - pos < size)
            break;
        const char *record = m_buf.constData() + pos;
        bool drop = false;
        if (eligibleRecord(record + RecordHeaderSize, caplen)) {
            drop = chosen(m_eligible) && m_dropped < m_spec.max;
            ++m_eligible;
        }
        if (drop) {
            ++m_dropped;
            log(m_buf.mid(pos, size));
        } else {
            out.append(record, size);
        }
        pos += size;
    }
    if (m_passThrough) {
        out += m_buf.mid(pos);
        m_buf.clear();
    } else {
        m_buf.remove(0, pos);
    }
    return out;
}

QByteArray PcapDropFilter::takeRemainder()
{
    QByteArray rest;
    rest.swap(m_buf);
    if (m_dropped > 0)
        qCInfo(lcDrop) << "dropped" << m_dropped << "of" << m_eligible << "eligible packets";
    return rest;
}

bool PcapDropFilter::chosen(qint64 ordinal) const
{
    return (m_spec.every > 0 && (ordinal + 1) % m_spec.every == 0)
           || m_spec.ordinals.contains(ordinal);
}

// A TCP segment with payload towards the port, read with bounds checks on every field.
bool PcapDropFilter::eligibleRecord(const char *d, quint32 caplen) const
{
    const qsizetype n = qsizetype(caplen);
    qsizetype l3 = -1;
    int version = 0; // 4 or 6 from the link header, 0 = read the IP version nibble
    switch (m_linkType) {
    case 1: { // EN10MB
        if (n < 14)
            return false;
        qsizetype off = 12;
        quint16 type = be16(d + off);
        if (type == 0x8100 || type == 0x88a8) {
            if (n < 18)
                return false;
            off += 4;
            type = be16(d + off);
        }
        if (type == 0x0800)
            version = 4;
        else if (type == 0x86dd)
            version = 6;
        else
            return false;
        l3 = off + 2;
        break;
    }
    case 113: // LINUX_SLL: protocol at 14
        if (n < 16)
            return false;
        version = be16(d + 14) == 0x0800 ? 4 : be16(d + 14) == 0x86dd ? 6 : -1;
        l3 = 16;
        break;
    case 276: // LINUX_SLL2: protocol at 0
        if (n < 20)
            return false;
        version = be16(d) == 0x0800 ? 4 : be16(d) == 0x86dd ? 6 : -1;
        l3 = 20;
        break;
    case 101: // RAW
    case 12:
    case 14:
        l3 = 0;
        break;
    case 0: // NULL / LOOP: 4-byte family
    case 108:
        l3 = 4;
        break;
    default:
        return false;
    }
    if (version < 0 || l3 >= n)
        return false;
    const char *ip = d + l3;
    const qsizetype ipCap = n - l3;
    if (version == 0)
        version = quint8(ip[0]) >> 4;
    qsizetype l4 = 0;
    qsizetype ipEnd = 0; // end of the IP packet, from l3
    if (version == 4) {
        if (ipCap < 20 || (quint8(ip[0]) >> 4) != 4 || quint8(ip[9]) != 6)
            return false;
        if ((be16(ip + 6) & 0x3fff) != 0)
            return false; // a fragment
        l4 = qsizetype(quint8(ip[0]) & 0x0f) * 4;
        ipEnd = be16(ip + 2);
    } else if (version == 6) {
        if (ipCap < 40 || (quint8(ip[0]) >> 4) != 6 || quint8(ip[6]) != 6)
            return false;
        l4 = 40;
        ipEnd = 40 + qsizetype(be16(ip + 4));
    } else {
        return false;
    }
    if (l4 < 20 || ipCap < l4 + 20 || ipEnd < l4 + 20)
        return false;
    const char *tcp = ip + l4;
    if (be16(tcp + 2) != m_spec.port)
        return false;
    const qsizetype tcpHeader = qsizetype(quint8(tcp[12]) >> 4) * 4;
    return tcpHeader >= 20 && ipEnd - l4 - tcpHeader > 0;
}

void PcapDropFilter::log(const QByteArray &record)
{
    if (m_spec.logPath.isEmpty())
        return;
    if (!m_log) {
        m_log = std::make_unique<QFile>(m_spec.logPath);
        if (!m_log->open(QIODevice::WriteOnly | QIODevice::Append)) {
            qCWarning(lcDrop) << "cannot write" << m_spec.logPath << m_log->errorString();
            return;
        }
        if (m_log->size() == 0)
            m_log->write(m_globalHeader);
    }
    if (m_log->isOpen()) {
        m_log->write(record);
        m_log->flush(); // a test reads it while kubesim runs
    }
}

} // namespace kubesim
