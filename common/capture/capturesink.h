#pragma once

#include "rawpacket.h"
#include "tcpconnection.h"
#include "tcpsegment.h"

#include <cstddef>
#include <cstdint>

namespace podtap {

// Receives the engine's events, synchronously, on the thread that feeds it. No event
// allocates; `data` and `segment.payload` are only valid during the call.
// Per connection the order is: opened, then packets/data/gaps, closed, removed.
class CaptureSink
{
public:
    virtual ~CaptureSink() = default;
    virtual void connectionOpened(TcpConnection &) {}
    // Every TCP packet of the connection, before its payload is reassembled.
    virtual void packet(TcpConnection &, Direction, const TcpSegment &, const RawPacket &) {}
    // In-order payload, each byte exactly once.
    virtual void data(TcpConnection &, Direction, const std::uint8_t *, std::size_t, std::int64_t)
    {}
    // `bytes` payload bytes at the current position are known to be missing.
    virtual void gap(TcpConnection &, Direction, std::uint64_t, std::int64_t) {}
    // The byte streams are over (FIN both ways, reset, idle, end of capture, reuse).
    virtual void connectionClosed(TcpConnection &) {}
    // The tracker forgets the connection; statistics are final. Last call for it.
    virtual void connectionRemoved(TcpConnection &) {}
};

} // namespace podtap
