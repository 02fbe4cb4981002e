// HTTP parsing and pairing (HttpSink) on a many-connection HTTP capture against the
// capture engine alone, in the same process over the same file.
//
//   podtap-bench-http [--dir DIR] [--repeat N] [--chunk BYTES] [--connections N] [--small]
//                     [--keep BYTES] [--capture LABEL=FILE]...
//
// Without --capture it writes (once, cached in DIR, default /tmp/podtap-bench) a synthetic
// capture of N connections (default 4,000; --small 200), 64 open at a time with their
// packets interleaved, as tcpdump would see them on a busy pod: keep-alive (1-6 requests per
// connection), every fifth connection pipelined (all requests in one write), GETs and JSON
// POSTs, responses of 200 B .. 36 KB (mean ~18 KB, like bench_engine's http capture) with
// Content-Length or (every third) chunked in 4 KiB chunks, 1,448-byte segments and an ACK
// every second segment. When bench_engine's real tcpdump capture (DIR/http-veth.pcap, one
// request per connection) exists it is measured too.
//
// For each capture, each variant runs N times (median reported), fed 64 KiB read() chunks
// from page cache: the engine with a sink computing nothing, and the engine with HttpSink
// (both directions parsed, requests paired with responses, every exchange handed to a
// counting callback). Ratio = HTTP MB/s / engine MB/s; target 0.5. HttpSink keeps the
// daemon's limits (HttpParser::Limits defaults: 64 KiB of each body kept) unless --keep says
// otherwise.

#include "benchsupport.h"
#include "capture/captureengine.h"
#include "http/httpsink.h"

#include <QByteArray>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace podtap;
using namespace podtap::bench;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char *Tool = "podtap-bench-http";
constexpr double Target = 0.5;

struct Options
{
    std::string dir = "/tmp/podtap-bench";
    int repeat = 5;
    std::size_t chunk = 64 * 1024;
    int connections = 4000;
    bool small = false;
    HttpParser::Limits limits;
    std::vector<std::pair<std::string, std::string>> captures;
};

[[noreturn]] void fail(const std::string &what)
{
    std::fprintf(stderr, "%s: %s\n", Tool, what.c_str());
    std::exit(1);
}

std::uint64_t fileSize(const std::string &path)
{
    struct stat st
    {
    };
    return ::stat(path.c_str(), &st) == 0 ? std::uint64_t(st.st_size) : 0;
}

// ------------------------------------------------------------------ the synthetic capture

// One TCP packet of a connection, queued until its turn.
struct Pkt
{
    bool fromClient;
    std::uint8_t flags;
    std::string payload;
};

class HttpTraffic
{
public:
    HttpTraffic(int connections, int concurrent)
        : m_total(std::uint64_t(connections))
        , m_slots(std::size_t(std::max(1, concurrent)))
        , m_random(randomBytes(64 * 1024, 7))
    {
        m_synth.header();
        for (Slot &s : m_slots)
            renew(s);
    }

    // Writes the whole capture to `path`.
    void write(const std::string &path)
    {
        const std::string part = path + ".part";
        FILE *f = std::fopen(part.c_str(), "wb");
        if (!f)
            fail("cannot write " + part);
        bool live = true;
        while (live) {
            live = false;
            for (Slot &s : m_slots) {
                if (s.next < s.packets.size()) {
                    const Pkt &p = s.packets[s.next++];
                    m_synth.packet(s.flow, p.fromClient, p.flags,
                                   reinterpret_cast<const std::uint8_t *>(p.payload.data()),
                                   p.payload.size());
                    if (s.next == s.packets.size())
                        renew(s);
                }
                live = live || s.next < s.packets.size();
            }
            std::vector<std::uint8_t> &out = m_synth.buffer();
            if (out.size() > (1u << 20) || !live) {
                if (std::fwrite(out.data(), 1, out.size(), f) != out.size())
                    fail("cannot write " + part);
                out.clear();
            }
        }
        if (std::fclose(f) != 0 || std::rename(part.c_str(), path.c_str()) != 0)
            fail("cannot write " + path);
    }

private:
    struct Slot
    {
        SynthFlow flow;
        std::vector<Pkt> packets;
        std::size_t next = 0;
    };

    void renew(Slot &s)
    {
        s.packets.clear();
        s.next = 0;
        if (m_started >= m_total)
            return;
        const std::uint64_t n = m_started++;
        s.flow = SynthFlow{};
        s.flow.clientIp = 0x0a000000u + std::uint32_t(n / 50000);
        s.flow.clientPort = std::uint16_t(10000 + n % 50000);
        s.flow.clientSeq = std::uint32_t(n * 2654435761u);
        s.flow.serverSeq = std::uint32_t(~n * 40503u);
        script(n, s.packets);
    }

    // Payload cut into MSS-sized segments, the receiver ACKing every second one.
    static void send(std::vector<Pkt> &out, bool fromClient, const std::string &bytes)
    {
        constexpr std::size_t Mss = 1448;
        int segments = 0;
        for (std::size_t at = 0; at < bytes.size(); at += Mss) {
            out.push_back({fromClient, 0x18, bytes.substr(at, Mss)}); // PSH|ACK
            if (++segments % 2 == 0)
                out.push_back({!fromClient, 0x10, {}});
        }
        if (segments % 2)
            out.push_back({!fromClient, 0x10, {}});
    }

    std::string request(std::uint64_t n, int i)
    {
        const std::uint64_t id = (n * 31 + std::uint64_t(i) * 7) % 100000;
        if ((n + std::uint64_t(i)) % 4 == 3) {
            std::string body = R"({"order":{"id":)" + std::to_string(id)
                               + R"(,"items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}],)"
                                 R"("customer":{"name":"Ann Example","email":"ann@example.org"},)"
                                 R"("note":")"
                               + std::string(120 + id % 200, 'x') + R"("}})";
            return "POST /api/v1/orders/" + std::to_string(id)
                   + " HTTP/1.1\r\nHost: shop.bench.svc:8080\r\nUser-Agent: podtap-bench/1\r\n"
                     "Accept: application/json\r\nContent-Type: application/json\r\n"
                     "X-Request-Id: 5f0c"
                   + std::to_string(n) + "-" + std::to_string(i)
                   + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        }
        return "GET /api/v1/items/" + std::to_string(id) + "?page=" + std::to_string(i)
               + " HTTP/1.1\r\nHost: shop.bench.svc:8080\r\nUser-Agent: podtap-bench/1\r\n"
                 "Accept: */*\r\nAccept-Encoding: identity\r\nX-Request-Id: 5f0c"
               + std::to_string(n) + "-" + std::to_string(i) + "\r\n\r\n";
    }

    std::string response(std::uint64_t n, int i)
    {
        // Sizes 200 B .. 36 KB, mean ~18 KB, as in bench_engine's http capture.
        const std::size_t size
                = 200 + std::size_t((n * 4 + std::uint64_t(i)) * 2654435761u % 36000);
        const std::size_t from
                = std::size_t(n * 977 + std::uint64_t(i) * 131) % (m_random.size() - size);
        const std::string body(reinterpret_cast<const char *>(m_random.data()) + from, size);
        const bool notFound = (n + std::uint64_t(i)) % 23 == 0;
        std::string head
                = std::string(notFound ? "HTTP/1.1 404 Not Found" : "HTTP/1.1 200 OK")
                  + "\r\nServer: bench\r\nDate: Sun, 23 Nov 2025 10:00:00 GMT\r\n"
                    "Content-Type: application/octet-stream\r\nCache-Control: no-store\r\n";
        if ((n + std::uint64_t(i)) % 3 != 0)
            return head + "Content-Length: " + std::to_string(size) + "\r\n\r\n" + body;
        std::string out = head + "Transfer-Encoding: chunked\r\n\r\n";
        for (std::size_t at = 0; at < size; at += 4096) {
            const std::size_t len = std::min<std::size_t>(4096, size - at);
            char line[16];
            std::snprintf(line, sizeof line, "%zx\r\n", len);
            out += line + body.substr(at, len) + "\r\n";
        }
        return out + "0\r\n\r\n";
    }

    void script(std::uint64_t n, std::vector<Pkt> &out)
    {
        out.push_back({true, 0x02, {}});  // SYN
        out.push_back({false, 0x12, {}}); // SYN|ACK
        out.push_back({true, 0x10, {}});  // ACK
        const int count = 1 + int(n % 6);
        if (n % 5 == 0) { // pipelined: all requests in one write, then all answers
            std::string requests, responses;
            for (int i = 0; i < count; ++i)
                requests += request(n, i);
            for (int i = 0; i < count; ++i)
                responses += response(n, i);
            send(out, true, requests);
            send(out, false, responses);
        } else {
            for (int i = 0; i < count; ++i) {
                send(out, true, request(n, i));
                send(out, false, response(n, i));
            }
        }
        out.push_back({true, 0x11, {}});  // FIN|ACK
        out.push_back({false, 0x11, {}}); // FIN|ACK
        out.push_back({true, 0x10, {}});  // ACK
    }

    PcapSynth m_synth{20000};
    std::uint64_t m_total;
    std::vector<Slot> m_slots;
    std::vector<std::uint8_t> m_random;
    std::uint64_t m_started = 0;
};

// ------------------------------------------------------------------ measurement

class NullSink : public CaptureSink
{
public:
    void connectionRemoved(TcpConnection &c) override
    {
        ++connections;
        for (const DirectionStats &s : c.stats)
            bytes += s.bytes;
    }
    std::uint64_t connections = 0, bytes = 0;
};

struct Run
{
    double seconds = 0;
    double cpu = 0; // user + system: less disturbed than wall time by a busy machine
    std::uint64_t connections = 0, exchanges = 0, answered = 0, incomplete = 0, bodyBytes = 0;
    HttpSink::Stats stats;
};

void warm(const std::string &path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail("cannot open " + path);
    std::vector<char> buf(1 << 20);
    while (::read(fd, buf.data(), buf.size()) > 0) {
    }
    ::close(fd);
}

// The file through an engine whose sink is `sink`, in `chunk`-sized reads.
double feed(const std::string &path, std::size_t chunk, CaptureSink *sink, double *cpu)
{
    const double cpu0 = cpuSeconds();
    const auto t0 = Clock::now();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail("cannot open " + path);
    {
        CaptureEngine engine;
        engine.setSink(sink);
        std::vector<std::uint8_t> buf(chunk);
        ssize_t n;
        while ((n = ::read(fd, buf.data(), buf.size())) > 0)
            engine.feed(buf.data(), std::size_t(n));
        engine.finish();
    }
    ::close(fd);
    *cpu = cpuSeconds() - cpu0;
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

Run engineAlone(const std::string &path, std::size_t chunk)
{
    NullSink sink;
    Run r;
    r.seconds = feed(path, chunk, &sink, &r.cpu);
    r.connections = sink.connections;
    return r;
}

Run engineWithHttp(const std::string &path, std::size_t chunk, const HttpParser::Limits &limits)
{
    Run r;
    HttpSink sink(
            [&r](const TcpConnection &, HttpExchange &&x) {
                ++r.exchanges;
                r.answered += x.hasResponse ? 1 : 0;
                r.bodyBytes += x.request.bodyBytes + x.response.bodyBytes;
            },
            limits);
    r.seconds = feed(path, chunk, &sink, &r.cpu);
    r.stats = sink.stats();
    r.connections = r.stats.httpConnections + r.stats.otherConnections;
    return r;
}

// Returns false when the exchange count is not the expected one.
bool measure(const std::string &label, const std::string &path, const Options &o,
             std::uint64_t expectedExchanges)
{
    const double mb = double(fileSize(path)) / 1e6;
    if (mb == 0)
        fail("empty or missing capture " + path);
    warm(path);
    std::vector<double> engine, http, engineCpu, httpCpu;
    Run last;
    std::uint64_t connections = 0;
    for (int i = 0; i < o.repeat; ++i) {
        const Run e = engineAlone(path, o.chunk);
        engine.push_back(e.seconds);
        engineCpu.push_back(e.cpu);
        connections = e.connections;
        last = engineWithHttp(path, o.chunk, o.limits);
        http.push_back(last.seconds);
        httpCpu.push_back(last.cpu);
    }
    const double te = median(engine), th = median(http);
    const double ce = median(engineCpu), ch = median(httpCpu);
    const double ratio = te / th;
    std::printf("\n%s: %s, %.1f MB, %" PRIu64 " connections\n", label.c_str(), path.c_str(), mb,
                connections);
    std::printf("  %-22s %9s %9s %9s   (median of %d)\n", "variant", "seconds", "MB/s", "CPU s",
                o.repeat);
    std::printf("  %-22s %9.3f %9.0f %9.3f\n", "engine alone", te, mb / te, ce);
    std::printf("  %-22s %9.3f %9.0f %9.3f   %.0f exchanges/s\n", "engine + HttpSink", th, mb / th,
                ch, double(last.exchanges) / th);
    std::printf("  http/engine ratio %.2f   target %.1f: %s   (by CPU time %.2f)\n", ratio, Target,
                ratio >= Target ? "PASS" : "FAIL", ch > 0 ? ce / ch : 0.0);
    const HttpSink::Stats &s = last.stats;
    std::printf("  http: %llu HTTP connections, %llu other, %" PRIu64 " exchanges (%" PRIu64
                " answered), %llu incomplete messages, %llu broken connections, %.1f MB of "
                "bodies\n",
                s.httpConnections, s.otherConnections, last.exchanges, last.answered,
                s.incompleteMessages, s.brokenConnections, double(last.bodyBytes) / 1e6);
    if (expectedExchanges == 0)
        return true;
    const bool match = last.exchanges == expectedExchanges && last.answered == expectedExchanges
                       && s.incompleteMessages == 0 && s.brokenConnections == 0;
    if (!match)
        std::printf("  WARNING: expected %" PRIu64 " complete answered exchanges\n",
                    expectedExchanges);
    return match;
}

} // namespace

int main(int argc, char **argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                fail(a + " needs a value");
            return argv[++i];
        };
        if (a == "--dir")
            o.dir = value();
        else if (a == "--repeat")
            o.repeat = std::max(1, std::atoi(value().c_str()));
        else if (a == "--chunk")
            o.chunk = std::max<std::size_t>(1, std::strtoull(value().c_str(), nullptr, 10));
        else if (a == "--connections")
            o.connections = std::max(1, std::atoi(value().c_str()));
        else if (a == "--small")
            o.small = true;
        else if (a == "--keep")
            o.limits.keepBodyBytes = std::strtoull(value().c_str(), nullptr, 10);
        else if (a == "--capture") {
            const std::string v = value();
            const auto eq = v.find('=');
            if (eq == std::string::npos)
                fail("--capture wants LABEL=FILE");
            o.captures.emplace_back(v.substr(0, eq), v.substr(eq + 1));
        } else {
            std::printf("usage: %s [--dir DIR] [--repeat N] [--chunk BYTES] [--connections N] "
                        "[--small] [--keep BYTES] [--capture LABEL=FILE]...\n",
                        argv[0]);
            return a == "--help" ? 0 : 2;
        }
    }
    if (o.small)
        o.connections = std::min(o.connections, 200);

    bool ok = true;
    std::printf("%s: chunk %zu bytes, %d runs per variant, %zu bytes of each body kept\n", Tool,
                o.chunk, o.repeat, o.limits.keepBodyBytes);
    if (o.captures.empty()) {
        ::mkdir(o.dir.c_str(), 0700);
        // The name carries the generator's version and size: a changed generator regenerates.
        const std::string synth
                = o.dir + "/http-mixed-v1-" + std::to_string(o.connections) + ".pcap";
        if (fileSize(synth) == 0) {
            std::printf("generating %s: %d connections...\n", synth.c_str(), o.connections);
            std::fflush(stdout);
            HttpTraffic(o.connections, 64).write(synth);
        }
        std::uint64_t requests = 0; // 1-6 per connection, as script() writes them
        for (std::uint64_t n = 0; n < std::uint64_t(o.connections); ++n)
            requests += 1 + n % 6;
        ok = measure("http-mixed", synth, o, requests) && ok;
        const std::string real = o.dir + "/http-veth.pcap";
        if (!o.small && fileSize(real) > 0)
            ok = measure("http-veth (bench_engine's tcpdump capture)", real, o, 0) && ok;
    } else {
        for (const auto &[label, path] : o.captures)
            ok = measure(label, path, o, 0) && ok;
    }
    std::printf("\n%s\n", ok ? "benchmark ran: exchange counts match"
                             : "benchmark ran: EXCHANGE COUNTS DIFFER");
    return ok ? 0 : 1;
}
