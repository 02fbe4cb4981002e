#pragma once

#include "rawpacket.h"
#include "tcpsegment.h"

#include <cstdint>

namespace podtap {

enum class DecodeResult : std::uint8_t {
    Tcp,             // `out` holds a TCP segment
    NotTcp,          // valid packet of another protocol (ARP, UDP, ICMP, …)
    Fragment,        // IPv4/IPv6 fragment: flagged, not reassembled
    UnsupportedLink, // link type we do not decode
    Truncated,       // a header ends beyond caplen
    Malformed,       // a header field is impossible (IHL < 5, data offset < 5, …)
};

struct DecodeStats
{
    std::uint64_t packets = 0;
    std::uint64_t tcp = 0;
    std::uint64_t notTcp = 0;
    std::uint64_t fragments = 0;
    std::uint64_t unsupportedLink = 0;
    std::uint64_t truncated = 0;
    std::uint64_t malformed = 0;
    std::uint64_t caplenOverLen = 0; // libpcap does not reject caplen > len; we clamp
    std::uint64_t vlanTagged = 0;
};

// Decodes link, IP and TCP headers. Supported link types: EN10MB (with 802.1Q/QinQ),
// LINUX_SLL (113), LINUX_SLL2 (276), RAW (12/14/101), IPV4 (228), IPV6 (229),
// NULL (0) and LOOP (108). Stateless apart from counters.
class PacketDecoder
{
public:
    DecodeResult decode(const RawPacket &packet, TcpSegment &out);
    static bool supportsLinkType(int linkType);
    // True for a Linux cooked (SLL/SLL2) packet taken on a loopback device. The kernel
    // shows such packets to a packet socket twice (out and in) and libpcap skips the
    // outgoing copy, so tcpdump's "received by filter" counts them twice.
    static bool isLinuxLoopback(const RawPacket &packet);
    const DecodeStats &stats() const { return m_stats; }

private:
    DecodeResult decodeIp(const std::uint8_t *data, std::size_t size, TcpSegment &out);
    DecodeResult decodeIpv4(const std::uint8_t *data, std::size_t size, TcpSegment &out);
    DecodeResult decodeIpv6(const std::uint8_t *data, std::size_t size, TcpSegment &out);
    DecodeResult decodeTcp(const std::uint8_t *data, std::size_t captured, std::size_t wireLength,
                           TcpSegment &out);
    DecodeResult count(DecodeResult r);

    DecodeStats m_stats;
};

} // namespace podtap
