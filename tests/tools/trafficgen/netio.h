#pragma once

#include "liveconnection.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace trafficgen {

// Writes all of [p, p+n), hashing exactly what the kernel accepted. False on error.
inline bool sendAll(int fd, const char *p, std::size_t n, LiveConnection &conn, std::string *error)
{
    while (n > 0) {
        const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (error)
                *error = std::string("send: ") + strerror(errno);
            return false;
        }
        conn.addSent(p, static_cast<std::size_t>(w));
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

// One recv, hashed. Returns bytes read, 0 on EOF, -1 on error (errno kept).
inline ssize_t recvSome(int fd, char *buf, std::size_t cap, LiveConnection &conn)
{
    for (;;) {
        const ssize_t r = ::recv(fd, buf, cap, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r > 0)
            conn.addReceived(buf, static_cast<std::size_t>(r));
        return r;
    }
}

// Finds "\r\n\r\n"; parses Content-Length and another named header (lower-case name).
struct HttpHead
{
    std::size_t headerEnd = 0; // bytes up to and including the blank line
    std::size_t contentLength = 0;
    std::string target;
    std::string extraValue;
    bool connectionClose = false;
};

inline bool headerNameIs(const std::string &line, std::size_t colon, const char *lower)
{
    std::size_t i = 0;
    for (; i < colon && lower[i]; ++i) {
        char c = line[i];
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        if (c != lower[i])
            return false;
    }
    return i == colon && lower[i] == '\0';
}

inline bool parseHttpHead(const std::string &buf, std::size_t from, const char *extraHeader,
                          HttpHead &out)
{
    const auto end = buf.find("\r\n\r\n", from);
    if (end == std::string::npos)
        return false;
    out = HttpHead{};
    out.headerEnd = end + 4 - from;
    std::size_t pos = from;
    bool first = true;
    while (pos < end) {
        auto eol = buf.find("\r\n", pos);
        const std::string line = buf.substr(pos, eol - pos);
        pos = eol + 2;
        if (first) {
            first = false;
            const auto sp1 = line.find(' ');
            const auto sp2 = line.find(' ', sp1 + 1);
            if (sp1 != std::string::npos)
                out.target = line.substr(sp1 + 1, sp2 == std::string::npos ? std::string::npos
                                                                           : sp2 - sp1 - 1);
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ')
            value.erase(0, 1);
        if (headerNameIs(line, colon, "content-length"))
            out.contentLength = std::stoull(value.empty() ? std::string("0") : value);
        else if (headerNameIs(line, colon, "connection"))
            out.connectionClose = value == "close" || value == "Close";
        else if (extraHeader && headerNameIs(line, colon, extraHeader))
            out.extraValue = value;
    }
    return true;
}

} // namespace trafficgen
