#include "clirunner.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTest>

QString CliRunner::podtap()
{
    return QStringLiteral(BINDIR "/cli/podtap");
}

QProcessEnvironment CliRunner::environment(const QString &kubeconfig)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    if (!kubeconfig.isEmpty()) {
        env.insert(QStringLiteral("KUBECONFIG"), kubeconfig);
        const QString first = kubeconfig.section(QLatin1Char(':'), 0, 0);
        env.insert(QStringLiteral("XDG_STATE_HOME"),
                   QFileInfo(first).absolutePath() + QStringLiteral("/state"));
    }
    return env;
}

CliRunner::Result CliRunner::run(const QString &program, const QStringList &args,
                                 const QProcessEnvironment &env, int timeoutMs,
                                 const QString &workDir)
{
    QProcess p;
    p.setProcessEnvironment(env);
    if (!workDir.isEmpty())
        p.setWorkingDirectory(workDir);
    p.start(program, args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(5000);
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

QByteArray CliRunner::transcript(const QString &command, const QStringList &args, const Result &r)
{
    return "$ " + command.toUtf8() + ' ' + args.join(QLatin1Char(' ')).toUtf8() + "\nexit "
           + QByteArray::number(r.code) + '\n' + r.err + '\n';
}

void CliRunner::stop(QProcess *process, int graceMs, int killWaitMs)
{
    if (process->state() == QProcess::NotRunning)
        return;
    process->terminate();
    if (!process->waitForFinished(graceMs)) {
        process->kill();
        process->waitForFinished(killWaitMs);
    }
}

QString CliRunner::waitForCapturing(QProcess *process, QByteArray *err, int timeoutMs)
{
    static const QRegularExpression line(QStringLiteral("podtap: session (\\S+) capturing"));
    QElapsedTimer t;
    t.start();
    while (true) {
        *err += process->readAllStandardError();
        const QRegularExpressionMatch m = line.match(QString::fromUtf8(*err));
        if (m.hasMatch())
            return m.captured(1);
        if (process->state() != QProcess::Running || t.elapsed() > timeoutMs)
            return {};
        QTest::qWait(20);
    }
}
