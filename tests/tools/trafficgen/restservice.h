#pragma once

#include "httpparser.h"

#include <string>

namespace trafficgen {

// The REST mode's service: deterministic JSON from the path and body, the same bytes for the
// "prod" and "local" variants except for key order (local writes every object's members in
// reverse) and three deliberate differences (tests/tools/README.md, "serve --mode rest"):
// GET /invoices/{n} → 500, GET /users/{n} address.zip, GET /catalog Cache-Control.
class RestService
{
public:
    explicit RestService(std::string variant); // "prod" | "local"

    // The complete response to `req`; closeAfter is set when the connection closes after it.
    std::string respond(const HttpMessage &req, bool &closeAfter) const;
    // 400 with Connection: close, for a request that cannot be framed.
    std::string badRequest(const std::string &why) const;
    // The interim answer to "Expect: 100-continue".
    static std::string continueResponse() { return "HTTP/1.1 100 Continue\r\n\r\n"; }

private:
    struct Reply;
    Reply route(const HttpMessage &req) const;
    std::string render(const Reply &reply, bool headRequest, bool close) const;

    std::string m_variant;
    bool m_local = false;
};

} // namespace trafficgen
