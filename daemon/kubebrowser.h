#pragma once

#include <QJsonObject>
#include <QObject>

namespace podtap {

class CredentialCache;
class IpcPeer;

// What a client needs to pick a target before it starts a session, served over the IPC
// (methods kube.contexts, kube.namespaces, kube.targets, kube.preflight; docs/ipc.md). The
// daemon owns kube access, so the GUI asks here instead of reading kubeconfigs itself.
// Every request gets its own client (its kubeconfig, context and exec plugin environment, in
// memory only) that lives until the answer is sent, the client disconnects, or it times out;
// exec plugin credentials come from the daemon's CredentialCache, so picker clicks within a
// token's lifetime run the plugin once.
// Nothing here writes to the cluster: preflight only asks SelfSubjectAccessReviews.
class KubeBrowser : public QObject
{
    Q_OBJECT

public:
    // `credentials`: the daemon's exec credential cache (must outlive us).
    explicit KubeBrowser(CredentialCache *credentials, QObject *parent = nullptr);
    ~KubeBrowser() override;

    // True when the method is ours (answered, now or later).
    bool handle(IpcPeer *peer, qint64 id, const QString &method, const QJsonObject &params);

private:
    void contexts(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void namespaces(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void targets(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void preflight(IpcPeer *peer, qint64 id, const QJsonObject &params);

    // How long a request may wait for the cluster before it is answered "timeout".
    int m_timeoutMs = 30000;
    CredentialCache *m_credentials;
};

} // namespace podtap
