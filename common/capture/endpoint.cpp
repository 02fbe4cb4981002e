#include "endpoint.h"

#include <arpa/inet.h>

namespace podtap {

std::string Endpoint::addressString() const
{
    char buf[INET6_ADDRSTRLEN] = {};
    const int af = family == 6 ? AF_INET6 : AF_INET;
    if (!inet_ntop(af, addr.data(), buf, sizeof buf))
        return {};
    return buf;
}

std::string Endpoint::toString() const
{
    if (family == 6)
        return '[' + addressString() + "]:" + std::to_string(port);
    return addressString() + ':' + std::to_string(port);
}

} // namespace podtap
