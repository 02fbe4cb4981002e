#include "packetindexentry.h"

#include <QtEndian>

namespace podtap {

void PacketIndexEntry::toDisk(char *out) const
{
    qToLittleEndian<std::int64_t>(tsNs, out);
    qToLittleEndian<std::uint64_t>(connectionId, out + 8);
    qToLittleEndian<std::uint64_t>(fileOffset, out + 16);
    qToLittleEndian<std::uint32_t>(length, out + 24);
    qToLittleEndian<std::uint16_t>(fileNumber, out + 28);
    out[30] = char(direction);
    out[31] = char(tcpFlags);
}

PacketIndexEntry PacketIndexEntry::fromDisk(const char *in)
{
    PacketIndexEntry e;
    e.tsNs = qFromLittleEndian<std::int64_t>(in);
    e.connectionId = qFromLittleEndian<std::uint64_t>(in + 8);
    e.fileOffset = qFromLittleEndian<std::uint64_t>(in + 16);
    e.length = qFromLittleEndian<std::uint32_t>(in + 24);
    e.fileNumber = qFromLittleEndian<std::uint16_t>(in + 28);
    e.direction = std::uint8_t(in[30]);
    e.tcpFlags = std::uint8_t(in[31]);
    return e;
}

} // namespace podtap
