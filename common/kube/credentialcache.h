#pragma once

#include "execcredentialplugin.h"
#include "kubeconfig.h"
#include "result.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QProcessEnvironment>

#include <functional>

namespace podtap {

// Where an exec credential comes from: the kubeconfig user's exec entry, the cluster (for
// provideClusterInfo) and the environment of the client that asked. `key` identifies it in
// a CredentialCache; make() fills it.
struct CredentialSource
{
    ExecPluginConfig config;
    KubeCluster cluster;
    QProcessEnvironment environment; // empty: this process's
    QByteArray key;

    static CredentialSource make(const ExecPluginConfig &config, const KubeCluster &cluster,
                                 const QProcessEnvironment &environment = {});
};

// The daemon's exec credential plugin results, one cache for every session and kube.* request,
// in memory only. An entry is keyed by what the plugin sees: the exec entry (command, args,
// env, apiVersion, interactiveMode, kubeconfig folder), the KUBERNETES_EXEC_INFO it gets
// (cluster server, CA, … only with provideClusterInfo) and the client's environment minus the
// variables a shell changes between two commands (PWD, OLDPWD, SHLVL, _). A credential is kept
// until its expirationTimestamp minus a margin (10 s, at most half its lifetime; none: kept
// until the server rejects it). Requests for a key that has no fresh credential wait on one
// plugin run together; a failed run gives every waiter its error and caches nothing.
class CredentialCache : public QObject
{
    Q_OBJECT

public:
    using Callback = std::function<void(const Result<ExecCredential> &)>;

    explicit CredentialCache(QObject *parent = nullptr);
    ~CredentialCache() override;

    // Calls back with the credential: at once when a fresh one is cached, else when the one run
    // for this source ends (started now unless one is in flight). Nothing is called once
    // `context` (when given) is destroyed.
    void get(const CredentialSource &source, QObject *context, Callback callback);
    // The server answered 401 to `rejected`: forget it so that the next get() re-runs the plugin.
    // Several requests rejected with the same credential cause one run: a credential that is no
    // longer the cached one (already replaced, or a run in flight) is not forgotten again.
    void reject(const QByteArray &key, const ExecCredential &rejected);

    // Plugin processes started so far, and those running now.
    int runs() const { return m_runs; }
    int running() const;
    void setTimeout(int ms) { m_timeoutMs = ms; }
    void setExpiryMarginMs(qint64 ms) { m_marginMs = ms; }

private:
    struct Waiter
    {
        QPointer<QObject> context;
        bool guarded = false;
        Callback callback;
    };
    struct Entry
    {
        std::optional<ExecCredential> credential;
        QDateTime obtained;
        ExecCredentialPlugin *run = nullptr;
        QList<Waiter> waiters;
    };

    bool fresh(const Entry &e, const QDateTime &now) const;
    void runPlugin(const CredentialSource &source);
    void finished(const QByteArray &key, ExecCredentialPlugin *run,
                  const Result<ExecCredential> &result);

    QHash<QByteArray, Entry> m_entries;
    int m_runs = 0;
    int m_timeoutMs = ExecCredentialPlugin::DefaultTimeoutMs;
    qint64 m_marginMs = 10000;
};

} // namespace podtap
