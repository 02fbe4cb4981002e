#include "backgroundprocess.h"

#include "netnslab.h"

#include <QDeadlineTimer>

#include <csignal>

BackgroundProcess::~BackgroundProcess()
{
    if (isRunning()) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

void BackgroundProcess::drain()
{
    m_out += m_process.readAllStandardOutput();
    m_err += m_process.readAllStandardError();
}

bool BackgroundProcess::waitForLine(const QByteArray &marker, QProcess::ProcessChannel channel,
                                    int timeoutMs, QByteArray *line)
{
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        drain();
        const QByteArray &buf = channel == QProcess::StandardOutput ? m_out : m_err;
        const qsizetype at = buf.indexOf(marker);
        if (at >= 0) {
            const qsizetype eol = buf.indexOf('\n', at);
            if (eol >= 0) {
                const qsizetype bol = buf.lastIndexOf('\n', at) + 1;
                if (line)
                    *line = buf.mid(bol, eol - bol);
                return true;
            }
        }
        if (deadline.hasExpired() || m_process.state() == QProcess::NotRunning)
            return false;
        m_process.waitForReadyRead(int(qBound(qint64(1), deadline.remainingTime(), qint64(200))));
    }
}

bool BackgroundProcess::start(const QString &ns, const QString &program, const QStringList &args,
                              const QByteArray &readyMarker, QProcess::ProcessChannel channel,
                              QString *error, int timeoutMs)
{
    if (ns.isEmpty())
        m_process.start(program, args);
    else
        m_process.start(QStringLiteral("ip"), NetnsLab::execArgs(ns, program, args));
    if (!m_process.waitForStarted(5000)) {
        if (error)
            *error = program + QStringLiteral(": ") + m_process.errorString();
        return false;
    }
    if (readyMarker.isEmpty())
        return true;
    if (!waitForLine(readyMarker, channel, timeoutMs, &m_readyLine)) {
        drain();
        if (error)
            *error = program + QStringLiteral(" did not print \"")
                     + QString::fromLatin1(readyMarker) + QStringLiteral("\": ")
                     + QString::fromLocal8Bit(m_err.right(2000));
        m_process.kill();
        m_process.waitForFinished(5000);
        return false;
    }
    return true;
}

bool BackgroundProcess::stop(int sig, QString *error, int timeoutMs)
{
    if (m_process.state() == QProcess::NotRunning) {
        drain();
        return true;
    }
    ::kill(pid_t(m_process.processId()), sig);
    const QDeadlineTimer deadline(timeoutMs);
    while (m_process.state() != QProcess::NotRunning && !deadline.hasExpired()) {
        m_process.waitForFinished(100);
        drain();
    }
    drain();
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
        if (error)
            *error = QStringLiteral("process did not exit after signal %1").arg(sig);
        return false;
    }
    return true;
}

void BackgroundProcess::write(const QByteArray &data)
{
    m_process.write(data);
    m_process.waitForBytesWritten(2000);
}

QByteArray BackgroundProcess::stdoutText()
{
    drain();
    return m_out;
}

QByteArray BackgroundProcess::stderrText()
{
    drain();
    return m_err;
}
