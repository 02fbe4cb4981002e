#pragma once

#include "hpackinflater.h"
#include "http/httpexchange.h"
#include "http/httpparser.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

namespace podtap {

// Both reassembled directions of one TCP connection decoded as HTTP/2 (RFC 9113): the
// client's connection preface, then frames. Header blocks (HEADERS/PUSH_PROMISE +
// CONTINUATION) go through one HpackInflater per direction; SETTINGS_HEADER_TABLE_SIZE
// changes the peer's inflater when it is acknowledged. DATA is counted, hashed and kept like
// an HTTP/1 body (HttpParser::Limits). Each stream becomes an HttpExchange when both sides
// ended it (END_STREAM) or it was reset; flow control and priorities are ignored.
//
// Nothing is guessed: HPACK is a state shared by every header block of a direction, so a
// connection joined after its start, or one that loses bytes (a gap), cannot be decoded from
// there on. Decoding stops with a stated reason and the streams in progress come out
// incomplete.
class Http2Connection
{
public:
    enum class State : std::uint8_t {
        Detecting, // waiting for the client's first 24 bytes
        Decoding,
        NotHttp2, // the client did not start with the preface (and is not HTTP/2 mid-stream)
        Stopped,  // was (or looks like) HTTP/2; nothing more can be decoded: stopReason()
    };
    struct Stats
    {
        quint64 frames = 0;
        quint64 headerBlocks = 0;
        quint64 streams = 0;
        quint64 resets = 0;
        quint64 goaways = 0;
        quint64 closedStreamBlocks = 0; // header blocks for streams already closed: ignored
    };
    static constexpr QByteArrayView Preface{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"};
    static QString midstreamReason();

    explicit Http2Connection(const HttpParser::Limits &limits = HttpParser::Limits{});
    ~Http2Connection();

    // The connection was open before the capture. When the client's first bytes are the
    // preface after all, it is decoded; when they look like HTTP/2 frames it is Stopped with
    // midstreamReason() (never decoded: the HPACK state is missing); otherwise NotHttp2.
    void startMidstream();

    // h2c (RFC 7540 3.2): the connection began as HTTP/1.1 and switched to HTTP/2 with a 101
    // answering "Upgrade: h2c". Stream 1 is open and half-closed by the client: its request
    // is the HTTP/1.1 upgrade request, its response comes as HTTP/2 frames. The client's
    // SETTINGS from its HTTP2-Settings header (base64url) are acknowledged by the 101 itself:
    // their SETTINGS_HEADER_TABLE_SIZE applies to the server's blocks at once. Then the
    // client's preface is expected as usual; if it does not come, decoding stops with the
    // reason (the connection was HTTP/2 all the same). Call before any data.
    struct Upgrade
    {
        HttpMessage request;          // the HTTP/1.1 request that asked for h2c
        QByteArray http2Settings;     // its HTTP2-Settings header value
        std::uint64_t clientOffset{}; // stream offsets where HTTP/2 begins (after the request
        std::uint64_t serverOffset{}; //   and after the 101)
        std::uint64_t firstIndex{};   // HttpExchange::index of stream 1
        std::int64_t tsNs{};          // when the 101 came
    };
    void startUpgraded(Upgrade upgrade);
    bool isUpgraded() const { return m_upgraded; }

    void clientData(const std::uint8_t *data, std::size_t size, std::int64_t tsNs);
    void serverData(const std::uint8_t *data, std::size_t size, std::int64_t tsNs);
    void clientGap(std::uint64_t bytes, std::int64_t tsNs);
    void serverGap(std::uint64_t bytes, std::int64_t tsNs);
    // The connection ended: streams in progress come out incomplete (truncated).
    void finish(std::int64_t tsNs);

    std::vector<HttpExchange> takeExchanges();
    bool hasExchanges() const { return !m_ready.empty(); }

    State state() const { return m_state; }
    // HTTP/2 was seen: the preface, or frames on a connection joined mid-stream.
    bool isHttp2() const
    {
        return m_state == State::Decoding || (m_state == State::Stopped && m_seenHttp2);
    }
    const QString &stopReason() const { return m_reason; }
    const Stats &stats() const { return m_stats; }
    std::size_t openStreams() const { return m_streams.size(); }
    std::uint32_t goawayLastStream() const { return m_goawayLast; }

private:
    enum class Side : std::uint8_t { Client, Server };
    struct Stream
    {
        std::uint32_t id = 0;
        std::uint64_t index = 0;
        HttpMessage request;
        HttpMessage response;
        HttpParser::BodyHash requestHash;
        HttpParser::BodyHash responseHash;
        bool haveRequest = false;
        bool requestFromHttp1 = false; // h2c stream 1: the upgrade request, hashed already
        bool haveResponse = false;     // the final (non-1xx) response head
        int interim = 0;
        bool clientEnded = false;
        bool serverEnded = false;
    };
    struct FieldSpan
    {
        qsizetype name = 0;
        qsizetype nameLen = 0;
        qsizetype value = 0;
        qsizetype valueLen = 0;
    };
    struct Direction
    {
        explicit Direction(Side s)
            : side(s)
        {}
        Side side;
        HpackInflater hpack;
        QByteArray frame;             // the frame being received (header + payload)
        std::uint64_t offset = 0;     // stream bytes consumed
        std::uint64_t frameStart = 0; // stream offset of the current frame
        std::size_t dataLeft = 0;     // DATA frame being streamed: payload bytes to come
        std::size_t padLeft = 0;      //   of which padding at its end
        bool dataPadPending = false;  //   its Pad Length byte is next
        std::uint32_t dataStream = 0;
        bool dataEndStream = false;
        std::size_t dataFrameBytes = 0;
        // A header block in progress (RFC 9113 6.10: nothing else may come between)
        bool inBlock = false;
        std::uint32_t blockStream = 0;
        std::uint32_t promised = 0; // PUSH_PROMISE: the stream it opens
        bool blockEndStream = false;
        std::uint64_t blockWire = 0;
        std::int64_t blockFirstNs = 0;
        std::uint64_t blockOffset = 0;
        // The block's fields kept so far as "name: value\r\n" lines (reused block to block)
        QByteArray blockRaw;
        std::vector<FieldSpan> blockSpans; // where each kept field's name and value are
        std::size_t blockBytes = 0;        // decoded name + value bytes kept
        bool blockTooLarge = false;        // fields past the head limits were decoded, not kept
        // This side's SETTINGS_HEADER_TABLE_SIZE per SETTINGS frame not yet acknowledged
        std::deque<std::optional<std::uint32_t>> unackedTableSizes;
    };

    void feed(Direction &d, const std::uint8_t *data, std::size_t size, std::int64_t tsNs);
    bool frame(Direction &d, const std::uint8_t *f, std::size_t len, std::int64_t tsNs);
    bool headerFragment(Direction &d, const std::uint8_t *p, std::size_t n, bool endHeaders,
                        std::int64_t tsNs);
    void headerBlockDone(Direction &d, std::int64_t tsNs);
    void dataBytes(Direction &d, const std::uint8_t *p, std::size_t n, std::int64_t tsNs);
    void dataFrameEnd(Direction &d, std::int64_t tsNs);
    Stream &stream(std::uint32_t id);
    Stream *findStream(std::uint32_t id);
    void endSide(Stream &s, Side side, std::int64_t tsNs);
    void complete(std::uint32_t id, bool reset, std::uint32_t code,
                  HttpMessage::Incomplete unfinished = HttpMessage::Incomplete::Truncated);
    void completeAll(HttpMessage::Incomplete unfinished);
    void stop(const QString &reason, HttpMessage::Incomplete why, std::int64_t tsNs);
    void detect(std::int64_t tsNs);
    // The client's first bytes are not the preface (or never came): NotHttp2, or for an
    // upgraded connection Stopped with the reason.
    void notHttp2(const QString &reason, HttpMessage::Incomplete why, std::int64_t tsNs);
    void fillMessage(HttpMessage &m, const Direction &d, bool trailers) const;

    HttpParser::Limits m_limits;
    State m_state = State::Detecting;
    bool m_midstream = false;
    bool m_seenHttp2 = false;
    bool m_upgraded = false;
    QString m_reason;
    Direction m_client{Side::Client};
    Direction m_server{Side::Server};
    QByteArray m_pendingClient; // Detecting: the client's bytes so far
    QByteArray m_pendingServer; // Detecting: the server's bytes so far (bounded)
    std::int64_t m_pendingServerNs = 0;
    std::map<std::uint32_t, Stream> m_streams;
    std::uint64_t m_nextIndex = 0;
    std::uint32_t m_goawayLast = 0;
    std::uint32_t m_lastClientStream = 0;   // the highest stream a client HEADERS opened
    std::uint32_t m_lastPromisedStream = 0; // the highest PUSH_PROMISE stream
    std::vector<HttpExchange> m_ready;
    Stats m_stats;
};

} // namespace podtap
