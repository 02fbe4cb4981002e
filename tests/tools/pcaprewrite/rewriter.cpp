#include "rewriter.h"

#include <algorithm>
#include <cstdint>
#include <sstream>

namespace pcaprewrite {

namespace {

std::string keyOf(const Packet &p)
{
    return p.src < p.dst ? p.src + '|' + p.dst : p.dst + '|' + p.src;
}

bool isData(const Packet &p)
{
    return p.tcp && p.payloadLen > 0 && (p.flags() & (SYN | FIN | RST)) == 0;
}

using Ranges = std::vector<std::pair<std::int64_t, std::int64_t>>;

Ranges merged(Ranges r)
{
    std::sort(r.begin(), r.end());
    Ranges out;
    for (const auto &x : r) {
        if (!out.empty() && x.first <= out.back().second)
            out.back().second = std::max(out.back().second, x.second);
        else
            out.push_back(x);
    }
    return out;
}

std::int64_t measure(const Ranges &r)
{
    std::int64_t n = 0;
    for (const auto &x : r)
        n += x.second - x.first;
    return n;
}

// a minus b, both merged.
Ranges subtract(const Ranges &a, const Ranges &b)
{
    Ranges out;
    for (auto x : a) {
        for (const auto &y : b) {
            if (y.second <= x.first || y.first >= x.second)
                continue;
            if (y.first > x.first)
                out.push_back({x.first, y.first});
            x.first = std::max(x.first, y.second);
            if (x.first >= x.second)
                break;
        }
        if (x.first < x.second)
            out.push_back(x);
    }
    return out;
}

} // namespace

Rewriter::Rewriter(int linkType, std::vector<Packet> packets, std::uint64_t seed)
    : m_linkType(linkType)
    , m_packets(std::move(packets))
    , m_rng(seed)
{
    for (auto &p : m_packets)
        decode(m_linkType, p);
    indexConnections();
}

void Rewriter::indexConnections()
{
    // Client: the sender of a SYN without ACK; else the sender of the first packet seen.
    for (const auto &p : m_packets) {
        if (!p.tcp)
            continue;
        const std::string key = keyOf(p);
        auto it = m_connections.find(key);
        if (it == m_connections.end()) {
            Connection c;
            c.client = p.src;
            c.server = p.dst;
            it = m_connections.emplace(key, c).first;
            m_order.push_back(key);
        }
        Connection &c = it->second;
        if ((p.flags() & (SYN | ACK)) == SYN && !c.sawSyn) {
            c.sawSyn = true;
            if (c.client != p.src) {
                std::swap(c.client, c.server);
                std::swap(c.dir[0], c.dir[1]);
            }
        }
        Direction &d = c.dir[p.src == c.client ? 0 : 1];
        if (p.flags() & SYN) {
            d.haveBase = true;
            d.isn = p.seq();
            d.base = p.seq() + 1;
        } else if (!d.haveBase) {
            d.haveBase = true;
            d.base = p.seq();
            d.isn = p.seq() - 1;
        }
    }
}

Rewriter::Connection *Rewriter::find(const Packet &p, int *direction)
{
    auto it = m_connections.find(keyOf(p));
    if (it == m_connections.end())
        return nullptr;
    *direction = p.src == it->second.client ? 0 : 1;
    return &it->second;
}

const Rewriter::Connection *Rewriter::find(const Packet &p, int *direction) const
{
    return const_cast<Rewriter *>(this)->find(p, direction);
}

bool Rewriter::chance(double p)
{
    return std::uniform_real_distribution<double>(0, 1)(m_rng) < p;
}

std::int64_t Rewriter::relative(const Direction &d, std::uint32_t seq) const
{
    return std::int64_t(std::int32_t(seq - d.base));
}

void Rewriter::shiftIsn(std::uint32_t delta)
{
    for (auto &p : m_packets) {
        int dir = 0;
        if (!p.tcp || !find(p, &dir))
            continue;
        if (dir == 0) {
            p.setSeq(p.seq() + delta);
        } else {
            if (p.flags() & ACK)
                p.setAck(p.ack() + delta);
            p.shiftSackEdges(delta);
        }
        ++m_counts["shifted"];
    }
    for (auto &[key, c] : m_connections) {
        c.dir[0].base += delta;
        c.dir[0].isn += delta;
    }
}

void Rewriter::wrapIsn(std::uint32_t before)
{
    // Per connection and direction: delta so that the ISN becomes 2^32 - before.
    for (auto &p : m_packets) {
        int dir = 0;
        Connection *c = p.tcp ? find(p, &dir) : nullptr;
        if (!c)
            continue;
        const std::uint32_t own = std::uint32_t(0) - before - c->dir[dir].isn;
        const std::uint32_t peer = std::uint32_t(0) - before - c->dir[1 - dir].isn;
        p.setSeq(p.seq() + own);
        if (p.flags() & ACK)
            p.setAck(p.ack() + peer);
        p.shiftSackEdges(peer);
        ++m_counts["wrapped"];
    }
    for (auto &[key, c] : m_connections) {
        for (auto &d : c.dir) {
            const std::uint32_t delta = std::uint32_t(0) - before - d.isn;
            d.isn += delta;
            d.base += delta;
        }
    }
}

void Rewriter::split(double p)
{
    std::vector<Packet> out;
    out.reserve(m_packets.size() * 2);
    for (auto &pkt : m_packets) {
        if (!isData(pkt) || !pkt.complete || pkt.payloadLen < 2 || !chance(p)) {
            out.push_back(std::move(pkt));
            continue;
        }
        const std::uint32_t len = pkt.payloadLen;
        const std::uint32_t k = 1 + std::uint32_t(m_rng() % (len - 1));
        const std::vector<std::uint8_t> bytes(pkt.data.begin() + std::ptrdiff_t(pkt.payload),
                                              pkt.data.begin() + std::ptrdiff_t(pkt.payload + len));
        Packet first = pkt;
        first.setPayload(bytes.data(), k);
        first.setFlags(std::uint8_t(first.flags() & ~PSH));
        Packet second = pkt;
        second.setPayload(bytes.data() + k, len - k);
        second.setSeq(pkt.seq() + k);
        out.push_back(std::move(first));
        out.push_back(std::move(second));
        ++m_counts["split"];
    }
    m_packets = std::move(out);
}

void Rewriter::overlap(double p)
{
    std::vector<std::pair<std::size_t, Packet>> inserts; // insert after index
    for (std::size_t i = 0; i < m_packets.size(); ++i) {
        const Packet &a = m_packets[i];
        if (!isData(a) || !a.complete || !chance(p))
            continue;
        const std::uint32_t end = a.seq() + a.payloadLen;
        const std::uint8_t *ab = a.data.data() + a.payload;
        std::size_t j = i + 1;
        for (; j < m_packets.size() && j < i + 64; ++j) {
            const Packet &b = m_packets[j];
            if (isData(b) && b.complete && b.src == a.src && b.dst == a.dst && b.seq() == end)
                break;
        }
        Packet copy = a;
        std::vector<std::uint8_t> bytes;
        std::uint32_t seq = 0;
        std::size_t after = i;
        if (j < m_packets.size() && j < i + 64) {
            // Tail of a + head of b: crosses the segment boundary.
            const Packet &b = m_packets[j];
            const std::uint32_t k = 1 + std::uint32_t(m_rng() % a.payloadLen);
            const std::uint32_t m = 1 + std::uint32_t(m_rng() % b.payloadLen);
            bytes.assign(ab + (a.payloadLen - k), ab + a.payloadLen);
            bytes.insert(bytes.end(), b.data.data() + b.payload, b.data.data() + b.payload + m);
            seq = end - k;
            after = j;
            ++m_counts["overlap_across"];
        } else {
            const std::uint32_t from = std::uint32_t(m_rng() % a.payloadLen);
            const std::uint32_t n = 1 + std::uint32_t(m_rng() % (a.payloadLen - from));
            bytes.assign(ab + from, ab + from + n);
            seq = a.seq() + from;
            ++m_counts["overlap_within"];
        }
        if (bytes.size() > 65000)
            bytes.resize(65000);
        copy.setPayload(bytes.data(), std::uint32_t(bytes.size()));
        copy.setSeq(seq);
        copy.setFlags(std::uint8_t((copy.flags() & ACK) | PSH));
        copy.tsSec = m_packets[after].tsSec;
        copy.tsFrac = m_packets[after].tsFrac;
        inserts.emplace_back(after, std::move(copy));
    }
    std::vector<Packet> out;
    out.reserve(m_packets.size() + inserts.size());
    std::stable_sort(inserts.begin(), inserts.end(),
                     [](const auto &x, const auto &y) { return x.first < y.first; });
    std::size_t k = 0;
    for (std::size_t i = 0; i < m_packets.size(); ++i) {
        out.push_back(std::move(m_packets[i]));
        while (k < inserts.size() && inserts[k].first == i)
            out.push_back(std::move(inserts[k++].second));
    }
    m_packets = std::move(out);
}

void Rewriter::dropData(double p)
{
    m_dropped = true;
    std::vector<Packet> out;
    out.reserve(m_packets.size());
    for (auto &pkt : m_packets) {
        int dir = 0;
        Connection *c = pkt.tcp ? find(pkt, &dir) : nullptr;
        if (!c || pkt.payloadLen == 0) {
            out.push_back(std::move(pkt));
            continue;
        }
        Direction &d = c->dir[dir];
        const std::int64_t from = relative(d, pkt.seq());
        const std::pair<std::int64_t, std::int64_t> range{from, from + pkt.payloadLen};
        // Only plain data segments are dropped: SYN/FIN/RST carry state the test relies on.
        if (isData(pkt) && chance(p)) {
            d.dropped.push_back(range);
            ++d.droppedPackets;
            ++m_counts["dropped"];
            continue;
        }
        d.kept.push_back(range);
        out.push_back(std::move(pkt));
    }
    m_packets = std::move(out);
}

void Rewriter::dropChosen(std::uint16_t port, const std::vector<std::uint64_t> &ordinals, bool syn)
{
    m_dropped = true;
    const std::string suffix = ":" + std::to_string(port);
    auto toPort = [&](const Packet &p) {
        return p.dst.size() > suffix.size()
               && p.dst.compare(p.dst.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    std::uint64_t ordinal = 0;
    std::vector<Packet> out;
    out.reserve(m_packets.size());
    for (auto &pkt : m_packets) {
        int dir = 0;
        Connection *c = pkt.tcp ? find(pkt, &dir) : nullptr;
        if (!c || !toPort(pkt)) {
            out.push_back(std::move(pkt));
            continue;
        }
        Direction &d = c->dir[dir];
        const std::int64_t from = relative(d, pkt.seq());
        const std::pair<std::int64_t, std::int64_t> range{from, from + pkt.payloadLen};
        bool drop = false;
        DroppedPacket info;
        if (syn && (pkt.flags() & (SYN | ACK)) == SYN) {
            drop = true;
            info.syn = true;
        } else if (pkt.payloadLen > 0) {
            info.ordinal = ordinal;
            drop = std::find(ordinals.begin(), ordinals.end(), ordinal) != ordinals.end();
            ++ordinal;
        }
        if (drop) {
            info.client = pkt.src;
            info.offset = pkt.payloadLen > 0 ? from : 0;
            info.length = pkt.payloadLen;
            m_droppedList.push_back(info);
            if (pkt.payloadLen > 0) {
                d.dropped.push_back(range);
                ++d.droppedPackets;
            }
            ++m_counts[info.syn ? "dropped_syn" : "dropped"];
            continue;
        }
        if (pkt.payloadLen > 0)
            d.kept.push_back(range);
        out.push_back(std::move(pkt));
    }
    m_counts["eligible"] = ordinal;
    m_packets = std::move(out);
}

void Rewriter::retransmitLater(double p, std::size_t distance)
{
    std::vector<std::pair<std::size_t, Packet>> moved; // re-insert after this many kept packets
    std::vector<Packet> out;
    out.reserve(m_packets.size());
    for (auto &pkt : m_packets) {
        if (isData(pkt) && chance(p)) {
            moved.emplace_back(out.size() + distance, std::move(pkt));
            ++m_counts["retransmitted_later"];
            continue;
        }
        out.push_back(std::move(pkt));
    }
    // Each moved segment reappears `distance` records later, with that record's time.
    std::vector<Packet> result;
    result.reserve(out.size() + moved.size());
    std::size_t k = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        result.push_back(std::move(out[i]));
        while (k < moved.size() && moved[k].first <= i + 1) {
            moved[k].second.tsSec = result.back().tsSec;
            moved[k].second.tsFrac = result.back().tsFrac;
            result.push_back(std::move(moved[k++].second));
        }
    }
    while (k < moved.size())
        result.push_back(std::move(moved[k++].second));
    m_packets = std::move(result);
}

void Rewriter::duplicate(double p)
{
    std::vector<Packet> out;
    out.reserve(m_packets.size() * 2);
    for (auto &pkt : m_packets) {
        const bool dup = chance(p);
        out.push_back(std::move(pkt));
        if (dup) {
            out.push_back(out.back());
            ++m_counts["duplicated"];
        }
    }
    m_packets = std::move(out);
}

void Rewriter::permute(std::size_t window, bool pinFin)
{
    if (window < 2)
        return;
    // Causality a capture point can never reverse: nothing of a connection moves while its
    // handshake (first SYN and first SYN-ACK) or its first RST is in the same window.
    std::map<std::string, std::pair<std::size_t, std::size_t>> bounds; // handshake end, first RST
    for (std::size_t i = 0; i < m_packets.size(); ++i) {
        const Packet &p = m_packets[i];
        if (!p.tcp)
            continue;
        auto [it, fresh] = bounds.try_emplace(keyOf(p), 0, SIZE_MAX);
        if ((p.flags() & SYN) && (fresh || it->second.first == 0 || i < it->second.first + window))
            it->second.first = std::max(it->second.first, i + 1);
        if ((p.flags() & RST) && it->second.second == SIZE_MAX)
            it->second.second = i;
    }
    for (std::size_t start = 0; start < m_packets.size(); start += window) {
        const std::size_t end = std::min(m_packets.size(), start + window);
        std::vector<std::size_t> slots;
        for (std::size_t i = start; i < end; ++i) {
            const Packet &p = m_packets[i];
            if (!p.tcp) {
                slots.push_back(i);
                continue;
            }
            const std::uint8_t pinned = pinFin ? (SYN | RST | FIN) : (SYN | RST);
            const auto &b = bounds[keyOf(p)];
            if ((p.flags() & pinned) == 0 && b.first <= start && b.second >= end)
                slots.push_back(i);
        }
        std::vector<std::size_t> order = slots;
        std::shuffle(order.begin(), order.end(), m_rng);
        std::vector<Packet> moved;
        moved.reserve(order.size());
        for (std::size_t i : order)
            moved.push_back(m_packets[i]);
        for (std::size_t n = 0; n < slots.size(); ++n) {
            // Timestamps stay with the slot so the file remains in time order.
            const std::int64_t s = m_packets[slots[n]].tsSec;
            const std::int64_t f = m_packets[slots[n]].tsFrac;
            if (order[n] != slots[n])
                ++m_counts["permuted"];
            m_packets[slots[n]] = std::move(moved[n]);
            m_packets[slots[n]].tsSec = s;
            m_packets[slots[n]].tsFrac = f;
        }
    }
}

void Rewriter::fixChecksums()
{
    for (auto &p : m_packets) {
        if (p.tcp && p.complete) {
            p.fixTcpChecksum();
            ++m_counts["checksums_fixed"];
        }
    }
}

std::string Rewriter::reportJson(std::size_t inputRecords) const
{
    std::ostringstream o;
    o << "{\"input_records\":" << inputRecords << ",\"output_records\":" << m_packets.size()
      << ",\"link_type\":" << m_linkType << ",\"operations\":{";
    bool first = true;
    for (const auto &[k, v] : m_counts) {
        o << (first ? "" : ",") << '"' << k << "\":" << v;
        first = false;
    }
    o << '}';
    if (!m_droppedList.empty()) {
        o << ",\"dropped_list\":[";
        for (std::size_t i = 0; i < m_droppedList.size(); ++i) {
            const DroppedPacket &d = m_droppedList[i];
            o << (i ? "," : "") << "{\"client\":\"" << d.client
              << "\",\"syn\":" << (d.syn ? "true" : "false") << ",\"ordinal\":" << d.ordinal
              << ",\"offset\":" << d.offset << ",\"length\":" << d.length << '}';
        }
        o << ']';
    }
    o << ",\"connections\":[";
    first = true;
    for (const auto &key : m_order) {
        const Connection &c = m_connections.at(key);
        o << (first ? "" : ",") << "{\"client\":\"" << c.client << "\",\"server\":\"" << c.server
          << "\",\"syn_seen\":" << (c.sawSyn ? "true" : "false");
        first = false;
        for (int d = 0; d < 2; ++d) {
            const Direction &dir = c.dir[d];
            const Ranges kept = merged(dir.kept);
            const Ranges dropped = merged(dir.dropped);
            const Ranges lost = subtract(dropped, kept);
            const Ranges all = merged([&] {
                Ranges r = dir.kept;
                r.insert(r.end(), dir.dropped.begin(), dir.dropped.end());
                return r;
            }());
            o << ",\"" << (d == 0 ? "c2s" : "s2c") << "\":{\"isn\":" << dir.isn;
            if (m_dropped) {
                o << ",\"total_bytes\":" << measure(all)
                  << ",\"dropped_packets\":" << dir.droppedPackets
                  << ",\"dropped_bytes\":" << measure(lost) << ",\"lost_ranges\":[";
                for (std::size_t i = 0; i < lost.size(); ++i)
                    o << (i ? "," : "") << '[' << lost[i].first << ','
                      << lost[i].second - lost[i].first << ']';
                o << ']';
            }
            o << '}';
        }
        o << '}';
    }
    o << "]}";
    return o.str();
}

} // namespace pcaprewrite
