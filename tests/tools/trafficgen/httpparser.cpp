#include "httpparser.h"

namespace trafficgen {

namespace {

char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsLower(std::string_view s, std::string_view lowerText)
{
    if (s.size() != lowerText.size())
        return false;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (lower(s[i]) != lowerText[i])
            return false;
    return true;
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// RFC 9110 §5.6.2 token characters.
bool isToken(std::string_view s)
{
    if (s.empty())
        return false;
    for (const char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
        if (!ok)
            return false;
    }
    return true;
}

bool parseDecimal(std::string_view s, std::uint64_t &out)
{
    if (s.empty() || s.size() > 18)
        return false;
    out = 0;
    for (const char c : s) {
        if (c < '0' || c > '9')
            return false;
        out = out * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
}

bool parseHex(std::string_view s, std::uint64_t &out)
{
    if (s.empty() || s.size() > 15)
        return false;
    out = 0;
    for (const char c : s) {
        int v;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (lower(c) >= 'a' && lower(c) <= 'f')
            v = lower(c) - 'a' + 10;
        else
            return false;
        out = out * 16 + static_cast<std::uint64_t>(v);
    }
    return true;
}

// At most 80 bytes of `s` for an error message, non-printable bytes as '?'.
std::string excerpt(std::string_view s)
{
    std::string out(s.substr(0, 80));
    for (char &c : out)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
            c = '?';
    return out;
}

HttpParser::Status fail(std::string *error, const std::string &what)
{
    if (error)
        *error = what;
    return HttpParser::Status::Error;
}

} // namespace

const std::string *HttpMessage::header(std::string_view lowerName) const
{
    for (const auto &[name, value] : headers)
        if (equalsLower(name, lowerName))
            return &value;
    return nullptr;
}

bool HttpMessage::hasToken(std::string_view lowerName, std::string_view lowerToken) const
{
    for (const auto &[name, value] : headers) {
        if (!equalsLower(name, lowerName))
            continue;
        std::string_view rest = value;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            if (equalsLower(trim(rest.substr(0, comma)), lowerToken))
                return true;
            if (comma == std::string_view::npos)
                break;
            rest.remove_prefix(comma + 1);
        }
    }
    return false;
}

HttpParser::Status HttpParser::parseHead(std::string_view buf, bool request, HttpMessage &out,
                                         std::string *error)
{
    out = HttpMessage{};
    const auto end = buf.find("\r\n\r\n");
    if (end == std::string_view::npos)
        return buf.size() > maxHead ? fail(error, "header section too large") : Status::NeedMore;
    if (end + 4 > maxHead)
        return fail(error, "header section too large");
    std::string_view head = buf.substr(0, end + 2); // every line ends with CRLF
    const auto eol = head.find("\r\n");
    const std::string_view start = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    const auto sp1 = start.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : start.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos)
        return fail(error, "malformed start line: " + excerpt(start));
    if (request) {
        out.method = start.substr(0, sp1);
        out.target = start.substr(sp1 + 1, sp2 - sp1 - 1);
        out.version = start.substr(sp2 + 1);
        if (!isToken(out.method) || out.target.empty() || out.target.find(' ') != std::string::npos
            || (out.version != "HTTP/1.1" && out.version != "HTTP/1.0"))
            return fail(error, "malformed request line: " + excerpt(start));
    } else {
        out.version = start.substr(0, sp1);
        const std::string_view code = start.substr(sp1 + 1, sp2 - sp1 - 1);
        std::uint64_t status = 0;
        if ((out.version != "HTTP/1.1" && out.version != "HTTP/1.0") || code.size() != 3
            || !parseDecimal(code, status) || status < 100)
            return fail(error, "malformed status line: " + excerpt(start));
        out.status = static_cast<int>(status);
        out.reason = start.substr(sp2 + 1);
    }
    while (!head.empty()) {
        const auto e = head.find("\r\n");
        const std::string_view line = head.substr(0, e);
        head.remove_prefix(e + 2);
        if (line.front() == ' ' || line.front() == '\t')
            return fail(error, "obsolete line folding"); // RFC 9112 §5.2
        const auto colon = line.find(':');
        // No whitespace between name and colon (RFC 9112 §5.1).
        if (colon == std::string_view::npos || !isToken(line.substr(0, colon)))
            return fail(error, "malformed header line: " + excerpt(line));
        out.headers.emplace_back(line.substr(0, colon), trim(line.substr(colon + 1)));
    }
    out.headBytes = end + 4;
    return Status::Complete;
}

HttpParser::Status HttpParser::parseBody(std::string_view buf, bool chunked, std::uint64_t length,
                                         HttpMessage &out, std::string *error)
{
    std::size_t pos = out.headBytes;
    if (!chunked) {
        if (length > maxBody)
            return fail(error, "body too large");
        if (buf.size() - pos < length)
            return Status::NeedMore;
        out.body.assign(buf.substr(pos, length));
        out.wireBytes = pos + length;
        return Status::Complete;
    }
    // RFC 9112 §7.1: chunk-size [; ext] CRLF data CRLF ... 0 CRLF trailers CRLF
    std::string body;
    for (;;) {
        const auto eol = buf.find("\r\n", pos);
        if (eol == std::string_view::npos)
            return buf.size() - pos > 4096 ? fail(error, "chunk-size line too long")
                                           : Status::NeedMore;
        std::string_view line = buf.substr(pos, eol - pos);
        const auto semi = line.find(';');
        std::uint64_t size = 0;
        if (!parseHex(trim(line.substr(0, semi)), size))
            return fail(error, "malformed chunk size: " + excerpt(line));
        pos = eol + 2;
        if (size == 0)
            break;
        if (body.size() + size > maxBody)
            return fail(error, "body too large");
        if (buf.size() - pos < size + 2)
            return Status::NeedMore;
        if (buf.substr(pos + size, 2) != "\r\n")
            return fail(error, "chunk data not followed by CRLF");
        body.append(buf.substr(pos, size));
        pos += size + 2;
        ++out.chunks;
    }
    for (;;) { // trailer section
        const auto eol = buf.find("\r\n", pos);
        if (eol == std::string_view::npos)
            return Status::NeedMore;
        const std::string_view line = buf.substr(pos, eol - pos);
        pos = eol + 2;
        if (line.empty())
            break;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || !isToken(line.substr(0, colon)))
            return fail(error, "malformed trailer line");
    }
    out.body = std::move(body);
    out.wireBytes = pos;
    return Status::Complete;
}

namespace {

// Content-Length and Transfer-Encoding of a message; false (with error) when they conflict.
bool framingHeaders(const HttpMessage &m, bool &hasLength, std::uint64_t &length, bool &chunked,
                    bool &hasTe, std::string *error)
{
    hasLength = false;
    chunked = false;
    hasTe = false;
    length = 0;
    for (const auto &[name, value] : m.headers) {
        if (equalsLower(name, "content-length")) {
            std::uint64_t v = 0;
            if (!parseDecimal(value, v)) {
                fail(error, "invalid Content-Length: " + excerpt(value));
                return false;
            }
            if (hasLength && v != length) {
                fail(error, "conflicting Content-Length headers");
                return false;
            }
            hasLength = true;
            length = v;
        } else if (equalsLower(name, "transfer-encoding")) {
            if (hasTe || !equalsLower(value, "chunked")) {
                fail(error, "unsupported Transfer-Encoding: " + excerpt(value));
                return false;
            }
            hasTe = true;
            chunked = true;
        }
    }
    if (hasLength && hasTe) {
        fail(error, "both Content-Length and Transfer-Encoding");
        return false;
    }
    return true;
}

} // namespace

HttpParser::Status HttpParser::parseRequest(std::string_view buf, HttpMessage &out,
                                            std::string *error)
{
    const Status s = parseHead(buf, true, out, error);
    if (s != Status::Complete)
        return s;
    bool hasLength, chunked, hasTe;
    std::uint64_t length;
    if (!framingHeaders(out, hasLength, length, chunked, hasTe, error))
        return Status::Error;
    out.chunked = chunked;
    return parseBody(buf, chunked, length, out, error);
}

HttpParser::Status HttpParser::parseResponse(std::string_view buf, bool answersHead,
                                             HttpMessage &out, std::string *error)
{
    const Status s = parseHead(buf, false, out, error);
    if (s != Status::Complete)
        return s;
    bool hasLength, chunked, hasTe;
    std::uint64_t length;
    if (!framingHeaders(out, hasLength, length, chunked, hasTe, error))
        return Status::Error;
    // RFC 9110 §8.6, §15.2, §15.3.5: 1xx and 204 never carry Content-Length/Transfer-Encoding.
    if ((out.status < 200 || out.status == 204) && (hasLength || hasTe))
        return fail(error, "status " + std::to_string(out.status)
                                   + " with Content-Length or Transfer-Encoding");
    if (out.status == 304 && hasTe)
        return fail(error, "304 with Transfer-Encoding");
    if (out.status < 200 || out.status == 204 || out.status == 304 || answersHead) {
        out.wireBytes = out.headBytes;
        return Status::Complete;
    }
    if (!hasLength && !chunked)
        return fail(error, "response without Content-Length or chunked framing");
    out.chunked = chunked;
    return parseBody(buf, chunked, length, out, error);
}

} // namespace trafficgen
