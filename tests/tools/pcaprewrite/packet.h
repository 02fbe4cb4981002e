#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pcaprewrite {

// One capture record and, when it is an unfragmented TCP segment whose headers are fully
// captured, the offsets needed to rewrite it.
struct Packet
{
    std::int64_t tsSec = 0;
    std::int64_t tsFrac = 0; // µs or ns, as the file says
    std::uint32_t origLen = 0;
    std::vector<std::uint8_t> data; // captured bytes

    // Filled by decode().
    bool tcp = false;
    bool ipv6 = false;
    std::size_t l3 = 0;      // offset of the IP header
    std::size_t l4 = 0;      // offset of the TCP header
    std::size_t payload = 0; // offset of the TCP payload
    std::uint32_t payloadLen = 0;
    bool complete = false; // every byte up to the end of the IP packet is captured
    std::string src;       // "addr:port" / "[v6]:port"
    std::string dst;

    std::uint32_t seq() const;
    std::uint32_t ack() const;
    std::uint8_t flags() const;
    void setSeq(std::uint32_t v);
    void setAck(std::uint32_t v);
    void setFlags(std::uint8_t f);
    // Rewrites IP lengths (and the IPv4 header checksum) for a new payload; needs complete.
    void setPayload(const std::uint8_t *p, std::uint32_t n);
    void fixTcpChecksum();
    // SACK blocks (RFC 2018): edges are in the peer's sequence space.
    void shiftSackEdges(std::uint32_t delta);
};

enum : std::uint8_t { FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10 };

// Link types written by tcpdump and editcap (DLT values as stored in the file).
bool decode(int linkType, Packet &p);

} // namespace pcaprewrite
