#include "daemonlauncher.h"

#include "ipcclient.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

namespace podtap {

QString DaemonLauncher::socketPath(const QString &explicitPath)
{
    if (!explicitPath.isEmpty())
        return QFileInfo(explicitPath).absoluteFilePath();
    const QString env = qEnvironmentVariable("PODTAP_SOCKET");
    return env.isEmpty() ? IpcClient::defaultSocketPath() : QFileInfo(env).absoluteFilePath();
}

QString DaemonLauncher::findDaemon()
{
    const QString here = QCoreApplication::applicationDirPath();
    const QStringList candidates{here + QStringLiteral("/podtapd"),
                                 here + QStringLiteral("/../daemon/podtapd")};
    for (const QString &candidate : candidates) {
        if (QFileInfo(candidate).isExecutable())
            return QFileInfo(candidate).canonicalFilePath();
    }
    return QStandardPaths::findExecutable(QStringLiteral("podtapd"));
}

QString DaemonLauncher::logDirectory()
{
    // The XDG base directory spec: a relative XDG_STATE_HOME is invalid and ignored (the
    // same rule as the daemon's capture store, whose parent folder this is).
    QString state = qEnvironmentVariable("XDG_STATE_HOME");
    if (state.isEmpty() || QDir::isRelativePath(state))
        state = QDir::homePath() + QStringLiteral("/.local/state");
    return QDir::cleanPath(state + QStringLiteral("/podtap"));
}

QString DaemonLauncher::logFile()
{
    return logDirectory() + QStringLiteral("/podtapd.log");
}

Result<qint64> DaemonLauncher::startDetached(const QString &program, const QString &socketPath)
{
    QDir().mkpath(logDirectory());
    QProcess process;
    process.setProgram(program);
    process.setArguments({QStringLiteral("--socket"), socketPath});
    process.setStandardOutputFile(QProcess::nullDevice());
    process.setStandardErrorFile(logFile(), QIODevice::Append);
    process.setStandardInputFile(QProcess::nullDevice());
    qint64 pid = 0;
    if (!process.startDetached(&pid))
        return Result<qint64>::failure(
                QStringLiteral("cannot start %1: %2").arg(program, process.errorString()));
    return pid;
}

} // namespace podtap
