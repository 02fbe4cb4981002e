// Capture-engine throughput against a bare libpcap loop over the same bytes.
//
//   podtap-bench-engine [--dir DIR] [--repeat N] [--chunk BYTES] [--no-pipe]
//                       [--capture LABEL=FILE]... [--generate-only] [--small]
//
// Without --capture it uses (and first generates, as root, with real tcpdump on real
// sockets in network namespaces it creates; addresses from 198.18.0.0/15) three captures
// cached in DIR (default /tmp/podtap-bench):
//   bulk-veth.pcap  ≥ 1 GB, one connection over a veth pair, 1500-byte frames
//   http-veth.pcap  ≥ 200 MB, 12,000 short HTTP-like connections over the veth pair
//   bulk-lo.pcap    ≥ 1 GB, one connection on loopback (~64 KB segments)
// For each capture, in one process and from page cache, each variant runs N times
// (median reported): a bare pcap_next_ex loop (pcap_open_offline; and with a 1 MiB stdio
// buffer), the engine fed 64 KiB
// read() chunks (stream reader + decode + track + reassemble, consumer computing
// nothing), and both again fed through a pipe. Ratio = engine MB/s / bare MB/s;
// targets 0.6 for bulk captures, 0.4 for http ones.

#include "capture/captureengine.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace podtap;
using Clock = std::chrono::steady_clock;

namespace {

struct Options
{
    std::string dir = "/tmp/podtap-bench";
    int repeat = 3;
    std::size_t chunk = 64 * 1024;
    bool pipe = true;
    bool generateOnly = false;
    bool small = false; // generate 1/20 of the sizes (quick checks)
    std::vector<std::pair<std::string, std::string>> captures;
};

[[noreturn]] void die(const std::string &what)
{
    std::fprintf(stderr, "podtap-bench-engine: %s\n", what.c_str());
    std::exit(1);
}

std::uint64_t fileSize(const std::string &path)
{
    struct stat st
    {
    };
    return ::stat(path.c_str(), &st) == 0 ? std::uint64_t(st.st_size) : 0;
}

long peakRssKb()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

int run(const std::string &cmd)
{
    const int r = std::system(cmd.c_str());
    return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

// ------------------------------------------------------------------ generation

// A pair of network namespaces joined by a veth pair, removed again on destruction.
class NetnsPair
{
public:
    NetnsPair()
    {
        const std::string id = std::to_string(getpid());
        a = "ptbench" + id + "a";
        b = "ptbench" + id + "b";
        va = "ptb" + id + "a";
        vb = "ptb" + id + "b";
        const std::string cmds[] = {
                "ip netns add " + a,
                "ip netns add " + b,
                "ip link add " + va + " netns " + a + " type veth peer name " + vb + " netns " + b,
                "ip -n " + a + " addr add " + addrA + "/30 dev " + va,
                "ip -n " + b + " addr add " + addrB + "/30 dev " + vb,
                "ip -n " + a + " link set lo up",
                "ip -n " + b + " link set lo up",
                // One MTU-sized segment per frame: no GSO/TSO super-packets in the capture.
                "ip -n " + a + " link set " + va + " gso_max_size 1500 gso_max_segs 1 up",
                "ip -n " + b + " link set " + vb + " gso_max_size 1500 gso_max_segs 1 up",
        };
        for (const std::string &c : cmds) {
            if (run(c + " 2>/dev/null") != 0) {
                std::fprintf(stderr, "podtap-bench-engine: '%s' failed\n", c.c_str());
                return;
            }
        }
        ok = true;
    }
    ~NetnsPair()
    {
        run("ip netns del " + a + " 2>/dev/null");
        run("ip netns del " + b + " 2>/dev/null");
    }
    bool ok = false;
    std::string a, b, va, vb;
    const std::string addrA = "198.18.202.1";
    const std::string addrB = "198.18.202.2";
};

void enterNetns(const std::string &name)
{
    if (name.empty())
        return;
    const int fd = ::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0)
        die("cannot enter network namespace " + name);
    ::close(fd);
}

void setTimeouts(int fd)
{
    timeval tv{30, 0}; // nothing may hang for ever
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

sockaddr_in makeAddr(const std::string &ip, std::uint16_t port)
{
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
    return sa;
}

int listenOn(const std::string &ip, std::uint16_t port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const sockaddr_in sa = makeAddr(ip, port);
    if (::bind(fd, reinterpret_cast<const sockaddr *>(&sa), sizeof sa) != 0 || ::listen(fd, 512))
        die("cannot listen on " + ip + ":" + std::to_string(port) + ": " + std::strerror(errno));
    return fd;
}

int connectTo(const std::string &ip, std::uint16_t port)
{
    for (int attempt = 0; attempt < 50; ++attempt) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        setTimeouts(fd);
        const sockaddr_in sa = makeAddr(ip, port);
        if (::connect(fd, reinterpret_cast<const sockaddr *>(&sa), sizeof sa) == 0)
            return fd;
        ::close(fd);
        usleep(20000);
    }
    die("cannot connect to " + ip + ":" + std::to_string(port));
}

bool writeAll(int fd, const char *p, std::size_t n)
{
    while (n) {
        const ssize_t w = ::write(fd, p, n);
        if (w <= 0)
            return false;
        p += w;
        n -= std::size_t(w);
    }
    return true;
}

// tcpdump writing `file`, started (inside `netns` if given) and stopped with SIGINT.
class Tcpdump
{
public:
    Tcpdump(const std::string &netns, const std::string &iface, const std::string &file,
            std::uint16_t port)
    {
        int err[2];
        if (::pipe2(err, O_CLOEXEC) != 0)
            die("pipe");
        m_pid = fork();
        if (m_pid == 0) {
            dup2(err[1], 2);
            const std::string filter = "tcp port " + std::to_string(port);
            std::vector<const char *> argv;
            if (!netns.empty())
                argv = {"ip", "netns", "exec", netns.c_str()};
            for (const char *a : {"tcpdump", "-n", "-s", "0", "-B", "262144", "-Z", "root", "-i"})
                argv.push_back(a);
            argv.push_back(iface.c_str());
            argv.push_back("-w");
            argv.push_back(file.c_str());
            argv.push_back(filter.c_str());
            argv.push_back(nullptr);
            execvp(argv[0], const_cast<char *const *>(argv.data()));
            _exit(127);
        }
        ::close(err[1]);
        m_err = err[0];
        // "listening on ..." once the capture runs; the socket may still be draining then.
        std::string text;
        char buf[512];
        for (int i = 0; i < 100 && text.find("listening on") == std::string::npos; ++i) {
            const ssize_t n = ::read(m_err, buf, sizeof buf);
            if (n <= 0)
                die("tcpdump did not start: " + text);
            text.append(buf, std::size_t(n));
        }
        usleep(1000000);
    }
    // Returns tcpdump's closing statistics.
    std::string stop()
    {
        usleep(1500000); // past the 1 s TPACKET block timeout: the last packets are written
        kill(m_pid, SIGINT);
        int status = 0;
        for (int i = 0; i < 300 && waitpid(m_pid, &status, WNOHANG) == 0; ++i)
            usleep(100000);
        if (waitpid(m_pid, &status, WNOHANG) == 0) {
            kill(m_pid, SIGKILL);
            waitpid(m_pid, &status, 0);
        }
        std::string text;
        char buf[512];
        ssize_t n;
        while ((n = ::read(m_err, buf, sizeof buf)) > 0)
            text.append(buf, std::size_t(n));
        ::close(m_err);
        std::string stats;
        for (const char *key : {"captured", "dropped by kernel"}) {
            const auto pos = text.find(key);
            if (pos != std::string::npos) {
                const auto start = text.rfind('\n', pos);
                stats += text.substr(start == std::string::npos ? 0 : start + 1,
                                     pos - (start == std::string::npos ? 0 : start + 1))
                         + key + "; ";
            }
        }
        return stats;
    }

private:
    pid_t m_pid = -1;
    int m_err = -1;
};

std::vector<char> randomBlock(std::size_t size)
{
    std::vector<char> block(size);
    std::uint64_t x = 0x9E3779B97F4A7C15ull;
    for (char &c : block) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        c = char(x);
    }
    return block;
}

void generateBulk(const std::string &file, const std::string &clientNs, const std::string &serverNs,
                  const std::string &serverIp, const std::string &captureNs,
                  const std::string &iface, std::uint64_t bytes, double paceMBps)
{
    const std::uint16_t port = 5201;
    std::printf("generating %s: %" PRIu64 " MB in one connection on %s...\n", file.c_str(),
                bytes >> 20, iface.c_str());
    std::fflush(stdout);
    Tcpdump dump(captureNs, iface, file + ".part", port);
    std::atomic<int> listening{0};
    std::uint64_t received = 0;
    std::thread server([&] {
        enterNetns(serverNs);
        const int l = listenOn(serverIp, port);
        listening = 1;
        const int c = ::accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
        setTimeouts(c);
        std::vector<char> buf(1 << 20);
        ssize_t n;
        while ((n = ::read(c, buf.data(), buf.size())) > 0)
            received += std::uint64_t(n);
        ::close(c);
        ::close(l);
    });
    std::thread client([&] {
        enterNetns(clientNs);
        while (!listening)
            usleep(1000);
        const int c = connectTo(serverIp, port);
        const std::vector<char> block = randomBlock(1 << 20);
        const auto start = Clock::now();
        for (std::uint64_t sent = 0; sent < bytes;) {
            if (paceMBps > 0) {
                // tcpdump cannot keep up with unpaced loopback (GB/s in 64 KB segments).
                const auto due
                        = start + std::chrono::duration<double>(double(sent) / (paceMBps * 1e6));
                std::this_thread::sleep_until(due);
            }
            const std::size_t n = std::size_t(std::min<std::uint64_t>(block.size(), bytes - sent));
            if (!writeAll(c, block.data(), n))
                die("bulk send failed");
            sent += n;
        }
        ::close(c);
    });
    client.join();
    server.join();
    const std::string stats = dump.stop();
    std::printf("  received %" PRIu64 " bytes; tcpdump: %s\n", received, stats.c_str());
    if (std::rename((file + ".part").c_str(), file.c_str()) != 0)
        die("cannot rename " + file);
}

void generateHttp(const std::string &file, const std::string &clientNs, const std::string &serverNs,
                  const std::string &serverIp, const std::string &captureNs,
                  const std::string &iface, int connections)
{
    const std::uint16_t port = 8080;
    const int threads = 16;
    std::printf("generating %s: %d HTTP-like connections on %s...\n", file.c_str(), connections,
                iface.c_str());
    std::fflush(stdout);
    Tcpdump dump(captureNs, iface, file + ".part", port);
    const std::vector<char> body = randomBlock(64 * 1024);
    std::atomic<int> listenFd{-1};
    std::atomic<std::uint64_t> served{0};
    std::vector<std::thread> servers;
    std::thread opener([&] {
        enterNetns(serverNs);
        listenFd = listenOn(serverIp, port);
    });
    opener.join();
    for (int t = 0; t < threads; ++t) {
        servers.emplace_back([&] {
            enterNetns(serverNs);
            std::vector<char> buf(65536);
            for (;;) {
                const int c = ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
                if (c < 0)
                    return; // the listener was shut down: done
                setTimeouts(c);
                std::string req;
                while (req.find("\r\n\r\n") == std::string::npos && req.size() < 65536) {
                    const ssize_t n = ::read(c, buf.data(), buf.size());
                    if (n <= 0)
                        break;
                    req.append(buf.data(), std::size_t(n));
                }
                std::size_t size = 0;
                std::sscanf(req.c_str(), "GET /obj/%zu", &size);
                size = std::min(size, body.size());
                const std::string head = "HTTP/1.1 200 OK\r\nServer: podtap-bench\r\n"
                                         "Content-Type: application/octet-stream\r\n"
                                         "Content-Length: "
                                         + std::to_string(size) + "\r\n\r\n";
                writeAll(c, head.data(), head.size());
                writeAll(c, body.data(), size);
                while (::read(c, buf.data(), buf.size()) > 0) {
                }
                ::close(c);
                ++served;
            }
        });
    }
    std::vector<std::thread> clients;
    for (int t = 0; t < threads; ++t) {
        clients.emplace_back([&, t] {
            enterNetns(clientNs);
            std::vector<char> buf(65536);
            for (int i = t; i < connections; i += threads) {
                // Response sizes 200 B .. 36 KB, mean ~18 KB (a page and its assets).
                const std::size_t size = 200 + (std::size_t(i) * 2654435761u) % 36000;
                const int c = connectTo(serverIp, port);
                const std::string req = "GET /obj/" + std::to_string(size)
                                        + " HTTP/1.1\r\nHost: bench.podtap\r\n"
                                          "User-Agent: podtap-bench/1\r\nAccept: */*\r\n\r\n";
                writeAll(c, req.data(), req.size());
                std::size_t got = 0, want = std::string::npos;
                std::string head;
                while (got < want) {
                    const ssize_t n = ::read(c, buf.data(), buf.size());
                    if (n <= 0)
                        break;
                    got += std::size_t(n);
                    if (want == std::string::npos) {
                        head.append(buf.data(), std::size_t(n));
                        const auto end = head.find("\r\n\r\n");
                        if (end != std::string::npos)
                            want = end + 4 + size;
                    }
                }
                ::close(c);
            }
        });
    }
    for (std::thread &t : clients)
        t.join();
    ::shutdown(listenFd, SHUT_RDWR);
    for (std::thread &t : servers)
        t.join();
    ::close(listenFd);
    const std::string stats = dump.stop();
    std::printf("  served %" PRIu64 " connections; tcpdump: %s\n", served.load(), stats.c_str());
    if (std::rename((file + ".part").c_str(), file.c_str()) != 0)
        die("cannot rename " + file);
}

void ensureCaptures(Options &o)
{
    ::mkdir(o.dir.c_str(), 0700);
    const std::uint64_t scale = o.small ? 20 : 1;
    const std::uint64_t bulkBytes = 1100ull * 1000 * 1000 / scale;
    const int httpConnections = int(12000 / scale);
    const std::string bulkVeth = o.dir + (o.small ? "/bulk-veth-small.pcap" : "/bulk-veth.pcap");
    const std::string httpVeth = o.dir + (o.small ? "/http-veth-small.pcap" : "/http-veth.pcap");
    const std::string bulkLo = o.dir + (o.small ? "/bulk-lo-small.pcap" : "/bulk-lo.pcap");
    const bool need = fileSize(bulkVeth) < bulkBytes || fileSize(httpVeth) < 200e6 / scale
                      || fileSize(bulkLo) < bulkBytes;
    if (need) {
        if (geteuid() != 0)
            die("generating the captures needs root (tcpdump, network namespaces); "
                "or pass --capture LABEL=FILE");
        NetnsPair ns;
        if (!ns.ok)
            die("cannot create network namespaces");
        if (fileSize(bulkVeth) < bulkBytes)
            generateBulk(bulkVeth, ns.a, ns.b, ns.addrB, ns.b, ns.vb, bulkBytes, 0);
        if (fileSize(httpVeth) < 200e6 / scale)
            generateHttp(httpVeth, ns.a, ns.b, ns.addrB, ns.b, ns.vb, httpConnections);
        if (fileSize(bulkLo) < bulkBytes)
            generateBulk(bulkLo, ns.a, ns.a, "127.0.0.1", ns.a, "lo", bulkBytes, 250);
    }
    o.captures = {{"bulk-veth", bulkVeth}, {"http-veth", httpVeth}, {"bulk-lo", bulkLo}};
}

// ------------------------------------------------------------------ measurement

struct Measure
{
    double seconds = 0;
    std::uint64_t packets = 0;
};

// Consumer computing nothing; only per-connection totals (not per packet) for a sanity line.
class CountingSink : public CaptureSink
{
public:
    void connectionRemoved(TcpConnection &c) override
    {
        ++connections;
        for (const DirectionStats &s : c.stats) {
            bytes += s.bytes;
            gapBytes += s.gapBytes;
        }
    }
    std::uint64_t connections = 0, bytes = 0, gapBytes = 0;
};

struct EngineTotals
{
    std::uint64_t connections = 0, bytes = 0, gapBytes = 0, budgetPeak = 0, errors = 0;
};

void warm(const std::string &path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("cannot open " + path);
    std::vector<char> buf(1 << 20);
    while (::read(fd, buf.data(), buf.size()) > 0) {
    }
    ::close(fd);
}

Measure bareFile(const std::string &path)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    const auto t0 = Clock::now();
    pcap_t *p = pcap_open_offline(path.c_str(), errbuf);
    if (!p)
        die(errbuf);
    Measure m;
    pcap_pkthdr *h;
    const u_char *d;
    std::uint64_t sum = 0;
    while (pcap_next_ex(p, &h, &d) == 1) {
        ++m.packets;
        sum += h->caplen;
    }
    pcap_close(p);
    m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    volatile std::uint64_t keep = sum;
    (void)keep;
    return m;
}

// The same loop with a 1 MiB stdio buffer: libpcap's own reads at their cheapest.
Measure bareFileBigBuffer(const std::string &path)
{
    const auto t0 = Clock::now();
    FILE *f = std::fopen(path.c_str(), "rb");
    if (!f)
        die("cannot open " + path);
    std::setvbuf(f, nullptr, _IOFBF, 1 << 20);
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_fopen_offline(f, errbuf);
    if (!p)
        die(errbuf);
    Measure m;
    pcap_pkthdr *h;
    const u_char *d;
    while (pcap_next_ex(p, &h, &d) == 1)
        ++m.packets;
    pcap_close(p);
    m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return m;
}

// A thread copies the file into a pipe in `chunk` writes, as a network reader would.
class PipeFeeder
{
public:
    PipeFeeder(const std::string &path, std::size_t chunk)
    {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            die("pipe");
        fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
        readFd = fds[0];
        m_thread = std::thread([path, chunk, w = fds[1]] {
            const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            std::vector<char> buf(chunk);
            ssize_t n;
            while (fd >= 0 && (n = ::read(fd, buf.data(), buf.size())) > 0)
                if (!writeAll(w, buf.data(), std::size_t(n)))
                    break;
            ::close(fd);
            ::close(w);
        });
    }
    ~PipeFeeder() { m_thread.join(); }
    int readFd = -1;

private:
    std::thread m_thread;
};

Measure barePipe(const std::string &path, std::size_t chunk)
{
    const auto t0 = Clock::now();
    PipeFeeder feeder(path, chunk);
    FILE *f = fdopen(feeder.readFd, "rb"); // stdio's default buffer: what a naive reader gets
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_fopen_offline(f, errbuf);
    if (!p)
        die(errbuf);
    Measure m;
    pcap_pkthdr *h;
    const u_char *d;
    while (pcap_next_ex(p, &h, &d) == 1)
        ++m.packets;
    pcap_close(p); // closes f and the read end
    m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return m;
}

Measure engineFd(int fd, std::size_t chunk, EngineTotals &totals, Clock::time_point t0)
{
    CountingSink sink;
    Measure m;
    {
        CaptureEngine engine;
        engine.setSink(&sink);
        std::vector<std::uint8_t> buf(chunk);
        ssize_t n;
        while ((n = ::read(fd, buf.data(), buf.size())) > 0)
            engine.feed(buf.data(), std::size_t(n));
        engine.finish();
        m.packets = engine.reader().recordsRead();
        totals.budgetPeak = engine.tracker().budget().peak;
        totals.errors = engine.streamErrors().size();
    }
    m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    totals.connections = sink.connections;
    totals.bytes = sink.bytes;
    totals.gapBytes = sink.gapBytes;
    return m;
}

Measure engineFile(const std::string &path, std::size_t chunk, EngineTotals &totals)
{
    const auto t0 = Clock::now();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("cannot open " + path);
    const Measure m = engineFd(fd, chunk, totals, t0);
    ::close(fd);
    return m;
}

Measure enginePipe(const std::string &path, std::size_t chunk, EngineTotals &totals)
{
    const auto t0 = Clock::now();
    PipeFeeder feeder(path, chunk);
    const Measure m = engineFd(feeder.readFd, chunk, totals, t0);
    ::close(feeder.readFd);
    return m;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

bool bench(const std::string &label, const std::string &path, const Options &o)
{
    const double mb = double(fileSize(path)) / 1e6;
    if (mb == 0)
        die("empty or missing capture " + path);
    warm(path);
    warm(path);
    std::map<std::string, std::vector<double>> times;
    std::uint64_t packets = 0, enginePackets = 0;
    EngineTotals totals;
    std::vector<std::string> variants{"bare pcap file", "bare 1 MiB stdio", "engine file"};
    if (o.pipe)
        variants.insert(variants.end(), {"engine pipe", "bare pcap pipe"});
    for (int r = 0; r < o.repeat; ++r) {
        for (const std::string &v : variants) {
            Measure m;
            if (v == "bare pcap file")
                m = bareFile(path);
            else if (v == "bare 1 MiB stdio")
                m = bareFileBigBuffer(path);
            else if (v == "engine file")
                m = engineFile(path, o.chunk, totals);
            else if (v == "engine pipe")
                m = enginePipe(path, o.chunk, totals);
            else
                m = barePipe(path, o.chunk);
            times[v].push_back(m.seconds);
            (v.rfind("bare", 0) == 0 ? packets : enginePackets) = m.packets;
        }
    }
    const double bare = median(times["bare pcap file"]);
    const double target = label.rfind("http", 0) == 0 ? 0.4 : 0.6;
    std::printf("\n%s: %s, %.1f MB, %" PRIu64 " packets (%.0f B/packet)\n", label.c_str(),
                path.c_str(), mb, packets, packets ? mb * 1e6 / double(packets) : 0.0);
    std::printf("  %-16s %9s %9s %9s %7s   (median of %d)\n", "variant", "seconds", "MB/s",
                "Mpkt/s", "ratio", o.repeat);
    bool ok = true;
    for (const std::string &v : variants) {
        const double t = median(times[v]);
        const double ratio = bare / t;
        std::printf("  %-16s %9.3f %9.0f %9.2f %7.2f", v.c_str(), t, mb / t,
                    double(packets) / t / 1e6, ratio);
        if (v == "engine file") {
            std::printf("   target %.1f: %s", target, ratio >= target ? "MET" : "MISSED");
            ok = ratio >= target;
        }
        std::printf("\n");
    }
    std::printf("  engine: %" PRIu64 " connections, %" PRIu64 " payload bytes delivered, %" PRIu64
                " gap bytes, %" PRIu64 " stream errors, buffer budget peak %" PRIu64
                " B; peak RSS so far %ld MB\n",
                totals.connections, totals.bytes, totals.gapBytes, totals.errors, totals.budgetPeak,
                peakRssKb() / 1024);
    if (enginePackets != packets)
        std::printf("  WARNING: the engine read %" PRIu64 " records, libpcap %" PRIu64 "\n",
                    enginePackets, packets);
    return ok;
}

} // namespace

int main(int argc, char **argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                die(a + " needs a value");
            return argv[++i];
        };
        if (a == "--dir")
            o.dir = value();
        else if (a == "--repeat")
            o.repeat = std::max(1, std::atoi(value().c_str()));
        else if (a == "--chunk")
            o.chunk = std::max<std::size_t>(1, std::strtoull(value().c_str(), nullptr, 10));
        else if (a == "--no-pipe")
            o.pipe = false;
        else if (a == "--generate-only")
            o.generateOnly = true;
        else if (a == "--small")
            o.small = true;
        else if (a == "--capture") {
            const std::string v = value();
            const auto eq = v.find('=');
            if (eq == std::string::npos)
                die("--capture wants LABEL=FILE");
            o.captures.emplace_back(v.substr(0, eq), v.substr(eq + 1));
        } else {
            std::printf("usage: %s [--dir DIR] [--repeat N] [--chunk BYTES] [--no-pipe] "
                        "[--capture LABEL=FILE]... [--generate-only] [--small]\n",
                        argv[0]);
            return a == "--help" ? 0 : 2;
        }
    }
    std::signal(SIGPIPE, SIG_IGN);
    if (o.captures.empty())
        ensureCaptures(o);
    if (o.generateOnly)
        return 0;
    std::printf("podtap-bench-engine: libpcap %s, chunk %zu bytes, %d runs per variant\n",
                pcap_lib_version(), o.chunk, o.repeat);
    bool allMet = true;
    for (const auto &[label, path] : o.captures)
        allMet = bench(label, path, o) && allMet;
    std::printf("\n%s\n", allMet ? "all ratio targets met" : "some ratio targets missed");
    return 0;
}
