#pragma once

#include "httpmessage.h"
#include "result.h"

#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QRegularExpression>
#include <QSet>

namespace podtap {

// Which requests a mirror sends to the local port (like mirrord's HTTP filter). All given
// conditions must hold: method in the list, path (origin-form target, query included)
// matching the regex, and for each header rule some value of that header matching.
// An empty filter matches everything.
class HttpFilter
{
public:
    bool isEmpty() const
    {
        return m_methods.isEmpty() && m_pathPattern.isEmpty() && m_headers.isEmpty();
    }
    bool matches(const HttpMessage &request) const;

    // {"methods":["GET"], "path":"^/api/", "headers":{"X-Tenant":"^blue$"}}
    static podtap::Result<HttpFilter> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    QString describe() const; // "GET|POST ^/api/ X-Tenant~^blue$"

private:
    QSet<QByteArray> m_methods;
    QString m_pathPattern;
    QRegularExpression m_path;
    QList<QPair<QByteArray, QRegularExpression>> m_headers; // lower-case name
};

} // namespace podtap
