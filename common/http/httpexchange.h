#pragma once

#include "http2/grpccall.h"
#include "httpmessage.h"

#include <QJsonObject>

#include <cstdint>
#include <optional>

namespace podtap {

// A request and the response that answered it, on one connection: an HTTP/1.x pair, or
// one HTTP/2 stream (RFC 9113 5.1).
struct HttpExchange
{
    enum class Protocol : std::uint8_t { Http1, Http2 };
    std::uint64_t index = 0; // 0-based position on its connection
    Protocol protocol = Protocol::Http1;
    std::uint32_t streamId = 0;   // HTTP/2
    std::uint32_t resetCode = 0;  // HTTP/2: RST_STREAM error code, when wasReset
    bool wasReset = false;        // HTTP/2: the stream ended by RST_STREAM
    std::optional<GrpcCall> grpc; // HTTP/2 with content-type application/grpc
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
