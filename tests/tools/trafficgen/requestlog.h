#pragma once

#include "recordwriter.h"
#include "sha256.h"

#include <cstdio>
#include <string>
#include <string_view>

namespace trafficgen {

inline std::string timestamp(double seconds)
{
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.6f", seconds);
    return buf;
}

// One request as it was on the wire, for `--record-requests` in http and raw modes (client: as
// sent) and in `serve` (as received): which connection, its place there, the X-Request-Id, and
// the exact bytes by count and SHA-256, so a test can say "this request arrived byte-exact".
// `ts` (wall-clock seconds, written when > 0): when the client began to send the request.
// `error` (written when not empty): the bytes are no complete request (a server's record of
// what it got instead: bad framing, or the connection ended inside a request).
inline std::string requestRecord(const std::string &conn, std::uint64_t seq, std::string_view wire,
                                 double ts = 0, const std::string &error = {})
{
    Sha256 h;
    h.update(wire.data(), wire.size());
    std::string id;
    std::string line(wire.substr(0, wire.find("\r\n")));
    // X-Request-Id, case-insensitively, from the head only.
    const std::size_t headEnd = wire.find("\r\n\r\n");
    const std::string_view head = wire.substr(0, headEnd == std::string_view::npos ? 0 : headEnd);
    for (std::size_t pos = head.find("\r\n"); pos != std::string_view::npos;) {
        const std::size_t start = pos + 2;
        const std::size_t end = head.find("\r\n", start);
        const std::string_view l = head.substr(
                start, end == std::string_view::npos ? std::string_view::npos : end - start);
        static constexpr std::string_view name = "x-request-id:";
        bool match = l.size() > name.size();
        for (std::size_t i = 0; match && i < name.size(); ++i) {
            char c = l[i];
            if (c >= 'A' && c <= 'Z')
                c = static_cast<char>(c - 'A' + 'a');
            match = c == name[i];
        }
        if (match) {
            std::string_view v = l.substr(name.size());
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
                v.remove_prefix(1);
            id = std::string(v);
            break;
        }
        pos = end;
    }
    if (line.size() > 200)
        line.resize(200);
    return "{\"conn\":\"" + RecordWriter::escape(conn) + "\",\"seq\":" + std::to_string(seq)
           + ",\"id\":\"" + RecordWriter::escape(id) + "\",\"line\":\"" + RecordWriter::escape(line)
           + "\",\"bytes\":" + std::to_string(wire.size()) + ",\"sha256\":\"" + h.hexPeek() + "\""
           + (ts > 0 ? ",\"ts\":" + timestamp(ts) : std::string())
           + (error.empty() ? std::string() : ",\"error\":\"" + RecordWriter::escape(error) + "\"")
           + "}";
}

} // namespace trafficgen
