#include "daemonclient.h"

#include "daemonlink.h"

#include <QJsonArray>

namespace podtap {

DaemonClient::DaemonClient(DaemonLink *link)
    : m_link(link)
{}

DaemonClient::Answer<QJsonObject> DaemonClient::jsonAnswer(const IpcClient::Reply &reply)
{
    Answer<QJsonObject> a;
    if (reply.ok) {
        a.value = reply.result;
    } else {
        a.error = reply.error;
        if (a.error.isEmpty()) // a Reply made by hand (tests, older paths)
            a.error = IpcError::simple(reply.errorCode, reply.errorMessage);
    }
    return a;
}

DaemonClient::Answer<SessionReply> DaemonClient::sessionAnswer(const IpcClient::Reply &reply)
{
    const Answer<QJsonObject> json = jsonAnswer(reply);
    Answer<SessionReply> a;
    a.error = json.error;
    if (!json.ok())
        return a;
    QString malformed;
    a.value = SessionReply::fromJson(json.value, &malformed);
    if (!malformed.isEmpty())
        a.error = IpcError::simple(QStringLiteral("bad-reply"),
                                   QStringLiteral("podtapd's answer was not understood: ")
                                           + malformed);
    return a;
}

void DaemonClient::call(const QString &method, const QJsonObject &params, QObject *context,
                        JsonCallback done) const
{
    if (!m_link)
        return;
    m_link->request(method, params, context,
                    [done = std::move(done)](const IpcClient::Reply &r) { done(jsonAnswer(r)); });
}

void DaemonClient::callSession(const QString &method, const QJsonObject &params, QObject *context,
                               Callback<SessionReply> done) const
{
    if (!m_link)
        return;
    m_link->request(method, params, context, [done = std::move(done)](const IpcClient::Reply &r) {
        done(sessionAnswer(r));
    });
}

void DaemonClient::sessionStart(const SessionStartRequest &request, QObject *context,
                                Callback<SessionReply> done) const
{
    callSession(QStringLiteral("session.start"), request.toJson(), context, std::move(done));
}

void DaemonClient::sessionStop(const SessionStopRequest &request, QObject *context,
                               Callback<SessionReply> done) const
{
    callSession(QStringLiteral("session.stop"), request.toJson(), context, std::move(done));
}

void DaemonClient::sessionList(QObject *context, Callback<SessionReply> done) const
{
    callSession(QStringLiteral("session.list"), {}, context, std::move(done));
}

void DaemonClient::sessionSubscribe(const SessionSubscribeRequest &request, QObject *context,
                                    Callback<SessionReply> done) const
{
    if (!m_link)
        return;
    m_link->subscribe(request.toJson(), context,
                      [done = std::move(done)](const IpcClient::Reply &r) {
                          if (done)
                              done(sessionAnswer(r));
                      });
}

void DaemonClient::sessionUnsubscribe(const SessionSubscribeRequest &request,
                                      QObject *context) const
{
    if (m_link)
        m_link->unsubscribe(request.toJson(), context);
}

void DaemonClient::sessionDelete(const QStringList &ids, QObject *context, JsonCallback done) const
{
    call(QStringLiteral("session.delete"),
         QJsonObject{{QStringLiteral("ids"), QJsonArray::fromStringList(ids)}}, context,
         std::move(done));
}

void DaemonClient::sessionMirror(const QJsonObject &params, QObject *context,
                                 JsonCallback done) const
{
    call(QStringLiteral("session.mirror"), params, context, std::move(done));
}

void DaemonClient::sessionExport(const QJsonObject &params, QObject *context,
                                 JsonCallback done) const
{
    call(QStringLiteral("session.export"), params, context, std::move(done));
}

void DaemonClient::sessionPage(Page page, const QJsonObject &params, QObject *context,
                               JsonCallback done) const
{
    call(page == Page::Connections ? QStringLiteral("session.connections")
                                   : QStringLiteral("session.requests"),
         params, context, std::move(done));
}

void DaemonClient::sessionRows(const QJsonObject &params, QObject *context, JsonCallback done) const
{
    call(QStringLiteral("session.rows"), params, context, std::move(done));
}

void DaemonClient::sessionPacket(const QJsonObject &params, QObject *context,
                                 JsonCallback done) const
{
    call(QStringLiteral("session.packet"), params, context, std::move(done));
}

void DaemonClient::sessionHistogram(const QJsonObject &params, QObject *context,
                                    JsonCallback done) const
{
    call(QStringLiteral("session.histogram"), params, context, std::move(done));
}

void DaemonClient::sessionStream(const QJsonObject &params, QObject *context,
                                 JsonCallback done) const
{
    call(QStringLiteral("session.stream"), params, context, std::move(done));
}

void DaemonClient::replayStart(const QJsonObject &params, QObject *context, JsonCallback done) const
{
    call(QStringLiteral("replay.start"), params, context, std::move(done));
}

void DaemonClient::replayStop(const QString &id, QObject *context, JsonCallback done) const
{
    call(QStringLiteral("replay.stop"), QJsonObject{{QStringLiteral("id"), id}}, context,
         std::move(done));
}

void DaemonClient::storeRetention(const QJsonObject &params, QObject *context,
                                  JsonCallback done) const
{
    call(QStringLiteral("store.retention"), params, context, std::move(done));
}

void DaemonClient::daemonStatus(QObject *context, JsonCallback done) const
{
    call(QStringLiteral("daemon.status"), {}, context, std::move(done));
}

void DaemonClient::kubeContexts(const QJsonObject &params, QObject *context,
                                JsonCallback done) const
{
    call(QStringLiteral("kube.contexts"), params, context, std::move(done));
}

void DaemonClient::kubeNamespaces(const QJsonObject &params, QObject *context,
                                  JsonCallback done) const
{
    call(QStringLiteral("kube.namespaces"), params, context, std::move(done));
}

void DaemonClient::kubeTargets(const QJsonObject &params, QObject *context, JsonCallback done) const
{
    call(QStringLiteral("kube.targets"), params, context, std::move(done));
}

void DaemonClient::kubePreflight(const QJsonObject &params, QObject *context,
                                 JsonCallback done) const
{
    call(QStringLiteral("kube.preflight"), params, context, std::move(done));
}

} // namespace podtap
