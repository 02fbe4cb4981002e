#include "pcapbuilder.h"

#include <QStringBuilder>

namespace {
void be16(QByteArray &b, quint16 v)
{
    b.append(char(v >> 8)).append(char(v));
}
void be32(QByteArray &b, quint32 v)
{
    be16(b, quint16(v >> 16));
    be16(b, quint16(v));
}
} // namespace

PcapBuilder::PcapBuilder(Link link, bool nanoseconds, bool bigEndian)
    : m_link(link)
    , m_nano(nanoseconds)
    , m_bigEndian(bigEndian)
{
    putU32(m_nano ? 0xa1b23c4d : 0xa1b2c3d4);
    putU16(2);
    putU16(4);
    putU32(0);
    putU32(0);
    putU32(262144);
    putU32(quint32(link));
}

void PcapBuilder::putU32(quint32 v)
{
    if (m_bigEndian)
        be32(m_out, v);
    else
        m_out.append(char(v)).append(char(v >> 8)).append(char(v >> 16)).append(char(v >> 24));
}

void PcapBuilder::putU16(quint16 v)
{
    if (m_bigEndian)
        be16(m_out, v);
    else
        m_out.append(char(v)).append(char(v >> 8));
}

QByteArray PcapBuilder::frame(const Tcp &t, Link link)
{
    QByteArray tcp;
    be16(tcp, t.srcPort);
    be16(tcp, t.dstPort);
    be32(tcp, t.seq);
    be32(tcp, t.ack);
    tcp.append(char(5 << 4)).append(char(t.flags));
    be16(tcp, 65535);
    be16(tcp, 0); // checksum: engines ignore it, as Wireshark does by default
    be16(tcp, 0);
    tcp.append(t.payload);

    QByteArray ip;
    quint16 etherType;
    if (t.ipv6) {
        etherType = 0x86dd;
        be32(ip, 0x60000000);
        be16(ip, quint16(tcp.size()));
        ip.append(char(6)).append(char(64));
        QByteArray src(16, 0), dst(16, 0);
        src[0] = dst[0] = char(0xfd);
        src[15] = 2;
        dst[15] = 1;
        ip.append(src).append(dst);
    } else {
        etherType = 0x0800;
        ip.append(char(0x45)).append(char(0));
        be16(ip, quint16(20 + tcp.size()));
        be32(ip, 0);
        ip.append(char(64)).append(char(6));
        be16(ip, 0);
        be32(ip, t.srcIp);
        be32(ip, t.dstIp);
    }
    ip.append(tcp);

    QByteArray f;
    switch (link) {
    case Link::Ethernet:
        f.append(QByteArray(12, '\x02'));
        for (int i = 0; i < t.vlanTags; ++i) {
            be16(f, 0x8100);
            be16(f, quint16(100 + i));
        }
        be16(f, etherType);
        break;
    case Link::Sll:
        be16(f, 0);
        be16(f, 1);
        be16(f, 6);
        f.append(QByteArray(8, '\x02'));
        be16(f, etherType);
        break;
    case Link::Sll2:
        be16(f, etherType);
        be16(f, 0);
        be32(f, 2);
        be16(f, 1);
        f.append(char(0)).append(char(6));
        f.append(QByteArray(8, '\x02'));
        break;
    case Link::Raw:
        break;
    }
    return QByteArray(f + ip);
}

void PcapBuilder::add(const Tcp &t, qint64 tsUs)
{
    const QByteArray f = frame(t, m_link);
    if (t.snapTo > 0 && int(t.snapTo) < f.size())
        addRaw(f.left(int(t.snapTo)), tsUs, quint32(f.size()));
    else
        addRaw(f, tsUs);
}

void PcapBuilder::addRaw(const QByteArray &frame, qint64 tsUs, quint32 wireLength)
{
    putU32(quint32(tsUs / 1000000));
    putU32(quint32(m_nano ? (tsUs % 1000000) * 1000 : tsUs % 1000000));
    putU32(quint32(frame.size()));
    putU32(wireLength ? wireLength : quint32(frame.size()));
    m_out.append(frame);
}
