#include "restmix.h"

#include <cstdio>

namespace trafficgen {

namespace {

const RestMix::RouteWeight weights[] = {
        {"GET /users/{id}", 18},   {"GET /orders/{uuid}", 12}, {"POST /items", 14},
        {"GET /catalog", 10},      {"GET /health", 8},         {"HEAD /health", 6},
        {"DELETE /items/{id}", 6}, {"GET /items/{id}", 8},     {"GET /invoices/{id}", 8},
        {"GET (no route)", 10},
};

const char *const unroutable[]
        = {"/users",      "/users/abc",       "/admin/metrics", "/orders/not-a-uuid",
           "/v2/users/1", "/items/7/reviews", "/catalog/",      "/health/live"};

} // namespace

const RestMix::RouteWeight *RestMix::routeWeights(std::size_t &count)
{
    count = sizeof(weights) / sizeof(weights[0]);
    return weights;
}

RestMix::RestMix(std::uint64_t seed, std::uint64_t connection)
    : m_connection(connection)
    , m_rng(seed * 0x100000001B3ull ^ (connection + 1) * 0x9E3779B97F4A7C15ull)
{}

std::string RestMix::postBody(std::uint64_t seq)
{
    // Mostly small JSON documents, one in ten of 16-48 KiB.
    const std::uint64_t noteLen = below(10) == 0 ? 16384 + below(32768) : below(2000);
    std::string note;
    note.reserve(noteLen);
    static const char alphabet[]
            = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (std::uint64_t i = 0; i < noteLen; ++i)
        note.push_back(alphabet[below(sizeof(alphabet) - 1)]);
    return "{\"name\":\"item-" + std::to_string(m_connection) + "-" + std::to_string(seq)
           + "\",\"qty\":" + std::to_string(1 + below(20)) + ",\"tags\":[\"a\",\"b"
           + std::to_string(below(9)) + "\"],\"note\":\"" + note + "\"}";
}

RestRequest RestMix::next(std::uint64_t seq, bool last)
{
    RestRequest r;
    std::uint64_t pick = below(100);
    std::size_t i = 0;
    while (pick >= weights[i].percent) {
        pick -= weights[i].percent;
        ++i;
    }
    r.route = weights[i].route;
    r.method = r.route.substr(0, r.route.find(' '));
    r.head = r.method == "HEAD";
    r.close = last && m_connection % 2 == 0;
    std::string extra; // headers besides Host & co
    std::string body;
    bool chunked = false;
    switch (i) {
    case 0:
        r.path = "/users/" + std::to_string(1 + below(500));
        break;
    case 1: {
        char uuid[40];
        const std::uint64_t a = m_rng.next(), b = m_rng.next();
        std::snprintf(uuid, sizeof(uuid), "%08llx-%04llx-4%03llx-a%03llx-%012llx",
                      static_cast<unsigned long long>(a >> 32),
                      static_cast<unsigned long long>((a >> 16) & 0xffff),
                      static_cast<unsigned long long>(a & 0xfff),
                      static_cast<unsigned long long>(b >> 52),
                      static_cast<unsigned long long>(b & 0xffffffffffffull));
        r.path = std::string("/orders/") + uuid;
        break;
    }
    case 2:
        r.path = "/items";
        body = postBody(seq);
        extra += "Content-Type: application/json\r\n";
        chunked = below(2) == 0;
        if (chunked)
            extra += "Transfer-Encoding: chunked\r\n";
        else if (below(3) == 0)
            extra += "Expect: 100-continue\r\n";
        break;
    case 3:
        r.path = below(10) == 0 ? std::string("/catalog")
                                : "/catalog?page=" + std::to_string(1 + below(50));
        break;
    case 4:
    case 5:
        r.path = "/health";
        break;
    case 6:
        r.path = "/items/" + std::to_string(1 + below(1000));
        break;
    case 7: {
        const std::string id = std::to_string(1 + below(1000));
        r.path = "/items/" + id;
        extra += "If-None-Match: \"item-" + id + "-v1\"\r\n";
        break;
    }
    case 8:
        r.path = "/invoices/" + std::to_string(1 + below(1000));
        break;
    default:
        r.path = unroutable[below(sizeof(unroutable) / sizeof(unroutable[0]))];
        break;
    }
    r.wire = r.method + " " + r.path
             + " HTTP/1.1\r\nHost: trafficgen\r\nUser-Agent: podtap-trafficgen\r\n"
               "Accept: application/json\r\nX-Client-Seq: "
             + std::to_string(m_connection) + "-" + std::to_string(seq) + "\r\n" + extra;
    if (r.close)
        r.wire += "Connection: close\r\n";
    if (r.method == "POST" && !chunked)
        r.wire += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    r.wire += "\r\n";
    if (!chunked) {
        r.wire += body;
        return r;
    }
    // 1-5 chunks of random sizes, some with a chunk extension, some with a trailer.
    const std::uint64_t pieces = 1 + below(5);
    const bool extension = below(4) == 0;
    std::size_t pos = 0;
    for (std::uint64_t p = 0; p < pieces && pos < body.size(); ++p) {
        const std::size_t left = body.size() - pos;
        const std::size_t len = p + 1 == pieces ? left : 1 + below(left);
        char size[48];
        std::snprintf(size, sizeof(size), "%zx%s\r\n", len, extension ? ";part=1" : "");
        r.wire += size;
        r.wire.append(body, pos, len);
        r.wire += "\r\n";
        pos += len;
    }
    r.wire += below(8) == 0 ? "0\r\nX-Trailer: done\r\n\r\n" : "0\r\n\r\n";
    return r;
}

} // namespace trafficgen
