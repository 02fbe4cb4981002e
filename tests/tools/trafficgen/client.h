#pragma once

#include "liveconnection.h"
#include "recordwriter.h"
#include "sockaddress.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <optional>
#include <string>
#include <vector>

namespace trafficgen {

struct ClientOptions
{
    SockAddress connect;
    std::optional<SockAddress> bind;
    std::string mode = "http"; // http | bulk | rest
    std::string recordPath;
    std::string recordRequestsPath; // rest, http, raw: one JSON line per request
    std::string rawPath;            // raw: the segments to send, "<length>\n<bytes>" each
    std::uint64_t connections = 1;  // 0 = unlimited (needs --duration)
    std::uint64_t concurrency = 1;
    std::uint64_t requestsPerConn = 1; // 0 = unlimited (needs --duration)
    std::uint64_t requestSize = 0;     // request body bytes (0: GET)
    std::uint64_t responseSize = 1024; // asked with X-Response-Size
    std::uint64_t bulkBytes = 1 << 20;
    std::uint64_t pipeline = 1; // HTTP requests in flight per connection
    double rate = 0;            // requests/s (http) or connections/s (bulk), whole client
    double duration = 0;        // stop starting new work after this many seconds
    double timeout = 0;         // hard deadline; 0 = duration + 60 s, or 300 s
    double idleBefore = 0;      // seconds idle after connect, before sending
    double idleAfter = 0;       // seconds idle after the exchange, before closing
    int keepalive = 0;          // TCP_KEEPIDLE = TCP_KEEPINTVL = this many seconds
    int rcvbuf = 0;
    int sndbuf = 0;
    int ioTimeoutSec = 30;
    bool rst = false;       // close with SO_LINGER 0 (RST) once everything sent is acked
    bool holdStdin = false; // after connecting, wait for a line on stdin before sending
    std::uint64_t seed = 1;
};

// Opens connections with a pool of worker threads and records per connection what it wrote
// and read. Always ends: by counts, --duration, or the hard --timeout.
class Client
{
public:
    explicit Client(ClientOptions options);
    int run();
    // Records connections still open (close "open"); called once before exit on a signal.
    void shutdown() { m_registry.dumpOpen("terminated by signal"); }

private:
    void worker();
    bool runConnection(std::uint64_t index, LiveConnection &conn);
    bool exchangeHttp(int fd, std::uint64_t index, LiveConnection &conn);
    bool exchangeBulk(int fd, std::uint64_t index, LiveConnection &conn);
    bool exchangeRest(int fd, std::uint64_t index, LiveConnection &conn);
    bool exchangeRaw(int fd, LiveConnection &conn);
    static bool loadRawSegments(const std::string &path, std::vector<std::string> &segments);
    bool finishClose(int fd, LiveConnection &conn, bool readToEof);
    bool pace(); // waits for the next rate slot; false once --duration is over
    bool timeLeft() const;
    void waitStdin();

    ClientOptions m_options;
    RecordWriter m_writer;
    RecordWriter m_requestLog; // --record-requests
    ConnectionRegistry m_registry{m_writer};
    std::vector<std::string> m_rawSegments; // --raw-file
    std::chrono::steady_clock::time_point m_start;
    std::atomic<std::uint64_t> m_nextConnection{0};
    std::atomic<std::uint64_t> m_ticket{0};
    std::atomic<std::uint64_t> m_ok{0};
    std::atomic<std::uint64_t> m_failed{0};
    std::atomic<std::uint64_t> m_requests{0};
    std::atomic<std::uint64_t> m_sentBytes{0};
    std::atomic<std::uint64_t> m_receivedBytes{0};
    std::atomic<std::uint64_t> m_framingFailures{0}; // rest: responses not complete/well-framed
    std::atomic<std::uint64_t> m_interim{0};         // rest: 1xx responses received
    std::mutex m_stdinMutex;
    std::condition_variable m_stdinCv;
    bool m_stdinDone = false;
    bool m_stdinReading = false;
};

} // namespace trafficgen
