#include "daemonprocess.h"

#include "ipc/ipcclient.h"

#include <QDeadlineTimer>
#include <QTest>

DaemonProcess::DaemonProcess(const QString &socketPath, const QString &storeDir,
                             const QString &logFile)
    : m_socket(socketPath)
    , m_store(storeDir)
    , m_log(logFile)
{}

DaemonProcess::~DaemonProcess()
{
    terminate();
}

QString DaemonProcess::program()
{
    return QStringLiteral(BINDIR "/daemon/podtapd");
}

bool DaemonProcess::start(QString *error)
{
    m_process.setStandardOutputFile(m_log, QIODevice::Append);
    m_process.setStandardErrorFile(m_log, QIODevice::Append);
    m_process.start(program(),
                    {QStringLiteral("--socket"), m_socket, QStringLiteral("--store"), m_store});
    if (!m_process.waitForStarted()) {
        *error = QStringLiteral("podtapd did not start: ") + m_process.errorString();
        return false;
    }
    const QDeadlineTimer deadline(15000);
    while (!deadline.hasExpired() && m_process.state() == QProcess::Running) {
        podtap::IpcClient client;
        client.connectToDaemon(m_socket, QStringLiteral("tst-gui"));
        if (client.waitForReady(1000))
            return true;
        QTest::qWait(100);
    }
    *error = QStringLiteral("podtapd did not answer on %1 (log: %2)").arg(m_socket, m_log);
    return false;
}

void DaemonProcess::kill()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.kill();
    m_process.waitForFinished(10000);
}

void DaemonProcess::terminate()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(15000)) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}
