#pragma once

#include "capture/capturesink.h"
#include "httpconversation.h"

#include <functional>
#include <memory>
#include <unordered_map>

namespace podtap {

// Watches every connection the engine tracks for HTTP/1.x: one HttpConversation per
// connection, exchanges handed out as they complete. Connections that are not HTTP are
// dropped from its map at once and cost one lookup per data event afterwards.
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
    };
    using ExchangeCallback = std::function<void(const TcpConnection &, HttpExchange &&)>;

    explicit HttpSink(ExchangeCallback onExchange,
                      const HttpParser::Limits &limits = HttpParser::Limits{});
    ~HttpSink() override;

    const Stats &stats() const { return m_stats; }
    // The conversation of a live connection, or null (not HTTP, not seen, or removed).
    const HttpConversation *conversation(std::uint64_t connectionId) const;

    void connectionOpened(TcpConnection &c) override;
    void data(TcpConnection &c, Direction d, const std::uint8_t *bytes, std::size_t size,
              std::int64_t tsNs) override;
    void gap(TcpConnection &c, Direction d, std::uint64_t bytes, std::int64_t tsNs) override;
    void connectionClosed(TcpConnection &c) override;
    void connectionRemoved(TcpConnection &c) override;

private:
    void deliver(const TcpConnection &c, HttpConversation &conv);

    ExchangeCallback m_onExchange;
    HttpParser::Limits m_limits;
    Stats m_stats;
    struct Entry
    {
        std::unique_ptr<HttpConversation> conv;
        bool counted = false;
        bool finished = false;
    };
    std::unordered_map<std::uint64_t, Entry> m_conns;
};

} // namespace podtap
