#pragma once

#include "capturesink.h"
#include "engineconfig.h"
#include "tcpconnection.h"

#include <cstdint>
#include <memory>
#include <unordered_map>

namespace podtap {

struct TrackerStats
{
    std::uint64_t connections = 0; // ever created
    std::uint64_t active = 0;      // currently tracked (closed ones linger a while)
    std::uint64_t open = 0;        // tracked and not closed yet
    std::uint64_t reused = 0;      // 4-tuples reused by a new SYN
    std::uint64_t evicted = 0;     // closed because maxConnections was reached
    std::uint64_t expired = 0;     // closed after idleTimeoutNs
};

// Tracks TCP connections by 4-tuple and drives one StreamReassembler per direction.
// The server is the side that received the SYN; for connections joined mid-stream it is
// the side holding the tapped port, or else the lower port.
class ConnectionTracker
{
public:
    explicit ConnectionTracker(const EngineConfig &config = {});
    ~ConnectionTracker();

    void setSink(CaptureSink *sink) { m_sink = sink; }
    void process(const TcpSegment &segment, const RawPacket &packet);
    // Runs timers (idle expiry, hole timeouts, linger) up to `nowNs`.
    void advanceTime(std::int64_t nowNs);
    // End of capture: every connection is flushed, closed and removed.
    void finish();

    const TrackerStats &stats() const { return m_stats; }
    const BufferBudget &budget() const { return m_budget; }
    const EngineConfig &config() const { return m_config; }

private:
    struct FlowKey
    {
        Endpoint a; // the lower endpoint
        Endpoint b;
        bool operator==(const FlowKey &o) const { return a == o.a && b == o.b; }
    };
    struct FlowKeyHash
    {
        std::size_t operator()(const FlowKey &k) const noexcept;
    };
    class Emitter;
    using Table = std::unordered_map<FlowKey, std::unique_ptr<TcpConnection>, FlowKeyHash>;

    TcpConnection *create(const FlowKey &key, const TcpSegment &segment);
    void close(TcpConnection &c, CloseReason reason, ConnectionState state, std::int64_t nowNs);
    void flushBoth(TcpConnection &c, std::int64_t nowNs);
    void checkHoles(TcpConnection &c, std::int64_t nowNs);
    void remove(Table::iterator it);
    void evictOldest(std::int64_t nowNs);

    EngineConfig m_config;
    CaptureSink *m_sink = nullptr;
    CaptureSink m_nullSink;
    Table m_table;
    BufferBudget m_budget;
    TrackerStats m_stats;
    std::uint64_t m_nextId = 1;
    std::int64_t m_lastSweepNs = 0;
};

} // namespace podtap
