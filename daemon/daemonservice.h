#pragma once

#include "ipc/ipcserver.h"
#include "kube/credentialcache.h"
#include "kubebrowser.h"
#include "session/sessionmanager.h"

#include <QDateTime>
#include <QObject>

namespace podtap {

// podtapd's request handler: the daemon-level methods, the session manager's and the kube
// browser's (target picking).
class DaemonService : public QObject
{
    Q_OBJECT

public:
    explicit DaemonService(const QString &storeRoot, QObject *parent = nullptr);

    // `retention`: podtapd's --store-quota/--store-max-age ({"quota", "maxAge"}), applied over
    // the policy saved in the store.
    Result<bool> start(const QString &socketPath, const QJsonObject &retention = {});
    // Stops every session (tcpdump stopped, stores closed), then quits the event loop.
    void shutdown();
    IpcServer *server() { return &m_server; }
    SessionManager *sessions() { return &m_sessions; }

private:
    void handle(IpcPeer *peer, qint64 id, const QString &method, const QJsonObject &params);

    IpcServer m_server;
    // Exec plugin credentials of every session and kube.* request (in memory only).
    CredentialCache m_credentials;
    SessionManager m_sessions;
    KubeBrowser m_kube;
    QDateTime m_started;
    bool m_shuttingDown = false;
};

} // namespace podtap
