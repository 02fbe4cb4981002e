#include "routetemplate.h"

namespace podtap {

namespace {

bool isHex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool isUuid(QByteArrayView s)
{
    // 8-4-4-4-12 hex digits (RFC 9562)
    if (s.size() != 36)
        return false;
    for (qsizetype i = 0; i < 36; ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isHex(s[i]))
            return false;
    }
    return true;
}

const char *foldSegment(QByteArrayView s)
{
    if (s.isEmpty())
        return nullptr;
    bool digits = true;
    bool hex = true;
    bool hasDigit = false;
    for (const char c : s) {
        digits = digits && c >= '0' && c <= '9';
        hex = hex && isHex(c);
        hasDigit = hasDigit || (c >= '0' && c <= '9');
    }
    if (digits)
        return "{n}";
    if (isUuid(s))
        return "{uuid}";
    if (hex && hasDigit && s.size() >= 16)
        return "{hex}"; // object ids, hashes
    return nullptr;
}

} // namespace

QString RouteTemplate::foldPath(QByteArrayView path)
{
    const qsizetype q = path.indexOf('?');
    if (q >= 0)
        path = path.first(q);
    const qsizetype h = path.indexOf('#');
    if (h >= 0)
        path = path.first(h);
    if (!path.startsWith('/')) {
        // absolute-form "http://host/p" → "/p"; authority-form (CONNECT) stays as it is
        const qsizetype scheme = path.indexOf("://");
        if (scheme < 0)
            return QString::fromLatin1(path);
        const qsizetype slash = path.indexOf('/', scheme + 3);
        path = slash < 0 ? QByteArrayView("/") : path.sliced(slash);
    }
    QByteArray out;
    out.reserve(path.size());
    qsizetype start = 1;
    out.append('/');
    while (start <= path.size()) {
        qsizetype end = path.indexOf('/', start);
        if (end < 0)
            end = path.size();
        const QByteArrayView seg = path.sliced(start, end - start);
        if (const char *folded = foldSegment(seg))
            out.append(folded);
        else
            out.append(seg.data(), seg.size());
        if (end < path.size())
            out.append('/');
        start = end + 1;
    }
    return QString::fromLatin1(out);
}

QString RouteTemplate::fold(const QByteArray &method, const QByteArray &target)
{
    return QString::fromLatin1(method) + QLatin1Char(' ') + foldPath(target);
}

} // namespace podtap
