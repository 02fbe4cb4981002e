#pragma once

#include <QByteArray>
#include <QString>

namespace podtap {

// Groups requests by route: "GET /users/42?x=1" → "GET /users/{n}". Segments that are
// numbers, UUIDs or long hex/base64-ish ids fold; the query string is dropped.
class RouteTemplate
{
public:
    static QString fold(const QByteArray &method, const QByteArray &target);
    static QString foldPath(QByteArrayView path);
};

} // namespace podtap
