#include "kubesimprocess.h"

#include <QDeadlineTimer>

KubesimProcess::~KubesimProcess()
{
    stop();
}

bool KubesimProcess::start(const QString &scenario, const QString &workDir, QString *error,
                           const QStringList &extraArgs)
{
    m_kubeconfig = workDir + QStringLiteral("/kubeconfig");
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_process.start(QStringLiteral(BINDIR "/tests/kubesim/podtap-kubesim"),
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
    if (!ready.startsWith("kubesim ready https://127.0.0.1:")) {
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
