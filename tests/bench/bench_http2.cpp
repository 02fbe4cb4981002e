// HTTP/2 decoding (HttpSink with HTTP/2 on: frames, HPACK through libnghttp2, streams,
// gRPC messages) on a many-connection h2c capture against the capture engine alone, in the
// same process over the same file.
//
//   podtap-bench-http2 [--dir DIR] [--repeat N] [--chunk BYTES] [--connections N] [--small]
//                      [--capture LABEL=FILE]...
//
// Without --capture it writes (once, cached in DIR, default /tmp/podtap-bench) a synthetic
// capture of N connections (default 2,000; --small 100), 32 open at a time with their
// packets interleaved: the preface and SETTINGS, then 1-12 streams per connection whose
// header blocks come from libnghttp2's HPACK deflater (one per direction, so the dynamic
// table is used as by real peers): REST GETs answered with 200 B .. 36 KB in DATA frames of
// at most 16 KiB, and every third stream a gRPC unary call (length-prefixed protobuf, grpc-status
// trailers). 1,448-byte segments, an ACK every second segment. Each variant runs N times
// (median reported); ratio = h2 MB/s / engine MB/s.

#include "benchsupport.h"
#include "capture/captureengine.h"
#include "http/httpsink.h"

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace podtap;
using namespace podtap::bench;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char *Tool = "podtap-bench-http2";

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

struct Pkt
{
    bool fromClient;
    std::uint8_t flags;
    std::string payload;
};

std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                  const std::string &payload)
{
    std::string f;
    const auto len = std::uint32_t(payload.size());
    f += char(len >> 16);
    f += char(len >> 8);
    f += char(len);
    f += char(type);
    f += char(flags);
    f += char(stream >> 24);
    f += char(stream >> 16);
    f += char(stream >> 8);
    f += char(stream);
    return f + payload;
}

class Deflater
{
public:
    Deflater() { nghttp2_hd_deflate_new(&m_d, 4096); }
    ~Deflater() { nghttp2_hd_deflate_del(m_d); }
    Deflater(const Deflater &) = delete;
    Deflater &operator=(const Deflater &) = delete;
    std::string block(const std::vector<std::pair<std::string, std::string>> &fields)
    {
        std::vector<nghttp2_nv> nv;
        for (const auto &[n, v] : fields)
            nv.push_back({reinterpret_cast<std::uint8_t *>(const_cast<char *>(n.data())),
                          reinterpret_cast<std::uint8_t *>(const_cast<char *>(v.data())), n.size(),
                          v.size(), NGHTTP2_NV_FLAG_NONE});
        std::string out(nghttp2_hd_deflate_bound(m_d, nv.data(), nv.size()), '\0');
        const auto n = nghttp2_hd_deflate_hd(m_d, reinterpret_cast<std::uint8_t *>(out.data()),
                                             out.size(), nv.data(), nv.size());
        if (n < 0)
            fail("nghttp2_hd_deflate_hd failed");
        out.resize(std::size_t(n));
        return out;
    }

private:
    nghttp2_hd_deflater *m_d = nullptr;
};

class H2Traffic
{
public:
    H2Traffic(int connections, int concurrent)
        : m_total(std::uint64_t(connections))
        , m_slots(std::size_t(std::max(1, concurrent)))
        , m_random(randomBytes(64 * 1024, 11))
    {
        m_synth.header();
        for (Slot &s : m_slots)
            renew(s);
    }

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

    static int streamsOf(std::uint64_t n) { return 1 + int(n % 12); }

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

    static void send(std::vector<Pkt> &out, bool fromClient, const std::string &bytes)
    {
        constexpr std::size_t Mss = 1448;
        int segments = 0;
        for (std::size_t at = 0; at < bytes.size(); at += Mss) {
            out.push_back({fromClient, 0x18, bytes.substr(at, Mss)});
            if (++segments % 2 == 0)
                out.push_back({!fromClient, 0x10, {}});
        }
        if (segments % 2)
            out.push_back({!fromClient, 0x10, {}});
    }

    static std::string grpcMessage(const std::string &pb)
    {
        std::string m(1, '\0');
        const auto len = std::uint32_t(pb.size());
        m += char(len >> 24);
        m += char(len >> 16);
        m += char(len >> 8);
        m += char(len);
        return m + pb;
    }

    void script(std::uint64_t n, std::vector<Pkt> &out)
    {
        out.push_back({true, 0x02, {}});
        out.push_back({false, 0x12, {}});
        out.push_back({true, 0x10, {}});
        Deflater client, server;
        const std::string settings = frame(4, 0, 0, std::string("\0\x03\0\0\0\x64", 6));
        send(out, true, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + settings);
        send(out, false, settings + frame(4, 1, 0, {}));
        const int count = streamsOf(n);
        for (int i = 0; i < count; ++i) {
            const std::uint32_t sid = std::uint32_t(2 * i + 1);
            const std::uint64_t id = (n * 31 + std::uint64_t(i) * 7) % 100000;
            if ((n + std::uint64_t(i)) % 3 == 0) {
                // gRPC unary: HelloRequest{1: name, 2: id}
                std::string pb = std::string(1, '\x0a') + char(12) + "customer-"
                                 + std::to_string(id % 1000).substr(0, 3);
                pb.resize(14, 'x');
                pb += '\x10';
                pb += char(id & 0x7f);
                send(out, true,
                     frame(1, 0x4, sid,
                           client.block({{":method", "POST"},
                                         {":scheme", "http"},
                                         {":authority", "shop.bench.svc:8080"},
                                         {":path", "/shop.v1.Orders/GetOrder"},
                                         {"content-type", "application/grpc"},
                                         {"te", "trailers"},
                                         {"grpc-timeout", "5S"},
                                         {"user-agent", "grpc-c++/1.51"}}))
                             + frame(0, 0x1, sid, grpcMessage(pb)));
                const std::size_t size = 100 + std::size_t(id % 2000);
                const std::string body(reinterpret_cast<const char *>(m_random.data()) + id % 30000,
                                       size);
                std::string reply = "\x0a";
                reply += char(0x80 | (size & 0x7f));
                reply += char(size >> 7);
                reply += body;
                // One block per statement: the deflater's blocks must stay in wire order.
                std::string answer = frame(
                        1, 0x4, sid,
                        server.block({{":status", "200"}, {"content-type", "application/grpc"}}));
                answer += frame(0, 0, sid, grpcMessage(reply));
                answer += frame(1, 0x5, sid,
                                server.block({{"grpc-status", "0"}, {"grpc-message", ""}}));
                send(out, false, answer);
            } else {
                send(out, true,
                     frame(1, 0x5, sid,
                           client.block({{":method", "GET"},
                                         {":scheme", "http"},
                                         {":authority", "shop.bench.svc:8080"},
                                         {":path", "/api/v1/items/" + std::to_string(id)
                                                           + "?page=" + std::to_string(i)},
                                         {"accept", "*/*"},
                                         {"user-agent", "podtap-bench/1"},
                                         {"x-request-id",
                                          "5f0c" + std::to_string(n) + "-" + std::to_string(i)}})));
                const std::size_t size
                        = 200 + std::size_t((n * 4 + std::uint64_t(i)) * 2654435761u % 36000);
                const std::size_t from
                        = std::size_t(n * 977 + std::uint64_t(i) * 131) % (m_random.size() - size);
                std::string resp = frame(1, 0x4, sid,
                                         server.block({{":status", "200"},
                                                       {"server", "bench"},
                                                       {"content-type", "application/json"},
                                                       {"content-length", std::to_string(size)}}));
                for (std::size_t at = 0; at < size; at += 16384) {
                    const std::size_t len = std::min<std::size_t>(16384, size - at);
                    resp += frame(
                            0, at + len == size ? 0x1 : 0, sid,
                            std::string(reinterpret_cast<const char *>(m_random.data()) + from + at,
                                        len));
                }
                send(out, false, resp);
            }
        }
        send(out, true, frame(7, 0, 0, std::string(8, '\0')));
        out.push_back({true, 0x11, {}});
        out.push_back({false, 0x11, {}});
        out.push_back({true, 0x10, {}});
    }

    PcapSynth m_synth{20000};
    std::uint64_t m_total;
    std::vector<Slot> m_slots;
    std::vector<std::uint8_t> m_random;
    std::uint64_t m_started = 0;
};

class NullSink : public CaptureSink
{
public:
    void connectionRemoved(TcpConnection &) override { ++connections; }
    std::uint64_t connections = 0;
};

struct Run
{
    double seconds = 0, cpu = 0;
    std::uint64_t connections = 0, exchanges = 0, grpc = 0, grpcMessages = 0, bodyBytes = 0;
    HttpSink::Stats stats;
};

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

Run engineWithHttp2(const std::string &path, std::size_t chunk)
{
    Run r;
    HttpSink sink([&r](const TcpConnection &, HttpExchange &&x) {
        ++r.exchanges;
        r.bodyBytes += x.request.bodyBytes + x.response.bodyBytes;
        if (x.grpc) {
            ++r.grpc;
            r.grpcMessages += x.grpc->requests.size() + x.grpc->responses.size();
        }
    });
    sink.setHttp2Decoding(true);
    r.seconds = feed(path, chunk, &sink, &r.cpu);
    r.stats = sink.stats();
    return r;
}

bool measure(const std::string &label, const std::string &path, int repeat, std::size_t chunk,
             std::uint64_t expected)
{
    const double mb = double(fileSize(path)) / 1e6;
    if (mb == 0)
        fail("empty or missing capture " + path);
    std::vector<double> engine, h2, engineCpu, h2Cpu;
    Run last;
    std::uint64_t connections = 0;
    for (int i = 0; i < repeat; ++i) {
        const Run e = engineAlone(path, chunk);
        engine.push_back(e.seconds);
        engineCpu.push_back(e.cpu);
        connections = e.connections;
        last = engineWithHttp2(path, chunk);
        h2.push_back(last.seconds);
        h2Cpu.push_back(last.cpu);
    }
    const double te = median(engine), th = median(h2), ce = median(engineCpu), ch = median(h2Cpu);
    std::printf("\n%s: %s, %.1f MB, %" PRIu64 " connections\n", label.c_str(), path.c_str(), mb,
                connections);
    std::printf("  %-26s %9s %9s %9s   (median of %d)\n", "variant", "seconds", "MB/s", "CPU s",
                repeat);
    std::printf("  %-26s %9.3f %9.0f %9.3f\n", "engine alone", te, mb / te, ce);
    std::printf("  %-26s %9.3f %9.0f %9.3f   %.0f streams/s\n", "engine + HttpSink (h2 on)", th,
                mb / th, ch, double(last.exchanges) / th);
    std::printf("  h2/engine ratio %.2f   (by CPU time %.2f)\n", te / th, ch > 0 ? ce / ch : 0.0);
    const HttpSink::Stats &s = last.stats;
    std::printf("  h2: %llu HTTP/2 connections, %llu undecodable, %" PRIu64 " exchanges (%" PRIu64
                " gRPC, %" PRIu64 " messages), %llu incomplete messages, %.1f MB of bodies\n",
                s.http2Connections, s.http2Undecodable, last.exchanges, last.grpc,
                last.grpcMessages, s.incompleteMessages, double(last.bodyBytes) / 1e6);
    if (expected == 0)
        return true;
    const bool match
            = last.exchanges == expected && s.incompleteMessages == 0 && s.http2Undecodable == 0;
    if (!match)
        std::printf("  WARNING: expected %" PRIu64 " complete exchanges\n", expected);
    return match;
}

} // namespace

int main(int argc, char **argv)
{
    std::string dir = "/tmp/podtap-bench";
    int repeat = 5, connections = 2000;
    std::size_t chunk = 64 * 1024;
    bool small = false;
    std::vector<std::pair<std::string, std::string>> captures;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                fail(a + " needs a value");
            return argv[++i];
        };
        if (a == "--dir")
            dir = value();
        else if (a == "--repeat")
            repeat = std::max(1, std::atoi(value().c_str()));
        else if (a == "--chunk")
            chunk = std::max<std::size_t>(1, std::strtoull(value().c_str(), nullptr, 10));
        else if (a == "--connections")
            connections = std::max(1, std::atoi(value().c_str()));
        else if (a == "--small")
            small = true;
        else if (a == "--capture") {
            const std::string v = value();
            const auto eq = v.find('=');
            if (eq == std::string::npos)
                fail("--capture wants LABEL=FILE");
            captures.emplace_back(v.substr(0, eq), v.substr(eq + 1));
        } else {
            std::printf("usage: %s [--dir DIR] [--repeat N] [--chunk BYTES] [--connections N] "
                        "[--small] [--capture LABEL=FILE]...\n",
                        argv[0]);
            return a == "--help" ? 0 : 2;
        }
    }
    if (small)
        connections = std::min(connections, 100);
    bool ok = true;
    std::printf("%s: chunk %zu bytes, %d runs per variant\n", Tool, chunk, repeat);
    if (captures.empty()) {
        ::mkdir(dir.c_str(), 0700);
        const std::string synth = dir + "/h2-mixed-v1-" + std::to_string(connections) + ".pcap";
        if (fileSize(synth) == 0) {
            std::printf("generating %s: %d connections...\n", synth.c_str(), connections);
            std::fflush(stdout);
            H2Traffic(connections, 32).write(synth);
        }
        std::uint64_t streams = 0;
        for (std::uint64_t n = 0; n < std::uint64_t(connections); ++n)
            streams += std::uint64_t(H2Traffic::streamsOf(n));
        ok = measure("h2-mixed", synth, repeat, chunk, streams);
    } else {
        for (const auto &[label, path] : captures)
            ok = measure(label, path, repeat, chunk, 0) && ok;
    }
    std::printf("\n%s\n", ok ? "benchmark ran: exchange counts match"
                             : "benchmark ran: EXCHANGE COUNTS DIFFER");
    return ok ? 0 : 1;
}
