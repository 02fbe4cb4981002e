#include "http2connection.h"

#include <algorithm>
#include <cstring>

namespace podtap {

namespace {

// RFC 9113 6: frame types and flags
enum FrameType : std::uint8_t {
    Data = 0,
    Headers = 1,
    Priority = 2,
    RstStream = 3,
    Settings = 4,
    PushPromise = 5,
    Ping = 6,
    Goaway = 7,
    WindowUpdate = 8,
    Continuation = 9,
};
constexpr std::uint8_t FlagEndStream = 0x1;
constexpr std::uint8_t FlagAck = 0x1;
constexpr std::uint8_t FlagEndHeaders = 0x4;
constexpr std::uint8_t FlagPadded = 0x8;
constexpr std::uint8_t FlagPriority = 0x20;
constexpr std::uint16_t SettingsHeaderTableSize = 0x1;
constexpr std::size_t FrameHeaderBytes = 9;
constexpr std::size_t MaxPendingServerBytes = 64 * 1024;
constexpr std::size_t MaxUnackedSettings = 64;
constexpr std::size_t MaxOpenStreams = 65536;

std::uint32_t be32(const std::uint8_t *p)
{
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8
           | std::uint32_t(p[3]);
}

std::size_t frameLength(const std::uint8_t *p)
{
    return std::size_t(p[0]) << 16 | std::size_t(p[1]) << 8 | std::size_t(p[2]);
}

// A frame header a client could send at the default SETTINGS_MAX_FRAME_SIZE (RFC 9113 4.1,
// 6.x stream and length rules). Used only to say "this looks like HTTP/2 joined late".
bool plausibleFrameHeader(const std::uint8_t *p)
{
    const std::size_t len = frameLength(p);
    const std::uint8_t type = p[3];
    const std::uint8_t flags = p[4];
    const std::uint32_t sid = be32(p + 5);
    if (len > 16384 || type > Continuation || (sid & 0x80000000u))
        return false;
    switch (type) {
    case Settings:
        return sid == 0 && flags <= FlagAck && len % 6 == 0;
    case Ping:
        return sid == 0 && flags <= FlagAck && len == 8;
    case Goaway:
        return sid == 0 && len >= 8;
    case WindowUpdate:
        return len == 4;
    case RstStream:
        return sid != 0 && len == 4;
    case Priority:
        return sid != 0 && len == 5;
    default:
        return sid != 0;
    }
}

const char *sideName(bool client)
{
    return client ? "client → server" : "server → client";
}

} // namespace

QString Http2Connection::midstreamReason()
{
    return QStringLiteral("joined mid-stream: HTTP/2 cannot be decoded (HPACK state missed)");
}

Http2Connection::Http2Connection(const HttpParser::Limits &limits)
    : m_limits(limits)
{}

Http2Connection::~Http2Connection() = default;

void Http2Connection::startMidstream()
{
    m_midstream = true;
}

void Http2Connection::clientData(const std::uint8_t *data, std::size_t size, std::int64_t tsNs)
{
    if (m_state == State::Detecting) {
        m_pendingClient.append(reinterpret_cast<const char *>(data), qsizetype(size));
        detect(tsNs);
        return;
    }
    if (m_state == State::Decoding)
        feed(m_client, data, size, tsNs);
}

void Http2Connection::serverData(const std::uint8_t *data, std::size_t size, std::int64_t tsNs)
{
    if (m_state == State::Detecting) {
        if (std::size_t(m_pendingServer.size()) + size > MaxPendingServerBytes) {
            // the server talks first, and at length: not HTTP/2
            notHttp2(QStringLiteral("the server sent %1 bytes before the client's preface")
                             .arg(std::size_t(m_pendingServer.size()) + size),
                     HttpMessage::Incomplete::Truncated, tsNs);
            return;
        }
        if (m_pendingServer.isEmpty())
            m_pendingServerNs = tsNs;
        m_pendingServer.append(reinterpret_cast<const char *>(data), qsizetype(size));
        return;
    }
    if (m_state == State::Decoding)
        feed(m_server, data, size, tsNs);
}

void Http2Connection::clientGap(std::uint64_t bytes, std::int64_t tsNs)
{
    if (m_state == State::Detecting) {
        notHttp2(QStringLiteral("bytes were lost before the connection preface"),
                 HttpMessage::Incomplete::Gap, tsNs);
    } else if (m_state == State::Decoding) {
        stop(QStringLiteral("%1 bytes missing from the capture (%2): frame boundaries and HPACK "
                            "state are lost")
                     .arg(bytes)
                     .arg(QString::fromUtf8(sideName(true))),
             HttpMessage::Incomplete::Gap, tsNs);
    }
}

void Http2Connection::serverGap(std::uint64_t bytes, std::int64_t tsNs)
{
    if (m_state == State::Detecting) {
        m_pendingServerNs = 0;
        // Decoding could not start in step with the server: say so once it is HTTP/2.
        notHttp2(QStringLiteral("bytes were lost before the connection preface"),
                 HttpMessage::Incomplete::Gap, tsNs);
    } else if (m_state == State::Decoding) {
        stop(QStringLiteral("%1 bytes missing from the capture (%2): frame boundaries and HPACK "
                            "state are lost")
                     .arg(bytes)
                     .arg(QString::fromUtf8(sideName(false))),
             HttpMessage::Incomplete::Gap, tsNs);
    }
}

void Http2Connection::finish(std::int64_t tsNs)
{
    if (m_state == State::Detecting) {
        notHttp2(QStringLiteral("the connection ended before a connection preface"),
                 HttpMessage::Incomplete::Truncated, tsNs);
        return;
    }
    if (m_state == State::Decoding) {
        if (m_client.inBlock || m_server.inBlock || m_client.dataLeft || m_server.dataLeft
            || !m_client.frame.isEmpty() || !m_server.frame.isEmpty())
            m_reason = QStringLiteral("the connection ended inside a frame");
        completeAll(HttpMessage::Incomplete::Truncated);
    }
}

std::vector<HttpExchange> Http2Connection::takeExchanges()
{
    std::vector<HttpExchange> out;
    out.swap(m_ready);
    return out;
}

void Http2Connection::startUpgraded(Upgrade upgrade)
{
    m_upgraded = true;
    m_seenHttp2 = true;
    m_client.offset = upgrade.clientOffset;
    m_server.offset = upgrade.serverOffset;
    m_nextIndex = upgrade.firstIndex;
    Stream &s = stream(1);
    m_lastClientStream = 1;
    s.request = std::move(upgrade.request);
    s.haveRequest = true;
    s.requestFromHttp1 = true;
    s.clientEnded = true; // RFC 7540 3.2: stream 1 is half-closed (local) for the client
    s.interim = 1;        // the 101 itself
    // RFC 7540 3.2.1: the payload of a SETTINGS frame, base64url without padding; the 101
    // acknowledges it.
    const auto decoded = QByteArray::fromBase64Encoding(
            upgrade.http2Settings.trimmed(),
            QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    const QByteArray &payload = decoded.decoded;
    if (!decoded || payload.size() % 6 != 0) {
        stop(QStringLiteral("the upgrade request's HTTP2-Settings is not base64url SETTINGS: "
                            "the server's HPACK table size is unknown"),
             HttpMessage::Incomplete::Malformed, upgrade.tsNs);
        return;
    }
    const auto *p = reinterpret_cast<const std::uint8_t *>(payload.constData());
    for (qsizetype i = 0; i + 6 <= payload.size(); i += 6) {
        const std::uint16_t id = std::uint16_t(p[i] << 8 | p[i + 1]);
        if (id == SettingsHeaderTableSize && !m_server.hpack.changeTableSize(be32(p + i + 2))) {
            stop(m_server.hpack.error(), HttpMessage::Incomplete::Malformed, upgrade.tsNs);
            return;
        }
    }
}

void Http2Connection::notHttp2(const QString &reason, HttpMessage::Incomplete why,
                               std::int64_t tsNs)
{
    m_pendingClient.clear();
    m_pendingServer.clear();
    if (m_upgraded) {
        // It switched to h2c: HTTP/2 all the same, and stream 1 waits for its answer.
        stop(QStringLiteral("after the 101 to h2c: %1").arg(reason), why, tsNs);
        return;
    }
    m_state = State::NotHttp2;
    m_reason = reason;
}

void Http2Connection::detect(std::int64_t tsNs)
{
    const qsizetype n = std::min<qsizetype>(m_pendingClient.size(), Preface.size());
    if (QByteArrayView(m_pendingClient).first(n) != Preface.first(n)) {
        if (m_midstream) {
            // No preface: either not HTTP/2, or HTTP/2 whose start (and HPACK state) was missed.
            const auto *p = reinterpret_cast<const std::uint8_t *>(m_pendingClient.constData());
            const std::size_t have = std::size_t(m_pendingClient.size());
            if (have < FrameHeaderBytes)
                return;
            bool plausible = plausibleFrameHeader(p);
            const std::size_t next = FrameHeaderBytes + frameLength(p);
            if (plausible && have >= next + FrameHeaderBytes)
                plausible = plausibleFrameHeader(p + next);
            m_pendingClient.clear();
            m_pendingServer.clear();
            if (plausible) {
                m_seenHttp2 = true;
                m_state = State::Stopped;
                m_reason = midstreamReason();
                return;
            }
        }
        notHttp2(QStringLiteral("the client did not start with the HTTP/2 connection preface"),
                 HttpMessage::Incomplete::Malformed, tsNs);
        return;
    }
    if (n < Preface.size())
        return;
    m_state = State::Decoding;
    m_seenHttp2 = true;
    const QByteArray rest = m_pendingClient.mid(Preface.size());
    const QByteArray server = m_pendingServer;
    m_pendingClient.clear();
    m_pendingServer.clear();
    m_client.offset += std::uint64_t(Preface.size());
    // The client's SETTINGS follow its preface; the server's acknowledgement comes later.
    feed(m_client, reinterpret_cast<const std::uint8_t *>(rest.constData()),
         std::size_t(rest.size()), tsNs);
    if (m_state == State::Decoding && !server.isEmpty())
        feed(m_server, reinterpret_cast<const std::uint8_t *>(server.constData()),
             std::size_t(server.size()), m_pendingServerNs);
}

void Http2Connection::feed(Direction &d, const std::uint8_t *data, std::size_t size,
                           std::int64_t tsNs)
{
    while (size > 0 && m_state == State::Decoding) {
        std::size_t used = 0;
        if (d.dataPadPending) {
            // RFC 9113 6.1: Pad Length, then data, then that much padding
            d.dataPadPending = false;
            d.dataLeft -= 1;
            d.padLeft = data[0];
            used = 1;
            if (d.padLeft > d.dataLeft) {
                stop(QStringLiteral("a DATA frame's padding is longer than its payload"),
                     HttpMessage::Incomplete::Malformed, tsNs);
                return;
            }
            if (d.dataLeft == 0)
                dataFrameEnd(d, tsNs);
        } else if (d.dataLeft > 0) {
            used = std::min(size, d.dataLeft);
            const std::size_t content = d.dataLeft - d.padLeft; // data bytes still to come
            const std::size_t body = std::min(used, content);
            if (body > 0)
                dataBytes(d, data, body, tsNs);
            d.dataLeft -= used;
            if (used > body)
                d.padLeft -= used - body;
            if (d.dataLeft == 0)
                dataFrameEnd(d, tsNs);
        } else if (d.frame.isEmpty() && size >= FrameHeaderBytes && (data[3] != Data || d.inBlock)
                   && size - FrameHeaderBytes >= frameLength(data)) {
            // A whole frame (not DATA) in this piece: decoded where it lies, never copied
            d.frameStart = d.offset;
            const std::size_t len = frameLength(data);
            used = FrameHeaderBytes + len;
            frame(d, data, len, tsNs);
        } else if (std::size_t(d.frame.size()) < FrameHeaderBytes) {
            if (d.frame.isEmpty())
                d.frameStart = d.offset;
            used = std::min(size, FrameHeaderBytes - std::size_t(d.frame.size()));
            d.frame.append(reinterpret_cast<const char *>(data), qsizetype(used));
            if (std::size_t(d.frame.size()) == FrameHeaderBytes) {
                const auto *h = reinterpret_cast<const std::uint8_t *>(d.frame.constData());
                const std::size_t len = frameLength(h);
                if (h[3] == Data && !d.inBlock) {
                    // DATA is streamed through, never buffered whole
                    ++m_stats.frames;
                    d.dataStream = be32(h + 5) & 0x7fffffffu;
                    d.dataEndStream = h[4] & FlagEndStream;
                    d.dataFrameBytes = FrameHeaderBytes + len;
                    d.dataPadPending = (h[4] & FlagPadded) != 0;
                    d.dataLeft = len;
                    d.padLeft = 0;
                    d.frame.clear();
                    if (d.dataStream == 0) {
                        stop(QStringLiteral("a DATA frame on stream 0"),
                             HttpMessage::Incomplete::Malformed, tsNs);
                        return;
                    }
                    if (d.dataPadPending && len == 0) {
                        stop(QStringLiteral("a padded DATA frame without a Pad Length"),
                             HttpMessage::Incomplete::Malformed, tsNs);
                        return;
                    }
                    if (len == 0)
                        dataFrameEnd(d, tsNs);
                } else if (len == 0) {
                    frame(d, h, 0, tsNs);
                    d.frame.clear();
                }
            }
        } else {
            const auto *h = reinterpret_cast<const std::uint8_t *>(d.frame.constData());
            const std::size_t want
                    = FrameHeaderBytes + frameLength(h) - std::size_t(d.frame.size());
            used = std::min(size, want);
            d.frame.append(reinterpret_cast<const char *>(data), qsizetype(used));
            if (used == want) {
                const auto *f = reinterpret_cast<const std::uint8_t *>(d.frame.constData());
                frame(d, f, std::size_t(d.frame.size()) - FrameHeaderBytes, tsNs);
                d.frame.clear();
            }
        }
        data += used;
        size -= used;
        d.offset += used;
    }
}

bool Http2Connection::frame(Direction &d, const std::uint8_t *f, std::size_t len, std::int64_t tsNs)
{
    ++m_stats.frames;
    const std::uint8_t type = f[3];
    const std::uint8_t flags = f[4];
    const std::uint32_t sid = be32(f + 5) & 0x7fffffffu;
    const std::uint8_t *p = f + FrameHeaderBytes;
    std::size_t n = len;
    const bool client = d.side == Side::Client;
    auto bad = [&](const QString &why) {
        stop(why, HttpMessage::Incomplete::Malformed, tsNs);
        return false;
    };
    if (d.inBlock && (type != Continuation || sid != d.blockStream))
        return bad(QStringLiteral("a frame of type %1 came between the pieces of a header block")
                           .arg(type));
    switch (type) {
    case Headers:
    case PushPromise: {
        if (sid == 0)
            return bad(QStringLiteral("a header block on stream 0"));
        if (type == PushPromise && client)
            return bad(QStringLiteral("the client sent PUSH_PROMISE"));
        std::size_t pad = 0;
        if (flags & FlagPadded) {
            if (n < 1)
                return bad(QStringLiteral("a padded frame without a Pad Length"));
            pad = p[0];
            ++p;
            --n;
        }
        std::uint32_t promised = 0;
        if (type == Headers && (flags & FlagPriority)) {
            if (n < 5)
                return bad(QStringLiteral("a HEADERS frame too short for its priority"));
            p += 5;
            n -= 5;
        } else if (type == PushPromise) {
            if (n < 4)
                return bad(QStringLiteral("a PUSH_PROMISE frame too short"));
            promised = be32(p) & 0x7fffffffu;
            p += 4;
            n -= 4;
            if (promised == 0)
                return bad(QStringLiteral("a PUSH_PROMISE for stream 0"));
        }
        if (pad > n)
            return bad(QStringLiteral("a frame's padding is longer than its payload"));
        n -= pad;
        d.inBlock = true;
        d.blockStream = sid;
        d.promised = promised;
        d.blockEndStream = type == Headers && (flags & FlagEndStream);
        d.blockWire = FrameHeaderBytes + len;
        d.blockOffset = d.frameStart;
        d.blockFirstNs = tsNs;
        d.blockRaw.resize(0); // keeps its capacity
        d.blockSpans.clear();
        d.blockBytes = 0;
        d.blockTooLarge = false;
        return headerFragment(d, p, n, flags & FlagEndHeaders, tsNs);
    }
    case Continuation:
        if (!d.inBlock)
            return bad(QStringLiteral("CONTINUATION without a header block before it"));
        d.blockWire += FrameHeaderBytes + len;
        return headerFragment(d, p, n, flags & FlagEndHeaders, tsNs);
    case RstStream:
        if (sid == 0 || n != 4)
            return bad(QStringLiteral("a malformed RST_STREAM frame"));
        ++m_stats.resets;
        if (findStream(sid))
            complete(sid, true, be32(p));
        return true;
    case Settings: {
        if (sid != 0 || (flags & FlagAck ? n != 0 : n % 6 != 0))
            return bad(QStringLiteral("a malformed SETTINGS frame"));
        Direction &peer = client ? m_server : m_client;
        if (flags & FlagAck) {
            // The acknowledging side's encoder now works within the peer's table size.
            if (peer.unackedTableSizes.empty())
                return true; // its SETTINGS came before the capture, or were not seen
            const auto size = peer.unackedTableSizes.front();
            peer.unackedTableSizes.pop_front();
            if (size && !d.hpack.changeTableSize(*size))
                return bad(d.hpack.error());
            return true;
        }
        std::optional<std::uint32_t> tableSize;
        for (std::size_t i = 0; i + 6 <= n; i += 6) {
            const std::uint16_t id = std::uint16_t(p[i] << 8 | p[i + 1]);
            if (id == SettingsHeaderTableSize)
                tableSize = be32(p + i + 2);
        }
        if (d.unackedTableSizes.size() >= MaxUnackedSettings)
            return bad(QStringLiteral("more than %1 SETTINGS frames without acknowledgement")
                               .arg(MaxUnackedSettings));
        d.unackedTableSizes.push_back(tableSize);
        return true;
    }
    case Goaway:
        if (sid != 0 || n < 8)
            return bad(QStringLiteral("a malformed GOAWAY frame"));
        ++m_stats.goaways;
        m_goawayLast = be32(p) & 0x7fffffffu;
        return true;
    default:
        // PRIORITY, PING, WINDOW_UPDATE (flow control is not followed) and unknown types
        // (RFC 9113 5.5: ignored)
        return true;
    }
}

bool Http2Connection::headerFragment(Direction &d, const std::uint8_t *p, std::size_t n,
                                     bool endHeaders, std::int64_t tsNs)
{
    // Every field is decoded (the dynamic table must stay in step); only those within the
    // head limits are kept. An indexed field can expand one byte into kilobytes.
    // Kept fields go straight into the block's lines: no copy per field.
    const std::size_t maxFields = std::size_t(std::max(0, m_limits.maxHeaders)) + 8;
    const bool ok = d.hpack.feed(p, n, endHeaders, [&](QByteArrayView name, QByteArrayView value) {
        const std::size_t bytes = std::size_t(name.size()) + std::size_t(value.size()) + 4;
        if (d.blockTooLarge || d.blockBytes + bytes > m_limits.maxHeadBytes
            || d.blockSpans.size() >= maxFields) {
            d.blockTooLarge = true;
            return;
        }
        d.blockBytes += bytes;
        const qsizetype start = d.blockRaw.size();
        d.blockRaw.resize(start + qsizetype(bytes)); // one size change, not four appends
        char *w = d.blockRaw.data() + start;
        std::memcpy(w, name.data(), std::size_t(name.size()));
        w += name.size();
        *w++ = ':';
        *w++ = ' ';
        std::memcpy(w, value.data(), std::size_t(value.size()));
        w += value.size();
        *w++ = '\r';
        *w = '\n';
        d.blockSpans.push_back({start, name.size(), start + name.size() + 2, value.size()});
    });
    if (!ok) {
        stop(d.hpack.error(), HttpMessage::Incomplete::Malformed, tsNs);
        return false;
    }
    if (endHeaders)
        headerBlockDone(d, tsNs);
    return true;
}

Http2Connection::Stream *Http2Connection::findStream(std::uint32_t id)
{
    const auto it = m_streams.find(id);
    return it == m_streams.end() ? nullptr : &it->second;
}

Http2Connection::Stream &Http2Connection::stream(std::uint32_t id)
{
    auto [it, added] = m_streams.try_emplace(id);
    Stream &s = it->second;
    if (added) {
        s.id = id;
        s.index = m_nextIndex++;
        s.request.kind = HttpMessage::Kind::Request;
        s.response.kind = HttpMessage::Kind::Response;
        s.request.versionMajor = s.response.versionMajor = 2;
        s.request.versionMinor = s.response.versionMinor = 0;
        s.requestHash.reset();
        s.responseHash.reset();
        ++m_stats.streams;
    }
    return s;
}

void Http2Connection::fillMessage(HttpMessage &m, const Direction &d, bool trailers) const
{
    // The fields as "name: value" lines; headers are views into that buffer.
    const std::size_t count
            = std::min(d.blockSpans.size(), std::size_t(std::max(0, m_limits.maxHeaders)));
    const qsizetype end
            = count > 0 ? d.blockSpans[count - 1].value + d.blockSpans[count - 1].valueLen + 2 : 0;
    QByteArray &kept = trailers ? m.rawTrailers : m.rawHead;
    kept = end > 0 ? QByteArray(d.blockRaw.constData(), end) : QByteArray();
    QList<HttpMessage::Header> views;
    views.reserve(qsizetype(count));
    for (std::size_t i = 0; i < count; ++i) {
        const FieldSpan &s = d.blockSpans[i];
        views.append({QByteArrayView(kept.constData() + s.name, s.nameLen),
                      QByteArrayView(kept.constData() + s.value, s.valueLen)});
    }
    if (d.blockTooLarge || d.blockSpans.size() > count)
        m.incomplete = HttpMessage::Incomplete::HeadTooLarge;
    if (trailers) {
        m.trailers = std::move(views);
        return;
    }
    m.headers = std::move(views);
    const char *raw = d.blockRaw.constData();
    for (const FieldSpan &s : d.blockSpans) {
        const QByteArrayView name(raw + s.name, s.nameLen);
        if (!name.startsWith(':'))
            continue;
        const QByteArrayView value(raw + s.value, s.valueLen);
        if (name == ":method")
            m.method = value.toByteArray();
        else if (name == ":path"
                 // CONNECT (RFC 9113 8.5) has no :path: its target is the authority form
                 || (name == ":authority" && m.target.isEmpty()))
            m.target = value.toByteArray();
        else if (name == ":status")
            m.status = value.toInt();
    }
}

void Http2Connection::headerBlockDone(Direction &d, std::int64_t tsNs)
{
    ++m_stats.headerBlocks;
    d.inBlock = false;
    if (m_streams.size() >= MaxOpenStreams
        && !findStream(d.promised ? d.promised : d.blockStream)) {
        stop(QStringLiteral("more than %1 streams open at once").arg(MaxOpenStreams),
             HttpMessage::Incomplete::Truncated, tsNs);
        return;
    }
    auto startHead = [&](HttpMessage &m) {
        m.firstByteNs = d.blockFirstNs;
        m.headEndNs = tsNs;
        m.lastByteNs = tsNs;
        m.headBytes = d.blockWire;
        m.wireBytes += d.blockWire;
        m.streamOffset = d.blockOffset;
    };
    // RFC 9113 5.1.1: stream ids only grow. A block for a stream that is not open and not new
    // (closed or reset here; frames in flight after a reset) is decoded, not made an exchange.
    const std::uint32_t opens = d.side == Side::Client ? d.blockStream : d.promised;
    std::uint32_t &last = d.side == Side::Client ? m_lastClientStream : m_lastPromisedStream;
    if (opens != 0 && !findStream(opens)) {
        if (opens <= last) {
            ++m_stats.closedStreamBlocks;
            return;
        }
        last = opens;
    }
    if (d.side == Side::Client) {
        Stream &s = stream(d.blockStream);
        if (!s.haveRequest) {
            fillMessage(s.request, d, false);
            startHead(s.request);
            s.haveRequest = true;
        } else {
            fillMessage(s.request, d, true); // trailers
            s.request.wireBytes += d.blockWire;
        }
        if (d.blockEndStream)
            endSide(s, Side::Client, tsNs);
        return;
    }
    if (d.promised != 0) {
        // PUSH_PROMISE: the server's request for a stream it opens (RFC 9113 8.4)
        Stream &s = stream(d.promised);
        fillMessage(s.request, d, false);
        startHead(s.request);
        s.haveRequest = true;
        s.clientEnded = true;
        return;
    }
    Stream *s = findStream(d.blockStream);
    if (!s)
        return; // a stream already reset or never opened by a request we saw
    bool interim = false;
    if (!s->haveResponse) {
        const char *raw = d.blockRaw.constData();
        for (const FieldSpan &f : d.blockSpans) {
            if (QByteArrayView(raw + f.name, f.nameLen) == ":status") {
                const int status = QByteArrayView(raw + f.value, f.valueLen).toInt();
                interim = status >= 100 && status < 200;
            }
        }
    }
    if (interim) {
        ++s->interim;
    } else if (!s->haveResponse) {
        fillMessage(s->response, d, false);
        startHead(s->response);
        s->haveResponse = true;
    } else {
        fillMessage(s->response, d, true);
        s->response.wireBytes += d.blockWire;
    }
    if (d.blockEndStream)
        endSide(*s, Side::Server, tsNs);
}

void Http2Connection::dataBytes(Direction &d, const std::uint8_t *p, std::size_t n,
                                std::int64_t tsNs)
{
    Stream *s = findStream(d.dataStream);
    if (!s)
        return;
    const bool client = d.side == Side::Client;
    if (!client && !s->haveResponse)
        return; // DATA before the response head is a protocol error: not a body
    HttpMessage &m = client ? s->request : s->response;
    (client ? s->requestHash : s->responseHash).add(p, n);
    m.bodyBytes += n;
    const std::size_t room = m_limits.keepBodyBytes > std::size_t(m.body.size())
                                     ? m_limits.keepBodyBytes - std::size_t(m.body.size())
                                     : 0;
    if (room > 0 && m.body.isEmpty()) {
        // One allocation for the kept body when its size is known (content-length), else for
        // this DATA frame: no regrowth segment by segment.
        bool known = false;
        const qulonglong length = m.header("content-length").toULongLong(&known);
        const std::size_t expect = known ? std::size_t(length) : n + d.dataLeft;
        m.body.reserve(qsizetype(std::min(room, std::max(expect, n))));
    }
    if (room > 0)
        m.body.append(reinterpret_cast<const char *>(p), qsizetype(std::min(room, n)));
    if (n > room)
        m.bodyKeptWhole = false;
    m.lastByteNs = tsNs;
}

void Http2Connection::dataFrameEnd(Direction &d, std::int64_t tsNs)
{
    Stream *s = findStream(d.dataStream);
    if (!s)
        return;
    const bool client = d.side == Side::Client;
    if (!client && !s->haveResponse)
        return;
    (client ? s->request : s->response).wireBytes += d.dataFrameBytes;
    if (d.dataEndStream)
        endSide(*s, d.side, tsNs);
}

void Http2Connection::endSide(Stream &s, Side side, std::int64_t tsNs)
{
    if (side == Side::Client) {
        s.clientEnded = true;
        s.request.lastByteNs = std::max(s.request.lastByteNs, tsNs);
    } else {
        s.serverEnded = true;
        s.response.lastByteNs = std::max(s.response.lastByteNs, tsNs);
    }
    if (s.clientEnded && s.serverEnded)
        complete(s.id, false, 0);
}

void Http2Connection::complete(std::uint32_t id, bool reset, std::uint32_t code,
                               HttpMessage::Incomplete unfinished)
{
    const auto it = m_streams.find(id);
    if (it == m_streams.end())
        return;
    Stream &s = it->second;
    if (s.haveRequest) {
        HttpExchange x;
        x.index = s.index;
        x.protocol = HttpExchange::Protocol::Http2;
        x.streamId = s.id;
        x.wasReset = reset;
        x.resetCode = code;
        x.interimResponses = s.interim;
        if (!s.requestFromHttp1)
            s.request.bodyHash = s.requestHash.digest();
        s.response.bodyHash = s.responseHash.digest();
        if (!s.clientEnded && s.request.isComplete())
            s.request.incomplete = unfinished;
        if (s.haveResponse && !s.serverEnded && s.response.isComplete())
            s.response.incomplete = unfinished;
        x.request = std::move(s.request);
        x.hasResponse = s.haveResponse;
        if (s.haveResponse)
            x.response = std::move(s.response);
        if (GrpcCall::isGrpc(x.request))
            x.grpc = GrpcCall::decode(x.request, x.hasResponse ? &x.response : nullptr);
        m_ready.push_back(std::move(x));
    }
    m_streams.erase(it);
}

void Http2Connection::completeAll(HttpMessage::Incomplete unfinished)
{
    while (!m_streams.empty())
        complete(m_streams.begin()->first, false, 0, unfinished);
}

void Http2Connection::stop(const QString &reason, HttpMessage::Incomplete why, std::int64_t tsNs)
{
    Q_UNUSED(tsNs);
    m_state = State::Stopped;
    m_reason = reason;
    m_client.frame.clear();
    m_server.frame.clear();
    completeAll(why);
}

} // namespace podtap
