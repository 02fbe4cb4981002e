#include "client.h"

#include "httpparser.h"
#include "netio.h"
#include "payload.h"
#include "requestlog.h"
#include "restmix.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <iterator>
#include <thread>
#include <vector>

namespace trafficgen {

using Clock = std::chrono::steady_clock;

Client::Client(ClientOptions options)
    : m_options(std::move(options))
{}

int Client::run()
{
    if (!m_options.recordPath.empty() && !m_writer.open(m_options.recordPath)) {
        std::fprintf(stderr, "client: cannot write %s: %s\n", m_options.recordPath.c_str(),
                     strerror(errno));
        return 1;
    }
    if (!m_options.recordRequestsPath.empty() && !m_requestLog.open(m_options.recordRequestsPath)) {
        std::fprintf(stderr, "client: cannot write %s: %s\n", m_options.recordRequestsPath.c_str(),
                     strerror(errno));
        return 1;
    }
    if (m_options.mode == "raw" && !loadRawSegments(m_options.rawPath, m_rawSegments))
        return 1;
    if (m_options.connections == 0 && m_options.duration <= 0) {
        std::fprintf(stderr, "client: --connections 0 needs --duration\n");
        return 1;
    }
    if (m_options.requestsPerConn == 0 && m_options.duration <= 0) {
        std::fprintf(stderr, "client: --requests-per-conn 0 needs --duration\n");
        return 1;
    }
    if (m_options.timeout <= 0)
        m_options.timeout = m_options.duration > 0 ? m_options.duration + 60 : 300;
    m_start = Clock::now();

    // Hard deadline: record what is open and leave, whatever the peers do.
    std::thread([this] {
        std::this_thread::sleep_for(std::chrono::duration<double>(m_options.timeout));
        m_registry.dumpOpen("client --timeout reached");
        std::fprintf(stderr, "client: --timeout %.1fs reached\n", m_options.timeout);
        std::fflush(stdout);
        _exit(3);
    }).detach();

    std::uint64_t threads = std::max<std::uint64_t>(1, m_options.concurrency);
    if (m_options.connections > 0)
        threads = std::min(threads, m_options.connections);
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (std::uint64_t i = 0; i < threads; ++i)
        pool.emplace_back([this] { worker(); });
    for (auto &t : pool)
        t.join();
    m_writer.flush();
    m_requestLog.flush();

    const double elapsed = std::chrono::duration<double>(Clock::now() - m_start).count();
    char rest[96] = "";
    if (m_options.mode == "rest")
        std::snprintf(rest, sizeof(rest), ",\"framing_failures\":%llu,\"interim_responses\":%llu",
                      static_cast<unsigned long long>(m_framingFailures.load()),
                      static_cast<unsigned long long>(m_interim.load()));
    std::printf("{\"connections\":%llu,\"ok\":%llu,\"failed\":%llu,\"requests\":%llu,"
                "\"sent_bytes\":%llu,\"received_bytes\":%llu,\"elapsed\":%.3f%s}\n",
                static_cast<unsigned long long>(m_ok + m_failed),
                static_cast<unsigned long long>(m_ok.load()),
                static_cast<unsigned long long>(m_failed.load()),
                static_cast<unsigned long long>(m_requests.load()),
                static_cast<unsigned long long>(m_sentBytes.load()),
                static_cast<unsigned long long>(m_receivedBytes.load()), elapsed, rest);
    std::fflush(stdout);
    return m_failed > 0 ? 1 : 0;
}

bool Client::timeLeft() const
{
    if (m_options.duration <= 0)
        return true;
    return std::chrono::duration<double>(Clock::now() - m_start).count() < m_options.duration;
}

bool Client::pace()
{
    if (!timeLeft())
        return false;
    if (m_options.rate <= 0)
        return true;
    const std::uint64_t k = m_ticket++;
    const auto due = m_start
                     + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                             static_cast<double>(k) / m_options.rate));
    std::this_thread::sleep_until(due);
    return timeLeft();
}

void Client::waitStdin()
{
    std::unique_lock lock(m_stdinMutex);
    if (m_stdinDone)
        return;
    if (!m_stdinReading) {
        m_stdinReading = true;
        lock.unlock();
        std::string line;
        std::getline(std::cin, line);
        lock.lock();
        m_stdinDone = true;
        m_stdinCv.notify_all();
        return;
    }
    m_stdinCv.wait(lock, [this] { return m_stdinDone; });
}

void Client::worker()
{
    for (;;) {
        const std::uint64_t index = m_nextConnection++;
        if (m_options.connections > 0 && index >= m_options.connections)
            return;
        if (!timeLeft())
            return;
        if (m_options.mode == "bulk" && !pace())
            return;
        auto conn = std::make_shared<LiveConnection>();
        conn->record.role = "client";
        conn->record.startTs = wallClock();
        m_registry.add(conn);
        const bool ok = runConnection(index, *conn);
        {
            std::lock_guard lock(conn->mutex);
            conn->record.endTs = wallClock();
            m_sentBytes += conn->sent.bytes();
            m_receivedBytes += conn->received.bytes();
        }
        m_registry.finish(conn);
        if (!ok && m_failed < 5) {
            std::lock_guard lock(conn->mutex);
            std::fprintf(stderr, "client: connection %llu (%s): %s\n",
                         static_cast<unsigned long long>(index), conn->record.local.c_str(),
                         conn->record.error.c_str());
        }
        (ok ? m_ok : m_failed)++;
    }
}

namespace {

void setError(LiveConnection &conn, const std::string &what)
{
    std::lock_guard lock(conn.mutex);
    if (conn.record.error.empty())
        conn.record.error = what;
    if (conn.record.close.empty() || conn.record.close == "fin")
        conn.record.close = "error";
}

std::string errnoText(const char *what)
{
    return std::string(what) + ": " + strerror(errno);
}

void sleepSeconds(double s)
{
    if (s > 0)
        std::this_thread::sleep_for(std::chrono::duration<double>(s));
}

} // namespace

bool Client::runConnection(std::uint64_t index, LiveConnection &conn)
{
    const int fd = ::socket(m_options.connect.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        setError(conn, errnoText("socket"));
        return false;
    }
    const int one = 1;
    timeval tv{m_options.ioTimeoutSec, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (m_options.rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &m_options.rcvbuf, sizeof(int));
    if (m_options.sndbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &m_options.sndbuf, sizeof(int));
    if (m_options.keepalive > 0) {
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &m_options.keepalive, sizeof(int));
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &m_options.keepalive, sizeof(int));
    }
    if (m_options.bind) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (::bind(fd, m_options.bind->sa(), m_options.bind->length()) != 0) {
            setError(conn, errnoText("bind"));
            ::close(fd);
            return false;
        }
    }
    int rc;
    do {
        rc = ::connect(fd, m_options.connect.sa(), m_options.connect.length());
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        setError(conn, errnoText("connect"));
        ::close(fd);
        return false;
    }
    {
        std::lock_guard lock(conn.mutex);
        conn.record.local = SockAddress::localOf(fd).toString();
        conn.record.remote = SockAddress::peerOf(fd).toString();
    }
    if (m_options.holdStdin) {
        std::printf("connected %s %s\n", conn.record.local.c_str(), conn.record.remote.c_str());
        std::fflush(stdout);
        waitStdin();
    }
    sleepSeconds(m_options.idleBefore);
    const bool ok = m_options.mode == "bulk"   ? exchangeBulk(fd, index, conn)
                    : m_options.mode == "rest" ? exchangeRest(fd, index, conn)
                    : m_options.mode == "raw"  ? exchangeRaw(fd, conn)
                                               : exchangeHttp(fd, index, conn);
    if (!ok) {
        ::close(fd);
        return false;
    }
    return true;
}

// Closes after the exchange: RST (SO_LINGER 0) once the peer acked everything, or FIN and
// reading until the peer's FIN. Closes fd in every case.
bool Client::finishClose(int fd, LiveConnection &conn, bool readToEof)
{
    sleepSeconds(m_options.idleAfter);
    if (m_options.rst) {
        // Unacked data would be discarded by the RST; wait (bounded) until the peer has it.
        for (int i = 0; i < 1000; ++i) {
            int outq = 0;
            if (ioctl(fd, SIOCOUTQ, &outq) != 0 || outq == 0)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        const linger lg{1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        ::close(fd);
        std::lock_guard lock(conn.mutex);
        conn.record.close = "rst";
        return true;
    }
    if (::shutdown(fd, SHUT_WR) != 0) {
        setError(conn, errnoText("shutdown"));
        ::close(fd);
        return false;
    }
    if (readToEof) {
        std::vector<char> buf(64 * 1024);
        for (;;) {
            const ssize_t r = recvSome(fd, buf.data(), buf.size(), conn);
            if (r == 0)
                break;
            if (r < 0) {
                setError(conn, errnoText("recv after shutdown"));
                ::close(fd);
                return false;
            }
        }
    }
    ::close(fd);
    std::lock_guard lock(conn.mutex);
    conn.record.close = "fin";
    return true;
}

bool Client::exchangeHttp(int fd, std::uint64_t index, LiveConnection &conn)
{
    std::string in;
    std::vector<char> buf(64 * 1024);
    std::vector<char> body;
    std::string error;
    std::uint64_t sent = 0;
    std::uint64_t answered = 0;
    bool stop = false;
    const std::uint64_t limit = m_options.requestsPerConn;
    std::size_t parsed = 0; // bytes of `in` already consumed
    while (true) {
        // Fill the pipeline.
        while (!stop && sent - answered < std::max<std::uint64_t>(1, m_options.pipeline)
               && (limit == 0 || sent < limit)) {
            if (!pace()) {
                stop = true;
                break;
            }
            const std::uint64_t size = m_options.requestSize;
            const std::string head = std::string(size > 0 ? "POST" : "GET") + " /bytes/"
                                     + std::to_string(m_options.responseSize)
                                     + " HTTP/1.1\r\nHost: trafficgen\r\nX-Response-Size: "
                                     + std::to_string(m_options.responseSize) + "\r\nX-Request-Id: "
                                     + std::to_string(index) + "-" + std::to_string(sent)
                                     + "\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n";
            const double sendTs = wallClock(); // before its first byte leaves
            if (!sendAll(fd, head.data(), head.size(), conn, &error)) {
                setError(conn, error);
                return false;
            }
            Payload payload(m_options.seed ^ (index << 20) ^ sent);
            body.resize(std::min<std::uint64_t>(size, 256 * 1024));
            std::string wire = m_requestLog.isOpen() ? head : std::string();
            for (std::uint64_t left = size; left > 0;) {
                const std::size_t n = std::min<std::uint64_t>(left, body.size());
                payload.fill(body.data(), n);
                if (!sendAll(fd, body.data(), n, conn, &error)) {
                    setError(conn, error);
                    return false;
                }
                if (m_requestLog.isOpen())
                    wire.append(body.data(), n);
                left -= n;
            }
            if (m_requestLog.isOpen()) {
                std::string local;
                {
                    std::lock_guard lock(conn.mutex);
                    local = conn.record.local;
                }
                m_requestLog.writeLine(requestRecord(local, sent, wire, sendTs));
            }
            ++sent;
        }
        if (answered == sent)
            break;
        // Read one response.
        HttpHead head;
        while (!parseHttpHead(in, parsed, nullptr, head)) {
            const ssize_t r = recvSome(fd, buf.data(), buf.size(), conn);
            if (r <= 0) {
                setError(conn, r == 0 ? std::string("EOF before response") : errnoText("recv"));
                return false;
            }
            in.append(buf.data(), static_cast<std::size_t>(r));
        }
        const std::size_t need = head.headerEnd + head.contentLength;
        while (in.size() - parsed < need) {
            const ssize_t r = recvSome(fd, buf.data(), buf.size(), conn);
            if (r <= 0) {
                setError(conn, r == 0 ? std::string("EOF inside response") : errnoText("recv"));
                return false;
            }
            in.append(buf.data(), static_cast<std::size_t>(r));
        }
        parsed += need;
        if (parsed > (1 << 20)) {
            in.erase(0, parsed);
            parsed = 0;
        }
        ++answered;
        ++m_requests;
        {
            std::lock_guard lock(conn.mutex);
            conn.record.requests = answered;
        }
    }
    if (parsed != in.size()) {
        setError(conn, "unexpected bytes after the last response");
        return false;
    }
    return finishClose(fd, conn, true);
}

// REST mix: R requests per connection, up to P in flight; each response must be complete and
// framed by the rules for its status and request method (HttpParser::parseResponse); 1xx
// interim responses before a final one are counted into that request's bytes_resp.
bool Client::exchangeRest(int fd, std::uint64_t index, LiveConnection &conn)
{
    struct Pending
    {
        RestRequest request;
        std::uint64_t seq = 0;
        std::size_t bytesReq = 0;
    };
    RestMix mix(m_options.seed, index);
    std::deque<Pending> pending;
    std::string in;
    std::vector<char> buf(64 * 1024);
    std::string error;
    std::uint64_t sent = 0;
    std::uint64_t answered = 0;
    std::size_t parsed = 0;       // bytes of `in` already consumed
    std::size_t interimBytes = 0; // 1xx bytes before the current final response
    bool stop = false;
    bool closing = false; // the server announced (or we asked) Connection: close
    const std::uint64_t limit = m_options.requestsPerConn;
    std::string local;
    {
        std::lock_guard lock(conn.mutex);
        local = conn.record.local;
    }
    auto log = [&](const Pending &p, int status, std::size_t bytesResp, const std::string &err) {
        if (!m_requestLog.isOpen())
            return;
        std::string line
                = "{\"conn\":\"" + RecordWriter::escape(local)
                  + "\",\"seq\":" + std::to_string(p.seq) + ",\"method\":\"" + p.request.method
                  + "\",\"path\":\"" + RecordWriter::escape(p.request.path) + "\",\"route\":\""
                  + p.request.route + "\",\"status\":" + std::to_string(status) + ",\"bytes_req\":"
                  + std::to_string(p.bytesReq) + ",\"bytes_resp\":" + std::to_string(bytesResp);
        if (!err.empty())
            line += ",\"error\":\"" + RecordWriter::escape(err) + "\"";
        m_requestLog.writeLine(line + "}");
    };
    // A response that is not complete and well-framed ends the connection: nothing after it
    // can be trusted. Requests still waiting are logged with status 0.
    auto failPending = [&](const std::string &what, bool framing) {
        if (framing)
            ++m_framingFailures;
        for (const Pending &p : pending)
            log(p, 0, 0, what);
        setError(conn, what);
        return false;
    };
    while (true) {
        while (!stop && !closing && sent - answered < std::max<std::uint64_t>(1, m_options.pipeline)
               && (limit == 0 || sent < limit)) {
            if (!pace()) {
                stop = true;
                break;
            }
            Pending p;
            p.request = mix.next(sent, limit != 0 && sent + 1 == limit);
            p.seq = sent;
            p.bytesReq = p.request.wire.size();
            if (!sendAll(fd, p.request.wire.data(), p.request.wire.size(), conn, &error)) {
                pending.push_back(std::move(p));
                return failPending(error, false);
            }
            closing = p.request.close;
            p.request.wire.clear();
            pending.push_back(std::move(p));
            ++sent;
        }
        if (pending.empty())
            break;
        HttpMessage msg;
        const auto status = HttpParser::parseResponse(std::string_view(in).substr(parsed),
                                                      pending.front().request.head, msg, &error);
        if (status == HttpParser::Status::Error)
            return failPending("malformed response to " + pending.front().request.method + " "
                                       + pending.front().request.path + ": " + error,
                               true);
        if (status == HttpParser::Status::NeedMore) {
            const ssize_t r = recvSome(fd, buf.data(), buf.size(), conn);
            if (r <= 0) {
                const bool partial = parsed < in.size() || interimBytes > 0;
                return failPending(r < 0     ? errnoText("recv")
                                   : partial ? std::string("EOF inside a response")
                                             : std::string("EOF before a response"),
                                   r == 0 && partial);
            }
            in.append(buf.data(), static_cast<std::size_t>(r));
            continue;
        }
        parsed += msg.wireBytes;
        if (msg.status < 200) {
            if (msg.status == 101)
                return failPending("unexpected 101 Switching Protocols", true);
            ++m_interim;
            interimBytes += msg.wireBytes;
            continue;
        }
        log(pending.front(), msg.status, interimBytes + msg.wireBytes, std::string());
        pending.pop_front();
        interimBytes = 0;
        ++answered;
        ++m_requests;
        {
            std::lock_guard lock(conn.mutex);
            conn.record.requests = answered;
        }
        if (parsed > (1 << 20)) {
            in.erase(0, parsed);
            parsed = 0;
        }
        if (msg.connectionClose()) {
            closing = true;
            if (!pending.empty())
                return failPending("server closed with requests outstanding", false);
        }
    }
    if (parsed != in.size()) {
        ++m_framingFailures;
        setError(conn, "unexpected bytes after the last response");
        return false;
    }
    return finishClose(fd, conn, true);
}

// Raw mode: the file's segments in order, each in its own TCP segment (TCP_NODELAY, and the
// next write waits until the peer acked everything sent), so a test knows which packet carries
// which bytes. Then FIN and read until the server's FIN; what the server answers is not checked.
bool Client::exchangeRaw(int fd, LiveConnection &conn)
{
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::string error;
    for (const std::string &segment : m_rawSegments) {
        if (!sendAll(fd, segment.data(), segment.size(), conn, &error)) {
            setError(conn, error);
            return false;
        }
        for (int i = 0; i < 5000; ++i) { // bounded: 5 s
            int outq = 0;
            if (ioctl(fd, SIOCOUTQ, &outq) != 0 || outq == 0)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    return finishClose(fd, conn, true);
}

bool Client::loadRawSegments(const std::string &path, std::vector<std::string> &segments)
{
    std::ifstream f(path, std::ios::binary);
    const std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (!f.good() && !f.eof()) {
        std::fprintf(stderr, "client: cannot read %s\n", path.c_str());
        return false;
    }
    std::size_t pos = 0;
    while (pos < all.size()) {
        const std::size_t nl = all.find('\n', pos);
        std::size_t n = 0;
        bool ok = nl != std::string::npos && nl > pos && nl - pos <= 9;
        for (std::size_t i = pos; ok && i < nl; ++i) {
            ok = all[i] >= '0' && all[i] <= '9';
            n = n * 10 + std::size_t(all[i] - '0');
        }
        if (!ok || n == 0 || all.size() - (nl + 1) < n) {
            std::fprintf(stderr,
                         "client: %s: bad segment at byte %zu (want \"LENGTH\\n\" + bytes)\n",
                         path.c_str(), pos);
            return false;
        }
        segments.push_back(all.substr(nl + 1, n));
        pos = nl + 1 + n;
    }
    if (segments.empty()) {
        std::fprintf(stderr, "client: %s holds no segment\n", path.c_str());
        return false;
    }
    return true;
}

bool Client::exchangeBulk(int fd, std::uint64_t index, LiveConnection &conn)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    Payload payload(m_options.seed ^ (index * 0x100000001ull));
    std::vector<char> out(256 * 1024);
    std::vector<char> in(256 * 1024);
    std::size_t outLen = 0;
    std::size_t outOff = 0;
    std::uint64_t left = m_options.bulkBytes;
    bool readDone = false;
    while (left > 0 || outOff < outLen) {
        pollfd p{fd, static_cast<short>(POLLOUT | (readDone ? 0 : POLLIN)), 0};
        const int n = ::poll(&p, 1, m_options.ioTimeoutSec * 1000);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            setError(conn, n == 0 ? std::string("bulk: I/O timeout") : errnoText("poll"));
            return false;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t r = recvSome(fd, in.data(), in.size(), conn);
            if (r == 0)
                readDone = true;
            else if (r < 0 && errno != EAGAIN) {
                setError(conn, errnoText("recv"));
                return false;
            }
        }
        if (p.revents & POLLOUT) {
            if (outOff == outLen) {
                outLen = std::min<std::uint64_t>(left, out.size());
                payload.fill(out.data(), outLen);
                left -= outLen;
                outOff = 0;
            }
            const ssize_t w = ::send(fd, out.data() + outOff, outLen - outOff, MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN && errno != EINTR) {
                setError(conn, errnoText("send"));
                return false;
            }
            if (w > 0) {
                conn.addSent(out.data() + outOff, static_cast<std::size_t>(w));
                outOff += static_cast<std::size_t>(w);
            }
        }
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return finishClose(fd, conn, !readDone);
}

} // namespace trafficgen
