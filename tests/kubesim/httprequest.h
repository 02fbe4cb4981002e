#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

namespace kubesim {

// One parsed HTTP/1.1 request.
struct HttpRequest
{
    QByteArray method, target, version;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;

    QByteArray header(const QByteArray &name) const; // case-insensitive, first match
    QByteArray path() const;                         // target without the query, not decoded
    QList<QPair<QString, QString>> query() const;    // decoded, in order, repeated keys kept
    QString queryValue(const QString &key) const;
    QStringList queryValues(const QString &key) const;
    bool hasQuery(const QString &key) const;
    bool keepAlive() const;
    bool isWebSocketUpgrade() const;
};

} // namespace kubesim
