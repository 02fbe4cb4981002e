#pragma once

#include "runtimetypes.h"
#include "websocketcodec.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>

#include <functional>
#include <memory>
#include <optional>

class QTcpSocket;

namespace kubesim {

class ChildProcess;
class PcapDropFilter;

// Server side of one `pods/exec` WebSocket (kubernetes-wire.md §1): handshake and subprotocol
// negotiation, channel framing, the command's lifetime, status on channel 3, close 1000, and the
// pod's fault knobs. Owns the socket once handed over.
class ExecSession : public QObject
{
    Q_OBJECT
public:
    enum class Protocol { None, V5, V4, V4Base64, V1, V1Base64 };

    struct Context
    {
        QString netnsPath; // the pod's namespace
        QString hostname;  // $HOSTNAME of the exec (the pod name)
        FaultSpec fault;
        QString error; // set: answer the upgrade, then fail with this InternalError
        // Commands the runtime answers itself (container-scoped pkill); nullopt = run argv.
        std::function<std::optional<int>(const QStringList &argv)> emulate;
    };

    ExecSession(QTcpSocket *socket, const ExecRequest &request, const Context &context,
                QObject *parent = nullptr);
    ~ExecSession() override;

    // The apiserver's choice: v5 if offered anywhere (the translator), else the legacy kubelet's
    // walk over the client's list in order. Protocol::None = 403 with an empty body.
    static Protocol negotiate(const QList<QByteArray> &offered, QByteArray *chosen);

    void start(const QByteArray &method, const QList<QPair<QByteArray, QByteArray>> &headers);
    // Ends the session now (kubesim shutting down): kill the command, abort the connection.
    void abort();

    static QByteArray successStatus();
    static QByteArray exitCodeStatus(int code);
    static QByteArray internalErrorStatus(const QString &error);

Q_SIGNALS:
    void finished();
    // The command runs; it may outlive the session (orphaned, reparented to our parent).
    void processStarted(kubesim::ChildProcess *process);

private:
    void rejectHttp(const QByteArray &statusLine, const QByteArray &extraHeaders,
                    const QByteArray &body);
    void onReadyRead();
    void handleMessage(const WebSocketCodec::Message &message);
    void handleData(quint8 channel, const QByteArray &payload);
    void sendChannel(quint8 channel, const QByteArray &payload);
    void sendRaw(const QByteArray &bytes);
    void onChildFinished();
    void onExit(int code);
    void finishWithStatus(const QByteArray &v4Status, const QString &plainError);
    enum class CloseMode { Now, AwaitPeer };
    void sendCloseAndEnd(quint16 code, CloseMode mode);
    void updateBackPressure();
    void cutNow();
    void end();
    void orphanChild();

    QPointer<QTcpSocket> m_socket;
    ExecRequest m_request;
    Context m_context;
    Protocol m_protocol = Protocol::None;
    WebSocketCodec m_codec;
    ChildProcess *m_child = nullptr;
    std::unique_ptr<PcapDropFilter> m_dropFilter; // the dropPackets fault, tcpdump only
    qint64 m_sentBytes = 0;
    bool m_upgraded = false;
    bool m_stalled = false;
    bool m_cut = false;
    bool m_closeSent = false;
    bool m_readingStopped = false;
    bool m_ended = false;
};

} // namespace kubesim
