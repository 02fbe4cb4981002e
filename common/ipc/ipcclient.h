#pragma once

#include "ipcerror.h"
#include "ipcframedecoder.h"

#include <QHash>
#include <QJsonObject>
#include <QLocalSocket>
#include <QObject>
#include <QPointer>

#include <functional>

namespace podtap {

// Client side of the podtapd IPC: connects, performs the version handshake, sends
// requests with ids and routes responses and events.
class IpcClient : public QObject
{
    Q_OBJECT

public:
    struct Reply
    {
        bool ok = false;
        QJsonObject result;
        QString errorCode;
        QString errorMessage;
        // The whole error, with its structured fields (context, namespace, target).
        IpcError error;

        static Reply failure(const IpcError &error)
        {
            return Reply{false, {}, error.code, error.message, error};
        }
    };
    using Callback = std::function<void(const Reply &)>;

    explicit IpcClient(QObject *parent = nullptr);
    ~IpcClient() override;

    // The per-user socket path: $XDG_RUNTIME_DIR/podtap/podtapd.sock.
    static QString defaultSocketPath();

    void connectToDaemon(const QString &socketPath, const QString &clientName);
    bool isReady() const { return m_ready; }
    void request(const QString &method, const QJsonObject &params, QObject *context,
                 Callback callback);
    // Blocking convenience for the CLI and tests.
    bool waitForReady(int timeoutMs);
    Reply requestAndWait(const QString &method, const QJsonObject &params = {},
                         int timeoutMs = 30000);
    QLocalSocket *socket() { return &m_socket; }
    // Events and binary frames are kept, in order, until releaseEvents() emits them. For a
    // caller that learns which stream is its own only from a reply (replay.start) or
    // connects its handlers after one (session.start): the daemon may publish right behind
    // the reply, in the same read, before the caller is ready.
    void holdEvents() { m_holding = true; }
    void releaseEvents();
    // Why connectToDaemon() would not talk to that socket (not a socket, or another user's:
    // someone else's "podtapd" must never see our requests); empty when it tried.
    QString refusal() const { return m_refusal; }

Q_SIGNALS:
    void ready(const QJsonObject &welcome);
    void event(const QJsonObject &event);
    void binary(quint32 streamId, const QByteArray &data);
    void failed(const QString &why);
    void disconnected();

private:
    void onReadyRead();
    void fail(const QString &why);

    struct Pending
    {
        QPointer<QObject> context;
        bool guarded = false;
        Callback callback;
    };

    QLocalSocket m_socket;
    QString m_refusal;
    IpcFrameDecoder m_decoder;
    bool m_holding = false;
    QList<IpcFrame> m_held;
    QHash<qint64, Pending> m_pending;
    qint64 m_nextId = 1;
    bool m_ready = false;
    QString m_clientName;
};

} // namespace podtap
