#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace trafficgen {

// Fast deterministic pseudo-random bytes (splitmix64): the same seed gives the same stream,
// so a body can be regenerated from its seed and size alone.
class Payload
{
public:
    explicit Payload(std::uint64_t seed)
        : m_state(seed * 0x9E3779B97F4A7C15ull + 1)
    {}

    std::uint64_t next()
    {
        std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

    void fill(char *out, std::size_t n)
    {
        while (n >= 8) {
            const std::uint64_t v = next();
            std::memcpy(out, &v, 8);
            out += 8;
            n -= 8;
        }
        if (n > 0) {
            const std::uint64_t v = next();
            std::memcpy(out, &v, n);
        }
    }

private:
    std::uint64_t m_state;
};

} // namespace trafficgen
