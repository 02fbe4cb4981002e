#pragma once

#include "sessionsummary.h"

#include <QJsonObject>
#include <QList>
#include <optional>

namespace podtap {

// The result of the session methods (docs/ipc.md):
//   session.start, session.stop           {session}
//   session.get                           {session, live}
//   session.subscribe / unsubscribe       {stream, session} or {stream, sessions}
//   session.list                          {sessions, stored}
// Each part is optional; fromJson checks the types of those present.
struct SessionReply
{
    std::optional<SessionSummary> session;
    std::optional<bool> live;
    QString stream;
    std::optional<QList<SessionSummary>> sessions; // live ones
    std::optional<QList<SessionSummary>> stored;   // session.list: finished, on disk only

    QJsonObject toJson() const;
    static SessionReply fromJson(const QJsonObject &json, QString *error);
};

} // namespace podtap
