#include "indexfileheader.h"

#include "packetindexentry.h"

#include <QtEndian>

#include <cstring>

namespace podtap {

namespace {
constexpr char Magic[8] = {'P', 'O', 'D', 'T', 'A', 'P', 'I', 'X'};
}

void IndexFileHeader::toDisk(char *out) const
{
    std::memset(out, 0, DiskSize);
    std::memcpy(out, Magic, sizeof Magic);
    qToLittleEndian<std::uint32_t>(Version, out + 8);
    qToLittleEndian<std::uint32_t>(fileNumber, out + 12);
    qToLittleEndian<std::uint64_t>(firstPacket, out + 16);
    const auto count = std::uint32_t(std::min<qsizetype>(linkTypes.size(), MaxInterfaces));
    qToLittleEndian<std::uint32_t>(count, out + 24);
    qToLittleEndian<std::uint32_t>(PacketIndexEntry::DiskSize, out + 28);
    for (std::uint32_t i = 0; i < count; ++i)
        qToLittleEndian<std::int32_t>(linkTypes.at(i), out + 32 + 4 * i);
}

bool IndexFileHeader::fromDisk(const char *in, IndexFileHeader *header)
{
    if (std::memcmp(in, Magic, sizeof Magic) != 0)
        return false;
    if (qFromLittleEndian<std::uint32_t>(in + 8) != Version)
        return false;
    if (qFromLittleEndian<std::uint32_t>(in + 28) != std::uint32_t(PacketIndexEntry::DiskSize))
        return false;
    const auto count = qFromLittleEndian<std::uint32_t>(in + 24);
    if (count > std::uint32_t(MaxInterfaces))
        return false;
    header->fileNumber = qFromLittleEndian<std::uint32_t>(in + 12);
    header->firstPacket = qFromLittleEndian<std::uint64_t>(in + 16);
    header->linkTypes.clear();
    for (std::uint32_t i = 0; i < count; ++i)
        header->linkTypes << qFromLittleEndian<std::int32_t>(in + 32 + 4 * i);
    return true;
}

} // namespace podtap
