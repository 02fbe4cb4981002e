#include "ipcerror.h"

#include "ipcfields.h"
#include "ipcjsonreader.h"

#include <QJsonDocument>

namespace podtap {

using namespace IpcFields;

QJsonObject IpcError::toJson() const
{
    QJsonObject o{{Code, code}, {Message, message}};
    if (!context.isEmpty())
        o[Context] = context;
    if (!ns.isEmpty())
        o[Namespace] = ns;
    if (!target.isEmpty())
        o[Target] = target;
    return o;
}

IpcError IpcError::fromJson(const QJsonObject &json, QString *error)
{
    IpcJsonReader r(json, QStringLiteral("error"));
    IpcError e;
    r.require(Code);
    r.require(Message);
    e.code = r.string(Code);
    e.message = r.string(Message);
    e.context = r.string(Context);
    e.ns = r.string(Namespace);
    e.target = r.string(Target);
    r.report(error);
    return e;
}

IpcError IpcError::fromReply(const QJsonObject &json)
{
    QString why;
    IpcError e = fromJson(json, &why);
    if (e.code.isEmpty())
        e.code = QStringLiteral("error");
    if (e.message.isEmpty())
        e.message = QStringLiteral("podtapd answered with an error it did not explain: %1")
                            .arg(QString::fromUtf8(
                                    QJsonDocument(json).toJson(QJsonDocument::Compact)));
    return e;
}

} // namespace podtap
