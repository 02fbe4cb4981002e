#pragma once

#include <QString>

#include <cstdint>

namespace podtap {

struct RawPacket;

// The one-line summary a packet list shows in its Info column, as Wireshark words it:
// "[SYN, ACK] Seq=… Ack=… Win=… Len=…" for a TCP segment (absolute sequence numbers: the
// list has no per-connection state to make them relative), the request or status line when
// the segment's payload starts an HTTP/1 message, and a short reason for anything else.
class PacketInfo
{
public:
    static QString describe(const RawPacket &packet);
    // Wireshark's flag list: "[SYN, ACK]" (RFC 9293 §3.1 control bits).
    static QString flagList(std::uint8_t flags);
    // The first line of an HTTP/1 request or response at the start of `payload`, or empty.
    static QString httpLine(const std::uint8_t *payload, std::size_t size);
};

} // namespace podtap
