#pragma once

#include <QByteArray>
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
    // One kubectl run: what the cluster really holds, seen by a client that is not podtap. A
    // test checks ok() and fails with failure() (kubectl's stderr) when it is not: a failed
    // `get` must never look like "nothing there".
    struct KubectlResult
    {
        QStringList args;
        int exitCode = -1; // -1: did not start, crashed or timed out
        QByteArray out;
        QByteArray err;
        QJsonObject json;  // kubectlJson: stdout parsed
        QString jsonError; // kubectlJson: why stdout was not a JSON object

        // Exited 0 (and, for kubectlJson, printed one JSON object).
        bool ok() const { return exitCode == 0 && jsonError.isEmpty(); }
        // "kubectl get pod x -o json: exit 1: Error from server (NotFound): …", for QVERIFY2.
        QByteArray failure() const;
    };
    // `kubectl --kubeconfig KUBECONFIG --context CONTEXT ARGS`.
    KubectlResult kubectl(const QStringList &args,
                          const QString &context = QStringLiteral("tapper")) const;
    // The same with `-o json`, stdout parsed into `json` (a failure when it is not an object).
    KubectlResult kubectlJson(const QStringList &args,
                              const QString &context = QStringLiteral("tapper")) const;
    // For when failing is the point: empty when kubectl failed and its stderr holds
    // `expectedStderrFragment`, otherwise what happened instead (for QVERIFY2).
    QByteArray expectKubectlFailure(const QStringList &args, const QString &expectedStderrFragment,
                                    const QString &context = QStringLiteral("tapper")) const;

private:
    QProcess m_process;
    QString m_kubeconfig;
};
