#include "podtapdprocess.h"

#include "clirunner.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QTest>

PodtapdProcess::~PodtapdProcess()
{
    terminate();
}

QString PodtapdProcess::program()
{
    return QStringLiteral(BINDIR "/daemon/podtapd");
}

bool PodtapdProcess::prepare(const QString &dir)
{
    m_dir = dir;
    const QString run = m_dir + QStringLiteral("/run");
    return QDir().mkpath(run)
           && QFile::setPermissions(run, QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                                 | QFileDevice::ExeOwner);
}

QString PodtapdProcess::socketPath() const
{
    return m_dir + QStringLiteral("/run/podtap/podtapd.sock");
}

QString PodtapdProcess::storePath() const
{
    return m_dir + QStringLiteral("/state-home/podtap/captures");
}

QString PodtapdProcess::logPath() const
{
    return m_dir + QStringLiteral("/podtapd.log");
}

QProcessEnvironment PodtapdProcess::environment(const QString &kubeconfig) const
{
    QProcessEnvironment env = CliRunner::environment(kubeconfig);
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), m_dir + QStringLiteral("/run"));
    env.insert(QStringLiteral("XDG_STATE_HOME"), m_dir + QStringLiteral("/state-home"));
    env.insert(QStringLiteral("PODTAP_SOCKET"), socketPath());
    return env;
}

bool PodtapdProcess::start(const QProcessEnvironment &env, QString *error)
{
    m_process.setProcessEnvironment(env);
    m_process.setStandardOutputFile(logPath(), QIODevice::Append);
    m_process.setStandardErrorFile(logPath(), QIODevice::Append);
    m_process.start(program(), QStringList{QStringLiteral("--socket"), socketPath(),
                                           QStringLiteral("--store"), storePath()}
                                       + m_extraArgs);
    if (!m_process.waitForStarted()) {
        *error = m_process.errorString();
        return false;
    }
    return true;
}

bool PodtapdProcess::waitUntilAnswering(const QProcessEnvironment &env, QString *error)
{
    QElapsedTimer t;
    t.start();
    CliRunner::Result r;
    do {
        QTest::qWait(100);
        r = CliRunner::run(CliRunner::podtap(),
                           {QStringLiteral("sessions"), QStringLiteral("--json"),
                            QStringLiteral("--no-start")},
                           env, 10000);
    } while (r.code != 0 && isRunning() && t.elapsed() < 15000);
    if (r.code != 0)
        *error = QString::fromUtf8(r.err);
    return r.code == 0;
}

bool PodtapdProcess::waitForSocket(int timeoutMs) const
{
    QElapsedTimer t;
    t.start();
    while (!QFileInfo::exists(socketPath()) && t.elapsed() < timeoutMs)
        QTest::qWait(100);
    return QFileInfo::exists(socketPath());
}

void PodtapdProcess::terminate()
{
    CliRunner::stop(&m_process);
}

void PodtapdProcess::printLogTail(qsizetype bytes) const
{
    QFile log(logPath());
    if (log.open(QIODevice::ReadOnly))
        qWarning("podtapd.log (last %lld bytes):\n%s", qlonglong(bytes),
                 log.readAll().right(bytes).constData());
}
