#pragma once

#include "httpparser.h"

#include "capture/tlsdetector.h"
#include "http2/http2connection.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <memory>
#include <vector>

namespace podtap {

// Decides, for one captured client→server stream, which bytes a mirror may hand to the local
// build: whole HTTP/1.x requests only, in order. A request is held until its last byte has
// arrived (up to holdLimit, then it is streamed), so a capture gap costs exactly the requests
// whose bytes are incomplete and the local connection goes on with the next whole one. After
// a gap whose boundary is unknown the next request is found as HttpParser's Resync finds it.
// A stream that is not HTTP/1.x (or switches protocols: CONNECT, Upgrade) is passed on
// byte-exact; after lost bytes it cannot go on (stopped() says why). HTTP/2 (a stream that
// begins with the connection preface) is one of those, said by isHttp2(): passed on
// byte-exact from its preface, stopped by a gap (frame boundaries and HPACK state are lost:
// no resync), and never joined mid-stream (a joined stream whose bytes look like HTTP/2
// frames is stopped at once). A TLS stream (a ClientHello,
// or TLS records when joined mid-way; TlsDetector) is never handed out: isTls(). No sockets:
// MirrorSink does the I/O.
class RequestFramer
{
public:
    struct Options
    {
        qsizetype holdLimit = 1024 * 1024; // a larger request is streamed as it arrives
        bool midstream = false;            // joined mid-way: start at the next request
        HttpParser::Limits limits;
    };

    // Per stream; MirrorSink::Stats adds them up per session.
    struct Counts
    {
        quint64 requestsSeen = 0;     // whole or not, and at least one per lost-between gap
        quint64 requestsMirrored = 0; // handed out whole
        quint64 requestsLost = 0;     // touched by a gap (a minimum when lostAtLeast)
        bool lostAtLeast = false;     // lost bytes may have held further whole requests
        quint64 bytesLost = 0;        // missing from the capture, or received but not handed out
        quint64 resyncs = 0;          // boundaries found again after a gap
        quint64 bytesBeforeJoin = 0;  // mid-stream join: bytes before the first request
        Counts &operator+=(const Counts &c);
        QJsonObject toJson() const;
    };

    // What one call produced, in stream order.
    struct Output
    {
        // The local connection has part of a request: reset it; the next bytes go to a
        // fresh one.
        bool resetLocal = false;
        QByteArray bytes; // to write, after the reset if any
        // Capture request ordinals (HttpConversation::exchangesSeen numbering) of the whole
        // requests in `bytes`, in order.
        std::vector<std::uint64_t> requests;
        void clear()
        {
            resetLocal = false;
            bytes.clear();
            requests.clear();
        }
    };

    RequestFramer();
    explicit RequestFramer(const Options &options);

    void data(const std::uint8_t *bytes, std::size_t size, std::int64_t tsNs, Output &out);
    void gap(std::uint64_t bytes, std::int64_t tsNs, Output &out);
    // Called on a timer: a request found after a gap but not yet confirmed by the bytes after
    // it is handed out once the stream stayed quiet for two calls (HttpParser::flushResync).
    void idle(Output &out);
    bool waitingForConfirmation() const { return m_parser.resyncCandidateWaiting(); }
    // The captured stream ended: a request cut short by the end is handed out as captured
    // (the mirror then closes with RST); bytes held while resynchronising are dropped.
    void finish(std::int64_t tsNs, Output &out);

    bool isHttp() const { return m_mode == Mode::Http; }
    bool isRaw() const { return m_mode == Mode::Raw; }
    // HTTP/2: the stream began with the connection preface (handed out byte-exact), or it was
    // joined mid-stream and its bytes look like HTTP/2 frames (stopped: never handed out).
    bool isHttp2() const { return m_http2; }
    // TLS (a service-mesh sidecar's inbound hop): none of its bytes are handed out.
    bool isTls() const { return m_mode == Mode::Tls; }
    const TlsDetector &tls() const { return m_tls; }
    // Nothing more can be handed out truthfully; why.
    bool stopped() const { return m_mode == Mode::Stopped; }
    const QString &stopReason() const { return m_stopReason; }
    // The first request's head, as soon as it is parsed (for the mirror's HTTP filter).
    const HttpMessage *firstRequest() const;
    bool decided() const { return m_mode != Mode::Detecting; }
    // Whether it is TLS is known (a plain stream is known from its first byte).
    bool tlsDecided() const { return m_tls.verdict() != TlsDetector::Verdict::Undecided; }
    Counts counts() const;

private:
    enum class Mode : std::uint8_t { Detecting, Http, Raw, Stopped, Tls };
    void feedPlain(const std::uint8_t *bytes, std::size_t size, std::int64_t tsNs, Output &out);
    // The first bytes are held while they may be the HTTP/2 preface; once they are not (or
    // bytes were lost, or the stream ended), they go to the HTTP/1.x parser.
    void settlePreface(std::int64_t tsNs, Output &out);
    // Joined mid-stream: true when the bytes so far show HTTP/2 frames (then stopped).
    bool midstreamHttp2(const std::uint8_t *bytes, std::size_t size, std::int64_t tsNs);
    void settleTls(std::int64_t tsNs, Output &out);
    void collect(Output &out);
    void goRaw(std::uint64_t from, Output &out);
    void stop(const QString &why);
    void take(std::uint64_t from, std::uint64_t to, Output &out);
    void trim(std::uint64_t upTo);

    Options m_options;
    TlsDetector m_tls;
    QByteArray m_tlsHeld; // bytes held until the TLS detector decides
    HttpParser m_parser;
    Mode m_mode = Mode::Detecting;
    bool m_http2 = false;
    bool m_prefaceDecided = false;
    std::unique_ptr<Http2Connection> m_h2Probe; // joined mid-stream: HTTP/2 frames?
    QString m_stopReason;
    QByteArray m_held; // stream bytes [m_heldFrom, m_parser.position()) minus gaps
    std::uint64_t m_heldFrom = 0;
    bool m_streaming = false; // the request in progress is being handed out as it comes
    bool m_hadGap = false;
    int m_idleTicks = 0;
    std::uint64_t m_ordinal = 0; // requests the parser produced
    std::uint64_t m_received = 0;
    std::uint64_t m_forwarded = 0;
    std::uint64_t m_rawGapBytes = 0; // the gap that stopped a raw (not HTTP/1.x) stream
    Counts m_counts;
    HttpMessage m_first;
    bool m_haveFirst = false;
};

} // namespace podtap
