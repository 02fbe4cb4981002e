#include "httprequest.h"

#include <QUrl>

namespace kubesim {

QByteArray HttpRequest::header(const QByteArray &name) const
{
    for (const auto &h : headers)
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second;
    return {};
}

QByteArray HttpRequest::path() const
{
    const int q = target.indexOf('?');
    return q < 0 ? target : target.left(q);
}

QList<QPair<QString, QString>> HttpRequest::query() const
{
    QList<QPair<QString, QString>> out;
    const int q = target.indexOf('?');
    if (q < 0)
        return out;
    const QList<QByteArray> parts = target.mid(q + 1).split('&');
    for (const QByteArray &part : parts) {
        if (part.isEmpty())
            continue;
        const int eq = part.indexOf('=');
        QByteArray k = eq < 0 ? part : part.left(eq);
        QByteArray v = eq < 0 ? QByteArray() : part.mid(eq + 1);
        k.replace('+', ' ');
        v.replace('+', ' ');
        out.append({QUrl::fromPercentEncoding(k), QUrl::fromPercentEncoding(v)});
    }
    return out;
}

QString HttpRequest::queryValue(const QString &key) const
{
    const auto q = query();
    for (const auto &kv : q)
        if (kv.first == key)
            return kv.second;
    return {};
}

QStringList HttpRequest::queryValues(const QString &key) const
{
    QStringList out;
    const auto q = query();
    for (const auto &kv : q)
        if (kv.first == key)
            out << kv.second;
    return out;
}

bool HttpRequest::hasQuery(const QString &key) const
{
    const auto q = query();
    for (const auto &kv : q)
        if (kv.first == key)
            return true;
    return false;
}

bool HttpRequest::keepAlive() const
{
    const QByteArray conn = header("Connection").toLower();
    if (version == "HTTP/1.0")
        return conn.contains("keep-alive");
    return !conn.contains("close");
}

bool HttpRequest::isWebSocketUpgrade() const
{
    return header("Upgrade").toLower().contains("websocket")
           && header("Connection").toLower().contains("upgrade");
}

} // namespace kubesim
