#pragma once

#include <QProcess>
#include <QString>

// podtap-kubesim as a child process of a test: started on a scenario, its kubeconfig and
// state kept in the test's folder, stopped with SIGTERM (its own clean-up) at the end.
class KubesimProcess
{
public:
    KubesimProcess() = default;
    ~KubesimProcess();
    KubesimProcess(const KubesimProcess &) = delete;
    KubesimProcess &operator=(const KubesimProcess &) = delete;

    // Starts kubesim and waits for its ready line; on failure returns false and sets `error`.
    bool start(const QString &scenario, const QString &workDir, QString *error);
    void stop();

    QString kubeconfig() const { return m_kubeconfig; }
    qint64 pid() const { return m_process.processId(); }
    // kubesim's network namespace for a pod slot, e.g. "c1" (client of the first pod).
    QString netns(const QString &slot) const;

private:
    QProcess m_process;
    QString m_kubeconfig;
};
