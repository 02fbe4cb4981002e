#pragma once

#include "kubeapiclient.h"

#include <QElapsedTimer>
#include <QObject>
#include <QStringList>
#include <QTimer>
#include <QWebSocket>

namespace podtap {

// One `exec` in a pod over the Kubernetes WebSocket protocol, offering
// v5.channel.k8s.io then v4.channel.k8s.io. stdout arrives as raw bytes (the pcap stream),
// stderr as lines, and channel 3's Status as the exit code. stdout is handed on once per
// socket read, not once per WebSocket message: every message QWebSocket parsed from one read
// is gathered and emitted together (a queued call behind them), so the consumer's per-chunk
// work (the mirror's socket writes, its queued flushes) is paid per read. Order with stderr
// and the end is kept: pending stdout goes out before any stderr line and before finished(). Pings
// every 5 s while no data arrives; a stream with neither data nor pong for 60 s is declared dead
// (client-go's rule).
class ExecStream : public QObject
{
    Q_OBJECT

public:
    struct Outcome
    {
        bool success = false;
        int exitCode = -1;          // from NonZeroExitCode, else -1
        bool unexpectedEnd = false; // the stream ended without a status (cut, killed, stalled)
        QString message;
    };

    explicit ExecStream(KubeApiClient *api, QObject *parent = nullptr);
    ~ExecStream() override;

    void start(const QString &ns, const QString &pod, const QString &container,
               const QStringList &argv);
    void abort();
    QString protocol() const { return m_protocol; }
    qint64 stdoutBytes() const { return m_stdoutBytes; }
    bool isRunning() const { return m_running; }
    void setPingInterval(int ms) { m_pingIntervalMs = ms; }
    void setDeadAfter(int ms) { m_deadAfterMs = ms; }

    static QUrl execUrl(const KubeApiClient &api, const QString &ns, const QString &pod,
                        const QString &container, const QStringList &argv);

Q_SIGNALS:
    void opened(const QString &protocol);
    void stdoutData(const QByteArray &bytes);
    void stderrLine(const QString &line);
    void finished(const podtap::ExecStream::Outcome &outcome);

private:
    void onBinary(const QByteArray &message);
    void flushStdout();
    void onDisconnected();
    void onError(QAbstractSocket::SocketError error);
    void onPingTimer();
    void finish(const Outcome &outcome);
    void abortWith(const Outcome &outcome);

    KubeApiClient *m_api;
    QWebSocket m_socket;
    QTimer m_pingTimer;
    QElapsedTimer m_sincePong; // since the last pong or message: the stall check
    QElapsedTimer m_sinceData; // since the last message: no pings while data flows
    QByteArray m_status;
    QByteArray m_stderrPartial;
    QByteArray m_stdoutPending; // stdout of the messages parsed so far in this socket read
    bool m_flushQueued = false;
    QString m_protocol;
    qint64 m_stdoutBytes = 0;
    int m_pingIntervalMs = 5000;
    int m_deadAfterMs = 60000;
    bool m_running = false;
    bool m_finished = false;
    bool m_statusSeen = false;
    QString m_errorText;
};

} // namespace podtap
