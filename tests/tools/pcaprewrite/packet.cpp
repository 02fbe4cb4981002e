#include "packet.h"

#include <arpa/inet.h>

#include <cstring>

namespace pcaprewrite {

namespace {

std::uint16_t be16(const std::vector<std::uint8_t> &d, std::size_t o)
{
    return std::uint16_t(d[o] << 8 | d[o + 1]);
}

std::uint32_t be32(const std::vector<std::uint8_t> &d, std::size_t o)
{
    return std::uint32_t(d[o]) << 24 | std::uint32_t(d[o + 1]) << 16 | std::uint32_t(d[o + 2]) << 8
           | d[o + 3];
}

void put16(std::vector<std::uint8_t> &d, std::size_t o, std::uint16_t v)
{
    d[o] = std::uint8_t(v >> 8);
    d[o + 1] = std::uint8_t(v);
}

void put32(std::vector<std::uint8_t> &d, std::size_t o, std::uint32_t v)
{
    d[o] = std::uint8_t(v >> 24);
    d[o + 1] = std::uint8_t(v >> 16);
    d[o + 2] = std::uint8_t(v >> 8);
    d[o + 3] = std::uint8_t(v);
}

std::uint32_t sum16(const std::uint8_t *p, std::size_t n, std::uint32_t acc = 0)
{
    for (std::size_t i = 0; i + 1 < n; i += 2)
        acc += std::uint32_t(p[i] << 8 | p[i + 1]);
    if (n & 1)
        acc += std::uint32_t(p[n - 1] << 8);
    return acc;
}

std::uint16_t fold(std::uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return std::uint16_t(~acc);
}

std::string endpoint(bool v6, const std::uint8_t *addr, std::uint16_t port)
{
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(v6 ? AF_INET6 : AF_INET, addr, buf, sizeof(buf));
    return v6 ? '[' + std::string(buf) + "]:" + std::to_string(port)
              : std::string(buf) + ':' + std::to_string(port);
}

// Offset of the network header and its EtherType-like protocol, per link type.
bool linkHeader(int linkType, const std::vector<std::uint8_t> &d, std::size_t &l3,
                std::uint16_t &proto)
{
    switch (linkType) {
    case 1: { // EN10MB, with 802.1Q/802.1ad tags
        if (d.size() < 14)
            return false;
        std::size_t o = 12;
        proto = be16(d, o);
        while ((proto == 0x8100 || proto == 0x88a8) && d.size() >= o + 6) {
            o += 4;
            proto = be16(d, o);
        }
        l3 = o + 2;
        return true;
    }
    case 113: // LINUX_SLL
        if (d.size() < 16)
            return false;
        proto = be16(d, 14);
        l3 = 16;
        return true;
    case 276: // LINUX_SLL2
        if (d.size() < 20)
            return false;
        proto = be16(d, 0);
        l3 = 20;
        return true;
    case 0:     // NULL: host-order AF
    case 108: { // LOOP: network-order AF
        if (d.size() < 4)
            return false;
        std::uint32_t af;
        std::memcpy(&af, d.data(), 4);
        if (linkType == 108)
            af = ntohl(af);
        const bool v6 = af == 24 || af == 28 || af == 30 || af == 10 || __builtin_bswap32(af) == 24
                        || __builtin_bswap32(af) == 28 || __builtin_bswap32(af) == 30;
        proto = v6 ? 0x86dd : 0x0800;
        l3 = 4;
        return true;
    }
    case 12:
    case 14:
    case 101: // RAW
        if (d.empty())
            return false;
        proto = (d[0] >> 4) == 6 ? 0x86dd : 0x0800;
        l3 = 0;
        return true;
    default:
        return false;
    }
}

} // namespace

bool decode(int linkType, Packet &p)
{
    p.tcp = false;
    const auto &d = p.data;
    std::uint16_t proto = 0;
    std::size_t l3 = 0;
    if (!linkHeader(linkType, d, l3, proto))
        return false;
    std::size_t l4 = 0;
    std::size_t ipEnd = 0;
    if (proto == 0x0800) {
        if (d.size() < l3 + 20 || (d[l3] >> 4) != 4)
            return false;
        const std::size_t ihl = std::size_t(d[l3] & 15) * 4;
        const std::uint16_t total = be16(d, l3 + 2);
        const std::uint16_t frag = be16(d, l3 + 6);
        if (ihl < 20 || d[l3 + 9] != 6 || (frag & 0x3fff) != 0 || total < ihl)
            return false;
        l4 = l3 + ihl;
        ipEnd = l3 + total;
        p.ipv6 = false;
    } else if (proto == 0x86dd) {
        if (d.size() < l3 + 40 || (d[l3] >> 4) != 6 || d[l3 + 6] != 6)
            return false; // extension headers are not rewritten
        l4 = l3 + 40;
        ipEnd = l4 + be16(d, l3 + 4);
        p.ipv6 = true;
    } else {
        return false;
    }
    if (d.size() < l4 + 20)
        return false;
    const std::size_t thl = std::size_t(d[l4 + 12] >> 4) * 4;
    if (thl < 20 || d.size() < l4 + thl || ipEnd < l4 + thl)
        return false;
    p.l3 = l3;
    p.l4 = l4;
    p.payload = l4 + thl;
    p.payloadLen = std::uint32_t(ipEnd - p.payload);
    p.complete = d.size() >= ipEnd;
    const std::uint8_t *srcAddr = &d[l3 + (p.ipv6 ? 8 : 12)];
    const std::uint8_t *dstAddr = &d[l3 + (p.ipv6 ? 24 : 16)];
    p.src = endpoint(p.ipv6, srcAddr, be16(d, l4));
    p.dst = endpoint(p.ipv6, dstAddr, be16(d, l4 + 2));
    p.tcp = true;
    return true;
}

std::uint32_t Packet::seq() const
{
    return be32(data, l4 + 4);
}

std::uint32_t Packet::ack() const
{
    return be32(data, l4 + 8);
}

std::uint8_t Packet::flags() const
{
    return data[l4 + 13];
}

void Packet::setSeq(std::uint32_t v)
{
    put32(data, l4 + 4, v);
}

void Packet::setAck(std::uint32_t v)
{
    put32(data, l4 + 8, v);
}

void Packet::setFlags(std::uint8_t f)
{
    data[l4 + 13] = f;
}

void Packet::setPayload(const std::uint8_t *p, std::uint32_t n)
{
    std::vector<std::uint8_t> d(data.begin(), data.begin() + std::ptrdiff_t(payload));
    d.insert(d.end(), p, p + n);
    data = std::move(d);
    payloadLen = n;
    if (ipv6) {
        put16(data, l3 + 4, std::uint16_t(data.size() - l3 - 40));
    } else {
        put16(data, l3 + 2, std::uint16_t(data.size() - l3));
        put16(data, l3 + 10, 0);
        const std::size_t ihl = std::size_t(data[l3] & 15) * 4;
        put16(data, l3 + 10, fold(sum16(&data[l3], ihl)));
    }
    origLen = std::uint32_t(data.size());
    complete = true;
}

void Packet::fixTcpChecksum()
{
    if (!complete)
        return;
    const std::size_t tcpLen = payload + payloadLen - l4;
    put16(data, l4 + 16, 0);
    std::uint32_t acc = 0;
    if (ipv6) {
        acc = sum16(&data[l3 + 8], 32);
        acc += std::uint32_t(tcpLen >> 16) + std::uint32_t(tcpLen & 0xffff) + 6;
    } else {
        acc = sum16(&data[l3 + 12], 8);
        acc += std::uint32_t(tcpLen) + 6;
    }
    acc = sum16(&data[l4], tcpLen, acc);
    put16(data, l4 + 16, fold(acc));
}

void Packet::shiftSackEdges(std::uint32_t delta)
{
    std::size_t o = l4 + 20;
    while (o < payload) {
        const std::uint8_t kind = data[o];
        if (kind == 0)
            break;
        if (kind == 1) {
            ++o;
            continue;
        }
        if (o + 1 >= payload)
            break;
        const std::uint8_t len = data[o + 1];
        if (len < 2 || o + len > payload)
            break;
        if (kind == 5) { // SACK: (len - 2) / 8 blocks of left/right edges
            for (std::size_t b = o + 2; b + 8 <= o + len; b += 8) {
                put32(data, b, be32(data, b) + delta);
                put32(data, b + 4, be32(data, b + 4) + delta);
            }
        }
        o += len;
    }
}

} // namespace pcaprewrite
