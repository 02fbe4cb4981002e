#include "kubesimprocess.h"

#include "trafficgencommand.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonDocument>

#include <unistd.h>

KubesimProcess::~KubesimProcess()
{
    stop();
}

QString KubesimProcess::program()
{
    return QStringLiteral(BINDIR "/tests/kubesim/podtap-kubesim");
}

QString KubesimProcess::skipReason(const QStringList &alsoNeeded)
{
    if (geteuid() != 0)
        return QStringLiteral("kubesim's pods are network namespaces: this test needs root");
    for (const QString &bin : QStringList{program(), TrafficgenCommand::program()} + alsoNeeded)
        if (!QFile::exists(bin))
            return bin + QStringLiteral(" was not built");
    return {};
}

bool KubesimProcess::start(const QString &scenario, const QString &workDir, QString *error,
                           const QStringList &extraArgs)
{
    m_kubeconfig = workDir + QStringLiteral("/kubeconfig");
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_process.start(program(),
                    QStringList{QStringLiteral("--scenario"), scenario,
                                QStringLiteral("--kubeconfig-out"), m_kubeconfig,
                                QStringLiteral("--port"), QStringLiteral("0"),
                                QStringLiteral("--state-dir"), workDir + QStringLiteral("/state"),
                                QStringLiteral("--require-runtime")}
                            + extraArgs);
    if (!m_process.waitForStarted()) {
        *error = QStringLiteral("podtap-kubesim did not start: ") + m_process.errorString();
        return false;
    }
    const QDeadlineTimer deadline(15000);
    while (!m_process.canReadLine() && m_process.state() == QProcess::Running
           && !deadline.hasExpired())
        m_process.waitForReadyRead(100);
    const QByteArray ready = m_process.readLine();
    if (!ready.startsWith("kubesim ready https://")) {
        *error = QStringLiteral("no ready line from podtap-kubesim (got \"%1\")")
                         .arg(QString::fromUtf8(ready.trimmed()));
        return false;
    }
    return true;
}

void KubesimProcess::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(15000)) {
        m_process.kill();
        m_process.waitForFinished();
    }
}

QString KubesimProcess::netns(const QString &slot) const
{
    return QStringLiteral("ksim%1-%2").arg(pid()).arg(slot);
}

QJsonObject KubesimProcess::kubectlJson(const QStringList &args, const QString &context) const
{
    QProcess p;
    p.start(QStringLiteral("kubectl"),
            QStringList{QStringLiteral("--kubeconfig"), m_kubeconfig, QStringLiteral("--context"),
                        context}
                    + args + QStringList{QStringLiteral("-o"), QStringLiteral("json")});
    p.waitForFinished(30000);
    return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
}
