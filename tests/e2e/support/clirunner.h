#pragma once

#include <QByteArray>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

class QProcess;

// Runs a command-line program of a test (the real podtap, kubectl, capinfos, ip …) to its
// end and keeps what it said; a run that outlives its timeout is killed and has code -1.
class CliRunner
{
public:
    struct Result
    {
        int code = -1; // -1: crashed, killed or never started
        QByteArray out;
        QByteArray err;
    };

    static QString podtap();
    // The system environment, with KUBECONFIG set when `kubeconfig` is not empty, and then
    // XDG_STATE_HOME beside the (first) kubeconfig: a test's `capture --direct` writes its
    // audit log in the test's folder, never in the user's.
    static QProcessEnvironment environment(const QString &kubeconfig = {});
    static Result run(const QString &program, const QStringList &args,
                      const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment(),
                      int timeoutMs = 60000, const QString &workDir = {});
    // "$ COMMAND ARGS\nexit N\nSTDERR\n": one run as a test's cli.log keeps it.
    static QByteArray transcript(const QString &command, const QStringList &args, const Result &r);
    // Reads a started `podtap mirror|capture` process's stderr (into `err`) until it says
    // "podtap: session ID capturing"; the session ID, or empty when it ended or timed out
    // first (then `err` says why). The event loop runs meanwhile.
    static QString waitForCapturing(QProcess *process, QByteArray *err, int timeoutMs = 60000);
    // SIGTERM, SIGKILL when it has not ended after `graceMs`.
    static void stop(QProcess *process, int graceMs = 10000, int killWaitMs = 5000);
};
