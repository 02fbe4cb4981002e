#pragma once

#include <cstddef>
#include <cstdint>

namespace podtap {

// Tunables of the capture engine. Times are capture time (packet timestamps), so a
// file replays the same way whatever the machine's speed.
struct EngineConfig
{
    // The tapped port: decides the server side of connections joined mid-stream.
    std::uint16_t tappedPort = 0;
    // Out-of-order bytes buffered per connection, and across all connections.
    std::uint64_t perConnectionBufferCap = 4ull * 1024 * 1024;
    std::uint64_t globalBufferCap = 256ull * 1024 * 1024;
    // A connection with no packet for this long is closed (flushed with gaps).
    std::int64_t idleTimeoutNs = 300ll * 1000 * 1000 * 1000;
    // A hole the peer has acknowledged is declared a gap after this long (capture time, from
    // when bytes behind it were captured). The receiver has those bytes, so no retransmission
    // will fill it: the wait only covers packets the capture reorders, which is microseconds
    // (one ring per socket). 1 s held every mirrored request behind a lost packet that long.
    std::int64_t holeTimeoutNs = 200ll * 1000 * 1000;
    // Closed connections stay known this long so late ACKs are attributed to them.
    std::int64_t closedLingerNs = 30ll * 1000 * 1000 * 1000;
    // Connections tracked at once; beyond it the longest idle one is closed.
    std::size_t maxConnections = 1000000;
};

// Shared accounting of out-of-order buffer bytes across connections.
struct BufferBudget
{
    std::uint64_t used = 0;
    std::uint64_t cap = 0;
    std::uint64_t peak = 0;
};

} // namespace podtap
