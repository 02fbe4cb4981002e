#include "sessionreply.h"

#include "ipcfields.h"
#include "ipcjsonreader.h"

#include <QJsonArray>

namespace podtap {

using namespace IpcFields;

namespace {
QJsonArray toArray(const QList<SessionSummary> &list)
{
    QJsonArray a;
    for (const SessionSummary &s : list)
        a.append(s.toJson());
    return a;
}

std::optional<QList<SessionSummary>> listOf(const QJsonObject &json, QLatin1String key,
                                            QString *error)
{
    if (!json.contains(key))
        return std::nullopt;
    const QJsonValue v = json.value(key);
    if (!v.isArray()) {
        if (error->isEmpty())
            *error = QStringLiteral("session reply: '%1' must be an array").arg(key);
        return std::nullopt;
    }
    QList<SessionSummary> out;
    for (const QJsonValue e : v.toArray()) {
        QString why;
        out << SessionSummary::fromJson(e.toObject(), &why);
        if (!e.isObject())
            why = QStringLiteral("session reply: '%1' must hold objects").arg(key);
        if (!why.isEmpty() && error->isEmpty())
            *error = why;
    }
    return out;
}
} // namespace

QJsonObject SessionReply::toJson() const
{
    QJsonObject o;
    if (session)
        o[Session] = session->toJson();
    if (live)
        o[Live] = *live;
    if (!stream.isEmpty())
        o[Stream] = stream;
    if (sessions)
        o[Sessions] = toArray(*sessions);
    if (stored)
        o[Stored] = toArray(*stored);
    return o;
}

SessionReply SessionReply::fromJson(const QJsonObject &json, QString *error)
{
    IpcJsonReader r(json, QStringLiteral("session reply"));
    SessionReply s;
    QString why;
    if (r.has(Session)) {
        const QJsonObject o = r.object(Session);
        if (r.ok())
            s.session = SessionSummary::fromJson(o, &why);
    }
    if (r.has(Live))
        s.live = r.boolean(Live);
    s.stream = r.string(Stream);
    QString listError;
    s.sessions = listOf(json, Sessions, &listError);
    s.stored = listOf(json, Stored, &listError);
    QString first = r.error();
    if (first.isEmpty())
        first = why.isEmpty() ? listError : why;
    if (error && !first.isEmpty())
        *error = first;
    return s;
}

} // namespace podtap
