#pragma once

#include "kubeconfig.h"
#include "result.h"

#include <QDateTime>
#include <QObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTimer>

#include <functional>

namespace podtap {

// What an exec credential plugin returned. Held in memory only.
struct ExecCredential
{
    QString token;
    QByteArray clientCertificatePem;
    QByteArray clientKeyPem;
    QDateTime expiration; // invalid: never expires

    bool expired(const QDateTime &now) const { return expiration.isValid() && now >= expiration; }
    bool sameAs(const ExecCredential &o) const
    {
        return token == o.token && clientCertificatePem == o.clientCertificatePem
               && clientKeyPem == o.clientKeyPem;
    }
};

// One run of a client-go exec credential plugin (client.authentication.k8s.io v1 and
// v1beta1), asynchronous: the plugin is a child process watched by the event loop, never
// waited for, so a slow `aws eks get-token` blocks nothing. Caching and sharing runs between
// requesters is CredentialCache's job.
class ExecCredentialPlugin : public QObject
{
    Q_OBJECT

public:
    using Callback = std::function<void(const Result<ExecCredential> &)>;
    static constexpr int DefaultTimeoutMs = 60000;

    // Where plugins are looked up beyond PATH: desktop sessions often do not inherit the
    // shell's PATH, so the usual install folders of kubectl plugins are searched too.
    static QStringList extraSearchDirs();
    // Resolves `command` like kubectl (absolute or kubeconfig-relative paths as given,
    // bare names through PATH and extraSearchDirs()). `searched` lists where we looked.
    // `path` empty: this process's PATH.
    static QString findCommand(const QString &command, QStringList *searched,
                               const QString &path = {});
    // Parses a plugin's stdout; `expectedApiVersion` must match what it returns.
    static Result<ExecCredential> parseOutput(const QByteArray &stdoutBytes,
                                              const QString &expectedApiVersion);
    // KUBERNETES_EXEC_INFO for this plugin and cluster.
    static QByteArray execInfo(const ExecPluginConfig &config, const KubeCluster &cluster);

    // `cluster` feeds KUBERNETES_EXEC_INFO when provideClusterInfo. `environment` empty: this
    // process's. The daemon passes the environment of the client that asked (its PATH,
    // AWS_PROFILE, CLOUDSDK_CONFIG… are what the plugin expects).
    ExecCredentialPlugin(const ExecPluginConfig &config, const KubeCluster &cluster,
                         const QProcessEnvironment &environment = {}, QObject *parent = nullptr);
    // A plugin still running is killed (and reaped: only at shutdown, see deleteWhenStopped).
    ~ExecCredentialPlugin() override;

    void setTimeout(int ms) { m_timeoutMs = ms; }
    // Starts the plugin; `done` is called exactly once, always from the event loop (never
    // before start() returns): the credential, or an error naming the plugin that says why
    // (not found, failed with its stderr, killed after the timeout, bad output).
    void start(Callback done);
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    // What the plugin printed on stderr (e.g. "run aws sso login"), once it ended.
    QString stderrText() const { return m_stderr; }
    // deleteLater() once the process has ended (a plugin killed after the timeout is reaped
    // by the event loop, never waited for).
    void deleteWhenStopped();

private:
    void finish(const Result<ExecCredential> &result);
    void onFinished(int exitCode, QProcess::ExitStatus status);

    ExecPluginConfig m_config;
    KubeCluster m_cluster;
    QProcessEnvironment m_environment;
    QString m_program;
    QProcess m_process;
    QTimer m_timeout;
    QString m_stderr;
    Callback m_done;
    int m_timeoutMs = DefaultTimeoutMs;
    bool m_finished = false;
};

} // namespace podtap
