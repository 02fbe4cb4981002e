#pragma once

#include "liveconnection.h"
#include "recordwriter.h"
#include "restservice.h"
#include "sockaddress.h"

#include <memory>
#include <string>
#include <string_view>

namespace trafficgen {

struct ServerOptions
{
    SockAddress listen;
    std::string mode = "http";    // http | echo | sink | rest
    std::string variant = "prod"; // rest: prod | local
    std::string recordPath;
    std::string recordRequestsPath;  // http/rest: one JSON line per request received
    std::size_t responseSize = 1024; // http: when the request names no size
    int stallMs = 0;                 // sink/echo: wait before the first read (zero-window tests)
    int rcvbuf = 0;
    int sndbuf = 0;
    int ioTimeoutSec = 300; // a connection idle this long is closed
};

// Accepts connections forever (until SIGTERM/SIGINT), one thread per connection.
class Server
{
public:
    explicit Server(ServerOptions options);
    int run();
    // Records connections still open (close "open"); called once before exit on a signal.
    void shutdown() { m_registry.dumpOpen("terminated by signal"); }

private:
    void serve(int fd, std::shared_ptr<LiveConnection> conn);
    void serveHttp(int fd, LiveConnection &conn);
    void serveEcho(int fd, LiveConnection &conn);
    void serveSink(int fd, LiveConnection &conn);
    void serveRest(int fd, LiveConnection &conn);
    void logRequest(LiveConnection &conn, std::uint64_t seq, std::string_view wire,
                    const std::string &error = {});

    ServerOptions m_options;
    RestService m_rest{m_options.variant};
    RecordWriter m_writer;
    RecordWriter m_requestLog; // --record-requests
    ConnectionRegistry m_registry{m_writer};
};

} // namespace trafficgen
