#pragma once

#include "httpmessage.h"

#include <QJsonObject>

#include <cstdint>

namespace podtap {

// A request and the response that answered it, on one connection.
struct HttpExchange
{
    std::uint64_t index = 0; // 0-based position on its connection
    HttpMessage request;
    HttpMessage response;
    bool hasResponse = false;
    int interimResponses = 0; // 1xx answers before the final one

    // Request end → first byte of the response (RFC-neutral "time to first byte"); -1
    // when there is no response.
    std::int64_t latencyNs() const
    {
        return hasResponse ? std::max<std::int64_t>(0, response.firstByteNs - request.lastByteNs)
                           : -1;
    }
    QJsonObject toJson() const;
};

} // namespace podtap
