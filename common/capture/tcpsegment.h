#pragma once

#include "endpoint.h"

#include <cstdint>

namespace podtap {

namespace TcpFlag {
enum : std::uint8_t { Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Urg = 0x20 };
}

// Options from RFC 9293 §3.2 / RFC 7323 / RFC 2018 that matter for analysis.
struct TcpOptions
{
    std::uint16_t mss = 0;
    std::uint8_t windowScale = 0;
    bool hasMss = false;
    bool hasWindowScale = false;
    bool sackPermitted = false;
    bool hasTimestamps = false;
    std::uint8_t sackBlocks = 0;
    std::uint32_t tsVal = 0;
    std::uint32_t tsEcr = 0;
};

// A decoded TCP segment; `payload` points into the packet buffer.
struct TcpSegment
{
    Endpoint src;
    Endpoint dst;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint16_t window = 0;
    std::uint8_t flags = 0;
    TcpOptions options;
    const std::uint8_t *payload = nullptr;
    std::uint32_t payloadCaptured = 0; // bytes present in the capture
    std::uint32_t payloadLength = 0;   // bytes the IP header says were sent
    std::int64_t tsNs = 0;

    bool has(std::uint8_t f) const { return (flags & f) != 0; }
};

} // namespace podtap
