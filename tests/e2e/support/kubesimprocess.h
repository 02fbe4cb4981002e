#pragma once

#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>

// podtap-kubesim as a child process of a test: started on a scenario, its kubeconfig and
// state kept in the test's folder, stopped with SIGTERM (its own clean-up) at the end.
class KubesimProcess
{
public:
    KubesimProcess() = default;
    ~KubesimProcess();
    KubesimProcess(const KubesimProcess &) = delete;
    KubesimProcess &operator=(const KubesimProcess &) = delete;

    static QString program();
    // Why this machine cannot run kubesim's pods (not root, kubesim, trafficgen or one of
    // `alsoNeeded` not built); empty when it can.
    static QString skipReason(const QStringList &alsoNeeded = {});
    // Starts kubesim and waits for its ready line; on failure returns false and sets `error`.
    // `extraArgs` go to podtap-kubesim as they are (e.g. --rbac FILE).
    bool start(const QString &scenario, const QString &workDir, QString *error,
               const QStringList &extraArgs = {});
    void stop();

    QString kubeconfig() const { return m_kubeconfig; }
    qint64 pid() const { return m_process.processId(); }
    // kubesim's network namespace for a pod slot, e.g. "c1" (client of the first pod).
    QString netns(const QString &slot) const;
    // `kubectl --kubeconfig KUBECONFIG --context CONTEXT ARGS -o json`, parsed (empty when it
    // failed): what the cluster really holds, seen by a client that is not podtap.
    QJsonObject kubectlJson(const QStringList &args,
                            const QString &context = QStringLiteral("tapper")) const;

private:
    QProcess m_process;
    QString m_kubeconfig;
};
