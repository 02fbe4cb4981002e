#pragma once

#include "capture/capturesink.h"
#include "http2/http2connection.h"
#include "httpconversation.h"

#include <functional>
#include <memory>
#include <unordered_map>

namespace podtap {

// Watches every connection the engine tracks for HTTP/1.x: one HttpConversation per
// connection, exchanges handed out as they complete. Connections that are not HTTP are
// dropped from its map at once and cost one lookup per data event afterwards.
// With HTTP/2 decoding on (setHttp2Decoding, off by default), a connection whose client
// starts with the HTTP/2 preface is decoded by an Http2Connection instead, on any port: its
// streams come out as exchanges of the same type (protocol Http2). An HTTP/1.1 connection
// that switches with "Upgrade: h2c" and a 101 goes on as HTTP/2 from there: the upgrade
// request and its HTTP/2 answer are stream 1's exchange.
class HttpSink : public CaptureSink
{
public:
    struct Stats
    {
        quint64 httpConnections = 0;
        quint64 otherConnections = 0; // detected as not HTTP
        quint64 exchanges = 0;
        quint64 unanswered = 0;         // requests the capture saw no answer to
        quint64 incompleteMessages = 0; // gaps, truncation, malformed framing
        quint64 brokenConnections = 0;  // framing lost after a gap or malformed bytes
        quint64 http2Connections
                = 0; // HTTP/2 decoding on: HTTP/2 seen (preface, or frames mid-stream)
        quint64 http2Undecodable = 0; // HTTP/2 that could not be decoded (whole or in part):
                                      // joined mid-stream, gaps, protocol errors
        // http2Undecodable by cause: = http2Midstream + http2Gaps + http2Errors
        quint64 http2Midstream = 0; // joined mid-stream: HPACK state missed, nothing decoded
        quint64 http2Gaps = 0;      // decoding ended at a capture gap
        quint64 http2Errors = 0;    // protocol errors, HPACK failures, limits
        QString http2LastReason;    // the last stop reason, as Http2Connection said it
        quint64 h2cUpgrades = 0;    // HTTP/1.1 connections switched to HTTP/2 (also counted in
                                    // httpConnections and http2Connections)
    };
    using ExchangeCallback = std::function<void(const TcpConnection &, HttpExchange &&)>;

    explicit HttpSink(ExchangeCallback onExchange,
                      const HttpParser::Limits &limits = HttpParser::Limits{});
    ~HttpSink() override;

    const Stats &stats() const { return m_stats; }
    // The conversation of a live connection, or null (not HTTP, not seen, or removed).
    const HttpConversation *conversation(std::uint64_t connectionId) const;
    // Decode HTTP/2 (prior knowledge or preface on any port). Call before the first event.
    void setHttp2Decoding(bool on) { m_http2 = on; }
    bool http2Decoding() const { return m_http2; }
    // The HTTP/2 decoder of a live connection that is (or looked like) HTTP/2, or null. Its
    // stopReason() says why decoding stopped ("joined mid-stream: …", a gap, …).
    const Http2Connection *http2(std::uint64_t connectionId) const;

    void connectionOpened(TcpConnection &c) override;
    void data(TcpConnection &c, Direction d, const std::uint8_t *bytes, std::size_t size,
              std::int64_t tsNs) override;
    void gap(TcpConnection &c, Direction d, std::uint64_t bytes, std::int64_t tsNs) override;
    void connectionClosed(TcpConnection &c) override;
    void connectionRemoved(TcpConnection &c) override;

private:
    void deliver(const TcpConnection &c, HttpConversation &conv);
    void deliver(const TcpConnection &c, Http2Connection &h2);
    struct Entry;
    // HTTP/2 detection result for this entry after new bytes; true when HTTP/2 owns it.
    bool settleHttp2(Entry &e);
    // The conversation took an h2c upgrade: its HTTP/2 decoder from here on; `after` holds the
    // server's bytes that followed the 101 in this piece.
    void upgradeToHttp2(const TcpConnection &c, Entry &e, const std::uint8_t *after,
                        std::size_t size, std::int64_t tsNs);

    ExchangeCallback m_onExchange;
    HttpParser::Limits m_limits;
    Stats m_stats;
    bool m_http2 = false;
    struct Entry
    {
        std::unique_ptr<HttpConversation> conv;
        std::unique_ptr<Http2Connection> h2; // HTTP/2 on, until it is known not to be
        bool counted = false;
        bool finished = false;
        bool h2Stopped = false; // counted in http2Undecodable
    };
    std::unordered_map<std::uint64_t, Entry> m_conns;
};

} // namespace podtap
