#include "httpconversation.h"

namespace podtap {

HttpConversation::HttpConversation()
    : HttpConversation(HttpParser::Limits{})
{}

HttpConversation::HttpConversation(const HttpParser::Limits &limits)
    : m_requests(HttpMessage::Kind::Request, limits)
    , m_responses(HttpMessage::Kind::Response, limits)
{}

HttpConversation::Kind HttpConversation::kind() const
{
    if (m_requests.isHttp())
        return Kind::Http;
    if (m_requests.state() == HttpParser::State::NotHttp)
        return Kind::NotHttp;
    return Kind::Unknown;
}

const HttpMessage *HttpConversation::firstRequest() const
{
    if (m_haveFirst)
        return &m_first;
    if (m_requestsDone == 0)
        return m_requests.messageInBody();
    return nullptr;
}

void HttpConversation::clientData(const std::uint8_t *data, std::size_t size, std::int64_t tsNs)
{
    if (m_requests.isStopped())
        return;
    m_requests.feed(data, size, tsNs);
    collectRequests();
}

void HttpConversation::clientGap(std::uint64_t bytes, std::int64_t tsNs)
{
    m_requests.gap(bytes, tsNs);
    collectRequests();
}

void HttpConversation::serverData(const std::uint8_t *data, std::size_t size, std::int64_t tsNs)
{
    if (m_responses.isStopped() || kind() == Kind::NotHttp)
        return;
    m_responses.feed(data, size, tsNs);
    collectResponses();
}

void HttpConversation::serverGap(std::uint64_t bytes, std::int64_t tsNs)
{
    m_responses.gap(bytes, tsNs);
    collectResponses();
}

void HttpConversation::collectRequests()
{
    if (m_requests.hasMessages()) {
        for (HttpMessage &m : m_requests.takeMessages()) {
            // The response side must know each request's method before its answer's head
            // (HEAD and CONNECT change the framing): push it the moment the head is known.
            if (m_requestsDone >= m_headsSeen) {
                m_responses.expectResponseTo(m.method);
                m_headsSeen = m_requestsDone + 1;
            }
            if (!m_haveFirst && m_requestsDone == 0) {
                m_first = m;
                m_first.body.clear();
                m_haveFirst = true;
            }
            ++m_requestsDone;
            m_requestQueue.push_back(std::move(m));
        }
    }
    if (const HttpMessage *inBody = m_requests.messageInBody();
        inBody && m_headsSeen == m_requestsDone) {
        m_responses.expectResponseTo(inBody->method);
        ++m_headsSeen;
    }
    pair();
}

void HttpConversation::collectResponses()
{
    if (!m_responses.hasMessages())
        return;
    for (HttpMessage &m : m_responses.takeMessages()) {
        if (m.interim && m.isComplete()) {
            ++m_interim;
            continue;
        }
        m_responseQueue.push_back(std::move(m));
        m_interimQueue.push_back(m_interim);
        m_interim = 0;
    }
    pair();
}

void HttpConversation::pair()
{
    while (!m_requestQueue.empty() && !m_responseQueue.empty()) {
        HttpExchange x;
        x.index = m_nextIndex++;
        x.request = std::move(m_requestQueue.front());
        x.response = std::move(m_responseQueue.front());
        x.interimResponses = m_interimQueue.front();
        x.hasResponse = true;
        m_requestQueue.pop_front();
        m_responseQueue.pop_front();
        m_interimQueue.pop_front();
        m_ready.push_back(std::move(x));
    }
}

void HttpConversation::finish(std::int64_t tsNs)
{
    m_requests.finish(tsNs);
    collectRequests();
    m_responses.finish(tsNs);
    collectResponses();
    while (!m_requestQueue.empty()) {
        HttpExchange x;
        x.index = m_nextIndex++;
        x.request = std::move(m_requestQueue.front());
        m_requestQueue.pop_front();
        m_ready.push_back(std::move(x));
    }
    m_unpaired += m_responseQueue.size();
    m_responseQueue.clear();
    m_interimQueue.clear();
}

std::vector<HttpExchange> HttpConversation::takeExchanges()
{
    std::vector<HttpExchange> out;
    out.swap(m_ready);
    return out;
}

} // namespace podtap
