#pragma once

#include <QByteArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

// podtapd under test, with everything of its own below the test's folder DIR: DIR/run (0700)
// is XDG_RUNTIME_DIR and holds the socket, DIR/state-home is XDG_STATE_HOME and holds the
// daemon's default store (so a podtapd the CLI starts finds it too), DIR/podtapd.log its
// output, printed when a test failed.
class PodtapdProcess
{
public:
    PodtapdProcess() = default;
    ~PodtapdProcess();
    PodtapdProcess(const PodtapdProcess &) = delete;
    PodtapdProcess &operator=(const PodtapdProcess &) = delete;

    static QString program();
    // Sets the folder and creates DIR/run, accessible by its owner only.
    bool prepare(const QString &dir);
    // The system environment for the daemon and the CLIs that talk to it: KUBECONFIG,
    // XDG_RUNTIME_DIR, XDG_STATE_HOME, PODTAP_SOCKET.
    QProcessEnvironment environment(const QString &kubeconfig) const;

    // More podtapd options for the next start() (--store-quota 4M, --release-after 1s, …).
    void setExtraArguments(const QStringList &args) { m_extraArgs = args; }
    // Starts podtapd on socketPath() and storePath(); false and `error` when it did not start.
    bool start(const QProcessEnvironment &env, QString *error);
    // Until `podtap sessions --json --no-start` succeeds (at most 15 s): this daemon answers,
    // not one the CLI would start. False and the CLI's stderr otherwise.
    bool waitUntilAnswering(const QProcessEnvironment &env, QString *error);
    // Until the socket file exists (at most `timeoutMs`).
    bool waitForSocket(int timeoutMs = 15000) const;
    void terminate();

    QProcess &process() { return m_process; }
    bool isRunning() const { return m_process.state() == QProcess::Running; }
    QString socketPath() const;
    QString storePath() const;
    QString logPath() const;
    // The last `bytes` of podtapd.log as a warning (CI keeps only what a test printed).
    void printLogTail(qsizetype bytes = 4096) const;

private:
    QProcess m_process;
    QString m_dir;
    QStringList m_extraArgs;
};
