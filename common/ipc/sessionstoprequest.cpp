#include "sessionstoprequest.h"

#include "ipcfields.h"
#include "ipcjsonreader.h"

namespace podtap {

QJsonObject SessionStopRequest::toJson() const
{
    return QJsonObject{{IpcFields::Id, id}};
}

SessionStopRequest SessionStopRequest::fromJson(const QJsonObject &json, QString *error)
{
    IpcJsonReader r(json, QStringLiteral("session.stop"));
    SessionStopRequest s;
    if (r.require(IpcFields::Id))
        s.id = r.stringOrInteger(IpcFields::Id);
    r.report(error);
    return s;
}

} // namespace podtap
