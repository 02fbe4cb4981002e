#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>

namespace trafficgen {

// An IPv4 or IPv6 socket address written "1.2.3.4:80" or "[fd00::1]:80".
class SockAddress
{
public:
    // Accepts "ADDR:PORT", "[V6]:PORT", and with allowNoPort also a bare "ADDR" (port 0).
    static std::optional<SockAddress> parse(const std::string &text, bool allowNoPort = false);
    static SockAddress fromSockaddr(const sockaddr *sa, socklen_t len);
    static SockAddress localOf(int fd);
    static SockAddress peerOf(int fd);

    int family() const { return m_storage.ss_family; }
    const sockaddr *sa() const { return reinterpret_cast<const sockaddr *>(&m_storage); }
    socklen_t length() const { return m_length; }
    std::string toString() const;

private:
    sockaddr_storage m_storage{};
    socklen_t m_length = 0;
};

} // namespace trafficgen
