#include "sessionsubscriberequest.h"

#include "ipcfields.h"
#include "ipcjsonreader.h"

#include <QJsonArray>

namespace podtap {

using namespace IpcFields;

SessionSubscribeRequest SessionSubscribeRequest::session(const QString &id)
{
    SessionSubscribeRequest s;
    s.id = id;
    return s;
}

SessionSubscribeRequest SessionSubscribeRequest::sessionList()
{
    SessionSubscribeRequest s;
    s.stream = QStringLiteral("sessions");
    return s;
}

QJsonObject SessionSubscribeRequest::toJson() const
{
    QJsonObject o;
    if (!stream.isEmpty())
        o[Stream] = stream;
    else
        o[Id] = id;
    if (pcap)
        o[Pcap] = true;
    if (!pcapFormat.isEmpty())
        o[PcapFormat] = pcapFormat;
    if (!skipEvents.isEmpty())
        o[SkipEvents] = QJsonArray::fromStringList(skipEvents);
    return o;
}

SessionSubscribeRequest SessionSubscribeRequest::fromJson(const QJsonObject &json, QString *error)
{
    IpcJsonReader r(json, QStringLiteral("session.subscribe"));
    SessionSubscribeRequest s;
    s.stream = r.string(Stream);
    if (s.stream.isEmpty())
        r.require(Id);
    s.id = r.stringOrInteger(Id);
    s.pcap = r.boolean(Pcap);
    s.pcapFormat = r.string(PcapFormat);
    s.skipEvents = r.strings(SkipEvents);
    r.report(error);
    return s;
}

} // namespace podtap
