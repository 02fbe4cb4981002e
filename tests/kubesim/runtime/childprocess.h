#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QStringList>

#include <sys/types.h>

class QSocketNotifier;

namespace kubesim {

// A child process started with fork/exec inside a network namespace, in its own process group,
// with non-blocking pipes watched by the event loop and exit detection through a pidfd.
// Unlike QProcess, reading stdout can be paused, so a slow consumer back-pressures the child
// through the pipe instead of growing a buffer.
class ChildProcess : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QStringList argv;          // argv[0] is looked up in PATH
        QString netnsPath;         // /run/netns/NAME; empty = stay in the current namespace
        bool privateSysfs = false; // new mount namespace with /sys remounted for the netns
        bool pipeStdin = false;    // else /dev/null
        bool pipeStdout = true;    // else /dev/null
        bool pipeStderr = true;    // else /dev/null
        bool stderrToStdout = false;
        QStringList environment; // KEY=VALUE; empty = a minimal PATH-only environment
    };

    explicit ChildProcess(QObject *parent = nullptr);
    ~ChildProcess() override;

    bool start(const Options &options, QString *error);
    pid_t pid() const { return m_pid; }
    bool isRunning() const { return m_pid > 0 && !m_exited; }

    // Output is delivered in chunks of at most this many bytes per signal.
    static constexpr qint64 ChunkSize = 32 * 1024;
    void setOutputPaused(bool paused);

    void writeStdin(const QByteArray &data);
    qint64 pendingStdin() const { return m_stdinBuffer.size(); }
    void closeStdin();

    // SIGTERM to the process group, SIGKILL after graceMs.
    void terminate(int graceMs = 1000);
    // SIGKILL to the process group and reap it now.
    void killAndWait();
    // SIGTERM to the group, wait up to graceMs for the exit (lets tools flush records), SIGKILL.
    void terminateAndWait(int graceMs);

    int exitCode() const { return m_exitCode; }
    int exitSignal() const { return m_exitSignal; }

    static QString findExecutable(const QString &name);

Q_SIGNALS:
    void stdoutData(const QByteArray &data);
    void stderrData(const QByteArray &data);
    // The process exited and both output pipes reached EOF.
    void finished();

private:
    void onPidfd();
    void readPipe(int &fd, QSocketNotifier *&notifier, bool isStdout);
    void flushStdin();
    void closeFd(int &fd, QSocketNotifier *&notifier);
    void maybeFinish();
    void reap(bool block);

    pid_t m_pid = -1;
    int m_pidfd = -1;
    int m_stdinFd = -1, m_stdoutFd = -1, m_stderrFd = -1;
    QSocketNotifier *m_pidNotifier = nullptr;
    QSocketNotifier *m_stdinNotifier = nullptr;
    QSocketNotifier *m_stdoutNotifier = nullptr;
    QSocketNotifier *m_stderrNotifier = nullptr;
    QByteArray m_stdinBuffer;
    bool m_closeStdinWhenFlushed = false;
    bool m_paused = false;
    bool m_exited = false;
    bool m_finishedEmitted = false;
    int m_exitCode = -1;
    int m_exitSignal = 0;
};

} // namespace kubesim
