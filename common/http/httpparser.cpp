#include "httpparser.h"

#include <algorithm>
#include <cstring>

namespace podtap {

namespace {

// XXH64 (github.com/Cyan4973/xxHash, doc/xxhash_spec.md), seed 0, little-endian reads.
constexpr std::uint64_t P1 = 0x9E3779B185EBCA87ULL;
constexpr std::uint64_t P2 = 0xC2B2AE3D27D4EB4FULL;
constexpr std::uint64_t P3 = 0x165667B19E3779F9ULL;
constexpr std::uint64_t P4 = 0x85EBCA77C2B2AE63ULL;
constexpr std::uint64_t P5 = 0x27D4EB2F165667C5ULL;

inline std::uint64_t rotl(std::uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

inline std::uint64_t read64(const std::uint8_t *p)
{
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline std::uint64_t round64(std::uint64_t acc, std::uint64_t input)
{
    return rotl(acc + input * P2, 31) * P1;
}

inline std::uint64_t mergeRound(std::uint64_t acc, std::uint64_t lane)
{
    return (acc ^ round64(0, lane)) * P1 + P4;
}

constexpr std::size_t MaxStartLine = 8 * 1024; // before the stream counts as HTTP
constexpr std::size_t MaxChunkLine = 1024;
constexpr int MaxLeadingEmptyLines = 4;

bool isTokenChar(char c)
{
    // RFC 9110 5.6.2 tchar
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

bool isMethodChar(char c)
{
    return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

QByteArrayView trimmed(QByteArrayView v)
{
    while (!v.isEmpty() && (v.front() == ' ' || v.front() == '\t'))
        v = v.sliced(1);
    while (!v.isEmpty()
           && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r' || v.back() == '\n'))
        v.chop(1);
    return v;
}

bool equalsIgnoreCase(QByteArrayView a, QByteArrayView b)
{
    return a.size() == b.size() && qstrnicmp(a.data(), a.size(), b.data(), b.size()) == 0;
}

// Parses a non-negative decimal that fits in 62 bits.
bool parseLength(QByteArrayView v, std::uint64_t *out)
{
    v = trimmed(v);
    if (v.isEmpty() || v.size() > 18)
        return false;
    std::uint64_t n = 0;
    for (const char c : v) {
        if (c < '0' || c > '9')
            return false;
        n = n * 10 + std::uint64_t(c - '0');
    }
    *out = n;
    return true;
}

// Empties the line buffer but keeps a small allocation for the next line: heads and
// chunk-size lines would otherwise cost an allocation (and a few regrowths) each. A buffer
// shared with a message's rawHead, or a large one, is let go.
void emptyLineBuffer(QByteArray &b)
{
    if (b.isDetached() && b.capacity() <= 2048)
        b.resize(0);
    else
        b.clear();
}

// Could `partial` (the first line so far, without its end) begin an HTTP start line?
bool plausibleStart(HttpMessage::Kind kind, QByteArrayView partial)
{
    if (partial == "\r")
        return true; // an empty line before the start line

    if (kind == HttpMessage::Kind::Response) {
        static constexpr QByteArrayView Prefix("HTTP/1.");
        const qsizetype n = std::min(partial.size(), Prefix.size());
        return partial.first(n) == Prefix.first(n);
    }
    qsizetype i = 0;
    while (i < partial.size() && isMethodChar(partial[i]))
        ++i;
    if (i == partial.size())
        return i <= 20;
    return i > 0 && i <= 20 && partial[i] == ' ';
}

} // namespace

HttpParser::HttpParser(HttpMessage::Kind kind)
    : HttpParser(kind, Limits{})
{}

HttpParser::HttpParser(HttpMessage::Kind kind, const Limits &limits)
    : m_kind(kind)
    , m_limits(limits)
{}

const char *HttpParser::stateName(State state)
{
    switch (state) {
    case State::Detecting:
        return "detecting";
    case State::Idle:
        return "idle";
    case State::Head:
        return "head";
    case State::Body:
        return "body";
    case State::NotHttp:
        return "not-http";
    case State::Broken:
        return "broken";
    case State::Tunnel:
        return "tunnel";
    case State::Resync:
        return "resync";
    }
    return "";
}

void HttpParser::BodyHash::reset()
{
    lane[0] = P1 + P2;
    lane[1] = P2;
    lane[2] = 0;
    lane[3] = 0 - P1;
    total = 0;
    tailSize = 0;
}

void HttpParser::BodyHash::add(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return; // data may be null (an empty QByteArray): memcpy must not see it
    total += size;
    if (tailSize + size < sizeof tail) {
        std::memcpy(tail + tailSize, data, size);
        tailSize += size;
        return;
    }
    std::uint64_t v0 = lane[0], v1 = lane[1], v2 = lane[2], v3 = lane[3];
    if (tailSize > 0) {
        const std::size_t fill = sizeof tail - tailSize;
        std::memcpy(tail + tailSize, data, fill);
        data += fill;
        size -= fill;
        v0 = round64(v0, read64(tail));
        v1 = round64(v1, read64(tail + 8));
        v2 = round64(v2, read64(tail + 16));
        v3 = round64(v3, read64(tail + 24));
    }
    for (; size >= 32; data += 32, size -= 32) {
        v0 = round64(v0, read64(data));
        v1 = round64(v1, read64(data + 8));
        v2 = round64(v2, read64(data + 16));
        v3 = round64(v3, read64(data + 24));
    }
    lane[0] = v0;
    lane[1] = v1;
    lane[2] = v2;
    lane[3] = v3;
    std::memcpy(tail, data, size);
    tailSize = size;
}

std::uint64_t HttpParser::BodyHash::digest() const
{
    std::uint64_t h;
    if (total >= 32) {
        h = rotl(lane[0], 1) + rotl(lane[1], 7) + rotl(lane[2], 12) + rotl(lane[3], 18);
        for (const std::uint64_t v : lane)
            h = mergeRound(h, v);
    } else {
        h = P5;
    }
    h += total;
    const std::uint8_t *p = tail;
    std::size_t n = tailSize;
    for (; n >= 8; p += 8, n -= 8)
        h = rotl(h ^ round64(0, read64(p)), 27) * P1 + P4;
    if (n >= 4) {
        std::uint32_t k;
        std::memcpy(&k, p, sizeof k);
        h = rotl(h ^ (std::uint64_t(k) * P1), 23) * P2 + P3;
        p += 4;
        n -= 4;
    }
    for (; n > 0; ++p, --n)
        h = rotl(h ^ (*p * P5), 11) * P1;
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

std::uint64_t HttpParser::hashBody(QByteArrayView body)
{
    BodyHash h;
    h.reset();
    h.add(reinterpret_cast<const std::uint8_t *>(body.data()), std::size_t(body.size()));
    return h.digest();
}

bool HttpParser::isHttp() const
{
    return m_sawStartLine;
}

void HttpParser::expectResponseTo(const QByteArray &method)
{
    if (isStopped())
        return; // no response will be parsed
    if (m_requestMethods.size() >= 4096)
        m_requestMethods.pop_front(); // no answers for ages (a one-way capture): stay bounded
    m_requestMethods.push_back(method);
}

std::vector<HttpMessage> HttpParser::takeMessages()
{
    std::vector<HttpMessage> out;
    out.swap(m_done);
    return out;
}

const HttpMessage *HttpParser::messageInBody() const
{
    return m_state == State::Body ? &m_msg : nullptr;
}

void HttpParser::startMessage(std::int64_t tsNs)
{
    m_msg = HttpMessage{};
    m_msg.kind = m_kind;
    m_msg.firstByteNs = tsNs;
    m_msg.afterResync = m_resynced;
    m_resynced = false;
    if (m_head.capacity() < 1024)
        m_head.reserve(1024); // most heads fit: no regrowth line by line
    m_hash.reset();
    m_inMessage = true;
}

void HttpParser::feed(const std::uint8_t *data, std::size_t size, std::int64_t tsNs)
{
    std::size_t pos = 0;
    while (pos < size) {
        std::size_t used = 0;
        switch (m_state) {
        case State::NotHttp:
        case State::Broken:
        case State::Tunnel:
            m_ignored += size - pos;
            m_pos += size - pos;
            return;
        case State::Resync:
            pos += consumeResync(data + pos, size - pos, tsNs); // keeps m_pos itself
            continue;
        case State::Detecting:
        case State::Idle:
        case State::Head:
            used = consumeHead(data + pos, size - pos, tsNs);
            break;
        case State::Body:
            used = consumeBody(data + pos, size - pos, tsNs);
            break;
        }
        pos += used;
        m_pos += used;
    }
}

std::size_t HttpParser::consumeHead(const std::uint8_t *data, std::size_t size, std::int64_t tsNs)
{
    if (!m_inMessage)
        startMessage(tsNs);
    if (m_state == State::Idle)
        m_state = State::Head;
    const bool detecting = m_state == State::Detecting;
    std::size_t used = 0;
    while (used < size) {
        if (m_scan == 0 && m_head.isEmpty())
            m_msg.streamOffset = m_pos + used; // a start line (or an empty line) begins here
        const auto *nl
                = static_cast<const std::uint8_t *>(std::memchr(data + used, '\n', size - used));
        const std::size_t take = nl ? std::size_t(nl - (data + used)) + 1 : size - used;
        if (m_head.size() + take > m_limits.maxHeadBytes) {
            m_msg.wireBytes = m_head.size() + take;
            if (detecting) {
                m_state = State::NotHttp;
                m_error = QStringLiteral("no HTTP start line in the first %1 bytes")
                                  .arg(m_limits.maxHeadBytes);
            } else {
                breakOff(HttpMessage::Incomplete::HeadTooLarge,
                         QStringLiteral("a message head is larger than %1 bytes")
                                 .arg(m_limits.maxHeadBytes),
                         tsNs);
            }
            m_ignored += size - used - take;
            return size;
        }
        m_head.append(reinterpret_cast<const char *>(data + used), qsizetype(take));
        used += take;
        if (!nl) {
            // A partial first line: reject binary garbage at once, not after 64 KiB.
            if (m_scan == 0) {
                const QByteArrayView first(m_head);
                if (!plausibleStart(m_kind, first) || std::size_t(first.size()) > MaxStartLine) {
                    if (detecting) {
                        m_state = State::NotHttp;
                        m_error = QStringLiteral("the stream does not start like HTTP/1.x");
                        m_ignored += m_head.size();
                    } else {
                        breakOff(HttpMessage::Incomplete::Malformed,
                                 QStringLiteral("bytes between messages are not HTTP"), tsNs);
                    }
                    return size;
                }
            }
            return used;
        }
        // One complete line: m_head[m_scan, end).
        const QByteArrayView line = QByteArrayView(m_head).sliced(qsizetype(m_scan));
        const bool empty = line == "\n" || line == "\r\n";
        if (m_scan == 0) {
            if (empty) {
                // RFC 9112 2.2: a recipient ignores empty lines before a request line.
                emptyLineBuffer(m_head);
                if (++m_emptyLines > MaxLeadingEmptyLines) {
                    breakOff(HttpMessage::Incomplete::Malformed,
                             QStringLiteral("empty lines instead of a message"), tsNs);
                    return size;
                }
                continue;
            }
            m_emptyLines = 0;
            if (!parseStartLine(line)) {
                if (detecting) {
                    m_state = State::NotHttp;
                    m_error = QStringLiteral("the first line is not an HTTP/1.x start line");
                    m_ignored += m_head.size() + (size - used);
                    emptyLineBuffer(m_head);
                    m_inMessage = false;
                } else {
                    breakOff(HttpMessage::Incomplete::Malformed,
                             QStringLiteral("a start line is malformed"), tsNs);
                }
                return size;
            }
            if (detecting)
                m_state = State::Head;
            m_sawStartLine = true;
            m_msg.rawHead = QByteArray(""); // marks "start line seen"
        } else if (empty) {
            if (!parseHead(tsNs))
                return size;
            return used;
        }
        m_scan = std::size_t(m_head.size());
    }
    return used;
}

bool HttpParser::parseStartLine(QByteArrayView line)
{
    line = trimmed(line);
    if (m_kind == HttpMessage::Kind::Request) {
        const qsizetype sp1 = line.indexOf(' ');
        const qsizetype sp2 = line.lastIndexOf(' ');
        if (sp1 <= 0 || sp2 <= sp1 + 1 || sp1 > 20)
            return false;
        const QByteArrayView method = line.first(sp1);
        const QByteArrayView target = line.sliced(sp1 + 1, sp2 - sp1 - 1);
        const QByteArrayView version = line.sliced(sp2 + 1);
        for (const char c : method) {
            if (!isMethodChar(c))
                return false;
        }
        for (const char c : target) {
            if (c == ' ' || std::uint8_t(c) < 0x21 || c == 0x7f)
                return false;
        }
        if (version.size() != 8 || !version.startsWith("HTTP/1.")
            || (version[7] != '0' && version[7] != '1'))
            return false;
        m_msg.method = method.toByteArray();
        m_msg.target = target.toByteArray();
        m_msg.versionMinor = version[7] - '0';
        return true;
    }
    // HTTP/1.x SP 3DIGIT [SP reason]
    if (line.size() < 12 || !line.startsWith("HTTP/1.") || (line[7] != '0' && line[7] != '1')
        || line[8] != ' ')
        return false;
    int status = 0;
    for (int i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9')
            return false;
        status = status * 10 + (line[i] - '0');
    }
    if (status < 100 || (line.size() > 12 && line[12] != ' '))
        return false;
    m_msg.versionMinor = line[7] - '0';
    m_msg.status = status;
    m_msg.reason = line.size() > 13 ? line.sliced(13).toByteArray() : QByteArray();
    return true;
}

bool HttpParser::parseHead(std::int64_t tsNs)
{
    // A copy of its exact size: m_head keeps its buffer for the next head.
    m_msg.rawHead = QByteArray(m_head.constData(), m_head.size());
    m_msg.headBytes = std::uint64_t(m_head.size());
    m_msg.wireBytes = m_msg.headBytes;
    m_msg.headEndNs = tsNs;
    m_msg.headers.reserve(16);
    // Header lines: everything after the start line, before the empty line. Parsed from the
    // message's own copy: the fields are views into it.
    QByteArrayView rest(m_msg.rawHead);
    const qsizetype firstEnd = rest.indexOf('\n');
    rest = rest.sliced(firstEnd + 1);
    while (!rest.isEmpty()) {
        const qsizetype end = rest.indexOf('\n');
        QByteArrayView line = rest.first(end);
        rest = rest.sliced(end + 1);
        if (!line.isEmpty() && line.back() == '\r')
            line.chop(1);
        if (line.isEmpty())
            break;
        if (line.front() == ' ' || line.front() == '\t') {
            // obs-fold (RFC 9112 5.2): joined to the previous value with one space.
            if (m_msg.headers.isEmpty()) {
                breakOff(HttpMessage::Incomplete::Malformed,
                         QStringLiteral("a header continuation without a header"), tsNs);
                return false;
            }
            HttpMessage::Header &last = m_msg.headers.last();
            QByteArray joined = last.value.toByteArray();
            joined.append(' ').append(trimmed(line));
            m_msg.foldedValues.append(joined);
            last.value = QByteArrayView(m_msg.foldedValues.last());
            continue;
        }
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) {
            breakOff(HttpMessage::Incomplete::Malformed,
                     QStringLiteral("a header line without a name and colon"), tsNs);
            return false;
        }
        const QByteArrayView name = line.first(colon);
        for (const char c : name) {
            if (!isTokenChar(c)) {
                breakOff(HttpMessage::Incomplete::Malformed,
                         QStringLiteral("a header name with invalid characters"), tsNs);
                return false;
            }
        }
        if (m_msg.headers.size() >= m_limits.maxHeaders) {
            breakOff(HttpMessage::Incomplete::HeadTooLarge,
                     QStringLiteral("more than %1 header fields").arg(m_limits.maxHeaders), tsNs);
            return false;
        }
        m_msg.headers.append({name, trimmed(line.sliced(colon + 1))});
    }
    emptyLineBuffer(m_head);
    m_scan = 0;
    if (!chooseBodyMode())
        return false;
    if (m_bodyMode == BodyMode::None) {
        finishMessage(tsNs);
        return true;
    }
    m_state = State::Body;
    m_chunkStep = ChunkStep::Size;
    return true;
}

bool HttpParser::chooseBodyMode()
{
    m_bodyMode = BodyMode::None;
    m_remaining = 0;
    const bool response = m_kind == HttpMessage::Kind::Response;
    if (response) {
        m_msg.interim = m_msg.status >= 100 && m_msg.status < 200;
        if (!m_msg.interim) {
            m_answering = m_requestMethods.empty() ? QByteArray("GET") : m_requestMethods.front();
            if (!m_requestMethods.empty())
                m_requestMethods.pop_front();
        }
        // RFC 9112 6.3: no body for 1xx, 204, 304 and answers to HEAD.
        if (m_msg.interim || m_msg.status == 204 || m_msg.status == 304 || m_answering == "HEAD")
            return true;
        if (m_answering == "CONNECT" && m_msg.status >= 200 && m_msg.status < 300)
            return true; // finishMessage() switches to Tunnel
    }
    const QByteArray te = m_msg.header("transfer-encoding");
    if (!te.isNull()) {
        // The final coding decides (RFC 9112 6.3 item 4); Content-Length is then ignored.
        QByteArray last = te.toLower();
        const qsizetype comma = last.lastIndexOf(',');
        if (comma >= 0)
            last = last.sliced(comma + 1);
        if (last.trimmed() == "chunked") {
            m_bodyMode = BodyMode::Chunked;
            m_msg.chunked = true;
            return true;
        }
        if (!response) {
            breakOff(HttpMessage::Incomplete::Malformed,
                     QStringLiteral("a request Transfer-Encoding that does not end in chunked"),
                     m_msg.headEndNs);
            return false;
        }
        m_bodyMode = BodyMode::UntilClose;
        return true;
    }
    std::uint64_t length = 0;
    bool haveLength = false;
    for (const HttpMessage::Header &h : std::as_const(m_msg.headers)) {
        if (!equalsIgnoreCase(h.name, "content-length"))
            continue;
        // "5, 5" and repeated equal fields are one length; anything else is an error.
        QByteArrayView rest = h.value;
        while (true) {
            const qsizetype comma = rest.indexOf(',');
            const QByteArrayView part = comma < 0 ? rest : rest.first(comma);
            std::uint64_t n = 0;
            if (!parseLength(part, &n) || (haveLength && n != length)) {
                breakOff(HttpMessage::Incomplete::Malformed,
                         QStringLiteral("an invalid or conflicting Content-Length"),
                         m_msg.headEndNs);
                return false;
            }
            length = n;
            haveLength = true;
            if (comma < 0)
                break;
            rest = rest.sliced(comma + 1);
        }
    }
    if (haveLength) {
        m_bodyMode = length > 0 ? BodyMode::Length : BodyMode::None;
        m_remaining = length;
        // One allocation for the kept part instead of growing it packet by packet.
        m_msg.body.reserve(qsizetype(std::min<std::uint64_t>(length, m_limits.keepBodyBytes)));
    } else if (response) {
        m_bodyMode = BodyMode::UntilClose;
    }
    return true;
}

void HttpParser::bodyBytes(const std::uint8_t *data, std::size_t size)
{
    m_hash.add(data, size);
    m_msg.bodyBytes += size;
    const std::size_t kept = std::size_t(m_msg.body.size());
    if (kept < m_limits.keepBodyBytes) {
        const std::size_t n = std::min(size, m_limits.keepBodyBytes - kept);
        m_msg.body.append(reinterpret_cast<const char *>(data), qsizetype(n));
        if (n < size)
            m_msg.bodyKeptWhole = false;
    } else if (size > 0) {
        m_msg.bodyKeptWhole = false;
    }
}

std::size_t HttpParser::consumeBody(const std::uint8_t *data, std::size_t size, std::int64_t tsNs)
{
    m_msg.lastByteNs = tsNs;
    switch (m_bodyMode) {
    case BodyMode::Length: {
        const std::size_t n = std::size_t(std::min<std::uint64_t>(m_remaining, size));
        bodyBytes(data, n);
        m_msg.wireBytes += n;
        m_remaining -= n;
        if (m_remaining == 0)
            finishMessage(tsNs);
        return n;
    }
    case BodyMode::UntilClose:
        bodyBytes(data, size);
        m_msg.wireBytes += size;
        return size;
    case BodyMode::Chunked:
        return consumeChunked(data, size, tsNs);
    case BodyMode::None:
        break;
    }
    finishMessage(tsNs);
    return 0;
}

std::size_t HttpParser::consumeChunked(const std::uint8_t *data, std::size_t size,
                                       std::int64_t tsNs)
{
    std::size_t used = 0;
    while (used < size && m_state == State::Body) {
        if (m_chunkStep == ChunkStep::Data) {
            const std::size_t n = std::size_t(std::min<std::uint64_t>(m_remaining, size - used));
            bodyBytes(data + used, n);
            m_msg.wireBytes += n;
            m_remaining -= n;
            used += n;
            if (m_remaining == 0)
                m_chunkStep = ChunkStep::DataEnd;
            continue;
        }
        // Size line, the CRLF after data, or trailer lines: line based.
        const auto *nl
                = static_cast<const std::uint8_t *>(std::memchr(data + used, '\n', size - used));
        const std::size_t take = nl ? std::size_t(nl - (data + used)) + 1 : size - used;
        const std::size_t limit
                = m_chunkStep == ChunkStep::Trailer ? m_limits.maxHeadBytes : MaxChunkLine;
        if (std::size_t(m_head.size()) + take > limit) {
            breakOff(HttpMessage::Incomplete::Malformed,
                     m_chunkStep == ChunkStep::Trailer
                             ? QStringLiteral("chunked trailers are too large")
                             : QStringLiteral("a chunk-size line is too long"),
                     tsNs);
            return size;
        }
        m_head.append(reinterpret_cast<const char *>(data + used), qsizetype(take));
        m_msg.wireBytes += take;
        used += take;
        if (!nl)
            return used;
        QByteArrayView line(m_head);
        line.chop(1);
        if (!line.isEmpty() && line.back() == '\r')
            line.chop(1);
        switch (m_chunkStep) {
        case ChunkStep::DataEnd:
            if (!line.isEmpty()) {
                breakOff(HttpMessage::Incomplete::Malformed,
                         QStringLiteral("chunk data longer than its size"), tsNs);
                return size;
            }
            m_chunkStep = ChunkStep::Size;
            break;
        case ChunkStep::Size: {
            // chunk-size [ chunk-ext ] (RFC 9112 7.1)
            const qsizetype semi = line.indexOf(';');
            const QByteArrayView hex = trimmed(semi >= 0 ? line.first(semi) : line);
            std::uint64_t n = 0;
            bool ok = !hex.isEmpty() && hex.size() <= 15;
            for (const char c : hex) {
                int v = -1;
                if (c >= '0' && c <= '9')
                    v = c - '0';
                else if (c >= 'a' && c <= 'f')
                    v = c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                    v = c - 'A' + 10;
                if (v < 0) {
                    ok = false;
                    break;
                }
                n = n * 16 + std::uint64_t(v);
            }
            if (!ok) {
                breakOff(HttpMessage::Incomplete::Malformed, QStringLiteral("a bad chunk size"),
                         tsNs);
                return size;
            }
            m_remaining = n;
            m_chunkStep = n == 0 ? ChunkStep::Trailer : ChunkStep::Data;
            break;
        }
        case ChunkStep::Trailer:
            if (line.isEmpty()) {
                emptyLineBuffer(m_head);
                finishMessage(tsNs);
                return used;
            }
            break;
        case ChunkStep::Data:
            break;
        }
        emptyLineBuffer(m_head); // trailer fields are counted, not kept
    }
    return used;
}

void HttpParser::finishMessage(std::int64_t tsNs)
{
    if (m_msg.lastByteNs < m_msg.headEndNs)
        m_msg.lastByteNs = std::max(tsNs, m_msg.headEndNs);
    const bool tunnel
            = m_kind == HttpMessage::Kind::Response
              && (m_msg.status == 101
                  || (m_answering == "CONNECT" && m_msg.status >= 200 && m_msg.status < 300));
    ++m_count;
    m_msg.bodyHash = m_hash.digest();
    m_done.push_back(std::move(m_msg));
    m_msg = HttpMessage{};
    m_inMessage = false;
    emptyLineBuffer(m_head);
    m_scan = 0;
    m_bodyMode = BodyMode::None;
    m_state = tunnel ? State::Tunnel : State::Idle;
    if (tunnel)
        m_error = QStringLiteral("the connection switched protocols");
}

void HttpParser::breakOff(HttpMessage::Incomplete why, const QString &error, std::int64_t tsNs)
{
    if (m_inMessage && !m_msg.rawHead.isNull()) {
        if (m_msg.rawHead.isEmpty())
            m_msg.rawHead = m_head.left(qsizetype(std::min<std::size_t>(m_head.size(), 4096)));
        if (m_msg.incomplete == HttpMessage::Incomplete::No || why != HttpMessage::Incomplete::Gap)
            m_msg.incomplete = why;
        if (m_msg.lastByteNs < m_msg.firstByteNs)
            m_msg.lastByteNs = tsNs;
        ++m_count;
        m_msg.bodyHash = m_hash.digest();
        m_done.push_back(std::move(m_msg));
    }
    m_msg = HttpMessage{};
    m_inMessage = false;
    emptyLineBuffer(m_head);
    m_scan = 0;
    m_state = m_count > 0 ? State::Broken : State::NotHttp;
    m_error = error;
}

void HttpParser::gap(std::uint64_t bytes, std::int64_t tsNs)
{
    m_gapBytes += bytes;
    if (m_state == State::Resync) {
        // Lost again while looking: what was kept is no longer contiguous with what follows.
        skip(std::uint64_t(m_resync.size()));
        m_joining = false; // bytes after a loss: a resync, no longer a join
        m_pos += bytes;
        m_resync.clear();
        m_resyncTimes.clear();
        m_resyncBase = m_pos;
        m_resyncScan = 0;
        ++m_uncountedGaps;
        return;
    }
    if (isStopped()) {
        m_ignored += bytes;
        m_pos += bytes;
        return;
    }
    if (m_state == State::Body) {
        // Inside a body of known size the boundary is still known: skip exactly.
        const bool known = m_bodyMode == BodyMode::Length
                           || (m_bodyMode == BodyMode::Chunked && m_chunkStep == ChunkStep::Data);
        if (m_bodyMode == BodyMode::UntilClose || (known && bytes <= m_remaining)) {
            m_pos += bytes;
            m_msg.incomplete = HttpMessage::Incomplete::Gap;
            m_msg.missingBytes += bytes;
            m_msg.bodyBytes += bytes;
            m_msg.wireBytes += bytes;
            m_msg.bodyKeptWhole = false;
            m_msg.lastByteNs = tsNs;
            if (m_bodyMode != BodyMode::UntilClose) {
                m_remaining -= bytes;
                if (m_remaining == 0) {
                    if (m_bodyMode == BodyMode::Length)
                        finishMessage(tsNs);
                    else
                        m_chunkStep = ChunkStep::DataEnd;
                }
            }
            return;
        }
    }
    const bool inMessage = m_inMessage && !m_msg.rawHead.isNull();
    if (inMessage)
        m_msg.missingBytes += bytes;
    const bool wasDetecting = m_state == State::Detecting;
    breakOff(HttpMessage::Incomplete::Gap,
             QStringLiteral("%1 bytes missing where a message boundary may lie").arg(bytes), tsNs);
    m_pos += bytes;
    if (m_kind == HttpMessage::Kind::Request && m_limits.resync) {
        // The lost bytes may have held whole requests: how many is not known.
        ++m_uncountedGaps;
        if (!inMessage)
            ++m_lostBetween;
        enterResync();
        return;
    }
    if (wasDetecting && m_count == 0) {
        m_state = State::NotHttp;
        m_error = QStringLiteral("bytes missing before the first message");
    }
}

void HttpParser::startMidstream()
{
    if (m_kind != HttpMessage::Kind::Request || m_pos != 0 || m_state != State::Detecting)
        return;
    m_joining = true;
    enterResync();
}

void HttpParser::enterResync()
{
    m_state = State::Resync;
    m_error.clear();
    m_resync.clear();
    m_resyncTimes.clear();
    m_resyncBase = m_pos;
    m_resyncScan = 0;
}

namespace {

// RFC 9110 9.3 methods and PATCH (RFC 5789), each with its SP: after lost bytes only these
// start a request (an extension method cannot be told from body text).
constexpr QByteArrayView ResyncMethods[]
        = {"GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "CONNECT ", "OPTIONS ", "TRACE ", "PATCH "};

enum class MethodAt : std::uint8_t { No, Partial, Yes };

MethodAt methodAt(const char *p, std::size_t n)
{
    switch (*p) {
    case 'G':
    case 'H':
    case 'P':
    case 'D':
    case 'C':
    case 'O':
    case 'T':
        break;
    default:
        return MethodAt::No;
    }
    for (const QByteArrayView m : ResyncMethods) {
        const std::size_t k = std::min<std::size_t>(n, std::size_t(m.size()));
        if (std::memcmp(p, m.data(), k) == 0)
            return k == std::size_t(m.size()) ? MethodAt::Yes : MethodAt::Partial;
    }
    return MethodAt::No;
}

constexpr std::uint64_t MaxJoinScan = 64 * 1024; // no request found: the stream is not HTTP

} // namespace

HttpParser::Candidate HttpParser::judgeCandidate(QByteArrayView from) const
{
    Limits trialLimits = m_limits;
    trialLimits.resync = false;
    trialLimits.keepBodyBytes = 0;
    HttpParser trial(HttpMessage::Kind::Request, trialLimits);
    trial.feed(reinterpret_cast<const std::uint8_t *>(from.data()), std::size_t(from.size()), 0);
    const HttpMessage *inBody = trial.messageInBody();
    if (!trial.hasMessages() && !inBody) {
        if (trial.isStopped())
            return Candidate::Reject;
        return Candidate::Wait; // the head is not complete yet (bounded by maxHeadBytes)
    }
    const HttpMessage &first = trial.hasMessages() ? trial.m_done.front() : *inBody;
    if (!first.isComplete())
        return Candidate::Reject;
    // RFC 9112 3.2: an HTTP/1.1 request carries Host. Body text rarely does all of this.
    if (first.versionMinor == 1 && first.headerCount("host") != 1)
        return Candidate::Reject;
    if (trial.isStopped())
        return Candidate::Reject; // what follows it is not a request: it was inside a body
    if (trial.hasMessages()) {
        // Whole. Bytes after it that begin a request confirm it; with nothing after it yet,
        // it may still be text inside a body that goes on: wait (flushResync, finish).
        const bool more = trial.m_done.size() > 1 || trial.m_inMessage;
        return more ? Candidate::Accept : Candidate::Whole;
    }
    return std::size_t(from.size()) >= m_limits.resyncWindow ? Candidate::Accept : Candidate::Wait;
}

std::size_t HttpParser::consumeResync(const std::uint8_t *data, std::size_t size, std::int64_t tsNs)
{
    if (m_resyncTimes.empty() || m_resyncTimes.back().second != tsNs)
        m_resyncTimes.emplace_back(m_pos, tsNs);
    m_resync.append(reinterpret_cast<const char *>(data), qsizetype(size));
    m_pos += size;
    const char *b = m_resync.constData();
    const std::size_t n = std::size_t(m_resync.size());
    std::size_t keepFrom = n > 7 ? n - 7 : 0; // a method may straddle the next packet
    for (std::size_t i = m_resyncScan; i < n; ++i) {
        const MethodAt at = methodAt(b + i, n - i);
        if (at == MethodAt::No)
            continue;
        if (at == MethodAt::Partial) {
            keepFrom = std::min(keepFrom, i);
            break;
        }
        const Candidate c = judgeCandidate(QByteArrayView(b + i, qsizetype(n - i)));
        if (c == Candidate::Reject)
            continue;
        if (c == Candidate::Wait || c == Candidate::Whole) {
            keepFrom = i;
            break;
        }
        acceptAt(i);
        return size;
    }
    // Nothing yet: keep only what may still begin a request.
    if (keepFrom > 0) {
        skip(keepFrom);
        m_resyncBase += keepFrom;
        m_resync.remove(0, qsizetype(keepFrom));
        while (m_resyncTimes.size() > 1 && m_resyncTimes[1].first <= m_resyncBase)
            m_resyncTimes.erase(m_resyncTimes.begin());
    }
    m_resyncScan = 0;
    if (!m_sawStartLine && m_skipped + m_joinSkipped > MaxJoinScan) {
        m_state = State::NotHttp;
        m_error = QStringLiteral("no HTTP/1.x request found in %1 bytes")
                          .arg(m_skipped + m_joinSkipped);
        m_ignored += std::uint64_t(m_resync.size());
        m_resync.clear();
        m_resyncTimes.clear();
    }
    return size;
}

bool HttpParser::flushResync()
{
    if (m_state != State::Resync || m_resync.isEmpty())
        return false;
    if (methodAt(m_resync.constData(), std::size_t(m_resync.size())) != MethodAt::Yes
        || judgeCandidate(QByteArrayView(m_resync)) != Candidate::Whole)
        return false;
    acceptAt(0);
    return true;
}

bool HttpParser::resyncCandidateWaiting() const
{
    return m_state == State::Resync && !m_resync.isEmpty()
           && methodAt(m_resync.constData(), std::size_t(m_resync.size())) == MethodAt::Yes;
}

void HttpParser::acceptAt(std::size_t i)
{
    {
        // Found: parse from here with the timestamps the bytes came with.
        skip(i);
        if (m_joining)
            m_joining = false;
        else
            ++m_resyncs;
        m_resynced = true;
        const QByteArray rest = m_resync.sliced(qsizetype(i));
        const std::uint64_t restBase = m_resyncBase + i;
        std::vector<std::pair<std::uint64_t, std::int64_t>> times;
        times.swap(m_resyncTimes);
        m_resync.clear();
        m_resyncScan = 0;
        m_state = State::Idle;
        m_pos = restBase;
        const std::uint64_t restEnd = restBase + std::uint64_t(rest.size());
        std::size_t off = 0;
        for (std::size_t t = 0; t < times.size() && off < std::size_t(rest.size()); ++t) {
            const std::uint64_t next = t + 1 < times.size() ? times[t + 1].first : restEnd;
            if (next <= restBase + off)
                continue; // all of this piece was before the request
            const std::size_t len = std::size_t(next - (restBase + off));
            feed(reinterpret_cast<const std::uint8_t *>(rest.constData()) + off, len,
                 times[t].second);
            off += len;
        }
    }
}

void HttpParser::skip(std::uint64_t bytes)
{
    (m_joining ? m_joinSkipped : m_skipped) += bytes;
}

std::uint64_t HttpParser::pendingFrom() const
{
    if (m_state == State::Resync)
        return m_resyncBase;
    if (m_inMessage)
        return m_msg.streamOffset;
    return m_pos;
}

void HttpParser::finish(std::int64_t tsNs)
{
    if (m_state == State::Resync)
        flushResync(); // a whole request the stream ended with
    if (m_state == State::Resync) {
        skip(std::uint64_t(m_resync.size()));
        m_resync.clear();
        m_resyncTimes.clear();
        m_resyncBase = m_pos;
        return;
    }
    if (isStopped())
        return;
    if (m_state == State::Body && m_bodyMode == BodyMode::UntilClose) {
        finishMessage(tsNs); // the close delimits it (RFC 9112 6.3 item 8)
        m_state = State::Idle;
        return;
    }
    if ((m_state == State::Head || m_state == State::Body) && m_inMessage
        && !m_msg.rawHead.isNull()) {
        if (m_msg.rawHead.isEmpty()) // the head never ended: keep what came
            m_msg.rawHead = m_head.left(4096);
        m_msg.incomplete = m_msg.incomplete == HttpMessage::Incomplete::No
                                   ? HttpMessage::Incomplete::Truncated
                                   : m_msg.incomplete;
        m_msg.lastByteNs = std::max(m_msg.lastByteNs, m_msg.firstByteNs);
        ++m_count;
        m_msg.bodyHash = m_hash.digest();
        m_done.push_back(std::move(m_msg));
        m_msg = HttpMessage{};
        m_inMessage = false;
    }
    emptyLineBuffer(m_head);
    m_scan = 0;
}

} // namespace podtap
