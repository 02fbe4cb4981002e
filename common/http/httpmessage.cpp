#include "httpmessage.h"

namespace podtap {

namespace {
bool equalsIgnoreCase(QByteArrayView a, QByteArrayView b)
{
    return a.size() == b.size() && qstrnicmp(a.data(), a.size(), b.data(), b.size()) == 0;
}
} // namespace

QByteArray HttpMessage::header(QByteArrayView name) const
{
    for (const Header &h : headers) {
        if (equalsIgnoreCase(h.name, name))
            return h.value.isEmpty() ? QByteArray("") : h.value.toByteArray();
    }
    return {};
}

int HttpMessage::headerCount(QByteArrayView name) const
{
    int n = 0;
    for (const Header &h : headers)
        n += equalsIgnoreCase(h.name, name) ? 1 : 0;
    return n;
}

bool HttpMessage::isJson() const
{
    QByteArray type = header("content-type").toLower();
    const qsizetype semi = type.indexOf(';');
    if (semi >= 0)
        type.truncate(semi);
    type = type.trimmed();
    return type == "application/json" || type.endsWith("+json");
}

QByteArray HttpMessage::trailer(QByteArrayView name) const
{
    for (const Header &h : trailers) {
        if (equalsIgnoreCase(h.name, name))
            return h.value.isEmpty() ? QByteArray("") : h.value.toByteArray();
    }
    return {};
}

QByteArray HttpMessage::startLine() const
{
    if (kind == Kind::Request)
        return method + ' ' + target;
    return QByteArray::number(status) + ' ' + reason;
}

const char *HttpMessage::incompleteName(Incomplete why)
{
    switch (why) {
    case Incomplete::No:
        return "";
    case Incomplete::Gap:
        return "gap";
    case Incomplete::Truncated:
        return "truncated";
    case Incomplete::HeadTooLarge:
        return "head-too-large";
    case Incomplete::Malformed:
        return "malformed";
    }
    return "";
}

QJsonObject HttpMessage::toJson() const
{
    QJsonObject o;
    if (kind == Kind::Request) {
        o[QLatin1String("method")] = QString::fromLatin1(method);
        o[QLatin1String("target")] = QString::fromLatin1(target);
    } else {
        o[QLatin1String("status")] = status;
    }
    o[QLatin1String("headBytes")] = qint64(headBytes);
    o[QLatin1String("bodyBytes")] = qint64(bodyBytes);
    if (chunked)
        o[QLatin1String("chunked")] = true;
    if (!isComplete())
        o[QLatin1String("incomplete")] = QLatin1String(incompleteName(incomplete));
    if (!trailers.isEmpty()) {
        QJsonObject t;
        for (const Header &h : trailers)
            t[QString::fromLatin1(h.name)] = QString::fromLatin1(h.value);
        o[QLatin1String("trailers")] = t;
    }
    return o;
}

} // namespace podtap
