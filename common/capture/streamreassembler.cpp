#include "streamreassembler.h"

#include <algorithm>
#include <cstring>

namespace podtap {

void StreamReassembler::setBase(std::uint32_t seq)
{
    m_base = seq;
    m_baseKnown = true;
}

std::int64_t StreamReassembler::offsetOf(std::uint32_t seq) const
{
    const std::uint32_t expected = m_base + std::uint32_t(m_next);
    return std::int64_t(m_next) + std::int32_t(seq - expected);
}

void StreamReassembler::addSegment(std::uint32_t seq, const std::uint8_t *payload,
                                   std::uint32_t captured, std::uint32_t wireLength, Context &ctx)
{
    if (!m_baseKnown || wireLength == 0)
        return;
    std::int64_t start = offsetOf(seq);
    const std::int64_t wireEnd = start + wireLength;
    std::int64_t capEnd = start + captured;
    const auto next = std::int64_t(m_next);

    if (wireEnd <= next) {
        // Entirely old. A 1-byte segment just below the delivery point is a keep-alive
        // probe (RFC 9293 §3.8.4); anything else repeats bytes we already delivered.
        if (wireLength == 1 && start == next - 1)
            ++ctx.stats.keepAlives;
        else
            ++ctx.stats.retransmissions;
        return;
    }
    if (start < 0) {
        // Joined mid-stream: bytes before the first one we anchored on are unknown.
        const std::int64_t skip = std::min<std::int64_t>(-start, captured);
        ctx.stats.beforeStartBytes += std::uint64_t(-start);
        payload += skip;
        start = 0;
        capEnd = std::max<std::int64_t>(capEnd, 0);
    }
    if (start < next) {
        ++ctx.stats.retransmissions; // partly old: keep only the new tail
        const std::int64_t skip = std::min(next, capEnd) - start;
        payload += std::max<std::int64_t>(skip, 0);
        start = next;
        capEnd = std::max(capEnd, next);
    }
    if (m_finKnown) {
        // Nothing after the FIN belongs to the stream.
        const auto fin = std::int64_t(m_finOffset);
        capEnd = std::min(capEnd, fin);
        if (start >= fin)
            return;
    }

    const bool overlapsBuffer = !m_ooo.empty() && std::int64_t(m_ooo.begin()->first) < wireEnd;
    if (start == next && !overlapsBuffer) {
        // The common case: in order, straight from the packet buffer.
        if (capEnd > start) {
            ctx.out.deliver(payload, std::size_t(capEnd - start));
            ctx.stats.bytes += std::uint64_t(capEnd - start);
            m_next = std::uint64_t(capEnd);
        }
        std::int64_t missingEnd = wireEnd;
        if (m_finKnown)
            missingEnd = std::min(missingEnd, std::int64_t(m_finOffset));
        if (missingEnd > std::int64_t(m_next))
            gapTo(std::uint64_t(missingEnd), ctx); // snaplen cut the payload: never captured
        drain(ctx);
        return;
    }
    if (start > next)
        ++ctx.stats.outOfOrder;
    if (capEnd > start)
        insert(std::uint64_t(start), payload, std::size_t(capEnd - start), ctx);
    drain(ctx);
    enforceCaps(ctx);
}

void StreamReassembler::insert(std::uint64_t start, const std::uint8_t *data, std::size_t size,
                               Context &ctx)
{
    const std::uint64_t end = start + size;
    auto it = m_ooo.upper_bound(start);
    if (it != m_ooo.begin()) {
        auto prev = std::prev(it);
        if (prev->first + prev->second.bytes.size() > start)
            it = prev;
    }
    std::uint64_t cur = start;
    bool stored = false;
    auto store = [&](std::uint64_t from, std::uint64_t to) {
        const std::uint8_t *p = data + (from - start);
        m_ooo.emplace_hint(it, from,
                           Piece{std::vector<std::uint8_t>(p, p + (to - from)), ctx.tsNs});
        m_buffered += to - from;
        ctx.budget.used += to - from;
        ctx.budget.peak = std::max(ctx.budget.peak, ctx.budget.used);
        stored = true;
    };
    bool conflict = false;
    while (it != m_ooo.end() && it->first < end) {
        const std::uint64_t pieceStart = it->first;
        const std::uint64_t pieceEnd = pieceStart + it->second.bytes.size();
        if (pieceStart > cur)
            store(cur, pieceStart);
        // First copy wins; note when the retransmitted bytes differ.
        const std::uint64_t from = std::max(cur, pieceStart);
        const std::uint64_t to = std::min(end, pieceEnd);
        if (to > from
            && std::memcmp(data + (from - start), it->second.bytes.data() + (from - pieceStart),
                           to - from)
                       != 0)
            conflict = true;
        cur = std::max(cur, pieceEnd);
        ++it;
    }
    if (cur < end)
        store(cur, end);
    if (conflict)
        ++ctx.stats.overlapConflicts;
    if (!stored)
        ++ctx.stats.retransmissions;
}

void StreamReassembler::drain(Context &ctx)
{
    while (!m_ooo.empty()) {
        auto it = m_ooo.begin();
        if (it->first > m_next)
            break;
        const std::uint64_t size = it->second.bytes.size();
        const std::uint64_t end = it->first + size;
        if (end > m_next) {
            const std::uint64_t skip = m_next - it->first;
            ctx.out.deliverBuffered(it->second.bytes.data() + skip, std::size_t(end - m_next),
                                    it->second.tsNs);
            ctx.stats.bytes += end - m_next;
            m_next = end;
        }
        m_buffered -= size;
        ctx.budget.used -= size;
        m_ooo.erase(it);
    }
    if (!hasHole())
        m_holeSinceNs = -1;
}

void StreamReassembler::gapTo(std::uint64_t offset, Context &ctx)
{
    if (offset <= m_next)
        return;
    const std::uint64_t missing = offset - m_next;
    ctx.out.gap(missing);
    ctx.stats.gapBytes += missing;
    ++ctx.stats.gaps;
    m_next = offset;
}

void StreamReassembler::enforceCaps(Context &ctx)
{
    // Give up on the oldest hole until this connection and the whole engine fit again.
    while (!m_ooo.empty()
           && (m_buffered > ctx.perConnectionCap || ctx.budget.used > ctx.budget.cap)) {
        gapTo(m_ooo.begin()->first, ctx);
        drain(ctx);
    }
}

void StreamReassembler::setFin(std::uint32_t seq)
{
    if (!m_baseKnown || m_finKnown)
        return;
    const std::int64_t off = offsetOf(seq);
    if (off < 0)
        return;
    m_finKnown = true;
    m_finOffset = std::uint64_t(off);
    // An ACK of the FIN may have been captured before the FIN: its extra sequence
    // number is the FIN's, not a missing byte.
    if (m_ackKnown && m_maxAck > m_finOffset)
        m_maxAck = m_finOffset;
}

void StreamReassembler::peerAck(std::uint32_t ack)
{
    if (!m_baseKnown)
        return;
    std::int64_t off = offsetOf(ack);
    if (m_finKnown)
        off = std::min(off, std::int64_t(m_finOffset)); // the FIN takes a sequence number
    if (off <= 0 || (m_ackKnown && std::uint64_t(off) <= m_maxAck))
        return;
    m_maxAck = std::uint64_t(off);
    m_ackKnown = true;
}

void StreamReassembler::checkHole(std::int64_t nowNs, std::int64_t timeoutNs, Context &ctx)
{
    if (!hasHole()) {
        m_holeSinceNs = -1;
        return;
    }
    if (m_holeSinceNs < 0) {
        m_holeSinceNs = holeSeenSince(nowNs);
        if (nowNs - m_holeSinceNs < timeoutNs)
            return;
    }
    if (nowNs - m_holeSinceNs < timeoutNs)
        return;
    // The peer acknowledged bytes we never saw: the capture lost them.
    std::uint64_t to = m_maxAck;
    if (!m_ooo.empty())
        to = std::min(to, m_ooo.begin()->first);
    gapTo(to, ctx);
    drain(ctx);
    // The next hole waits from when bytes behind it were captured, not from now: timed from
    // now, each hole of a lossy stream added a whole timeout to everything behind it.
    m_holeSinceNs = hasHole() ? holeSeenSince(nowNs) : -1;
}

std::int64_t StreamReassembler::holeSeenSince(std::int64_t nowNs) const
{
    // Bytes beyond the hole arrived at their packet's time: the hole is at least that old.
    if (!m_ooo.empty())
        return std::min(nowNs, m_ooo.begin()->second.tsNs);
    return nowNs;
}

void StreamReassembler::flush(Context &ctx)
{
    while (!m_ooo.empty()) {
        gapTo(m_ooo.begin()->first, ctx);
        drain(ctx);
    }
    std::uint64_t end = m_next;
    if (m_finKnown)
        end = std::max(end, m_finOffset);
    if (m_ackKnown)
        end = std::max(end, m_maxAck);
    gapTo(end, ctx);
    m_holeSinceNs = -1;
}

void StreamReassembler::discard(BufferBudget &budget)
{
    budget.used -= m_buffered;
    m_buffered = 0;
    m_ooo.clear();
}

} // namespace podtap
