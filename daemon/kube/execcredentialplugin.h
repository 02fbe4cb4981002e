#pragma once

#include "kubeconfig.h"
#include "result.h"

#include <QDateTime>
#include <QHash>
#include <QProcessEnvironment>

namespace podtap {

// What an exec credential plugin returned. Held in memory only.
struct ExecCredential
{
    QString token;
    QByteArray clientCertificatePem;
    QByteArray clientKeyPem;
    QDateTime expiration; // invalid: never expires

    bool expired(const QDateTime &now) const { return expiration.isValid() && now >= expiration; }
};

// Runs client-go exec credential plugins (client.authentication.k8s.io v1 and v1beta1)
// and caches their answers in memory until they expire or the server answers 401.
class ExecCredentialPlugin
{
public:
    // Where plugins are looked up beyond PATH: desktop sessions often do not inherit the
    // shell's PATH, so the usual install folders of kubectl plugins are searched too.
    static QStringList extraSearchDirs();
    // Resolves `command` like kubectl (absolute or kubeconfig-relative paths as given,
    // bare names through PATH and extraSearchDirs()). `searched` lists where we looked.
    // `path` empty: this process's PATH.
    static QString findCommand(const QString &command, QStringList *searched,
                               const QString &path = {});

    // Runs the plugin now. `cluster` feeds KUBERNETES_EXEC_INFO when provideClusterInfo.
    // `environment` empty: this process's. The daemon passes the environment of the client
    // that asked (its PATH, AWS_PROFILE, CLOUDSDK_CONFIG… are what the plugin expects).
    static Result<ExecCredential> run(const ExecPluginConfig &config, const KubeCluster &cluster,
                                      int timeoutMs = 60000,
                                      const QProcessEnvironment &environment = {});
    // Parses a plugin's stdout; `expectedApiVersion` must match what it returns.
    static Result<ExecCredential> parseOutput(const QByteArray &stdoutBytes,
                                              const QString &expectedApiVersion);
    // KUBERNETES_EXEC_INFO for this plugin and cluster.
    static QByteArray execInfo(const ExecPluginConfig &config, const KubeCluster &cluster);

    // Cached credential for (user, cluster), running the plugin when missing or expired.
    Result<ExecCredential> credential(const QString &userName, const ExecPluginConfig &config,
                                      const KubeCluster &cluster);
    // The server rejected the credential (401): forget it so the next call re-runs.
    void invalidate(const QString &userName, const QString &clusterName);
    int runs() const { return m_runs; }
    // The environment plugins run in (default: this process's).
    void setEnvironment(const QProcessEnvironment &environment) { m_environment = environment; }

private:
    QProcessEnvironment m_environment;
    QHash<QString, ExecCredential> m_cache;
    int m_runs = 0;
};

} // namespace podtap
