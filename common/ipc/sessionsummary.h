#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace podtap {

// One session as session.list, session.get, session.start and the `sessions` stream describe
// it: a live session's summary or a stored one's meta. The fields clients act on are typed;
// everything else (pods, loss, mirror, http, …) is kept in `extra` and written back
// unchanged, so a newer daemon's fields survive a round trip.
struct SessionSummary
{
    QString id;
    QString title;
    QString state;
    QString reason;
    QString context;
    QString ns;
    QString target;
    int port = 0;
    bool isProtected = false; // the context guard protects its context
    qint64 packets = 0;
    qint64 bytes = 0;
    qint64 diskBytes = -1; // -1: not given (only session.list counts it)
    QJsonObject extra;
    // The typed keys the parsed JSON had: written back even when they hold the default, so
    // fromJson(x).toJson() == x. A summary built in code writes the fields it set.
    QStringList given;

    QJsonObject toJson() const;
    // Needs an id; the typed fields must have their types when present.
    static SessionSummary fromJson(const QJsonObject &json, QString *error);
};

} // namespace podtap
