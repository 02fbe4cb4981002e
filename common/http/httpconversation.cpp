#include "httpconversation.h"

#include <utility>

namespace podtap {

namespace {

// A comma-separated header value lists `token` (case-insensitive), as Upgrade does.
bool listsToken(const QByteArray &value, QByteArrayView token)
{
    for (const QByteArray &item : value.split(','))
        if (item.trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    return false;
}

// Complete messages waiting for their other half. Far deeper than any client pipelines, yet
// it bounds a connection's memory (each holds its head and kept body) when one side is
// never answered: a one-way capture, a server side that stopped parsing, a lagging peer.
constexpr qsizetype MaxQueued = 256;
} // namespace

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
    // After a 101 or a 2xx to CONNECT the client's bytes are the tunnel's (WebSocket frames,
    // TLS), not requests: parsing them would call the connection broken.
    if (m_requests.isStopped() || m_responses.state() == HttpParser::State::Tunnel)
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

void HttpConversation::startMidstream()
{
    m_requests.startMidstream();
    m_pairingLost = true;
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
            if (m_skipRequests > 0) {
                // Its answer was dropped unpaired: it comes out unanswered, pairs stay aligned.
                --m_skipRequests;
                HttpExchange x;
                x.index = m_nextIndex++;
                x.request = std::move(m);
                m_ready.push_back(std::move(x));
                continue;
            }
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
            if (takesH2cUpgrade(m)) {
                m_h2cUpgraded = true;
                m_upgradeRequest = std::move(m_requestQueue.front());
                m_requestQueue.pop_front();
                m_interim = 0;
                continue;
            }
            ++m_interim;
            continue;
        }
        if (m_skipResponses > 0) {
            // The answer to a request already handed out unanswered: keep pairs aligned.
            --m_skipResponses;
            ++m_unpaired;
            m_interim = 0;
            continue;
        }
        m_responseQueue.push_back(std::move(m));
        m_interimQueue.push_back(m_interim);
        m_interim = 0;
    }
    pair();
}

bool HttpConversation::takesH2cUpgrade(const HttpMessage &switching) const
{
    // RFC 7540 3.2: the 101 answers the oldest request waiting, which asked for h2c; the
    // response parser has stopped at it (Tunnel) and nothing else is waiting to be paired.
    if (!m_takeH2c || m_h2cUpgraded || switching.status != 101
        || m_responses.state() != HttpParser::State::Tunnel || m_pairingLost || m_skipResponses > 0
        || !m_responseQueue.empty() || m_requestQueue.empty())
        return false;
    const HttpMessage &request = m_requestQueue.front();
    return !request.afterResync && listsToken(switching.header("upgrade"), "h2c")
           && listsToken(request.header("upgrade"), "h2c");
}

HttpMessage HttpConversation::takeH2cUpgrade()
{
    return std::exchange(m_upgradeRequest, HttpMessage{});
}

void HttpConversation::releaseUnpairable()
{
    // Requests no response can answer any more, or too many waiting: out now, unanswered,
    // instead of at finish(). If their answers still come, they are dropped (m_skipResponses).
    const bool noAnswers = m_responses.isStopped() || m_pairingLost;
    while (!m_requestQueue.empty() && (noAnswers || m_requestQueue.size() > MaxQueued)) {
        if (!noAnswers)
            ++m_skipResponses;
        HttpExchange x;
        x.index = m_nextIndex++;
        x.request = std::move(m_requestQueue.front());
        m_requestQueue.pop_front();
        m_ready.push_back(std::move(x));
    }
    // Responses no request will come for: counted, not kept.
    const bool noRequests = m_requests.isStopped() || m_pairingLost;
    while (!m_responseQueue.empty() && (noRequests || m_responseQueue.size() > MaxQueued)) {
        if (!noRequests)
            ++m_skipRequests;
        ++m_unpaired;
        m_responseQueue.pop_front();
        m_interimQueue.pop_front();
    }
}

void HttpConversation::pair()
{
    while (!m_pairingLost && !m_requestQueue.empty() && !m_responseQueue.empty()) {
        if (m_requestQueue.front().afterResync) {
            // Requests were lost before this one: their answers are on the server side with
            // nothing to pair with. An answer that began before this request's first byte
            // answers one of them (a server answers what it has received). With pipelining
            // the lost requests' answers may also come later: which answer is whose is then
            // unknown, and guessing would invent differences.
            if (m_pipelined) {
                m_pairingLost = true;
                break;
            }
            const std::int64_t since = m_requestQueue.front().firstByteNs;
            while (!m_responseQueue.empty() && m_responseQueue.front().firstByteNs < since) {
                ++m_unpaired;
                m_responseQueue.pop_front();
                m_interimQueue.pop_front();
            }
            if (m_responseQueue.empty())
                break;
            m_requestQueue.front().afterResync = false; // aligned
        }
        HttpExchange x;
        x.index = m_nextIndex++;
        x.request = std::move(m_requestQueue.front());
        x.response = std::move(m_responseQueue.front());
        x.interimResponses = m_interimQueue.front();
        x.hasResponse = true;
        m_requestQueue.pop_front();
        m_responseQueue.pop_front();
        m_interimQueue.pop_front();
        // The next request began before this answer did: the client pipelines. (By the
        // capture's clock: events may reach us in batches, out of their real interleaving.)
        if (!m_requestQueue.empty() && m_requestQueue.front().firstByteNs < x.response.firstByteNs)
            m_pipelined = true;
        m_ready.push_back(std::move(x));
    }
    releaseUnpairable();
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
