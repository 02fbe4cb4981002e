#include "packetinfo.h"

#include "packetdecoder.h"
#include "rawpacket.h"
#include "tcpsegment.h"

#include <QStringBuilder>

#include <algorithm>
#include <cstring>

namespace podtap {

namespace {
constexpr std::size_t MaxLine = 200; // longer lines are cut with "…"

bool startsWith(const std::uint8_t *p, std::size_t size, const char *prefix)
{
    const std::size_t n = std::strlen(prefix);
    return size >= n && std::memcmp(p, prefix, n) == 0;
}
} // namespace

QString PacketInfo::flagList(std::uint8_t flags)
{
    // Wireshark's names; SYN and FIN read first, as in "[SYN, ACK]" and "[FIN, ACK]".
    static const struct
    {
        std::uint8_t bit;
        const char *name;
    } bits[] = {{0x02, "SYN"}, {0x01, "FIN"}, {0x04, "RST"}, {0x08, "PSH"},
                {0x10, "ACK"}, {0x20, "URG"}, {0x40, "ECE"}, {0x80, "CWR"}};
    QString s = QStringLiteral("[");
    bool first = true;
    for (const auto &b : bits) {
        if (!(flags & b.bit))
            continue;
        if (!first)
            s += QLatin1String(", ");
        s += QLatin1String(b.name);
        first = false;
    }
    if (first)
        s += QLatin1String("<none>");
    return s + QLatin1Char(']');
}

QString PacketInfo::httpLine(const std::uint8_t *payload, std::size_t size)
{
    if (!payload || size < 4)
        return {};
    // RFC 9112 §3 request-line (a known method then a space) or §4 status-line ("HTTP/1.").
    static const char *const methods[] = {"GET ",     "POST ",  "PUT ",   "DELETE ", "HEAD ",
                                          "OPTIONS ", "PATCH ", "TRACE ", "CONNECT "};
    bool http = startsWith(payload, size, "HTTP/1.");
    for (const char *m : methods)
        http = http || startsWith(payload, size, m);
    if (!http)
        return {};
    std::size_t end = 0;
    const std::size_t limit = std::min(size, MaxLine);
    while (end < limit && payload[end] != '\r' && payload[end] != '\n')
        ++end;
    QString line;
    line.reserve(int(end) + 1);
    for (std::size_t i = 0; i < end; ++i) {
        const std::uint8_t c = payload[i];
        // Only printable ASCII: a hostile payload cannot put control characters in the list.
        line += c >= 0x20 && c < 0x7f ? QLatin1Char(char(c)) : QChar(0xfffd);
    }
    if (end == limit && end < size)
        line += QChar(0x2026);
    return line;
}

QString PacketInfo::describe(const RawPacket &packet)
{
    PacketDecoder decoder;
    TcpSegment seg;
    switch (decoder.decode(packet, seg)) {
    case DecodeResult::Tcp:
        break;
    case DecodeResult::NotTcp:
        return QStringLiteral("not TCP, %1 bytes").arg(packet.len);
    case DecodeResult::Fragment:
        return QStringLiteral("IP fragment, %1 bytes").arg(packet.len);
    case DecodeResult::UnsupportedLink:
        return QStringLiteral("link type %1 not decoded").arg(packet.linkType);
    case DecodeResult::Truncated:
        return QStringLiteral("truncated headers (%1 of %2 bytes captured)")
                .arg(packet.caplen)
                .arg(packet.len);
    case DecodeResult::Malformed:
        return QStringLiteral("malformed headers");
    }
    QString http = httpLine(seg.payload, seg.payloadCaptured);
    if (!http.isEmpty())
        return http;
    QString s = QString::number(seg.src.port) % QStringLiteral(" → ")
                % QString::number(seg.dst.port) % QLatin1Char(' ') % flagList(seg.flags)
                % QStringLiteral(" Seq=") % QString::number(seg.seq);
    if (seg.has(TcpFlag::Ack))
        s += QStringLiteral(" Ack=") % QString::number(seg.ack);
    s += QStringLiteral(" Win=") % QString::number(seg.window) % QStringLiteral(" Len=")
         % QString::number(seg.payloadLength);
    return s;
}

} // namespace podtap
