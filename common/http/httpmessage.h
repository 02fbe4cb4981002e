#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QPair>

#include <cstdint>

namespace podtap {

// One HTTP/1.x message as seen on a reassembled stream (RFC 9112). The head is kept
// (bounded by the parser), the body is counted and hashed; at most `keepBodyBytes` of it
// are kept for comparison and display.
struct HttpMessage
{
    enum class Kind : std::uint8_t { Request, Response };
    // Why a message is not whole. Framing may still go on after an incomplete message when
    // the missing bytes were inside a body of known size.
    enum class Incomplete : std::uint8_t {
        No,
        Gap,          // bytes missing from the capture inside this message
        Truncated,    // the stream ended before the message did
        HeadTooLarge, // the head exceeded the parser's limit
        Malformed,    // framing broke (bad chunk size, bad Content-Length, …)
    };

    Kind kind = Kind::Request;
    QByteArray method; // requests
    QByteArray target; // requests: origin-form "/path?query" (or absolute/authority form)
    int status = 0;    // responses
    QByteArray reason; // responses
    int versionMinor = 1;
    int versionMajor = 1; // 2: decoded from HTTP/2 frames (rawHead is then the decoded field
                          // list as "name: value" lines, pseudo-header fields included)
    // A header field as sent (value trimmed): views into rawHead, or into foldedValues for a
    // value continued on more lines (obs-fold). No allocation per field; valid as long as this
    // message or a copy of it lives (the buffers are shared, and never modified after parsing).
    struct Header
    {
        QByteArrayView name;
        QByteArrayView value;
    };
    QList<Header> headers;
    QList<QByteArray> foldedValues;
    bool chunked = false;
    bool interim = false; // a 1xx response: the final one follows

    std::uint64_t headBytes = 0; // start line + headers + empty line
    std::uint64_t bodyBytes = 0; // decoded body (chunk framing removed)
    std::uint64_t wireBytes = 0; // everything on the wire for this message
    std::uint64_t bodyHash = 0;  // XXH64 of the decoded body (only valid when complete)
    QByteArray body;             // the first keepBodyBytes of the decoded body
    bool bodyKeptWhole = true;   // `body` is all of it
    // The raw head as sent (start line + headers + CRLF). `headers` point into it: never
    // modify it after parsing.
    QByteArray rawHead;
    // HTTP/2: the trailer section (a header block after the body), views into rawTrailers
    // ("name: value" lines). HTTP/1 trailers are counted, not kept.
    QList<Header> trailers;
    QByteArray rawTrailers;

    Incomplete incomplete = Incomplete::No;
    std::uint64_t missingBytes = 0; // payload bytes lost in gaps
    // Stream offset of the start line's first byte (gaps count their bytes): the message is
    // the stream's bytes [streamOffset, streamOffset + wireBytes).
    std::uint64_t streamOffset = 0;
    bool afterResync = false; // the first message found after bytes were lost (or a join)

    std::int64_t firstByteNs = 0;
    std::int64_t headEndNs = 0;
    std::int64_t lastByteNs = 0;

    bool isComplete() const { return incomplete == Incomplete::No; }
    // The first header with this name (case-insensitive), or a null array.
    QByteArray header(QByteArrayView name) const;
    QByteArray trailer(QByteArrayView name) const; // the same among the trailers
    int headerCount(QByteArrayView name) const;
    bool isJson() const; // Content-Type application/json or +json
    // "GET /users/7" or "200 OK" (for logs and errors)
    QByteArray startLine() const;
    QJsonObject toJson() const; // a summary, never the body
    static const char *incompleteName(Incomplete why);
};

} // namespace podtap
