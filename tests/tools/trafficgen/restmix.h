#pragma once

#include "payload.h"

#include <cstdint>
#include <string>

namespace trafficgen {

// One request of the REST mix, ready to send.
struct RestRequest
{
    std::string method;
    std::string path;   // request target
    std::string route;  // e.g. "GET /users/{id}"
    std::string wire;   // the bytes to send
    bool head = false;  // answered without a body
    bool close = false; // carries "Connection: close"
};

// The client's deterministic request mix over every route of `serve --mode rest`: the same
// (seed, connection index, seq) always gives the same bytes. Weights (percent) are in
// tests/tools/README.md and routeWeights().
class RestMix
{
public:
    RestMix(std::uint64_t seed, std::uint64_t connection);

    // Request `seq` of this connection; `last` marks the connection's final request (every
    // second connection then asks "Connection: close").
    RestRequest next(std::uint64_t seq, bool last);

    struct RouteWeight
    {
        const char *route;
        unsigned percent;
    };
    static const RouteWeight *routeWeights(std::size_t &count);

private:
    std::string postBody(std::uint64_t seq);
    std::uint64_t below(std::uint64_t n) { return m_rng.next() % n; }

    std::uint64_t m_connection;
    Payload m_rng;
};

} // namespace trafficgen
