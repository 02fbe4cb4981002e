#pragma once

#include "ipc/ipcclient.h"
#include "ipc/ipcerror.h"
#include "ipc/sessionreply.h"
#include "ipc/sessionstartrequest.h"
#include "ipc/sessionstoprequest.h"
#include "ipc/sessionsubscriberequest.h"

#include <QJsonObject>
#include <QStringList>

#include <functional>

namespace podtap {

class DaemonLink;

// The GUI's typed view of podtapd's methods (docs/ipc.md), over its DaemonLink: the method
// names live here, the session messages are the structs of common/ipc, and every answer is
// either a result or an IpcError (code, message and, where the daemon knows them, context,
// namespace and target). Cheap to copy; `DaemonClient(link).sessionStop(…)` is fine.
//
// The session methods have typed results (SessionReply). The queries, replay, store and
// kube methods still take and give JSON objects (their fields are documented in ipc.md):
// a typed struct for each is future work.
class DaemonClient
{
public:
    template<typename T>
    struct Answer
    {
        T value;
        IpcError error; // empty when it worked
        bool ok() const { return error.isEmpty(); }
    };
    template<typename T>
    using Callback = std::function<void(const Answer<T> &)>;
    using JsonAnswer = Answer<QJsonObject>;
    using JsonCallback = Callback<QJsonObject>;
    using SessionAnswer = Answer<SessionReply>;

    explicit DaemonClient(DaemonLink *link);

    DaemonLink *link() const { return m_link; }

    // Sessions. Each callback runs unless `context` is gone.
    void sessionStart(const SessionStartRequest &request, QObject *context,
                      Callback<SessionReply> done) const;
    void sessionStop(const SessionStopRequest &request, QObject *context,
                     Callback<SessionReply> done) const;
    void sessionList(QObject *context, Callback<SessionReply> done) const;
    // Subscriptions are kept by the link and made again after a reconnect; `done` gets
    // every answer (the state at that moment).
    void sessionSubscribe(const SessionSubscribeRequest &request, QObject *context,
                          Callback<SessionReply> done) const;
    void sessionUnsubscribe(const SessionSubscribeRequest &request, QObject *context) const;
    void sessionDelete(const QStringList &ids, QObject *context, JsonCallback done) const;
    void sessionMirror(const QJsonObject &params, QObject *context, JsonCallback done) const;
    void sessionExport(const QJsonObject &params, QObject *context, JsonCallback done) const;

    // Store queries.
    enum class Page { Connections, Requests }; // session.connections, session.requests
    void sessionPage(Page page, const QJsonObject &params, QObject *context,
                     JsonCallback done) const;
    void sessionRows(const QJsonObject &params, QObject *context, JsonCallback done) const;
    void sessionPacket(const QJsonObject &params, QObject *context, JsonCallback done) const;
    void sessionHistogram(const QJsonObject &params, QObject *context, JsonCallback done) const;
    void sessionStream(const QJsonObject &params, QObject *context, JsonCallback done) const;

    // Replay, store, daemon.
    void replayStart(const QJsonObject &params, QObject *context, JsonCallback done) const;
    void replayStop(const QString &id, QObject *context, JsonCallback done) const;
    void storeRetention(const QJsonObject &params, QObject *context, JsonCallback done) const;
    void daemonStatus(QObject *context, JsonCallback done) const;

    // The cluster, through the daemon (the target picker).
    void kubeContexts(const QJsonObject &params, QObject *context, JsonCallback done) const;
    void kubeNamespaces(const QJsonObject &params, QObject *context, JsonCallback done) const;
    void kubeTargets(const QJsonObject &params, QObject *context, JsonCallback done) const;
    void kubePreflight(const QJsonObject &params, QObject *context, JsonCallback done) const;

    static Answer<QJsonObject> jsonAnswer(const IpcClient::Reply &reply);
    // A reply that is not a session reply becomes the error "bad-reply".
    static Answer<SessionReply> sessionAnswer(const IpcClient::Reply &reply);

private:
    void call(const QString &method, const QJsonObject &params, QObject *context,
              JsonCallback done) const;
    void callSession(const QString &method, const QJsonObject &params, QObject *context,
                     Callback<SessionReply> done) const;

    DaemonLink *m_link; // outlives every object that talks through it
};

} // namespace podtap
