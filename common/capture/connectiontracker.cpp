#include "connectiontracker.h"

#include <algorithm>
#include <cstring>

namespace podtap {

namespace {
constexpr std::int64_t SweepIntervalNs = 1000ll * 1000 * 1000;

std::uint64_t load64(const std::uint8_t *p)
{
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

std::uint64_t mix(std::uint64_t h, std::uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}
} // namespace

std::size_t ConnectionTracker::FlowKeyHash::operator()(const FlowKey &k) const noexcept
{
    std::uint64_t h = mix(0, load64(k.a.addr.data()));
    h = mix(h, load64(k.a.addr.data() + 8));
    h = mix(h, load64(k.b.addr.data()));
    h = mix(h, load64(k.b.addr.data() + 8));
    h = mix(h, std::uint64_t(k.a.port) << 16 | k.b.port);
    return std::size_t(h ^ (h >> 31));
}

// Routes one direction's reassembled output to the sink.
class ConnectionTracker::Emitter : public StreamReassembler::Output
{
public:
    Emitter(CaptureSink &sink, TcpConnection &c, Direction d, std::int64_t ts)
        : m_sink(sink)
        , m_conn(c)
        , m_dir(d)
        , m_ts(ts)
    {}
    void deliver(const std::uint8_t *data, std::size_t size) override
    {
        m_sink.data(m_conn, m_dir, data, size, m_ts);
    }
    void deliverBuffered(const std::uint8_t *data, std::size_t size, std::int64_t ts) override
    {
        m_sink.data(m_conn, m_dir, data, size, ts);
    }
    void gap(std::uint64_t bytes) override { m_sink.gap(m_conn, m_dir, bytes, m_ts); }

private:
    CaptureSink &m_sink;
    TcpConnection &m_conn;
    Direction m_dir;
    std::int64_t m_ts;
};

ConnectionTracker::ConnectionTracker(const EngineConfig &config)
    : m_config(config)
    , m_sink(&m_nullSink)
{
    m_budget.cap = config.globalBufferCap;
}

ConnectionTracker::~ConnectionTracker() = default;

TcpConnection *ConnectionTracker::create(const FlowKey &key, const TcpSegment &s)
{
    if (m_table.size() >= m_config.maxConnections)
        evictOldest(s.tsNs);
    auto c = std::make_unique<TcpConnection>();
    c->id = m_nextId++;
    c->firstTsNs = c->lastTsNs = s.tsNs;
    const bool syn = s.has(TcpFlag::Syn);
    const bool ack = s.has(TcpFlag::Ack);
    if (syn && !ack) {
        c->client = s.src;
        c->server = s.dst;
        c->state = ConnectionState::SynSent;
    } else if (syn && ack) {
        c->client = s.dst;
        c->server = s.src;
        c->state = ConnectionState::SynReceived;
    } else {
        c->midstream = true;
        c->state = ConnectionState::Established;
        const std::uint16_t tapped = m_config.tappedPort;
        bool dstIsServer;
        if (tapped != 0 && (s.dst.port == tapped || s.src.port == tapped))
            dstIsServer = s.dst.port == tapped;
        else
            dstIsServer = s.dst.port <= s.src.port;
        c->client = dstIsServer ? s.src : s.dst;
        c->server = dstIsServer ? s.dst : s.src;
    }
    TcpConnection *raw = c.get();
    m_table.emplace(key, std::move(c));
    ++m_stats.connections;
    ++m_stats.open;
    m_stats.active = m_table.size();
    m_sink->connectionOpened(*raw);
    return raw;
}

void ConnectionTracker::process(const TcpSegment &s, const RawPacket &packet)
{
    FlowKey key;
    if (s.src < s.dst) {
        key.a = s.src;
        key.b = s.dst;
    } else {
        key.a = s.dst;
        key.b = s.src;
    }
    const bool syn = s.has(TcpFlag::Syn);
    const bool ack = s.has(TcpFlag::Ack);
    TcpConnection *c = nullptr;
    auto it = m_table.find(key);
    if (it != m_table.end()) {
        c = it->second.get();
        // A fresh SYN on a known 4-tuple starts a new connection unless it repeats the
        // SYN of a handshake still in progress.
        if (syn && !ack
            && !(c->state == ConnectionState::SynSent && s.src == c->client && !c->isClosed())) {
            if (!c->isClosed()) {
                flushBoth(*c, s.tsNs);
                close(*c, CloseReason::Reused, c->state, s.tsNs);
            }
            ++m_stats.reused;
            remove(it);
            c = nullptr;
        }
    }
    if (!c)
        c = create(key, s);

    const Direction dir
            = s.src == c->client ? Direction::ClientToServer : Direction::ServerToClient;
    const Direction peer = opposite(dir);
    DirectionStats &st = c->statsFor(dir);
    ++st.packets;
    if (s.payloadLength > 0)
        ++st.payloadPackets;
    c->lastTsNs = std::max(c->lastTsNs, s.tsNs);
    m_sink->packet(*c, dir, s, packet);

    if (c->isClosed()) {
        ++st.latePackets;
        advanceTime(s.tsNs);
        return;
    }

    StreamReassembler &mine = c->halfFor(dir);
    StreamReassembler &theirs = c->halfFor(peer);
    if (syn) {
        if (!ack) {
            if (c->synTsNs < 0)
                c->synTsNs = s.tsNs;
            c->clientOptions = s.options;
        } else {
            if (c->synAckTsNs < 0)
                c->synAckTsNs = s.tsNs;
            c->serverOptions = s.options;
            if (c->state == ConnectionState::SynSent)
                c->state = ConnectionState::SynReceived;
            if (!theirs.baseKnown())
                theirs.setBase(s.ack); // the client's SYN was not captured
        }
        if (!mine.baseKnown())
            mine.setBase(s.seq + 1); // the SYN takes one sequence number
    } else if (!mine.baseKnown()) {
        mine.setBase(s.seq); // joined mid-stream: anchor on the first byte we see
    }
    if (ack && !syn
        && (c->state == ConnectionState::SynSent || c->state == ConnectionState::SynReceived)) {
        c->state = ConnectionState::Established;
        c->establishedTsNs = s.tsNs;
    }

    if (ack)
        theirs.peerAck(s.ack);
    if (s.payloadLength > 0) {
        Emitter out(*m_sink, *c, dir, s.tsNs);
        StreamReassembler::Context ctx{out, st, m_budget, m_config.perConnectionBufferCap, s.tsNs};
        mine.addSegment(syn ? s.seq + 1 : s.seq, s.payload, s.payloadCaptured, s.payloadLength,
                        ctx);
    }
    if (s.has(TcpFlag::Fin))
        mine.setFin((syn ? s.seq + 1 : s.seq) + s.payloadLength);

    if (s.has(TcpFlag::Rst)) {
        flushBoth(*c, s.tsNs);
        close(*c, CloseReason::Reset, ConnectionState::Reset, s.tsNs);
        advanceTime(s.tsNs);
        return;
    }
    checkHoles(*c, s.tsNs);
    const bool cDone = c->half[0].finished();
    const bool sDone = c->half[1].finished();
    if (cDone && sDone)
        close(*c, CloseReason::Fin, ConnectionState::Closed, s.tsNs);
    else if (cDone || sDone)
        c->state = ConnectionState::HalfClosed;
    advanceTime(s.tsNs);
}

void ConnectionTracker::checkHoles(TcpConnection &c, std::int64_t nowNs)
{
    for (auto d : {Direction::ClientToServer, Direction::ServerToClient}) {
        StreamReassembler &h = c.halfFor(d);
        if (!h.hasHole())
            continue;
        Emitter out(*m_sink, c, d, nowNs);
        StreamReassembler::Context ctx{out, c.statsFor(d), m_budget,
                                       m_config.perConnectionBufferCap};
        h.checkHole(nowNs, m_config.holeTimeoutNs, ctx);
    }
}

void ConnectionTracker::flushBoth(TcpConnection &c, std::int64_t nowNs)
{
    for (auto d : {Direction::ClientToServer, Direction::ServerToClient}) {
        Emitter out(*m_sink, c, d, nowNs);
        StreamReassembler::Context ctx{out, c.statsFor(d), m_budget,
                                       m_config.perConnectionBufferCap};
        c.halfFor(d).flush(ctx);
    }
}

void ConnectionTracker::close(TcpConnection &c, CloseReason reason, ConnectionState state,
                              std::int64_t nowNs)
{
    if (c.isClosed())
        return;
    c.closeReason = reason;
    c.state = state;
    c.closedTsNs = nowNs;
    --m_stats.open;
    m_sink->connectionClosed(c);
}

void ConnectionTracker::remove(Table::iterator it)
{
    TcpConnection &c = *it->second;
    for (auto &h : c.half)
        h.discard(m_budget);
    m_sink->connectionRemoved(c);
    m_table.erase(it);
    m_stats.active = m_table.size();
}

void ConnectionTracker::evictOldest(std::int64_t nowNs)
{
    auto oldest = m_table.end();
    for (auto it = m_table.begin(); it != m_table.end(); ++it) {
        if (oldest == m_table.end() || it->second->lastTsNs < oldest->second->lastTsNs)
            oldest = it;
    }
    if (oldest == m_table.end())
        return;
    TcpConnection &c = *oldest->second;
    if (!c.isClosed()) {
        flushBoth(c, nowNs);
        close(c, CloseReason::Evicted, c.state, nowNs);
        ++m_stats.evicted;
    }
    remove(oldest);
}

void ConnectionTracker::advanceTime(std::int64_t nowNs)
{
    if (nowNs - m_lastSweepNs < SweepIntervalNs)
        return;
    m_lastSweepNs = nowNs;
    for (auto it = m_table.begin(); it != m_table.end();) {
        TcpConnection &c = *it->second;
        if (!c.isClosed()) {
            if (nowNs - c.lastTsNs >= m_config.idleTimeoutNs) {
                flushBoth(c, nowNs);
                close(c, CloseReason::Idle, c.state, nowNs);
                ++m_stats.expired;
            } else {
                checkHoles(c, nowNs);
            }
        }
        if (c.isClosed() && nowNs - c.closedTsNs >= m_config.closedLingerNs) {
            auto doomed = it++;
            remove(doomed);
            continue;
        }
        ++it;
    }
}

void ConnectionTracker::finish()
{
    // Close in order of first appearance so consumers see a stable order.
    std::vector<Table::iterator> all;
    all.reserve(m_table.size());
    for (auto it = m_table.begin(); it != m_table.end(); ++it)
        all.push_back(it);
    std::sort(all.begin(), all.end(),
              [](const auto &x, const auto &y) { return x->second->id < y->second->id; });
    for (auto it : all) {
        TcpConnection &c = *it->second;
        if (!c.isClosed()) {
            flushBoth(c, c.lastTsNs);
            // Both FINs seen: the connection did close, even if bytes before a FIN were
            // lost (they are reported as gaps by the flush).
            const bool bothFins = c.half[0].finSeen() && c.half[1].finSeen();
            close(c, bothFins ? CloseReason::Fin : CloseReason::EndOfCapture,
                  bothFins ? ConnectionState::Closed : c.state, c.lastTsNs);
        }
    }
    for (auto it : all)
        remove(it);
}

} // namespace podtap
