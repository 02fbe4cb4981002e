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

void HttpSink::connectionOpened(TcpConnection &c)
{
    auto &conv = m_conns[c.id].conv;
    conv = std::make_unique<HttpConversation>(m_limits);
    if (c.midstream)
        conv->startMidstream(); // its requests from the next one on; answers not paired
}

void HttpSink::data(TcpConnection &c, Direction d, const std::uint8_t *bytes, std::size_t size,
                    std::int64_t tsNs)
{
    const auto it = m_conns.find(c.id);
    if (it == m_conns.end() || !it->second.conv)
        return;
    Entry &e = it->second;
    HttpConversation &conv = *e.conv;
    if (d == Direction::ClientToServer)
        conv.clientData(bytes, size, tsNs);
    else
        conv.serverData(bytes, size, tsNs);
    if (!e.counted) {
        const auto kind = conv.kind();
        if (kind == HttpConversation::Kind::NotHttp) {
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

void HttpSink::gap(TcpConnection &c, Direction d, std::uint64_t bytes, std::int64_t tsNs)
{
    const auto it = m_conns.find(c.id);
    if (it == m_conns.end() || !it->second.conv)
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
    if (it == m_conns.end() || !it->second.conv || it->second.finished)
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
    if (it->second.conv && !it->second.finished)
        connectionClosed(c);
    m_conns.erase(c.id);
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
