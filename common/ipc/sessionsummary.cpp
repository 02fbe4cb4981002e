#include "sessionsummary.h"

#include "ipcfields.h"
#include "ipcjsonreader.h"

namespace podtap {

using namespace IpcFields;

namespace {
const QLatin1String TypedKeys[] = {Id,     Title, State,     Reason,  Context, Namespace,
                                   Target, Port,  Protected, Packets, Bytes,   DiskBytes};
}

QJsonObject SessionSummary::toJson() const
{
    QJsonObject o = extra;
    auto put = [&](QLatin1String key, const QJsonValue &value, bool set) {
        if (set || given.contains(key))
            o[key] = value;
    };
    o[Id] = id;
    put(Title, title, !title.isEmpty());
    put(State, state, !state.isEmpty());
    put(Reason, reason, !reason.isEmpty());
    put(Context, context, !context.isEmpty());
    put(Namespace, ns, !ns.isEmpty());
    put(Target, target, !target.isEmpty());
    put(Port, port, port != 0);
    put(Protected, isProtected, isProtected);
    put(Packets, packets, packets != 0);
    put(Bytes, bytes, bytes != 0);
    put(DiskBytes, diskBytes, diskBytes >= 0);
    return o;
}

SessionSummary SessionSummary::fromJson(const QJsonObject &json, QString *error)
{
    IpcJsonReader r(json, QStringLiteral("session summary"));
    SessionSummary s;
    if (r.require(Id))
        s.id = r.stringOrInteger(Id);
    s.title = r.string(Title);
    s.state = r.string(State);
    s.reason = r.string(Reason);
    s.context = r.string(Context);
    s.ns = r.string(Namespace);
    s.target = r.string(Target);
    s.port = int(r.integer(Port));
    s.isProtected = r.boolean(Protected);
    s.packets = r.integer(Packets);
    s.bytes = r.integer(Bytes);
    s.diskBytes = r.integer(DiskBytes, -1);
    s.extra = json;
    for (const QLatin1String key : TypedKeys) {
        if (json.contains(key))
            s.given << key;
        s.extra.remove(key);
    }
    r.report(error);
    return s;
}

} // namespace podtap
