#pragma once

#include <cstdint>

namespace podtap {

// One packet of a stored session as the on-disk index keeps it: enough to list, page and
// select packets without touching the capture files. 32 bytes on disk, little-endian:
//   0 tsNs (i64)  8 connectionId (u64)  16 fileOffset (u64)  24 length (u32)
//  28 fileNumber (u16)  30 direction (u8)  31 tcpFlags (u8)
struct PacketIndexEntry
{
    std::int64_t tsNs = 0;          // capture time, ns since epoch
    std::uint64_t connectionId = 0; // session-wide connection id, 0 = not a tracked TCP packet
    std::uint64_t fileOffset = 0;   // byte offset of the packet's EPB in its spool file
    std::uint32_t length = 0;       // original length on the wire
    std::uint16_t fileNumber = 0;   // spool file number (capture-000001.pcapng → 1)
    std::uint8_t direction = 255;   // 0 client→server, 1 server→client, 255 unknown
    std::uint8_t tcpFlags = 0;

    static constexpr int DiskSize = 32;
    static constexpr std::uint8_t ClientToServer = 0;
    static constexpr std::uint8_t ServerToClient = 1;
    static constexpr std::uint8_t UnknownDirection = 255;

    void toDisk(char *out) const;
    static PacketIndexEntry fromDisk(const char *in);

    friend bool operator==(const PacketIndexEntry &, const PacketIndexEntry &) = default;
};

} // namespace podtap
