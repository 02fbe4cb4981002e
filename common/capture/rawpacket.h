#pragma once

#include <cstdint>

namespace podtap {

// One record as libpcap handed it over. `data` is only valid during the callback.
struct RawPacket
{
    const std::uint8_t *data = nullptr;
    std::uint32_t caplen = 0;       // bytes present in `data`
    std::uint32_t len = 0;          // bytes on the wire (may be < caplen in hostile files)
    std::int64_t tsNs = 0;          // capture time, nanoseconds since the epoch
    int linkType = 0;               // DLT_* of the stream section
    std::uint64_t recordIndex = 0;  // 0-based record number across all streams fed
    std::uint64_t streamOffset = 0; // byte offset of the record within its stream
    std::uint32_t streamId = 0;     // increments with each new stream (reconnect)
};

} // namespace podtap
