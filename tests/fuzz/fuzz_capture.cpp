// libFuzzer target: a pcap/pcapng byte stream through the whole capture engine (stream
// reader, decoder, BPF filter, tracker, reassembler), fed in random chunks as the exec
// WebSocket would cut it.
//
// Input layout: byte 0 seeds the chunk sizes; byte 1 holds option bits (a new stream
// mid-input, a display filter, tiny buffer caps, a tapped port, short timeouts); byte 2
// places the stream break and picks the filter; the rest is the capture. Inputs shorter
// than 3 bytes are fed whole with no options, so raw capture files work as seeds too.
//
// The sink reads every delivered byte and checks the engine's own promises: events arrive
// in order per connection (opened, data/gaps, closed, removed) and the delivered and gap
// byte counts equal the statistics reported at removal. A broken promise aborts.

#include "capture/captureengine.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

using namespace podtap;

namespace {

[[noreturn]] void broken(const char *what)
{
    std::fprintf(stderr, "fuzz_capture: engine broke a promise: %s\n", what);
    std::abort();
}

// Per-connection state the sink keeps through TcpConnection::userData.
struct Seen
{
    std::uint64_t bytes[2] = {0, 0};
    std::uint64_t gapBytes[2] = {0, 0};
    bool closed = false;
};

class CheckingSink : public CaptureSink
{
public:
    void connectionOpened(TcpConnection &c) override
    {
        if (c.userData)
            broken("connectionOpened twice");
        c.userData = new Seen;
        ++m_open;
    }
    void packet(TcpConnection &c, Direction, const TcpSegment &s, const RawPacket &p) override
    {
        live(c);
        if (s.payloadCaptured > s.payloadLength)
            broken("payloadCaptured > payloadLength");
        if (s.payloadCaptured
            && (s.payload < p.data || s.payload + s.payloadCaptured > p.data + p.caplen))
            broken("payload outside the packet");
        for (std::uint32_t i = 0; i < s.payloadCaptured; ++i)
            m_checksum += s.payload[i];
    }
    void data(TcpConnection &c, Direction d, const std::uint8_t *bytes, std::size_t size,
              std::int64_t) override
    {
        Seen &s = live(c);
        if (s.closed)
            broken("data after connectionClosed");
        if (size == 0)
            broken("empty data event");
        for (std::size_t i = 0; i < size; ++i) // touch every byte: ASan checks each read
            m_checksum += bytes[i];
        s.bytes[std::size_t(d)] += size;
    }
    void gap(TcpConnection &c, Direction d, std::uint64_t bytes, std::int64_t) override
    {
        Seen &s = live(c);
        if (s.closed)
            broken("gap after connectionClosed");
        if (bytes == 0)
            broken("empty gap event");
        s.gapBytes[std::size_t(d)] += bytes;
    }
    void connectionClosed(TcpConnection &c) override
    {
        Seen &s = live(c);
        if (s.closed)
            broken("connectionClosed twice");
        s.closed = true;
    }
    void connectionRemoved(TcpConnection &c) override
    {
        Seen &s = live(c);
        if (!s.closed)
            broken("connectionRemoved before connectionClosed");
        for (int d = 0; d < 2; ++d) {
            if (s.bytes[d] != c.stats[d].bytes)
                broken("delivered bytes differ from stats.bytes");
            if (s.gapBytes[d] != c.stats[d].gapBytes)
                broken("gap events differ from stats.gapBytes");
        }
        delete &s;
        c.userData = nullptr;
        --m_open;
    }

    std::uint64_t open() const { return m_open; }
    std::uint64_t checksum() const { return m_checksum; }

private:
    static Seen &live(TcpConnection &c)
    {
        if (!c.userData)
            broken("event for a connection never opened or already removed");
        return *static_cast<Seen *>(c.userData);
    }

    std::uint64_t m_open = 0;
    std::uint64_t m_checksum = 0;
};

const char *const Filters[] = {
        "tcp",
        "tcp port 80 or tcp port 8080",
        "ip6 and tcp",
        "vlan and tcp",
        "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
        "host 198.18.0.1",
        "not tcp port 22",
        "ip[6:2] & 0x1fff = 0",
        "tcp and (", // a syntax error: libpcap's message, nothing else
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    std::uint8_t seed = 0, options = 0, where = 0;
    if (size >= 3 && data[0] != 0xd4 && data[0] != 0xa1 && data[0] != 0x4d && data[0] != 0x0a) {
        // Not a raw capture file: the first three bytes are parameters.
        seed = data[0];
        options = data[1];
        where = data[2];
        data += 3;
        size -= 3;
    }

    EngineConfig config;
    if (options & 0x04) {
        // Tiny caps and timeouts drive the cap, hole and eviction paths.
        config.perConnectionBufferCap = 512;
        config.globalBufferCap = 2048;
        config.maxConnections = 3;
        config.holeTimeoutNs = 1000;
        config.idleTimeoutNs = 1000000;
        config.closedLingerNs = 1000;
    }
    if (options & 0x08)
        config.tappedPort = 8080;

    CheckingSink sink;
    {
        CaptureEngine engine(config);
        engine.setSink(&sink);
        if (options & 0x02)
            engine.setFilter(Filters[where % (sizeof(Filters) / sizeof(Filters[0]))]);

        // Optionally a second stream starts partway (a reconnect): the same bytes again
        // from `split`, so the second stream begins with a proper header when the first did.
        const std::size_t split = (options & 0x01) && size ? (size * where) / 256 : size;

        std::minstd_rand rng(seed);
        auto feed = [&](const std::uint8_t *p, std::size_t n) {
            std::size_t pos = 0;
            while (pos < n) {
                std::size_t chunk;
                switch (rng() % 4) {
                case 0:
                    chunk = 1 + rng() % 4;
                    break;
                case 1:
                    chunk = 1 + rng() % 64;
                    break;
                case 2:
                    chunk = 1 + rng() % 2048;
                    break;
                default:
                    chunk = n - pos;
                    break;
                }
                chunk = std::min(chunk, n - pos);
                engine.feed(p + pos, chunk);
                pos += chunk;
            }
        };
        feed(data, split);
        if (split < size) {
            engine.beginStream();
            feed(data, size); // the whole input again as the new stream
            if (options & 0x10)
                engine.advanceTime(std::int64_t(where) << 40); // far in the future
        }
        engine.finish();
        if (sink.open() != 0)
            broken("connections left open after finish()");
        // The engine's stream bookkeeping must add up.
        if (engine.reader().bytesFed() != split + (split < size ? size : 0))
            broken("bytesFed differs from the bytes fed");
    }
    // Keep the checksum observable so the byte reads are not optimised away.
    volatile std::uint64_t sinkhole = sink.checksum();
    (void)sinkhole;
    return 0;
}
