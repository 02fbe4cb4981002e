// podtap-trafficgen: real TCP traffic with a record of every byte each side wrote and read.
// See tests/tools/README.md for the command line and the record format.

#include "client.h"
#include "server.h"
#include "tlsproxy.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <string>
#include <thread>
#include <unistd.h>

using namespace trafficgen;

namespace {

const char usage[]
        = "usage:\n"
          "  podtap-trafficgen serve --listen ADDR:PORT [--mode http|echo|sink|rest]\n"
          "        [--variant prod|local] [--record FILE] [--record-requests FILE]\n"
          "        [--response-size N] [--stall-ms MS] [--rcvbuf N] [--sndbuf N] [--io-timeout S]\n"
          "  podtap-trafficgen client --connect ADDR:PORT [--mode http|bulk|rest|raw]\n"
          "        [--connections N] [--concurrency C] [--requests-per-conn R]\n"
          "        [--request-size S] [--response-size S]\n"
          "        [--pipeline P] [--bulk-bytes B] [--rate RPS] [--duration SEC] [--timeout SEC]\n"
          "        [--bind ADDR[:PORT]] [--record FILE] [--idle-before SEC] [--idle-after SEC]\n"
          "        [--keepalive SEC] [--rst] [--hold-stdin] [--rcvbuf N] [--sndbuf N]\n"
          "        [--io-timeout S] [--seed N] [--record-requests FILE] [--raw-file FILE]\n"
          "  podtap-trafficgen tls-proxy --listen ADDR:PORT --forward ADDR:PORT [--io-timeout S]\n"
          "ADDR is IPv4 or [IPv6]. Records are JSON Lines, one object per connection.\n";

[[noreturn]] void fail(const std::string &msg)
{
    std::fprintf(stderr, "podtap-trafficgen: %s\n%s", msg.c_str(), usage);
    std::exit(2);
}

std::uint64_t toU64(const std::string &opt, const std::string &v)
{
    char *end = nullptr;
    errno = 0;
    const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno != 0 || v[0] == '-')
        fail(opt + ": not a non-negative integer: " + v);
    return n;
}

double toDouble(const std::string &opt, const std::string &v)
{
    char *end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || d < 0)
        fail(opt + ": not a non-negative number: " + v);
    return d;
}

SockAddress toAddress(const std::string &opt, const std::string &v, bool allowNoPort = false)
{
    const auto a = SockAddress::parse(v, allowNoPort);
    if (!a)
        fail(opt + ": not ADDR:PORT or [IPv6]:PORT: " + v);
    return *a;
}

// Blocks the termination signals in every thread; one thread waits for them and calls onSignal.
template<typename F>
void handleSignals(F onSignal)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    std::thread([set, onSignal] {
        int sig = 0;
        sigwait(&set, &sig);
        onSignal(sig);
    }).detach();
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2)
        fail("missing command");
    const std::string command = argv[1];
    auto value = [&](int &i) -> std::string {
        if (i + 1 >= argc)
            fail(std::string(argv[i]) + " needs a value");
        return argv[++i];
    };

    if (command == "serve") {
        ServerOptions o;
        bool haveListen = false;
        for (int i = 2; i < argc; ++i) {
            const std::string a = argv[i];
            if (a == "--listen") {
                o.listen = toAddress(a, value(i));
                haveListen = true;
            } else if (a == "--mode") {
                o.mode = value(i);
                if (o.mode != "http" && o.mode != "echo" && o.mode != "sink" && o.mode != "rest")
                    fail("--mode must be http, echo, sink or rest");
            } else if (a == "--variant") {
                o.variant = value(i);
                if (o.variant != "prod" && o.variant != "local")
                    fail("--variant must be prod or local");
            } else if (a == "--record") {
                o.recordPath = value(i);
            } else if (a == "--record-requests") {
                o.recordRequestsPath = value(i);
            } else if (a == "--response-size") {
                o.responseSize = toU64(a, value(i));
            } else if (a == "--stall-ms") {
                o.stallMs = static_cast<int>(toU64(a, value(i)));
            } else if (a == "--rcvbuf") {
                o.rcvbuf = static_cast<int>(toU64(a, value(i)));
            } else if (a == "--sndbuf") {
                o.sndbuf = static_cast<int>(toU64(a, value(i)));
            } else if (a == "--io-timeout") {
                o.ioTimeoutSec = static_cast<int>(toU64(a, value(i)));
            } else {
                fail("unknown option " + a);
            }
        }
        if (!haveListen)
            fail("serve needs --listen");
        static Server *server = nullptr;
        Server s(o);
        server = &s;
        handleSignals([](int) {
            if (server)
                server->shutdown();
            _exit(0);
        });
        return s.run();
    }

    if (command == "client") {
        ClientOptions o;
        bool haveConnect = false;
        for (int i = 2; i < argc; ++i) {
            const std::string a = argv[i];
            if (a == "--connect") {
                o.connect = toAddress(a, value(i));
                haveConnect = true;
            } else if (a == "--bind") {
                o.bind = toAddress(a, value(i), true);
            } else if (a == "--mode") {
                o.mode = value(i);
                if (o.mode != "http" && o.mode != "bulk" && o.mode != "rest" && o.mode != "raw")
                    fail("--mode must be http, bulk, rest or raw");
            } else if (a == "--raw-file") {
                o.rawPath = value(i);
            } else if (a == "--record") {
                o.recordPath = value(i);
            } else if (a == "--record-requests") {
                o.recordRequestsPath = value(i);
            } else if (a == "--connections") {
                o.connections = toU64(a, value(i));
            } else if (a == "--concurrency") {
                o.concurrency = toU64(a, value(i));
            } else if (a == "--requests-per-conn") {
                o.requestsPerConn = toU64(a, value(i));
            } else if (a == "--request-size") {
                o.requestSize = toU64(a, value(i));
            } else if (a == "--response-size") {
                o.responseSize = toU64(a, value(i));
            } else if (a == "--bulk-bytes") {
                o.bulkBytes = toU64(a, value(i));
            } else if (a == "--pipeline") {
                o.pipeline = toU64(a, value(i));
            } else if (a == "--rate") {
                o.rate = toDouble(a, value(i));
            } else if (a == "--duration") {
                o.duration = toDouble(a, value(i));
            } else if (a == "--timeout") {
                o.timeout = toDouble(a, value(i));
            } else if (a == "--idle-before") {
                o.idleBefore = toDouble(a, value(i));
            } else if (a == "--idle-after") {
                o.idleAfter = toDouble(a, value(i));
            } else if (a == "--keepalive") {
                o.keepalive = static_cast<int>(toU64(a, value(i)));
            } else if (a == "--rcvbuf") {
                o.rcvbuf = static_cast<int>(toU64(a, value(i)));
            } else if (a == "--sndbuf") {
                o.sndbuf = static_cast<int>(toU64(a, value(i)));
            } else if (a == "--io-timeout") {
                o.ioTimeoutSec = static_cast<int>(toU64(a, value(i)));
            } else if (a == "--seed") {
                o.seed = toU64(a, value(i));
            } else if (a == "--rst") {
                o.rst = true;
            } else if (a == "--hold-stdin") {
                o.holdStdin = true;
            } else {
                fail("unknown option " + a);
            }
        }
        if (!haveConnect)
            fail("client needs --connect");
        if ((o.mode == "raw") != !o.rawPath.empty())
            fail("--mode raw and --raw-file go together");
        static Client *client = nullptr;
        Client c(o);
        client = &c;
        handleSignals([](int) {
            if (client)
                client->shutdown();
            _exit(130);
        });
        return c.run();
    }
    if (command == "tls-proxy") {
        TlsProxyOptions o;
        bool haveListen = false, haveForward = false;
        for (int i = 2; i < argc; ++i) {
            const std::string a = argv[i];
            if (a == "--listen") {
                o.listen = toAddress(a, value(i));
                haveListen = true;
            } else if (a == "--forward") {
                o.forward = toAddress(a, value(i));
                haveForward = true;
            } else if (a == "--io-timeout") {
                o.ioTimeoutSec = static_cast<int>(toU64(a, value(i)));
            } else {
                fail("unknown option " + a);
            }
        }
        if (!haveListen || !haveForward)
            fail("tls-proxy needs --listen and --forward");
        handleSignals([](int) { _exit(0); });
        return TlsProxy(o).run();
    }
    if (command == "--help" || command == "-h" || command == "help") {
        std::fputs(usage, stdout);
        return 0;
    }
    fail("unknown command " + command);
}
