#pragma once

#include "ipc/ipcerror.h"
#include "ipc/ipcframedecoder.h"
#include "result.h"

#include <QHash>
#include <QJsonObject>
#include <QLocalServer>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QStringList>

#include <functional>

class QLocalSocket;

namespace podtap {

class IpcServer;

// One connected client. Requests are answered through `reply`; events can be pushed.
class IpcPeer : public QObject
{
    Q_OBJECT

public:
    IpcPeer(QLocalSocket *socket, IpcServer *server);
    ~IpcPeer() override;

    void sendJson(const QJsonObject &object);
    void sendBinary(quint32 streamId, const QByteArray &data);
    // A result too big for one frame (IpcFrame::MaxFrameBytes) is not sent: the client gets
    // the error `too-large` instead (a frame over the limit would cost it the connection).
    void reply(qint64 id, const QJsonObject &result);
    void replyError(qint64 id, const QString &code, const QString &message);
    void replyError(qint64 id, const IpcError &error);
    void sendEvent(const QString &stream, const QString &name, const QJsonObject &data);
    QString clientName() const { return m_clientName; }
    // Event streams ("sessions", "session/3", …) this client asked for.
    // `skip`: event names of that stream the client does not want (each costs the daemon a
    // serialisation per client: a CLI has no use for "http" exchanges at 20k/s).
    void subscribe(const QString &stream, const QStringList &skip = {})
    {
        m_subscriptions.insert(stream);
        if (skip.isEmpty())
            m_skip.remove(stream);
        else
            m_skip.insert(stream, QSet<QString>(skip.begin(), skip.end()));
    }
    void unsubscribe(const QString &stream)
    {
        m_subscriptions.remove(stream);
        m_skip.remove(stream);
    }
    bool isSubscribed(const QString &stream) const { return m_subscriptions.contains(stream); }
    bool wants(const QString &stream, const QString &name) const
    {
        const auto it = m_skip.constFind(stream);
        return it == m_skip.cend() || !it->contains(name);
    }
    // Sends an event unless the client is so far behind (MaxPendingBytes) that it would
    // grow the daemon's memory: then it is counted and an "events-lost" event says so.
    void publishEvent(const QString &stream, const QString &name, const QJsonObject &data);
    // Same for binary data; false when dropped. `essential` data is never dropped (a block
    // later data depends on, such as a pcapng interface description): it is small and rare.
    bool publishBinary(const QString &stream, quint32 streamId, const QByteArray &data,
                       bool essential = false);
    static constexpr qint64 MaxPendingBytes = 64ll * 1024 * 1024;
    // Bytes queued towards this client (for back-pressure decisions).
    qint64 pendingBytes() const;

Q_SIGNALS:
    void closed();

private:
    void onReadyRead();
    void protocolError(const QString &why);

    QLocalSocket *m_socket;
    IpcServer *m_server;
    IpcFrameDecoder m_decoder;
    void reportLosses(const QString &stream);

    bool m_handshaken = false;
    QString m_clientName;
    QSet<QString> m_subscriptions;
    QHash<QString, QSet<QString>> m_skip;           // stream → event names not wanted
    QHash<QString, QPair<quint64, quint64>> m_lost; // stream → (events, binary bytes)
};

// The daemon's per-user local socket. The folder is created 0700, the socket is 0600
// whatever the umask, every connection's peer uid is checked with SO_PEERCRED, a stale
// socket from a dead daemon is removed, and a live one is never stolen.
class IpcServer : public QObject
{
    Q_OBJECT

public:
    using Handler = std::function<void(IpcPeer *peer, qint64 id, const QString &method,
                                       const QJsonObject &params)>;

    explicit IpcServer(QObject *parent = nullptr);
    ~IpcServer() override;

    Result<bool> listen(const QString &socketPath);
    QString socketPath() const { return m_path; }
    void setHandler(Handler handler) { m_handler = std::move(handler); }
    void setServerName(const QString &name) { m_serverName = name; }
    int peerCount() const { return m_peers; }
    quint64 refusedPeers() const { return m_refused; }
    void broadcastEvent(const QString &stream, const QString &name, const QJsonObject &data);
    // To the clients subscribed to `stream` only.
    void publish(const QString &stream, const QString &name, const QJsonObject &data);
    // Returns how many clients are subscribed (0: nobody wants it any more).
    int publishBinary(const QString &stream, quint32 streamId, const QByteArray &data,
                      bool essential = false);
    QList<IpcPeer *> peers();

private:
    friend class IpcPeer;
    void onNewConnection();
    void dispatch(IpcPeer *peer, const QJsonObject &request);

    QLocalServer m_server;
    QString m_path;
    QString m_serverName = QStringLiteral("podtapd");
    Handler m_handler;
    QList<QPointer<IpcPeer>> m_peerList;
    int m_peers = 0;
    quint64 m_refused = 0;
};

} // namespace podtap
