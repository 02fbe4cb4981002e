#pragma once

#include <QJsonObject>
#include <QString>

namespace podtap {

// `session.stop` (and `session.get`): {id}. The id travels as a string; a number is
// accepted from older clients and scripts.
struct SessionStopRequest
{
    QString id;

    QJsonObject toJson() const;
    static SessionStopRequest fromJson(const QJsonObject &json, QString *error);
};

} // namespace podtap
