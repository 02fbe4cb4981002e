#include "httpsink.h"

namespace podtap {

HttpSink::HttpSink(ExchangeCallback onExchange, const HttpParser::Limits &limits)
    : m_onExchange(std::move(onExchange))
    , m_limits(limits)
{}

HttpSink::~HttpSink() = default;

const HttpConversation *HttpSink::conversation(std::uint64_t connectionId) const
{
    const auto it = m_conns.find(connectionId);
    return it == m_conns.end() ? nullptr : it->second.conv.get();
}

const Http2Connection *HttpSink::http2(std::uint64_t connectionId) const
{
    const auto it = m_conns.find(connectionId);
    return it == m_conns.end() ? nullptr : it->second.h2.get();
}

void HttpSink::connectionOpened(TcpConnection &c)
{
    Entry &e = m_conns[c.id];
    e.conv = std::make_unique<HttpConversation>(m_limits);
    e.conv->setTakeH2cUpgrade(m_http2);
    if (c.midstream)
        e.conv->startMidstream(); // its requests from the next one on; answers not paired
    if (m_http2) {
        e.h2 = std::make_unique<Http2Connection>(m_limits);
        if (c.midstream)
            e.h2->startMidstream();
    }
}

bool HttpSink::settleHttp2(Entry &e)
{
    Http2Connection &h2 = *e.h2;
    switch (h2.state()) {
    case Http2Connection::State::Detecting:
        return false;
    case Http2Connection::State::NotHttp2:
        e.h2.reset();
        return false;
    case Http2Connection::State::Decoding:
    case Http2Connection::State::Stopped:
        break;
    }
    if (!h2.isHttp2()) {
        e.h2.reset();
        return false;
    }
    if (e.conv) {
        // The HTTP/1 side saw the preface as "not HTTP/1": it is HTTP/2, not another protocol.
        e.conv.reset();
        ++m_stats.http2Connections;
        e.counted = true;
    }
    if (h2.state() == Http2Connection::State::Stopped && !e.h2Stopped) {
        e.h2Stopped = true;
        ++m_stats.http2Undecodable;
        const QString &why = h2.stopReason();
        if (why == Http2Connection::midstreamReason())
            ++m_stats.http2Midstream;
        else if (why.contains(QLatin1String("missing from the capture")))
            ++m_stats.http2Gaps;
        else
            ++m_stats.http2Errors;
        m_stats.http2LastReason = why;
    }
    return true;
}

void HttpSink::data(TcpConnection &c, Direction d, const std::uint8_t *bytes, std::size_t size,
                    std::int64_t tsNs)
{
    const auto it = m_conns.find(c.id);
    if (it == m_conns.end())
        return;
    Entry &e = it->second;
    if (e.h2) {
        if (d == Direction::ClientToServer)
            e.h2->clientData(bytes, size, tsNs);
        else
            e.h2->serverData(bytes, size, tsNs);
        if (settleHttp2(e)) {
            deliver(c, *e.h2);
            return;
        }
    }
    if (!e.conv)
        return;
    HttpConversation &conv = *e.conv;
    if (d == Direction::ClientToServer) {
        conv.clientData(bytes, size, tsNs);
    } else {
        const std::uint64_t ignored = conv.responses().bytesIgnored();
        conv.serverData(bytes, size, tsNs);
        if (conv.h2cUpgraded()) {
            // The bytes after the 101 (ignored by the HTTP/1 parser) end this piece.
            const auto after = std::size_t(conv.responses().bytesIgnored() - ignored);
            upgradeToHttp2(c, e, bytes + (size - after), after, tsNs);
            return;
        }
    }
    if (!e.counted) {
        const auto kind = conv.kind();
        if (kind == HttpConversation::Kind::NotHttp) {
            if (e.h2)
                return; // maybe HTTP/2: the preface is not whole yet
            ++m_stats.otherConnections;
            e.conv.reset(); // nothing more to do for it
            return;
        }
        if (kind == HttpConversation::Kind::Http) {
            ++m_stats.httpConnections;
            e.counted = true;
        }
    }
    if (conv.hasExchanges())
        deliver(c, conv);
}

void HttpSink::upgradeToHttp2(const TcpConnection &c, Entry &e, const std::uint8_t *after,
                              std::size_t size, std::int64_t tsNs)
{
    HttpConversation &conv = *e.conv;
    if (conv.hasExchanges())
        deliver(c, conv); // HTTP/1.1 exchanges before the upgrade
    Http2Connection::Upgrade up;
    up.request = conv.takeH2cUpgrade();
    up.http2Settings = up.request.header("http2-settings");
    up.clientOffset = conv.requests().position();
    up.serverOffset = conv.responses().position() - size;
    up.firstIndex = conv.exchangesSeen();
    up.tsNs = tsNs;
    if (!e.counted) {
        ++m_stats.httpConnections;
        e.counted = true;
    }
    ++m_stats.h2cUpgrades;
    ++m_stats.http2Connections;
    e.conv.reset();
    e.h2 = std::make_unique<Http2Connection>(m_limits);
    e.h2->startUpgraded(std::move(up));
    if (size > 0)
        e.h2->serverData(after, size, tsNs);
    if (settleHttp2(e))
        deliver(c, *e.h2);
}

void HttpSink::gap(TcpConnection &c, Direction d, std::uint64_t bytes, std::int64_t tsNs)
{
    const auto it = m_conns.find(c.id);
    if (it == m_conns.end())
        return;
    if (Entry &e = it->second; e.h2) {
        if (d == Direction::ClientToServer)
            e.h2->clientGap(bytes, tsNs);
        else
            e.h2->serverGap(bytes, tsNs);
        if (settleHttp2(e)) {
            deliver(c, *e.h2);
            return;
        }
        if (e.conv && !e.counted && e.conv->kind() == HttpConversation::Kind::NotHttp) {
            ++m_stats.otherConnections; // left waiting for the preface above
            e.conv.reset();
            return;
        }
    }
    if (!it->second.conv)
        return;
    HttpConversation &conv = *it->second.conv;
    if (d == Direction::ClientToServer)
        conv.clientGap(bytes, tsNs);
    else
        conv.serverGap(bytes, tsNs);
    if (conv.hasExchanges())
        deliver(c, conv);
}

void HttpSink::connectionClosed(TcpConnection &c)
{
    const auto it = m_conns.find(c.id);
    if (it == m_conns.end() || it->second.finished)
        return;
    if (Entry &e = it->second; e.h2) {
        e.h2->finish(c.lastTsNs);
        if (settleHttp2(e)) {
            e.finished = true;
            deliver(c, *e.h2);
            return;
        }
    }
    if (!it->second.conv)
        return;
    HttpConversation &conv = *it->second.conv;
    it->second.finished = true;
    conv.finish(c.lastTsNs);
    const bool broken = conv.requests().state() == HttpParser::State::Broken
                        || conv.responses().state() == HttpParser::State::Broken;
    if (broken && it->second.counted)
        ++m_stats.brokenConnections;
    if (!it->second.counted && conv.kind() != HttpConversation::Kind::Http)
        ++m_stats.otherConnections; // ended before showing what it was
    deliver(c, conv);
}

void HttpSink::connectionRemoved(TcpConnection &c)
{
    const auto it = m_conns.find(c.id);
    if (it == m_conns.end())
        return;
    if ((it->second.conv || it->second.h2) && !it->second.finished)
        connectionClosed(c);
    m_conns.erase(c.id);
}

void HttpSink::deliver(const TcpConnection &c, Http2Connection &h2)
{
    if (!h2.hasExchanges())
        return;
    for (HttpExchange &x : h2.takeExchanges()) {
        ++m_stats.exchanges;
        if (!x.hasResponse)
            ++m_stats.unanswered;
        if (!x.request.isComplete())
            ++m_stats.incompleteMessages;
        if (x.hasResponse && !x.response.isComplete())
            ++m_stats.incompleteMessages;
        if (m_onExchange)
            m_onExchange(c, std::move(x));
    }
}

void HttpSink::deliver(const TcpConnection &c, HttpConversation &conv)
{
    for (HttpExchange &x : conv.takeExchanges()) {
        ++m_stats.exchanges;
        if (!x.hasResponse)
            ++m_stats.unanswered;
        if (!x.request.isComplete())
            ++m_stats.incompleteMessages;
        if (x.hasResponse && !x.response.isComplete())
            ++m_stats.incompleteMessages;
        if (m_onExchange)
            m_onExchange(c, std::move(x));
    }
}

} // namespace podtap
