#pragma once

#include <cstddef>
#include <cstdint>

namespace podtap {

// Bounds-checked big-endian reads over a packet. Every accessor reports failure
// instead of reading past the end; callers never cast raw bytes to structs.
class ByteReader
{
public:
    ByteReader(const std::uint8_t *data, std::size_t size)
        : m_data(data)
        , m_size(size)
    {}

    std::size_t size() const { return m_size; }
    bool has(std::size_t offset, std::size_t n) const
    {
        return offset <= m_size && n <= m_size - offset;
    }
    bool u8(std::size_t off, std::uint8_t &v) const
    {
        if (!has(off, 1))
            return false;
        v = m_data[off];
        return true;
    }
    bool u16(std::size_t off, std::uint16_t &v) const
    {
        if (!has(off, 2))
            return false;
        v = std::uint16_t(m_data[off] << 8 | m_data[off + 1]);
        return true;
    }
    bool u16le(std::size_t off, std::uint16_t &v) const
    {
        if (!has(off, 2))
            return false;
        v = std::uint16_t(m_data[off + 1] << 8 | m_data[off]);
        return true;
    }
    bool u32(std::size_t off, std::uint32_t &v) const
    {
        if (!has(off, 4))
            return false;
        v = std::uint32_t(m_data[off]) << 24 | std::uint32_t(m_data[off + 1]) << 16
            | std::uint32_t(m_data[off + 2]) << 8 | std::uint32_t(m_data[off + 3]);
        return true;
    }
    bool u32host(std::size_t off, std::uint32_t &v) const
    {
        if (!has(off, 4))
            return false;
        // DLT_NULL stores the family in the capturing host's byte order: read both ways.
        v = std::uint32_t(m_data[off]) | std::uint32_t(m_data[off + 1]) << 8
            | std::uint32_t(m_data[off + 2]) << 16 | std::uint32_t(m_data[off + 3]) << 24;
        return true;
    }
    const std::uint8_t *at(std::size_t off) const { return m_data + off; }

private:
    const std::uint8_t *m_data;
    std::size_t m_size;
};

} // namespace podtap
