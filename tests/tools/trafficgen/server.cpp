#include "server.h"

#include "netio.h"
#include "payload.h"
#include "requestlog.h"

#include <netinet/tcp.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

namespace trafficgen {

Server::Server(ServerOptions options)
    : m_options(std::move(options))
{}

int Server::run()
{
    if (!m_options.recordPath.empty() && !m_writer.open(m_options.recordPath)) {
        std::fprintf(stderr, "serve: cannot write %s: %s\n", m_options.recordPath.c_str(),
                     strerror(errno));
        return 1;
    }
    if (!m_options.recordRequestsPath.empty() && !m_requestLog.open(m_options.recordRequestsPath)) {
        std::fprintf(stderr, "serve: cannot write %s: %s\n", m_options.recordRequestsPath.c_str(),
                     strerror(errno));
        return 1;
    }
    const int fd = ::socket(m_options.listen.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        std::perror("serve: socket");
        return 1;
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (m_options.rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &m_options.rcvbuf, sizeof(int));
    if (m_options.sndbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &m_options.sndbuf, sizeof(int));
    if (::bind(fd, m_options.listen.sa(), m_options.listen.length()) != 0) {
        std::fprintf(stderr, "serve: bind %s: %s\n", m_options.listen.toString().c_str(),
                     strerror(errno));
        return 1;
    }
    if (::listen(fd, 4096) != 0) {
        std::perror("serve: listen");
        return 1;
    }
    // Tests wait for this line; with port 0 it carries the port the kernel chose.
    std::printf("listening %s\n", SockAddress::localOf(fd).toString().c_str());
    std::fflush(stdout);

    for (;;) {
        const int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) {
                if (errno == EMFILE || errno == ENFILE)
                    usleep(10000);
                continue;
            }
            std::perror("serve: accept");
            return 1;
        }
        auto conn = std::make_shared<LiveConnection>();
        conn->record.role = "server";
        conn->record.local = SockAddress::localOf(c).toString();
        conn->record.remote = SockAddress::peerOf(c).toString();
        conn->record.startTs = wallClock();
        m_registry.add(conn);
        std::thread([this, c, conn] { serve(c, conn); }).detach();
    }
}

void Server::serve(int fd, std::shared_ptr<LiveConnection> conn)
{
    timeval tv{m_options.ioTimeoutSec, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (m_options.mode == "echo")
        serveEcho(fd, *conn);
    else if (m_options.mode == "sink")
        serveSink(fd, *conn);
    else if (m_options.mode == "rest")
        serveRest(fd, *conn);
    else
        serveHttp(fd, *conn);
    ::close(fd);
    {
        std::lock_guard lock(conn->mutex);
        conn->record.endTs = wallClock();
    }
    m_registry.finish(conn);
}

void Server::logRequest(LiveConnection &conn, std::uint64_t seq, std::string_view wire,
                        const std::string &error)
{
    if (!m_requestLog.isOpen())
        return;
    std::string remote;
    {
        std::lock_guard lock(conn.mutex);
        remote = conn.record.remote;
    }
    m_requestLog.writeLine(requestRecord(remote, seq, wire, 0, error));
}

namespace {

void noteReadEnd(ssize_t r, LiveConnection &conn)
{
    std::lock_guard lock(conn.mutex);
    if (r == 0) {
        conn.record.close = "fin";
    } else if (errno == ECONNRESET) {
        conn.record.close = "peer-rst";
    } else {
        conn.record.close = "error";
        conn.record.error = std::string("recv: ") + strerror(errno);
    }
}

void noteError(LiveConnection &conn, const std::string &error)
{
    std::lock_guard lock(conn.mutex);
    conn.record.close = "error";
    conn.record.error = error;
}

} // namespace

void Server::serveSink(int fd, LiveConnection &conn)
{
    if (m_options.stallMs > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(m_options.stallMs));
    std::vector<char> buf(256 * 1024);
    for (;;) {
        const ssize_t r = recvSome(fd, buf.data(), buf.size(), conn);
        if (r <= 0) {
            noteReadEnd(r, conn);
            return;
        }
    }
}

void Server::serveEcho(int fd, LiveConnection &conn)
{
    if (m_options.stallMs > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(m_options.stallMs));
    std::vector<char> buf(64 * 1024);
    for (;;) {
        const ssize_t r = recvSome(fd, buf.data(), buf.size(), conn);
        if (r <= 0) {
            noteReadEnd(r, conn);
            return;
        }
        std::string error;
        if (!sendAll(fd, buf.data(), static_cast<std::size_t>(r), conn, &error)) {
            noteError(conn, error);
            return;
        }
    }
}

// HTTP/1.1 with keep-alive and pipelining: every complete request in the buffer is answered
// in order. The body size comes from "X-Response-Size: N", else the path "/bytes/N", else
// --response-size; the body is Payload(N) so anyone can regenerate it.
void Server::serveHttp(int fd, LiveConnection &conn)
{
    std::string in;
    std::vector<char> buf(64 * 1024);
    std::vector<char> body;
    std::uint64_t seq = 0; // requests of this connection
    constexpr std::size_t maxHeader = 64 * 1024;
    for (;;) {
        std::size_t consumed = 0;
        bool closeAfter = false;
        HttpHead head;
        while (parseHttpHead(in, consumed, "x-response-size", head)) {
            if (in.size() - consumed < head.headerEnd + head.contentLength)
                break; // body not complete yet
            logRequest(conn, seq++,
                       std::string_view(in).substr(consumed, head.headerEnd + head.contentLength));
            consumed += head.headerEnd + head.contentLength;
            std::size_t size = m_options.responseSize;
            if (!head.extraValue.empty())
                size = std::stoull(head.extraValue);
            else if (head.target.rfind("/bytes/", 0) == 0)
                size = std::stoull(head.target.substr(7));
            const std::string header = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream"
                                       "\r\nContent-Length: "
                                       + std::to_string(size)
                                       + (head.connectionClose ? "\r\nConnection: close" : "")
                                       + "\r\n\r\n";
            std::string error;
            if (!sendAll(fd, header.data(), header.size(), conn, &error)) {
                noteError(conn, error);
                return;
            }
            Payload payload(size);
            std::size_t left = size;
            body.resize(std::min<std::size_t>(size, 256 * 1024));
            while (left > 0) {
                const std::size_t n = std::min(left, body.size());
                payload.fill(body.data(), n);
                if (!sendAll(fd, body.data(), n, conn, &error)) {
                    noteError(conn, error);
                    return;
                }
                left -= n;
            }
            {
                std::lock_guard lock(conn.mutex);
                ++conn.record.requests;
            }
            if (head.connectionClose) {
                closeAfter = true;
                break;
            }
        }
        in.erase(0, consumed);
        if (closeAfter) {
            std::lock_guard lock(conn.mutex);
            conn.record.close = "fin";
            return;
        }
        if (in.size() > maxHeader && in.find("\r\n\r\n") == std::string::npos) {
            logRequest(conn, seq, in, "request header too large");
            noteError(conn, "request header too large");
            return;
        }
        const ssize_t r = recvSome(fd, buf.data(), buf.size(), conn);
        if (r <= 0) {
            noteReadEnd(r, conn);
            if (!in.empty())
                logRequest(conn, seq, in,
                           r == 0 ? "EOF inside a request" : "reset inside a request");
            if (r == 0 && !in.empty()) {
                std::lock_guard lock(conn.mutex);
                conn.record.error = "EOF inside a request";
            }
            return;
        }
        in.append(buf.data(), static_cast<std::size_t>(r));
    }
}

// REST mode: every complete request in the buffer is answered in order (pipelining); bodies by
// Content-Length or chunked; "Expect: 100-continue" gets an interim 100 as soon as the head is
// complete (also when the body came along with it, so the bytes do not depend on timing).
void Server::serveRest(int fd, LiveConnection &conn)
{
    std::string in;
    std::vector<char> buf(64 * 1024);
    bool continueSent = false; // for the request at the start of `in`
    std::uint64_t seq = 0;     // requests of this connection
    for (;;) {
        std::size_t consumed = 0;
        for (;;) {
            HttpMessage req;
            std::string error;
            const auto status
                    = HttpParser::parseRequest(std::string_view(in).substr(consumed), req, &error);
            if (status == HttpParser::Status::Error) {
                const std::string reply = m_rest.badRequest(error);
                sendAll(fd, reply.data(), reply.size(), conn, nullptr);
                logRequest(conn, seq, std::string_view(in).substr(consumed),
                           "bad request: " + error);
                noteError(conn, "bad request: " + error);
                return;
            }
            if (req.headBytes > 0 && req.expectContinue() && !continueSent) {
                const std::string interim = RestService::continueResponse();
                if (!sendAll(fd, interim.data(), interim.size(), conn, &error)) {
                    noteError(conn, error);
                    return;
                }
                continueSent = true;
            }
            if (status == HttpParser::Status::NeedMore)
                break;
            logRequest(conn, seq++, std::string_view(in).substr(consumed, req.wireBytes));
            consumed += req.wireBytes;
            continueSent = false;
            bool close = false;
            const std::string reply = m_rest.respond(req, close);
            if (!sendAll(fd, reply.data(), reply.size(), conn, &error)) {
                noteError(conn, error);
                return;
            }
            {
                std::lock_guard lock(conn.mutex);
                ++conn.record.requests;
            }
            if (close) {
                std::lock_guard lock(conn.mutex);
                conn.record.close = "fin";
                return;
            }
        }
        in.erase(0, consumed);
        const ssize_t r = recvSome(fd, buf.data(), buf.size(), conn);
        if (r <= 0) {
            noteReadEnd(r, conn);
            if (!in.empty())
                logRequest(conn, seq, in,
                           r == 0 ? "EOF inside a request" : "reset inside a request");
            if (r == 0 && !in.empty()) {
                std::lock_guard lock(conn.mutex);
                conn.record.error = "EOF inside a request";
            }
            return;
        }
        in.append(buf.data(), static_cast<std::size_t>(r));
    }
}

} // namespace trafficgen
