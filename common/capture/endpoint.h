#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

namespace podtap {

// An IPv4 or IPv6 address plus TCP port, stored inline (no allocation).
struct Endpoint
{
    std::array<std::uint8_t, 16> addr{}; // IPv4 uses the first 4 bytes
    std::uint16_t port = 0;
    std::uint8_t family = 0; // 4 or 6

    bool operator==(const Endpoint &o) const
    {
        return family == o.family && port == o.port && addr == o.addr;
    }
    bool operator<(const Endpoint &o) const
    {
        if (family != o.family)
            return family < o.family;
        if (const int c = std::memcmp(addr.data(), o.addr.data(), addr.size()); c != 0)
            return c < 0;
        return port < o.port;
    }

    // "198.18.0.1" or "fd00::1"
    std::string addressString() const;
    // "198.18.0.1:8080" or "[fd00::1]:8080"
    std::string toString() const;
};

} // namespace podtap
