#pragma once

#include <QList>

#include <cstdint>

namespace podtap {

// The first 64 bytes of every capture-NNNNNN.idx file, little-endian:
//   0 magic "PODTAPIX"  8 version (u32)  12 fileNumber (u32)  16 firstPacket (u64)
//  24 interfaceCount (u32)  28 recordSize (u32)  32 linkType of interface 0..7 (i32 each)
// firstPacket is the session-wide number of the file's first record, so a reader maps a
// global packet number to a file without reading earlier (possibly rotated-out) files.
// The interface table maps an EPB's interface id to its link type; it grows in place when
// a new link type gets its own IDB (written before any record that uses it).
struct IndexFileHeader
{
    static constexpr int DiskSize = 64;
    static constexpr int MaxInterfaces = 8;
    static constexpr std::uint32_t Version = 1;

    std::uint32_t fileNumber = 0;
    std::uint64_t firstPacket = 0;
    QList<int> linkTypes; // index = pcapng interface id

    void toDisk(char *out) const;
    // False when `in` is not a header this version understands.
    static bool fromDisk(const char *in, IndexFileHeader *header);
};

} // namespace podtap
