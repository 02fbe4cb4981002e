#include "packetdecoder.h"

#include "bytereader.h"

#include <algorithm>

namespace podtap {

namespace {
// Link-layer type numbers as pcap_datalink() reports them (DLT_*), see
// https://www.tcpdump.org/linktypes.html.
constexpr int DltNull = 0;
constexpr int DltEn10Mb = 1;
constexpr int DltRaw = 12;
constexpr int DltRawOpenBsd = 14;
constexpr int LinktypeRaw = 101;
constexpr int DltLoop = 108;
constexpr int DltLinuxSll = 113;
constexpr int DltIpv4 = 228;
constexpr int DltIpv6 = 229;
constexpr int DltLinuxSll2 = 276;

constexpr std::uint16_t EtherTypeIpv4 = 0x0800;
constexpr std::uint16_t EtherTypeIpv6 = 0x86dd;
constexpr std::uint16_t EtherTypeVlan = 0x8100;
constexpr std::uint16_t EtherTypeQinQ = 0x88a8;
constexpr std::uint16_t EtherTypeQinQOld = 0x9100;
constexpr int MaxVlanTags = 4;
constexpr int MaxIpv6ExtensionHeaders = 16;
constexpr std::uint8_t IpProtoTcp = 6;
} // namespace

bool PacketDecoder::supportsLinkType(int linkType)
{
    switch (linkType) {
    case DltNull:
    case DltEn10Mb:
    case DltRaw:
    case DltRawOpenBsd:
    case LinktypeRaw:
    case DltLoop:
    case DltLinuxSll:
    case DltIpv4:
    case DltIpv6:
    case DltLinuxSll2:
        return true;
    default:
        return false;
    }
}

bool PacketDecoder::isLinuxLoopback(const RawPacket &packet)
{
    constexpr std::uint16_t ArphrdLoopback = 772;
    const ByteReader r(packet.data, packet.caplen);
    std::uint16_t hatype = 0;
    if (packet.linkType == DltLinuxSll)
        return r.u16(2, hatype) && hatype == ArphrdLoopback;
    if (packet.linkType == DltLinuxSll2)
        return r.u16(8, hatype) && hatype == ArphrdLoopback;
    return false;
}

DecodeResult PacketDecoder::count(DecodeResult r)
{
    switch (r) {
    case DecodeResult::Tcp:
        ++m_stats.tcp;
        break;
    case DecodeResult::NotTcp:
        ++m_stats.notTcp;
        break;
    case DecodeResult::Fragment:
        ++m_stats.fragments;
        break;
    case DecodeResult::UnsupportedLink:
        ++m_stats.unsupportedLink;
        break;
    case DecodeResult::Truncated:
        ++m_stats.truncated;
        break;
    case DecodeResult::Malformed:
        ++m_stats.malformed;
        break;
    }
    return r;
}

DecodeResult PacketDecoder::decode(const RawPacket &packet, TcpSegment &out)
{
    ++m_stats.packets;
    if (packet.caplen > packet.len) {
        // libpcap accepts such records; a capture tool never writes them. Do not trust it.
        ++m_stats.caplenOverLen;
        return count(DecodeResult::Malformed);
    }
    out.tsNs = packet.tsNs;
    const ByteReader r(packet.data, packet.caplen);
    std::size_t off = 0;
    std::uint16_t etherType = 0;

    switch (packet.linkType) {
    case DltEn10Mb: {
        if (!r.u16(12, etherType))
            return count(DecodeResult::Truncated);
        off = 14;
        for (int tags = 0; etherType == EtherTypeVlan || etherType == EtherTypeQinQ
                           || etherType == EtherTypeQinQOld;
             ++tags) {
            if (tags == MaxVlanTags)
                return count(DecodeResult::Malformed);
            if (tags == 0)
                ++m_stats.vlanTagged;
            // 802.1Q tag: TCI (2 bytes), then the encapsulated EtherType.
            if (!r.u16(off + 2, etherType))
                return count(DecodeResult::Truncated);
            off += 4;
        }
        break;
    }
    case DltLinuxSll:
        // SLL: packet type, ARPHRD, address length, 8-byte address, protocol at 14.
        if (!r.u16(14, etherType))
            return count(DecodeResult::Truncated);
        off = 16;
        break;
    case DltLinuxSll2:
        // SLL2: protocol at 0, reserved, ifindex, ARPHRD, packet type, addr len, address.
        if (!r.u16(0, etherType) || !r.has(0, 20))
            return count(DecodeResult::Truncated);
        off = 20;
        break;
    case DltNull:
    case DltLoop: {
        // A 4-byte address family (host order for NULL, network order for LOOP); the IP
        // version nibble that follows is authoritative, so the family is only sanity-checked.
        std::uint32_t family = 0;
        if (!r.u32host(0, family))
            return count(DecodeResult::Truncated);
        off = 4;
        return count(decodeIp(r.at(off), r.size() - off, out));
    }
    case DltRaw:
    case DltRawOpenBsd:
    case LinktypeRaw:
    case DltIpv4:
    case DltIpv6:
        return count(decodeIp(r.at(0), r.size(), out));
    default:
        return count(DecodeResult::UnsupportedLink);
    }

    if (etherType == EtherTypeIpv4 || etherType == EtherTypeIpv6) {
        if (!r.has(off, 1))
            return count(DecodeResult::Truncated);
        return count(decodeIp(r.at(off), r.size() - off, out));
    }
    return count(DecodeResult::NotTcp);
}

DecodeResult PacketDecoder::decodeIp(const std::uint8_t *data, std::size_t size, TcpSegment &out)
{
    const ByteReader r(data, size);
    std::uint8_t v = 0;
    if (!r.u8(0, v))
        return DecodeResult::Truncated;
    switch (v >> 4) {
    case 4:
        return decodeIpv4(data, size, out);
    case 6:
        return decodeIpv6(data, size, out);
    default:
        return DecodeResult::NotTcp;
    }
}

DecodeResult PacketDecoder::decodeIpv4(const std::uint8_t *data, std::size_t size, TcpSegment &out)
{
    // RFC 791 §3.1.
    const ByteReader r(data, size);
    std::uint8_t vihl = 0, proto = 0;
    std::uint16_t totalLength = 0, fragField = 0;
    if (!r.u8(0, vihl) || !r.u16(2, totalLength) || !r.u16(6, fragField) || !r.u8(9, proto)
        || !r.has(12, 8))
        return DecodeResult::Truncated;
    const std::size_t ihl = std::size_t(vihl & 0x0f) * 4;
    if (ihl < 20)
        return DecodeResult::Malformed;
    if (!r.has(0, ihl))
        return DecodeResult::Truncated;
    std::size_t wire = totalLength;
    if (totalLength == 0) {
        // Segmentation offload on the capturing host can leave the length at 0.
        wire = size;
    } else if (totalLength < ihl) {
        return DecodeResult::Malformed;
    }
    const bool moreFragments = (fragField & 0x2000) != 0;
    const std::uint16_t fragOffset = fragField & 0x1fff;
    if (moreFragments || fragOffset != 0)
        return DecodeResult::Fragment;
    if (proto != IpProtoTcp)
        return DecodeResult::NotTcp;

    out.src.family = out.dst.family = 4;
    out.src.addr.fill(0);
    out.dst.addr.fill(0);
    std::copy_n(r.at(12), 4, out.src.addr.begin());
    std::copy_n(r.at(16), 4, out.dst.addr.begin());
    const std::size_t available = size - ihl;
    const std::size_t wirePayload = wire - ihl;
    return decodeTcp(r.at(ihl), std::min(available, wirePayload), wirePayload, out);
}

DecodeResult PacketDecoder::decodeIpv6(const std::uint8_t *data, std::size_t size, TcpSegment &out)
{
    // RFC 8200 §3 and §4: walk the extension-header chain to the upper layer.
    const ByteReader r(data, size);
    std::uint16_t payloadLength = 0;
    std::uint8_t next = 0;
    if (!r.u16(4, payloadLength) || !r.u8(6, next) || !r.has(8, 32))
        return DecodeResult::Truncated;
    out.src.family = out.dst.family = 6;
    std::copy_n(r.at(8), 16, out.src.addr.begin());
    std::copy_n(r.at(24), 16, out.dst.addr.begin());

    std::size_t off = 40;
    // Payload length 0 means a jumbogram (RFC 2675) or offload: trust the capture.
    const std::size_t end = payloadLength == 0 ? size : 40 + std::size_t(payloadLength);
    for (int i = 0; i <= MaxIpv6ExtensionHeaders; ++i) {
        switch (next) {
        case IpProtoTcp: {
            if (off > end)
                return DecodeResult::Malformed;
            const std::size_t wirePayload = end - off;
            const std::size_t available = size > off ? size - off : 0;
            if (available == 0)
                return DecodeResult::Truncated;
            return decodeTcp(r.at(off), std::min(available, wirePayload), wirePayload, out);
        }
        case 0:     // hop-by-hop options
        case 43:    // routing
        case 60:    // destination options
        case 135: { // mobility
            std::uint8_t len = 0;
            if (!r.u8(off, next) || !r.u8(off + 1, len))
                return DecodeResult::Truncated;
            off += (std::size_t(len) + 1) * 8;
            break;
        }
        case 51: { // authentication header: length in 4-octet units, minus 2
            std::uint8_t len = 0;
            if (!r.u8(off, next) || !r.u8(off + 1, len))
                return DecodeResult::Truncated;
            off += (std::size_t(len) + 2) * 4;
            break;
        }
        case 44: { // fragment header
            std::uint16_t fragField = 0;
            if (!r.u8(off, next) || !r.u16(off + 2, fragField))
                return DecodeResult::Truncated;
            if ((fragField & 0xfff8) != 0 || (fragField & 1) != 0)
                return DecodeResult::Fragment;
            off += 8; // an atomic fragment carries the whole datagram
            break;
        }
        default:
            return DecodeResult::NotTcp;
        }
        if (off > end)
            return DecodeResult::Malformed;
    }
    return DecodeResult::Malformed; // absurdly long extension chain
}

DecodeResult PacketDecoder::decodeTcp(const std::uint8_t *data, std::size_t captured,
                                      std::size_t wireLength, TcpSegment &out)
{
    // RFC 9293 §3.1.
    const ByteReader r(data, captured);
    std::uint16_t sport = 0, dport = 0, window = 0;
    std::uint8_t doffByte = 0, flags = 0;
    if (!r.u16(0, sport) || !r.u16(2, dport) || !r.u32(4, out.seq) || !r.u32(8, out.ack)
        || !r.u8(12, doffByte) || !r.u8(13, flags) || !r.u16(14, window) || !r.has(16, 4))
        return DecodeResult::Truncated;
    const std::size_t headerLength = std::size_t(doffByte >> 4) * 4;
    if (headerLength < 20 || headerLength > wireLength)
        return DecodeResult::Malformed;
    if (!r.has(0, headerLength))
        return DecodeResult::Truncated;

    out.src.port = sport;
    out.dst.port = dport;
    out.window = window;
    out.flags = flags;
    out.options = TcpOptions{};
    // Options: kind 0 ends the list, kind 1 pads; all others carry a length byte.
    std::size_t o = 20;
    while (o < headerLength) {
        std::uint8_t kind = 0, len = 0;
        r.u8(o, kind);
        if (kind == 0)
            break;
        if (kind == 1) {
            ++o;
            continue;
        }
        if (!r.u8(o + 1, len) || len < 2 || o + len > headerLength)
            break; // malformed option list: ignore the rest, keep the segment
        switch (kind) {
        case 2:
            if (len == 4 && r.u16(o + 2, out.options.mss))
                out.options.hasMss = true;
            break;
        case 3:
            if (len == 3 && r.u8(o + 2, out.options.windowScale))
                out.options.hasWindowScale = true;
            break;
        case 4:
            out.options.sackPermitted = len == 2;
            break;
        case 5:
            out.options.sackBlocks = std::uint8_t((len - 2) / 8);
            break;
        case 8:
            if (len == 10 && r.u32(o + 2, out.options.tsVal) && r.u32(o + 6, out.options.tsEcr))
                out.options.hasTimestamps = true;
            break;
        default:
            break;
        }
        o += len;
    }
    out.payload = data + headerLength;
    out.payloadLength = std::uint32_t(wireLength - headerLength);
    out.payloadCaptured
            = std::uint32_t(std::min<std::size_t>(captured - headerLength, out.payloadLength));
    return DecodeResult::Tcp;
}

} // namespace podtap
