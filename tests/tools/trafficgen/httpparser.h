#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trafficgen {

// One HTTP/1.1 message as it was framed on the wire (RFC 9112).
struct HttpMessage
{
    std::string method, target, version; // requests
    int status = 0;                      // responses
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers; // names as sent
    std::string body;                                         // decoded (chunks joined)
    std::size_t headBytes = 0; // start line + headers + blank line; > 0 once the head is complete
    std::size_t wireBytes = 0; // the whole message on the wire
    bool chunked = false;
    std::size_t chunks = 0; // data chunks of a chunked body

    // Value of the first header named `lowerName` (case-insensitive), or nullptr.
    const std::string *header(std::string_view lowerName) const;
    bool hasToken(std::string_view lowerName, std::string_view lowerToken) const;
    bool connectionClose() const { return hasToken("connection", "close"); }
    bool expectContinue() const { return hasToken("expect", "100-continue"); }
};

// Strict, stateless HTTP/1.1 framing: parses the message at the start of `buf` again on every
// call, so callers just append what they read and retry. Framing rules (RFC 9112 §6.3):
// requests: Transfer-Encoding chunked, else Content-Length, else no body; responses: no body for
// 1xx, 204, 304 and answers to HEAD, else chunked, else Content-Length (close-delimited bodies
// are rejected: trafficgen never sends them).
class HttpParser
{
public:
    enum class Status { NeedMore, Complete, Error };

    // On NeedMore, `out` already holds the head once it is complete (out.headBytes > 0), so a
    // server can answer "Expect: 100-continue" before the body arrives.
    static Status parseRequest(std::string_view buf, HttpMessage &out, std::string *error);
    static Status parseResponse(std::string_view buf, bool answersHead, HttpMessage &out,
                                std::string *error);

    static constexpr std::size_t maxHead = 64 * 1024;
    static constexpr std::size_t maxBody = 64 * 1024 * 1024;

private:
    static Status parseHead(std::string_view buf, bool request, HttpMessage &out,
                            std::string *error);
    static Status parseBody(std::string_view buf, bool chunked, std::uint64_t length,
                            HttpMessage &out, std::string *error);
};

} // namespace trafficgen
