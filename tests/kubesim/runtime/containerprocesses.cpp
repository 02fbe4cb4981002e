#include "containerprocesses.h"

#include "childprocess.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSet>

#include <csignal>

namespace kubesim {

Q_LOGGING_CATEGORY(lcProcesses, "kubesim.processes")

namespace {

int signalNumber(QString name)
{
    bool ok = false;
    const int n = name.toInt(&ok);
    if (ok)
        return n > 0 && n < 65 ? n : -1;
    name = name.toUpper();
    if (name.startsWith(QLatin1String("SIG")))
        name.remove(0, 3);
    static const QHash<QString, int> names{
            {QStringLiteral("TERM"), SIGTERM}, {QStringLiteral("KILL"), SIGKILL},
            {QStringLiteral("INT"), SIGINT},   {QStringLiteral("HUP"), SIGHUP},
            {QStringLiteral("QUIT"), SIGQUIT}, {QStringLiteral("USR1"), SIGUSR1},
            {QStringLiteral("USR2"), SIGUSR2}, {QStringLiteral("STOP"), SIGSTOP},
            {QStringLiteral("CONT"), SIGCONT}};
    return names.value(name, -1);
}

} // namespace

ContainerProcesses::ContainerProcesses(QObject *parent)
    : QObject(parent)
{}

QString ContainerProcesses::key(const QString &ns, const QString &pod, const QString &container)
{
    return ns + QLatin1Char('/') + pod + QLatin1Char('/') + container;
}

void ContainerProcesses::add(const QString &containerKey, ChildProcess *process)
{
    auto &list = m_processes[containerKey];
    list.removeAll(nullptr);
    list << process;
}

std::optional<int> ContainerProcesses::emulate(const QString &containerKey, const QStringList &argv)
{
    if (argv.isEmpty() || QFileInfo(argv.first()).fileName() != QLatin1String("pkill"))
        return std::nullopt;
    bool exact = false, full = false;
    int sig = SIGTERM;
    QStringList patterns;
    for (qsizetype i = 1; i < argv.size(); ++i) {
        const QString &a = argv.at(i);
        if (a == QLatin1String("-x") || a == QLatin1String("--exact"))
            exact = true;
        else if (a == QLatin1String("-f") || a == QLatin1String("--full"))
            full = true;
        else if ((a == QLatin1String("--signal") || a == QLatin1String("-s"))
                 && i + 1 < argv.size())
            sig = signalNumber(argv.at(++i));
        else if (a.startsWith(QLatin1String("--signal=")))
            sig = signalNumber(a.mid(9));
        else if (a.startsWith(QLatin1Char('-')) && a.size() > 1)
            sig = signalNumber(a.mid(1));
        else
            patterns << a;
        if (sig < 0)
            return 2;
    }
    if (patterns.size() != 1)
        return 2;
    QRegularExpression re(exact ? QStringLiteral("^(?:%1)$").arg(patterns.first())
                                : patterns.first());
    if (!re.isValid())
        return 2;

    QSet<qint64> groups;
    for (const auto &p : m_processes.value(containerKey))
        if (p && p->isRunning())
            groups << p->pid();
    int matched = 0;
    const QStringList pids
            = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &pidText : pids) {
        bool ok = false;
        const qint64 pid = pidText.toLongLong(&ok);
        if (!ok)
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        // "pid (comm) state ppid pgrp …": comm may contain spaces and parentheses.
        const QByteArray s = stat.readAll();
        const qsizetype close = s.lastIndexOf(')');
        const QList<QByteArray> fields = s.mid(close + 2).split(' ');
        if (close < 0 || fields.size() < 3 || !groups.contains(fields.at(2).toLongLong()))
            continue;
        QString subject;
        if (full) {
            QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
            if (cmdline.open(QIODevice::ReadOnly))
                subject = QString::fromLocal8Bit(cmdline.readAll().replace('\0', ' ').trimmed());
        } else {
            const qsizetype open = s.indexOf('(');
            subject = QString::fromLocal8Bit(s.mid(open + 1, close - open - 1));
        }
        if (!re.match(subject).hasMatch())
            continue;
        if (::kill(pid_t(pid), sig) == 0)
            ++matched;
    }
    qCInfo(lcProcesses) << "pkill in" << containerKey << argv << "signalled" << matched;
    return matched > 0 ? 0 : 1;
}

void ContainerProcesses::killAll()
{
    for (auto &list : m_processes)
        for (const auto &p : list)
            if (p)
                p->killAndWait();
    m_processes.clear();
}

} // namespace kubesim
