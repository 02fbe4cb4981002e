// libFuzzer target: both directions of one HTTP/1.x connection through HttpConversation (or
// HttpSink over a fake connection), with gaps, in random interleavings and pieces; then the
// exchanges through ShadowComparator, JsonDiff, RouteTemplate and HttpFilter.
//
// Input layout: byte 0 holds option bits, byte 1 seeds the piece sizes and interleaving; the
// rest is the client script, then (after the marker "\xf0SRV") the server script. In a
// script, "\xf0GAP" + L drops the next L+1 bytes and reports them as a gap (a lost packet
// inside a real stream), "\xf0BIG" + 4 bytes (little endian) reports a gap of that many
// bytes without dropping anything (a huge loss). Everything else is stream bytes.
//
// The checks are the parser's promises: memory held per message is bounded by the limits
// (head, kept body, header count, requests waiting for answers), counts add up (bodyBytes ≥ kept
// body, the hash of a whole body is the hash of the kept bytes, exchanges numbered 0, 1, 2, …,
// every parsed request comes out once), a stopped parser (NotHttp, Broken, Tunnel) never produces a
// message again, and comparing a message with itself says "same". A broken promise aborts.

#include "http/httpconversation.h"
#include "http/httpfilter.h"
#include "http/httpsink.h"
#include "http/jsondiff.h"
#include "http/requestframer.h"
#include "http/routetemplate.h"
#include "http/shadowcomparator.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

using namespace podtap;

namespace {

[[noreturn]] void broken(const char *what)
{
    std::fprintf(stderr, "fuzz_http: the HTTP layer broke a promise: %s\n", what);
    std::abort();
}

void check(bool ok, const char *what)
{
    if (!ok)
        broken(what);
}

enum Option : std::uint8_t {
    SmallLimits = 0x01, // tiny head/body/header limits reach the bounds with short inputs
    ClientFirst = 0x02, // all client bytes, then all server bytes (no interleaving)
    ThroughSink = 0x04, // HttpSink over a fake TcpConnection instead of the conversation
    NoFinish = 0x08,    // the connection is dropped without finish() (destructor path)
};

// One step of a direction's script: stream bytes, or a gap.
struct Step
{
    const std::uint8_t *data = nullptr;
    std::size_t size = 0;
    std::uint64_t gap = 0;
};

std::vector<Step> script(const std::uint8_t *p, std::size_t n)
{
    static constexpr std::uint8_t Gap[] = {0xf0, 'G', 'A', 'P'};
    static constexpr std::uint8_t Big[] = {0xf0, 'B', 'I', 'G'};
    std::vector<Step> steps;
    std::size_t start = 0, i = 0;
    auto flush = [&](std::size_t end) {
        if (end > start)
            steps.push_back({p + start, end - start, 0});
    };
    while (i + 4 < n) {
        if (std::memcmp(p + i, Gap, 4) == 0) {
            flush(i);
            const std::size_t drop = std::size_t(p[i + 4]) + 1;
            steps.push_back({nullptr, 0, drop});
            i = std::min(n, i + 5 + drop);
            start = i;
        } else if (std::memcmp(p + i, Big, 4) == 0 && i + 8 < n) {
            flush(i);
            std::uint64_t v = 0;
            for (int k = 0; k < 4; ++k)
                v |= std::uint64_t(p[i + 5 + k]) << (8 * k);
            steps.push_back({nullptr, 0, v ? v : 1});
            i += 9;
            start = i;
        } else {
            ++i;
        }
    }
    flush(n);
    return steps;
}

struct DirectionWatch
{
    bool stopped = false;
    HttpParser::State stoppedAs = HttpParser::State::Detecting;
    std::uint64_t messagesAtStop = 0;
    std::uint64_t fed = 0;  // stream bytes given
    std::uint64_t lost = 0; // gap bytes given
};

// The parser's promises that hold at any time, watched after every event.
void watch(const HttpParser &p, DirectionWatch &w, const HttpParser::Limits &limits)
{
    if (p.state() == HttpParser::State::NotHttp)
        check(p.messagesParsed() == 0, "NotHttp after a message was parsed");
    if (w.stopped) {
        check(p.isStopped(), "a stopped parser started again");
        check(p.state() == w.stoppedAs, "a stopped parser changed state");
        check(p.messagesParsed() == w.messagesAtStop, "a message after NotHttp/Broken/Tunnel");
        check(!p.hasMessages() || p.messagesParsed() == w.messagesAtStop, "late message");
    } else if (p.isStopped()) {
        w.stopped = true;
        w.stoppedAs = p.state();
        w.messagesAtStop = p.messagesParsed();
        check(!p.error().isEmpty() || p.state() == HttpParser::State::Tunnel,
              "stopped without saying why");
    }
    if (const HttpMessage *m = p.messageInBody()) {
        check(std::size_t(m->body.size()) <= limits.keepBodyBytes, "kept body over the limit");
        check(std::size_t(m->rawHead.size()) <= limits.maxHeadBytes, "head over the limit");
        check(m->headers.size() <= limits.maxHeaders, "more headers than the limit");
    }
}

void checkMessage(const HttpMessage &m, HttpMessage::Kind kind, const HttpParser::Limits &limits)
{
    check(m.kind == kind, "a message of the wrong kind");
    check(std::size_t(m.rawHead.size()) <= limits.maxHeadBytes, "raw head over the limit");
    check(m.headBytes <= limits.maxHeadBytes, "headBytes over the limit");
    check(std::size_t(m.body.size()) <= limits.keepBodyBytes, "kept body over the limit");
    check(m.headers.size() <= limits.maxHeaders, "more headers than the limit");
    check(m.bodyBytes >= std::uint64_t(m.body.size()), "bodyBytes < kept body");
    check(m.wireBytes >= m.bodyBytes || !m.isComplete(), "wireBytes < bodyBytes");
    check(m.lastByteNs >= m.firstByteNs, "a message ends before it starts");
    if (m.bodyKeptWhole)
        check(m.bodyBytes == std::uint64_t(m.body.size()), "bodyKeptWhole but bytes missing");
    if (m.isComplete()) {
        check(m.missingBytes == 0, "complete with missing bytes");
        check(m.wireBytes >= m.headBytes + (m.chunked ? 0 : m.bodyBytes), "wire bytes too few");
        if (kind == HttpMessage::Kind::Request)
            check(!m.method.isEmpty(), "a complete request without a method");
        else
            check(m.status >= 100 && m.status <= 999, "a complete response without a status");
        if (m.bodyKeptWhole)
            check(HttpParser::hashBody(m.body) == m.bodyHash,
                  "bodyHash is not the hash of the body");
    }
    // Accessors the daemon and the GUI call on every message: must not crash.
    (void)m.header("content-type");
    (void)m.headerCount("content-length");
    (void)m.isJson();
    (void)m.startLine();
    (void)m.toJson();
}

const HttpFilter &filter()
{
    static const HttpFilter f = [] {
        const QJsonObject json{
                {QStringLiteral("methods"),
                 QJsonArray{QStringLiteral("GET"), QStringLiteral("POST")}},
                {QStringLiteral("path"), QStringLiteral("^/api/")},
                {QStringLiteral("headers"),
                 QJsonObject{{QStringLiteral("X-Tenant"), QStringLiteral("^blue$")}}}};
        const auto r = HttpFilter::fromJson(json);
        if (!r)
            broken("the fuzzer's filter does not parse");
        return r.value();
    }();
    return f;
}

class ExchangeChecker
{
public:
    explicit ExchangeChecker(const HttpParser::Limits &limits)
        : m_limits(limits)
    {}

    void take(HttpExchange &&x)
    {
        check(x.index == m_next, "exchange indexes do not go 0, 1, 2, …");
        ++m_next;
        checkMessage(x.request, HttpMessage::Kind::Request, m_limits);
        if (x.hasResponse) {
            checkMessage(x.response, HttpMessage::Kind::Response, m_limits);
            check(!x.response.interim || !x.response.isComplete(), "a complete 1xx as the answer");
            ++m_answered;
        } else {
            check(x.interimResponses == 0, "interim answers without a final one");
        }
        check(x.interimResponses >= 0, "negative interim count");
        (void)x.latencyNs();
        (void)x.toJson();

        const QString route = RouteTemplate::fold(x.request.method, x.request.target);
        const QString path = RouteTemplate::foldPath(x.request.target);
        check(RouteTemplate::foldPath(path.toLatin1()) == path, "foldPath is not idempotent");
        check(route.endsWith(path), "fold and foldPath disagree");
        (void)filter().matches(x.request);

        const ShadowComparator cmp;
        if (x.hasResponse) {
            const auto self = cmp.compare(x.response, x.response);
            check(self.kind
                          == (x.response.isComplete() ? ShadowComparator::Kind::Same
                                                      : ShadowComparator::Kind::NotComparable),
                  "a response differs from itself");
            (void)self.toJson();
            if (m_havePrevious)
                (void)cmp.compare(m_previous, x.response).toJson();
            m_previous = x.response;
            m_havePrevious = true;
        }
        (void)cmp.compare(x.request, x.request);
        const JsonDiff::Result same = JsonDiff::compare(x.request.body, x.request.body, 5);
        check(same.equal == same.bothJson, "a JSON body differs from itself");
        (void)JsonDiff::compare(x.request.body, x.response.body, 5);
    }

    std::uint64_t exchanges() const { return m_next; }
    std::uint64_t answered() const { return m_answered; }

private:
    HttpParser::Limits m_limits;
    std::uint64_t m_next = 0;
    std::uint64_t m_answered = 0;
    HttpMessage m_previous;
    bool m_havePrevious = false;
};

// The mirror's framer over the client script: without a gap it hands on every byte exactly
// as it came (HTTP or not, but never TLS: nothing of that); with gaps, only bytes of the stream,
// never more than came, and its counts add up.
void checkFramer(const std::vector<Step> &steps, const HttpParser::Limits &limits,
                 std::uint8_t seed, bool midstream)
{
    RequestFramer::Options o;
    o.limits = limits;
    o.holdLimit = 1 + qsizetype(seed) * 64;
    o.midstream = midstream;
    RequestFramer f(o);
    RequestFramer::Output out;
    QByteArray sent, all;
    std::uint64_t requests = 0;
    bool gaps = false;
    std::minstd_rand rng(seed + 7u);
    auto drain = [&] {
        sent += out.bytes;
        requests += out.requests.size();
        out.clear();
    };
    std::int64_t ts = 0;
    for (const Step &s : steps) {
        if (s.gap) {
            gaps = true;
            f.gap(s.gap, ++ts, out);
            drain();
            continue;
        }
        all.append(reinterpret_cast<const char *>(s.data), qsizetype(s.size));
        for (std::size_t off = 0; off < s.size;) {
            const std::size_t piece = std::min<std::size_t>(s.size - off, 1 + rng() % 700);
            f.data(s.data + off, piece, ++ts, out);
            off += piece;
            drain();
            if (rng() % 8 == 0) {
                f.idle(out);
                f.idle(out);
                drain();
            }
        }
    }
    f.finish(++ts, out);
    drain();
    const RequestFramer::Counts c = f.counts();
    check(sent.size() <= all.size(), "the framer handed on more bytes than came");
    // A TLS stream (a mesh sidecar's inbound hop) is never handed on, and loses nothing.
    if (f.isTls())
        check(sent.isEmpty() && c.bytesLost == 0 && c.requestsSeen == 0,
              "a TLS stream was handed on");
    else if (!gaps && !midstream)
        check(sent == all, "without a gap the framer is not byte-exact");
    if (!gaps && !midstream)
        check(!f.stopped(), "stopped without a gap");
    check(requests == c.requestsMirrored, "mirrored requests miscounted");
    check(c.requestsMirrored + c.requestsLost <= c.requestsSeen, "more requests than seen");
    if (!gaps)
        check(c.requestsLost == 0 && !c.lostAtLeast, "requests lost without a gap");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 2)
        return 0;
    const std::uint8_t options = data[0];
    std::minstd_rand rng(data[1] + 1u);
    data += 2;
    size -= 2;

    static constexpr std::uint8_t Server[] = {0xf0, 'S', 'R', 'V'};
    const std::uint8_t *split
            = size >= 4
                      ? static_cast<const std::uint8_t *>(memmem(data, size, Server, sizeof Server))
                      : nullptr;
    const std::size_t clientSize = split ? std::size_t(split - data) : size;
    const std::vector<Step> steps[2]
            = {script(data, clientSize),
               split ? script(split + 4, size - clientSize - 4) : std::vector<Step>{}};

    HttpParser::Limits limits;
    if (options & SmallLimits) {
        limits.maxHeadBytes = 200;
        limits.keepBodyBytes = 16;
        limits.maxHeaders = 4;
    }

    checkFramer(steps[0], limits, std::uint8_t(options * 31u + size), options & NoFinish);

    ExchangeChecker checker(limits);
    TcpConnection connection;
    connection.id = 7;
    HttpSink sink(
            [&](const TcpConnection &c, HttpExchange &&x) {
                check(c.id == 7, "an exchange for another connection");
                checker.take(std::move(x));
            },
            limits);
    HttpConversation direct(limits);
    const bool viaSink = options & ThroughSink;
    if (viaSink)
        sink.connectionOpened(connection);
    // The conversation being driven: through the sink it disappears once it is not HTTP.
    auto conversation = [&]() -> const HttpConversation * {
        return viaSink ? sink.conversation(connection.id) : &direct;
    };

    DirectionWatch watches[2];
    std::size_t next[2] = {0, 0};
    std::size_t offset[2] = {0, 0}; // within the current data step
    std::int64_t ts = 1000;
    auto after = [&] {
        if (!viaSink) {
            for (HttpExchange &x : direct.takeExchanges())
                checker.take(std::move(x));
        }
        if (const HttpConversation *c = conversation()) {
            watch(c->requests(), watches[0], limits);
            watch(c->responses(), watches[1], limits);
            if (const HttpMessage *first = c->firstRequest())
                check(first->kind == HttpMessage::Kind::Request, "firstRequest not a request");
            // Requests waiting for answers are bounded (HttpConversation's MaxQueued).
            check(c->requests().messagesParsed() - checker.exchanges() <= 256,
                  "more than 256 requests wait for their answers");
        }
    };
    // One event of direction d: a gap step, or a piece of the current data step.
    auto advance = [&](int d) {
        const Step &s = steps[d][next[d]];
        const Direction dir = d == 0 ? Direction::ClientToServer : Direction::ServerToClient;
        ts += 1 + std::int64_t(rng() % 1000);
        connection.lastTsNs = ts;
        if (s.gap) {
            watches[d].lost += s.gap;
            if (viaSink)
                sink.gap(connection, dir, s.gap, ts);
            else if (d == 0)
                direct.clientGap(s.gap, ts);
            else
                direct.serverGap(s.gap, ts);
            ++next[d];
        } else {
            std::size_t piece;
            switch (rng() % 4) {
            case 0:
                piece = 1 + rng() % 3;
                break;
            case 1:
                piece = 1 + rng() % 40;
                break;
            case 2:
                piece = 1 + rng() % 1500;
                break;
            default:
                piece = s.size;
                break;
            }
            piece = std::min(piece, s.size - offset[d]);
            const std::uint8_t *p = s.data + offset[d];
            watches[d].fed += piece;
            if (viaSink)
                sink.data(connection, dir, p, piece, ts);
            else if (d == 0)
                direct.clientData(p, piece, ts);
            else
                direct.serverData(p, piece, ts);
            offset[d] += piece;
            if (offset[d] == s.size) {
                offset[d] = 0;
                ++next[d];
            }
        }
        after();
    };

    while (next[0] < steps[0].size() || next[1] < steps[1].size()) {
        int d;
        if (next[0] == steps[0].size())
            d = 1;
        else if (next[1] == steps[1].size())
            d = 0;
        else if (options & ClientFirst)
            d = 0;
        else
            d = int(rng() % 3 == 0); // the client side a little ahead, as on the wire
        advance(d);
    }

    if (options & NoFinish)
        return 0; // the destructors must cope with a half-parsed connection

    const HttpConversation *before = conversation();
    const std::uint64_t requestsParsed = before ? before->requests().messagesParsed() : 0;
    const std::uint64_t responsesParsed = before ? before->responses().messagesParsed() : 0;
    const std::uint64_t unpairedBefore = before ? before->unpairedResponses() : 0;
    if (viaSink) {
        connection.closeReason = CloseReason::Fin;
        sink.connectionClosed(connection);
        const HttpConversation *c = sink.conversation(connection.id);
        const std::uint64_t requests = c ? c->requests().messagesParsed() : requestsParsed;
        check(checker.exchanges() == requests, "a parsed request did not come out once");
        check(sink.stats().exchanges == checker.exchanges(), "sink stats miscount exchanges");
        sink.connectionRemoved(connection);
        check(sink.conversation(connection.id) == nullptr, "a removed connection lingers");
    } else {
        direct.finish(ts + 1);
        after();
        // Every parsed request comes out exactly once; answers are paired or counted.
        check(checker.exchanges() == direct.requests().messagesParsed(),
              "a parsed request did not come out once");
        check(checker.answered() + direct.unpairedResponses()
                      <= direct.responses().messagesParsed(),
              "more answers than parsed responses");
        check(direct.requests().messagesParsed() >= requestsParsed
                      && direct.responses().messagesParsed() >= responsesParsed
                      && direct.unpairedResponses() >= unpairedBefore,
              "counts went down at finish");
        // finish() twice is harmless and produces nothing new.
        direct.finish(ts + 2);
        check(!direct.hasExchanges(), "a second finish produced exchanges");
    }
    return 0;
}
