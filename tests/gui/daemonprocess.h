#pragma once

#include <QProcess>
#include <QString>

// A real podtapd as a child of a test: its own socket and store in the test's folder,
// started, waited for (it answers a handshake), killed and started again at will.
class DaemonProcess
{
public:
    DaemonProcess(const QString &socketPath, const QString &storeDir, const QString &logFile);
    ~DaemonProcess();
    DaemonProcess(const DaemonProcess &) = delete;
    DaemonProcess &operator=(const DaemonProcess &) = delete;

    static QString program();
    // Starts podtapd and waits until it answers on the socket; false and `error` otherwise.
    bool start(QString *error);
    void kill(); // SIGKILL: the daemon dies without any clean-up, as in a crash
    void terminate();
    qint64 pid() const { return m_process.processId(); }
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }

private:
    QProcess m_process;
    QString m_socket;
    QString m_store;
    QString m_log;
};
