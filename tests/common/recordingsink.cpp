#include "recordingsink.h"

using namespace podtap;

void RecordingSink::connectionOpened(TcpConnection &c)
{
    Conn &k = conns[c.id];
    if (k.opened)
        orderViolation = true;
    k.id = c.id;
    k.opened = true;
}

void RecordingSink::packet(TcpConnection &c, Direction, const TcpSegment &, const RawPacket &)
{
    Conn &k = conns[c.id];
    if (!k.opened || k.removed)
        orderViolation = true;
    ++k.packets;
}

void RecordingSink::data(TcpConnection &c, Direction d, const std::uint8_t *bytes, std::size_t size,
                         std::int64_t)
{
    Conn &k = conns[c.id];
    if (!k.opened || k.closed)
        orderViolation = true;
    k.bytes[int(d)].append(reinterpret_cast<const char *>(bytes), qsizetype(size));
    if (k.trace[int(d)].size() < 100000)
        k.trace[int(d)].append(reinterpret_cast<const char *>(bytes), qsizetype(size));
}

void RecordingSink::gap(TcpConnection &c, Direction d, std::uint64_t bytes, std::int64_t)
{
    Conn &k = conns[c.id];
    if (!k.opened || k.closed)
        orderViolation = true;
    k.gaps[int(d)].append(bytes);
    if (k.trace[int(d)].size() < 100000)
        k.trace[int(d)].append(QByteArray(qsizetype(std::min<std::uint64_t>(bytes, 100000)), '#'));
}

void RecordingSink::connectionClosed(TcpConnection &c)
{
    Conn &k = conns[c.id];
    if (k.closed)
        orderViolation = true;
    k.closed = true;
}

void RecordingSink::connectionRemoved(TcpConnection &c)
{
    Conn &k = conns[c.id];
    if (!k.closed || k.removed)
        orderViolation = true;
    k.removed = true;
    k.final.id = c.id;
    k.final.client = c.client;
    k.final.server = c.server;
    k.final.state = c.state;
    k.final.closeReason = c.closeReason;
    k.final.midstream = c.midstream;
    k.final.stats = c.stats;
}
