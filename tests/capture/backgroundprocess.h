#pragma once

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>

// A long-running helper (tcpdump, a trafficgen server, a held client) started in a network
// namespace (or not, when ns is empty), waited for by a line on stdout or stderr, and stopped
// with a chosen signal. The destructor kills it if the test failed before stop().
class BackgroundProcess
{
public:
    BackgroundProcess() = default;
    ~BackgroundProcess();
    BackgroundProcess(const BackgroundProcess &) = delete;
    BackgroundProcess &operator=(const BackgroundProcess &) = delete;

    // Starts program and waits up to timeoutMs for a line containing readyMarker on the given
    // channel (empty marker: do not wait). The full matching line is stored in readyLine().
    bool start(const QString &ns, const QString &program, const QStringList &args,
               const QByteArray &readyMarker, QProcess::ProcessChannel channel, QString *error,
               int timeoutMs = 15000);
    // Sends sig, waits up to timeoutMs for exit; false (and SIGKILL) if it did not exit.
    bool stop(int sig, QString *error, int timeoutMs = 15000);
    bool waitForLine(const QByteArray &marker, QProcess::ProcessChannel channel, int timeoutMs,
                     QByteArray *line = nullptr);
    void write(const QByteArray &data);
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    qint64 pid() const { return m_process.processId(); }
    int exitCode() const { return m_process.exitCode(); }
    QByteArray readyLine() const { return m_readyLine; }
    QByteArray stdoutText();
    QByteArray stderrText();

private:
    void drain();

    QProcess m_process;
    QByteArray m_out;
    QByteArray m_err;
    QByteArray m_readyLine;
};
