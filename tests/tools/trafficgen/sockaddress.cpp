#include "sockaddress.h"

#include <arpa/inet.h>

#include <cstdlib>
#include <cstring>

namespace trafficgen {

std::optional<SockAddress> SockAddress::parse(const std::string &text, bool allowNoPort)
{
    std::string host;
    std::string port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos)
            return std::nullopt;
        host = text.substr(1, close - 1);
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':')
                return std::nullopt;
            port = text.substr(close + 2);
        }
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos || text.find(':') != colon) {
            host = text; // bare IPv4 or bare IPv6 without brackets
        } else {
            host = text.substr(0, colon);
            port = text.substr(colon + 1);
        }
    }
    if (port.empty() && !allowNoPort)
        return std::nullopt;
    unsigned long portNum = 0;
    if (!port.empty()) {
        char *end = nullptr;
        portNum = std::strtoul(port.c_str(), &end, 10);
        if (*end != '\0' || portNum > 65535)
            return std::nullopt;
    }
    SockAddress a;
    auto *v4 = reinterpret_cast<sockaddr_in *>(&a.m_storage);
    auto *v6 = reinterpret_cast<sockaddr_in6 *>(&a.m_storage);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<uint16_t>(portNum));
        a.m_length = sizeof(sockaddr_in);
        return a;
    }
    std::memset(&a.m_storage, 0, sizeof(a.m_storage));
    if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<uint16_t>(portNum));
        a.m_length = sizeof(sockaddr_in6);
        return a;
    }
    return std::nullopt;
}

SockAddress SockAddress::fromSockaddr(const sockaddr *sa, socklen_t len)
{
    SockAddress a;
    if (len > sizeof(a.m_storage))
        len = sizeof(a.m_storage);
    std::memcpy(&a.m_storage, sa, len);
    a.m_length = len;
    return a;
}

SockAddress SockAddress::localOf(int fd)
{
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (getsockname(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
        return {};
    return fromSockaddr(reinterpret_cast<sockaddr *>(&ss), len);
}

SockAddress SockAddress::peerOf(int fd)
{
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (getpeername(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
        return {};
    return fromSockaddr(reinterpret_cast<sockaddr *>(&ss), len);
}

std::string SockAddress::toString() const
{
    char buf[INET6_ADDRSTRLEN] = {};
    if (family() == AF_INET) {
        const auto *v4 = reinterpret_cast<const sockaddr_in *>(&m_storage);
        inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof(buf));
        return std::string(buf) + ':' + std::to_string(ntohs(v4->sin_port));
    }
    if (family() == AF_INET6) {
        const auto *v6 = reinterpret_cast<const sockaddr_in6 *>(&m_storage);
        inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof(buf));
        return '[' + std::string(buf) + "]:" + std::to_string(ntohs(v6->sin6_port));
    }
    return "?";
}

} // namespace trafficgen
