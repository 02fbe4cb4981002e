#pragma once

#include "engineconfig.h"

#include <cstdint>
#include <map>
#include <vector>

namespace podtap {

// What one direction of a connection saw. `bytes` and `gapBytes` partition the
// stream: every byte position up to the delivery point is one or the other.
struct DirectionStats
{
    std::uint64_t packets = 0;
    std::uint64_t payloadPackets = 0;
    std::uint64_t bytes = 0;            // reassembled payload delivered, in order, once
    std::uint64_t gapBytes = 0;         // bytes known to be missing
    std::uint64_t gaps = 0;             // gap events
    std::uint64_t retransmissions = 0;  // segments that repeated already seen bytes
    std::uint64_t outOfOrder = 0;       // segments that arrived ahead of a hole
    std::uint64_t overlapConflicts = 0; // overlaps whose bytes differ (first copy wins)
    std::uint64_t keepAlives = 0;
    std::uint64_t beforeStartBytes = 0; // mid-stream: bytes older than the first seen
    std::uint64_t latePackets = 0;      // packets after the connection closed
};

// Reassembles one direction of a TCP connection: in-order delivery exactly once,
// out-of-order data buffered under caps, explicit gaps where bytes are known missing.
// Positions are 64-bit offsets from the first data byte, so sequence wraparound is
// handled by signed 32-bit differences (RFC 9293 §3.4).
class StreamReassembler
{
public:
    class Output
    {
    public:
        virtual ~Output() = default;
        virtual void deliver(const std::uint8_t *data, std::size_t size) = 0;
        // Bytes that waited behind a hole, with the time their packet was captured.
        virtual void deliverBuffered(const std::uint8_t *data, std::size_t size, std::int64_t)
        {
            deliver(data, size);
        }
        virtual void gap(std::uint64_t bytes) = 0;
    };

    struct Context
    {
        Output &out;
        DirectionStats &stats;
        BufferBudget &budget;
        std::uint64_t perConnectionCap;
        std::int64_t tsNs = 0; // the packet being added (kept with bytes that must wait)
    };

    bool baseKnown() const { return m_baseKnown; }
    // Sequence number of the first data byte (ISN + 1 after a SYN).
    void setBase(std::uint32_t seq);
    std::uint64_t deliveredOffset() const { return m_next; }
    std::uint64_t buffered() const { return m_buffered; }
    bool hasHole() const { return m_ackKnown && m_maxAck > m_next; }

    void addSegment(std::uint32_t seq, const std::uint8_t *payload, std::uint32_t captured,
                    std::uint32_t wireLength, Context &ctx);
    // The FIN's sequence number: the stream ends there.
    void setFin(std::uint32_t seq);
    bool finished() const { return m_finKnown && m_next >= m_finOffset; }
    bool finSeen() const { return m_finKnown; }
    // An ACK from the peer: bytes below it were sent, whether we saw them or not.
    void peerAck(std::uint32_t ack);
    // Declares an acknowledged hole a gap once it has lasted `timeoutNs`.
    void checkHole(std::int64_t nowNs, std::int64_t timeoutNs, Context &ctx);
    // Connection over: every hole becomes a gap, everything buffered is delivered.
    void flush(Context &ctx);
    // Frees buffered bytes without delivering (connection dropped).
    void discard(BufferBudget &budget);

private:
    std::int64_t offsetOf(std::uint32_t seq) const;
    void insert(std::uint64_t start, const std::uint8_t *data, std::size_t size, Context &ctx);
    void drain(Context &ctx);
    void gapTo(std::uint64_t offset, Context &ctx);
    void enforceCaps(Context &ctx);
    std::int64_t holeSeenSince(std::int64_t nowNs) const;

    struct Piece
    {
        std::vector<std::uint8_t> bytes;
        std::int64_t tsNs = 0; // when its packet was captured: a sink may need real timing
    };
    std::map<std::uint64_t, Piece> m_ooo; // non-overlapping pieces
    std::uint64_t m_next = 0;
    std::uint64_t m_buffered = 0;
    std::uint64_t m_finOffset = 0;
    std::uint64_t m_maxAck = 0;
    std::int64_t m_holeSinceNs = -1;
    std::uint32_t m_base = 0;
    bool m_baseKnown = false;
    bool m_finKnown = false;
    bool m_ackKnown = false;
};

} // namespace podtap
