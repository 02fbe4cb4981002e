#pragma once

#include "httpexchange.h"
#include "httpparser.h"

#include <QList>
#include <vector>

namespace podtap {

// Both directions of one connection: parses requests and responses and pairs them in
// order (HTTP/1.x answers in request order, pipelined or not). A connection whose client
// bytes do not start like HTTP is NotHttp and costs nothing afterwards.
class HttpConversation
{
public:
    enum class Kind : std::uint8_t { Unknown, Http, NotHttp };

    HttpConversation();
    explicit HttpConversation(const HttpParser::Limits &limits);

    void clientData(const std::uint8_t *data, std::size_t size, std::int64_t tsNs);
    void serverData(const std::uint8_t *data, std::size_t size, std::int64_t tsNs);
    void clientGap(std::uint64_t bytes, std::int64_t tsNs);
    void serverGap(std::uint64_t bytes, std::int64_t tsNs);
    // The connection ended: unanswered requests come out without a response.
    void finish(std::int64_t tsNs);
    // The connection was open before the capture: requests are found as after a gap, and
    // answers are not paired (the response stream's start is missing).
    void startMidstream();
    // h2c upgrades are taken over (HTTP/2 decoding is on): a 101 whose Upgrade is h2c,
    // answering a request that asked for h2c, leaves that request out of the exchanges
    // (takeH2cUpgrade() hands it on: its answer comes as HTTP/2 on stream 1). Any other 101
    // (WebSocket) and a declined upgrade (200) stay as they are.
    void setTakeH2cUpgrade(bool on) { m_takeH2c = on; }
    bool h2cUpgraded() const { return m_h2cUpgraded; }
    // The upgrade request, once (h2cUpgraded()).
    HttpMessage takeH2cUpgrade();

    // Exchanges whose response is done (or that can have none any more), in order.
    std::vector<HttpExchange> takeExchanges();
    bool hasExchanges() const { return !m_ready.empty(); }

    Kind kind() const;
    // The first request's head as soon as it is parsed (body may still be arriving).
    const HttpMessage *firstRequest() const;
    const HttpParser &requests() const { return m_requests; }
    const HttpParser &responses() const { return m_responses; }
    std::uint64_t exchangesSeen() const { return m_nextIndex; }
    // Responses with no request to answer (the request was not parsed).
    std::uint64_t unpairedResponses() const { return m_unpaired; }

private:
    void collectRequests();
    void collectResponses();

    HttpParser m_requests;
    HttpParser m_responses;
    void pair();
    void releaseUnpairable();
    bool takesH2cUpgrade(const HttpMessage &switching) const;

    QList<HttpMessage> m_requestQueue;  // complete requests without a response yet
    QList<HttpMessage> m_responseQueue; // final responses whose request is not done
    QList<int> m_interimQueue;          // 1xx answers before each queued response
    int m_interim = 0;                  // 1xx answers before the next final one
    std::vector<HttpExchange> m_ready;
    HttpMessage m_first;
    bool m_haveFirst = false;
    std::uint64_t m_headsSeen = 0; // request heads whose method the response side knows
    std::uint64_t m_nextIndex = 0;
    std::uint64_t m_unpaired = 0;
    std::uint64_t m_requestsDone = 0;
    std::uint64_t m_skipResponses = 0; // answers to requests handed out unanswered early
    std::uint64_t m_skipRequests = 0;  // requests whose answers were dropped unpaired
    bool m_pipelined = false;          // two requests were seen waiting at once
    bool m_pairingLost = false;        // requests lost on a pipelining client: answers are unknown
    bool m_takeH2c = false;
    bool m_h2cUpgraded = false;
    HttpMessage m_upgradeRequest;
};

} // namespace podtap
