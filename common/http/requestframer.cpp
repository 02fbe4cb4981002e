#include "requestframer.h"

#include <algorithm>
#include <utility>

namespace podtap {

RequestFramer::Counts &RequestFramer::Counts::operator+=(const Counts &c)
{
    requestsSeen += c.requestsSeen;
    requestsMirrored += c.requestsMirrored;
    requestsLost += c.requestsLost;
    lostAtLeast = lostAtLeast || c.lostAtLeast;
    bytesLost += c.bytesLost;
    resyncs += c.resyncs;
    bytesBeforeJoin += c.bytesBeforeJoin;
    return *this;
}

QJsonObject RequestFramer::Counts::toJson() const
{
    QJsonObject o{{QStringLiteral("seen"), qint64(requestsSeen)},
                  {QStringLiteral("mirrored"), qint64(requestsMirrored)},
                  {QStringLiteral("lost"), qint64(requestsLost)},
                  {QStringLiteral("bytesLost"), qint64(bytesLost)},
                  {QStringLiteral("resyncs"), qint64(resyncs)}};
    if (lostAtLeast)
        o[QStringLiteral("lostAtLeast")] = true;
    if (bytesBeforeJoin > 0)
        o[QStringLiteral("bytesBeforeJoin")] = qint64(bytesBeforeJoin);
    return o;
}

RequestFramer::RequestFramer()
    : RequestFramer(Options{})
{}

RequestFramer::RequestFramer(const Options &options)
    : m_options(options)
    , m_tls(options.midstream)
    , m_parser(HttpMessage::Kind::Request, [&options] {
        HttpParser::Limits l = options.limits;
        l.keepBodyBytes = 0; // framing only: bodies are forwarded, not kept
        return l;
    }())
{
    if (m_options.midstream) {
        m_parser.startMidstream();
        m_hadGap = true; // its start is missing: only a request boundary can be joined
        m_prefaceDecided = true;
        m_h2Probe = std::make_unique<Http2Connection>();
        m_h2Probe->startMidstream();
    }
}

const HttpMessage *RequestFramer::firstRequest() const
{
    if (m_haveFirst)
        return &m_first;
    return m_ordinal == 0 ? m_parser.messageInBody() : nullptr;
}

RequestFramer::Counts RequestFramer::counts() const
{
    Counts c = m_counts;
    c.requestsSeen += m_parser.lostBetweenMessages();
    c.requestsLost += m_parser.lostBetweenMessages();
    c.lostAtLeast = m_parser.uncountedGaps() > 0;
    c.resyncs = m_parser.resyncs();
    c.bytesBeforeJoin = m_parser.bytesBeforeJoin();
    if (m_mode == Mode::Tls || (m_http2 && m_options.midstream))
        return c; // never meant to be handed out: nothing is lost
    const std::int64_t notHanded = std::int64_t(m_received) - std::int64_t(m_forwarded)
                                   - std::int64_t(c.bytesBeforeJoin) - std::int64_t(m_held.size())
                                   - std::int64_t(m_tlsHeld.size());
    c.bytesLost
            = m_parser.gapBytes() + m_rawGapBytes + quint64(std::max<std::int64_t>(0, notHanded));
    return c;
}

void RequestFramer::data(const std::uint8_t *bytes, std::size_t size, std::int64_t tsNs,
                         Output &out)
{
    m_received += size;
    if (m_mode == Mode::Tls && m_tls.wantsMore())
        m_tls.feed(bytes, size); // the rest of the ClientHello, for its server name
    if (m_mode == Mode::Stopped || m_mode == Mode::Tls)
        return;
    if (!tlsDecided()) {
        switch (m_tls.feed(bytes, size)) {
        case TlsDetector::Verdict::Undecided:
            m_tlsHeld.append(reinterpret_cast<const char *>(bytes), qsizetype(size));
            return;
        case TlsDetector::Verdict::Tls:
            m_mode = Mode::Tls; // its bytes are ciphertext: nothing for the local build
            m_tlsHeld = QByteArray();
            return;
        case TlsDetector::Verdict::NotTls:
            if (!m_tlsHeld.isEmpty()) {
                const QByteArray held = std::exchange(m_tlsHeld, QByteArray());
                feedPlain(reinterpret_cast<const std::uint8_t *>(held.constData()),
                          std::size_t(held.size()), tsNs, out);
            }
            break;
        }
    }
    feedPlain(bytes, size, tsNs, out);
}

void RequestFramer::settleTls(std::int64_t tsNs, Output &out)
{
    // Bytes lost or the stream ended before the detector could tell: what was held is taken
    // as plain (too short to be a ClientHello), as before TLS was looked for.
    if (tlsDecided())
        return;
    m_tls.giveUp();
    const QByteArray held = std::exchange(m_tlsHeld, QByteArray());
    if (!held.isEmpty())
        feedPlain(reinterpret_cast<const std::uint8_t *>(held.constData()),
                  std::size_t(held.size()), tsNs, out);
}

void RequestFramer::feedPlain(const std::uint8_t *bytes, std::size_t size, std::int64_t tsNs,
                              Output &out)
{
    if (m_mode == Mode::Stopped)
        return;
    if (m_mode == Mode::Raw) {
        out.bytes.append(reinterpret_cast<const char *>(bytes), qsizetype(size));
        m_forwarded += size;
        return;
    }
    if (m_h2Probe && midstreamHttp2(bytes, size, tsNs))
        return;
    m_held.append(reinterpret_cast<const char *>(bytes), qsizetype(size));
    m_idleTicks = 0;
    if (!m_prefaceDecided) {
        const QByteArrayView preface = Http2Connection::Preface;
        const qsizetype n = std::min(m_held.size(), preface.size());
        if (m_heldFrom == 0 && QByteArrayView(m_held).first(n) == preface.first(n)) {
            if (n < preface.size())
                return; // maybe the preface: wait for the rest
            // HTTP/2 with prior knowledge (h2c, gRPC): byte-exact from the preface on.
            m_prefaceDecided = true;
            m_http2 = true;
            goRaw(m_heldFrom, out);
            return;
        }
        settlePreface(tsNs, out); // hands every held byte (these included) to the parser
        return;
    }
    m_parser.feed(bytes, size, tsNs);
    collect(out);
}

void RequestFramer::settlePreface(std::int64_t tsNs, Output &out)
{
    if (m_prefaceDecided)
        return;
    m_prefaceDecided = true;
    if (m_held.isEmpty())
        return;
    const QByteArray held = m_held; // m_held stays: the parser's bytes from m_heldFrom
    m_parser.feed(reinterpret_cast<const std::uint8_t *>(held.constData()),
                  std::size_t(held.size()), tsNs);
    collect(out);
}

bool RequestFramer::midstreamHttp2(const std::uint8_t *bytes, std::size_t size, std::int64_t tsNs)
{
    m_h2Probe->clientData(bytes, size, tsNs);
    switch (m_h2Probe->state()) {
    case Http2Connection::State::Detecting:
        return false; // the HTTP/1.x parser looks on meanwhile
    case Http2Connection::State::NotHttp2:
        m_h2Probe.reset();
        return false;
    case Http2Connection::State::Decoding:
    case Http2Connection::State::Stopped:
        break;
    }
    m_h2Probe.reset();
    if (m_ordinal > 0 || m_streaming)
        return false; // an HTTP/1.x request was found first: the parser is right
    m_http2 = true;
    stop(QStringLiteral("joined mid-stream, and its bytes are HTTP/2 frames: HTTP/2 cannot be "
                        "joined (frame boundaries and HPACK state were missed)"));
    return true;
}

void RequestFramer::idle(Output &out)
{
    if (m_mode == Mode::Stopped || !m_parser.resyncCandidateWaiting()) {
        m_idleTicks = 0;
        return;
    }
    if (++m_idleTicks < 2)
        return;
    m_idleTicks = 0;
    if (m_parser.flushResync())
        collect(out);
}

void RequestFramer::gap(std::uint64_t bytes, std::int64_t tsNs, Output &out)
{
    if (m_mode == Mode::Tls)
        return;
    settleTls(tsNs, out);
    settlePreface(tsNs, out);
    m_hadGap = true;
    if (m_mode == Mode::Stopped)
        return;
    if (m_mode == Mode::Raw) {
        out.resetLocal = true;
        m_rawGapBytes += bytes; // the parser never sees a raw stream's gap
        if (m_http2)
            stop(QStringLiteral("HTTP/2: %1 bytes missing from the capture; frame boundaries "
                                "and HPACK state are lost, so nothing after them can be "
                                "delivered truthfully (HTTP/2 cannot be resynchronised)")
                         .arg(bytes));
        else
            stop(QStringLiteral("not HTTP/1.x: bytes after a capture gap cannot be delivered "
                                "truthfully (only HTTP/1.x requests can be resynchronised)"));
        return;
    }
    if (m_streaming) {
        out.resetLocal = true; // the local build has the start of a request that cannot end
        m_streaming = false;
    }
    m_parser.gap(bytes, tsNs);
    // What is held is the start of the request the gap cut (or a partial first line).
    m_held.clear();
    m_heldFrom = m_parser.position();
    collect(out);
}

void RequestFramer::finish(std::int64_t tsNs, Output &out)
{
    if (m_mode == Mode::Tls)
        return;
    settleTls(tsNs, out);
    settlePreface(tsNs, out);
    if (m_mode == Mode::Stopped || m_mode == Mode::Raw)
        return;
    m_parser.finish(tsNs);
    collect(out);
    if ((m_mode == Mode::Detecting || m_mode == Mode::Http)
        && m_parser.state() != HttpParser::State::Resync && !m_held.isEmpty()) {
        // A start line cut short by the end (or too short to tell what it was): hand it on
        // as it came; the mirror ends the stream as the capture did.
        out.bytes.append(m_held);
        m_forwarded += std::uint64_t(m_held.size());
        trim(m_heldFrom + std::uint64_t(m_held.size()));
    }
}

void RequestFramer::take(std::uint64_t from, std::uint64_t to, Output &out)
{
    from = std::max(from, m_heldFrom);
    const std::uint64_t heldEnd = m_heldFrom + std::uint64_t(m_held.size());
    to = std::min(to, heldEnd);
    if (to > from) {
        out.bytes.append(m_held.constData() + (from - m_heldFrom), qsizetype(to - from));
        m_forwarded += to - from;
    }
    trim(to);
}

void RequestFramer::trim(std::uint64_t upTo)
{
    if (upTo <= m_heldFrom)
        return;
    const qsizetype n = qsizetype(std::min<std::uint64_t>(upTo - m_heldFrom, m_held.size()));
    if (n == m_held.size())
        m_held.resize(0); // keeps the allocation for the next request
    else
        m_held.remove(0, n);
    m_heldFrom += std::uint64_t(n);
}

void RequestFramer::stop(const QString &why)
{
    m_mode = Mode::Stopped;
    m_stopReason = why;
    m_streaming = false;
    m_held.clear();
    m_heldFrom = m_parser.position();
}

void RequestFramer::goRaw(std::uint64_t from, Output &out)
{
    if (from < m_heldFrom && m_hadGap) {
        stop(QStringLiteral("HTTP/1.x framing broke where bytes were lost: the rest cannot "
                            "be delivered truthfully"));
        return;
    }
    m_mode = Mode::Raw;
    m_streaming = false;
    take(from, m_heldFrom + std::uint64_t(m_held.size()), out);
    m_held = QByteArray();
}

void RequestFramer::collect(Output &out)
{
    if (m_parser.hasMessages()) {
        for (HttpMessage &m : m_parser.takeMessages()) {
            const std::uint64_t ordinal = m_ordinal++;
            ++m_counts.requestsSeen;
            if (!m_haveFirst) {
                m_first = m;
                m_haveFirst = true;
            }
            const std::uint64_t end = m.streamOffset + m.wireBytes;
            // Empty lines before a request go with it, unless bytes were lost before it.
            const std::uint64_t from = m.afterResync ? m.streamOffset : m_heldFrom;
            switch (m.incomplete) {
            case HttpMessage::Incomplete::No:
                take(from, end, out);
                ++m_counts.requestsMirrored;
                out.requests.push_back(ordinal);
                m_streaming = false;
                if (m.method == "CONNECT" || m.headerCount("upgrade") > 0) {
                    // What follows may be another protocol (RFC 9110 7.8, 9.3.6).
                    goRaw(end, out);
                    return;
                }
                break;
            case HttpMessage::Incomplete::Gap:
                ++m_counts.requestsLost;
                m_streaming = false;
                trim(end);
                break;
            case HttpMessage::Incomplete::Truncated:
                // As captured (a head cut short counts no wire bytes yet): the mirror then
                // ends the stream with RST.
                take(from, std::max(end, m_heldFrom + std::uint64_t(m_held.size())), out);
                m_streaming = false;
                break;
            case HttpMessage::Incomplete::HeadTooLarge:
            case HttpMessage::Incomplete::Malformed:
                if (m_hadGap) {
                    // After lost bytes, framing that breaks means a wrong boundary: nothing
                    // after it can be trusted.
                    stop(QStringLiteral("HTTP/1.x framing broke after a capture gap (%1)")
                                 .arg(m_parser.error()));
                    return;
                }
                // Not HTTP as this parser frames it: pass the rest on byte for byte.
                goRaw(m_streaming ? m_heldFrom : from, out);
                return;
            }
        }
    }
    switch (m_parser.state()) {
    case HttpParser::State::NotHttp:
        if (m_options.midstream && m_ordinal == 0)
            stop(QStringLiteral("joined mid-stream, and no HTTP/1.x request begins in its "
                                "bytes: a stream of another protocol cannot be joined "
                                "truthfully"));
        else if (m_hadGap)
            stop(QStringLiteral("not HTTP/1.x (%1): bytes after a capture gap cannot be "
                                "delivered truthfully")
                         .arg(m_parser.error()));
        else
            goRaw(m_heldFrom, out);
        return;
    case HttpParser::State::Broken:
        if (m_hadGap)
            stop(QStringLiteral("HTTP/1.x framing broke after a capture gap (%1)")
                         .arg(m_parser.error()));
        else
            goRaw(m_heldFrom, out);
        return;
    case HttpParser::State::Tunnel:
        goRaw(m_heldFrom, out);
        return;
    case HttpParser::State::Detecting:
    case HttpParser::State::Resync:
        break;
    case HttpParser::State::Idle:
    case HttpParser::State::Head:
    case HttpParser::State::Body:
        m_mode = Mode::Http;
        break;
    }
    if (m_mode == Mode::Detecting && m_parser.isHttp())
        m_mode = Mode::Http;
    if (const HttpMessage *inBody = m_parser.messageInBody()) {
        const std::uint64_t heldEnd = m_heldFrom + std::uint64_t(m_held.size());
        if (m_streaming) {
            take(m_heldFrom, heldEnd, out);
        } else if (std::int64_t(heldEnd - std::max(m_heldFrom, inBody->streamOffset))
                   >= m_options.holdLimit) {
            // Too large to hold whole: the local build gets it as it comes.
            take(inBody->afterResync ? inBody->streamOffset : m_heldFrom, heldEnd, out);
            m_streaming = true;
        }
        return;
    }
    if (m_parser.state() == HttpParser::State::Resync)
        trim(m_parser.pendingFrom()); // passed over: not a request
}

} // namespace podtap
