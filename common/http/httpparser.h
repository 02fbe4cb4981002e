#pragma once

#include "httpmessage.h"

#include <QString>

#include <QList>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace podtap {

// An incremental HTTP/1.x parser for one direction of one reassembled TCP stream
// (RFC 9112). It buffers only the current head (bounded); bodies are counted, hashed and
// sampled as they pass. It never guesses: a stream whose first bytes are not an HTTP start
// line is NotHttp and left alone; framing that breaks later (bad chunk size, bytes lost
// where the message boundary cannot be known) makes it Broken, and the message in progress
// is reported as incomplete. A gap inside a body of known size is skipped exactly: that
// message is incomplete and framing goes on.
//
// Requests resynchronise (Limits::resync): after a gap where the boundary is not known, the
// parser is in Resync and looks for the next request: a standard method and a start line at
// any position, accepted only when a whole valid head parses from there and, when the bytes
// go on past that message, the next bytes begin a request too (text inside a body that merely
// looks like "GET / HTTP/1.1" is followed by more body, not by a request). Bytes passed over
// are counted (bytesSkipped), never parsed as messages. A connection joined mid-stream starts
// in Resync (startMidstream). Responses do not resynchronise: their framing depends on the
// request each one answers (HEAD, CONNECT).
class HttpParser
{
public:
    struct Limits
    {
        std::size_t maxHeadBytes = 64 * 1024;
        std::size_t keepBodyBytes = 64 * 1024; // per message
        int maxHeaders = 256;
        bool resync = true; // requests: look for the next request after a gap (see above)
        // Resync: bytes kept while a candidate request is not confirmed yet. A candidate whose
        // body is longer than this is accepted on its head alone.
        std::size_t resyncWindow = 256 * 1024;
    };
    enum class State : std::uint8_t {
        Detecting, // no complete start line yet
        Idle,      // between messages
        Head,      // inside a head
        Body,
        NotHttp, // the stream did not start like HTTP/1.x
        Broken,  // was HTTP, framing lost: nothing more is parsed
        Tunnel,  // CONNECT or 101 Switching Protocols: the rest is not HTTP
        Resync,  // requests: bytes were lost where a boundary may lie; looking for the next
    };

    explicit HttpParser(HttpMessage::Kind kind);
    HttpParser(HttpMessage::Kind kind, const Limits &limits);

    // Responses: the method of each request on the connection, in order. HEAD answers have
    // no body; a 2xx to CONNECT starts a tunnel. Unknown (not given) counts as GET.
    void expectResponseTo(const QByteArray &method);

    void feed(const std::uint8_t *data, std::size_t size, std::int64_t tsNs);
    // `bytes` stream bytes are missing at the current position.
    void gap(std::uint64_t bytes, std::int64_t tsNs);
    // The stream ended (FIN, reset, end of capture).
    void finish(std::int64_t tsNs);
    // Resync: a whole request was found with nothing after it yet to confirm it. When the
    // stream has been quiet for a while (the caller's clock), a client that sends a request
    // and waits is the likely story, not a body paused just after request-like text: accept
    // it. True when it was accepted (messages follow). finish() does the same.
    bool flushResync();
    bool resyncCandidateWaiting() const;
    // Requests: the stream is joined mid-way (the connection was open before the capture):
    // its first message is the first request found as after a gap. Call before feed().
    void startMidstream();

    // Messages finished (complete or not) since the last call, in stream order.
    std::vector<HttpMessage> takeMessages();
    bool hasMessages() const { return !m_done.empty(); }
    // The message whose head is parsed and whose body is still arriving, if any.
    const HttpMessage *messageInBody() const;

    State state() const { return m_state; }
    bool isHttp() const; // a start line was parsed
    bool isStopped() const
    {
        return m_state == State::NotHttp || m_state == State::Broken || m_state == State::Tunnel;
    }
    const QString &error() const { return m_error; } // why NotHttp or Broken
    std::uint64_t messagesParsed() const { return m_count; }
    std::uint64_t bytesIgnored() const { return m_ignored; } // after NotHttp/Broken/Tunnel

    // Stream offset after everything fed or reported missing (gaps count their bytes).
    std::uint64_t position() const { return m_pos; }
    // The first stream offset that may still belong to a message not handed out yet: bytes
    // before it are in finished messages, or skipped.
    std::uint64_t pendingFrom() const;
    std::uint64_t resyncs() const { return m_resyncs; }             // boundaries found again
    std::uint64_t bytesSkipped() const { return m_skipped; }        // passed over after a gap
    std::uint64_t bytesBeforeJoin() const { return m_joinSkipped; } // passed over at a join
    std::uint64_t gapBytes() const { return m_gapBytes; }           // reported missing
    // Unknown-boundary gaps whose lost bytes may have held whole requests: request loss
    // counts are then a minimum.
    std::uint64_t uncountedGaps() const { return m_uncountedGaps; }
    // Unknown-boundary gaps that began between messages: each lost at least one request
    // that no incomplete message stands for.
    std::uint64_t lostBetweenMessages() const { return m_lostBetween; }

    static const char *stateName(State state);
    // HttpMessage::bodyHash of a whole body: XXH64 (seed 0) of its bytes.
    static std::uint64_t hashBody(QByteArrayView body);

    // Streaming XXH64 (also used by the HTTP/2 decoder): four lanes over 32-byte stripes (several
    // bytes per cycle, where a byte-wise hash costs a multiply per byte); bytes short of a stripe
    // wait in `tail`.
    struct BodyHash
    {
        void reset();
        void add(const std::uint8_t *data, std::size_t size);
        std::uint64_t digest() const;

        std::uint64_t lane[4] = {};
        std::uint64_t total = 0;
        std::uint8_t tail[32] = {};
        std::size_t tailSize = 0;
    };

private:
    enum class BodyMode : std::uint8_t { None, Length, Chunked, UntilClose };
    enum class ChunkStep : std::uint8_t { Size, Data, DataEnd, Trailer };

    std::size_t consumeHead(const std::uint8_t *data, std::size_t size, std::int64_t tsNs);
    std::size_t consumeBody(const std::uint8_t *data, std::size_t size, std::int64_t tsNs);
    std::size_t consumeChunked(const std::uint8_t *data, std::size_t size, std::int64_t tsNs);
    bool parseHead(std::int64_t tsNs);
    bool parseStartLine(QByteArrayView line);
    bool chooseBodyMode();
    void bodyBytes(const std::uint8_t *data, std::size_t size);
    void finishMessage(std::int64_t tsNs);
    void breakOff(HttpMessage::Incomplete why, const QString &error, std::int64_t tsNs);
    void startMessage(std::int64_t tsNs);

    HttpMessage::Kind m_kind;
    Limits m_limits;
    State m_state = State::Detecting;
    QString m_error;

    QByteArray m_head; // bytes of the head (or chunk-size line / trailer) so far
    std::size_t m_scan = 0;
    HttpMessage m_msg;
    BodyHash m_hash; // of m_msg's body so far
    bool m_inMessage = false;
    BodyMode m_bodyMode = BodyMode::None;
    ChunkStep m_chunkStep = ChunkStep::Size;
    std::uint64_t m_remaining = 0;
    int m_emptyLines = 0;
    bool m_sawStartLine = false;
    QList<QByteArray>
            m_requestMethods; // QList: no allocation while empty (std::deque allocates at once)
    QByteArray m_answering;   // the method the current response answers
    std::vector<HttpMessage> m_done;
    std::uint64_t m_count = 0;
    std::uint64_t m_ignored = 0;

    // Resync (requests). m_resync holds stream bytes from offset m_resyncBase on; candidates
    // before m_resyncScan were rejected.
    void enterResync();
    std::size_t consumeResync(const std::uint8_t *data, std::size_t size, std::int64_t tsNs);
    enum class Candidate : std::uint8_t { Reject, Wait, Whole, Accept };
    void acceptAt(std::size_t index);
    Candidate judgeCandidate(QByteArrayView from) const;
    QByteArray m_resync;
    std::vector<std::pair<std::uint64_t, std::int64_t>> m_resyncTimes; // (offset, ts) pieces
    std::uint64_t m_resyncBase = 0;
    std::size_t m_resyncScan = 0;
    bool m_resynced = false; // the next message is the first after a resync
    bool m_joining = false;  // started mid-stream: the first request found is a join
    std::uint64_t m_pos = 0;
    std::uint64_t m_resyncs = 0;
    std::uint64_t m_skipped = 0;
    std::uint64_t m_gapBytes = 0;
    std::uint64_t m_uncountedGaps = 0;
    std::uint64_t m_lostBetween = 0;
    std::uint64_t m_joinSkipped = 0;
    void skip(std::uint64_t bytes);
};

} // namespace podtap
