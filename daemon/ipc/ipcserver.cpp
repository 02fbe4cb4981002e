#include "ipcserver.h"
#include "ipcserverlog.h"

#include "ipc/ipcframe.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocalSocket>
#include <QTimer>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace podtap {

namespace {
constexpr int HandshakeTimeoutMs = 10000;

bool peerIsOwner(const QLocalSocket *socket, uid_t *peerUid)
{
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(int(socket->socketDescriptor()), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return false;
    *peerUid = cred.uid;
    return cred.uid == geteuid();
}
} // namespace

IpcPeer::IpcPeer(QLocalSocket *socket, IpcServer *server)
    : QObject(server)
    , m_socket(socket)
    , m_server(server)
{
    socket->setParent(this);
    connect(socket, &QLocalSocket::readyRead, this, &IpcPeer::onReadyRead);
    connect(socket, &QLocalSocket::disconnected, this, [this] {
        Q_EMIT closed();
        deleteLater();
    });
    QTimer::singleShot(HandshakeTimeoutMs, this, [this] {
        if (!m_handshaken)
            protocolError(
                    QStringLiteral("no handshake within %1 s").arg(HandshakeTimeoutMs / 1000));
    });
}

IpcPeer::~IpcPeer()
{
    --m_server->m_peers;
}

qint64 IpcPeer::pendingBytes() const
{
    return m_socket->bytesToWrite();
}

void IpcPeer::sendJson(const QJsonObject &object)
{
    m_socket->write(IpcFrame::encodeJson(object));
}

void IpcPeer::sendBinary(quint32 streamId, const QByteArray &data)
{
    m_socket->write(IpcFrame::encodeBinary(streamId, data));
}

void IpcPeer::reply(qint64 id, const QJsonObject &result)
{
    QJsonObject o;
    o[QLatin1String("type")] = QStringLiteral("response");
    o[QLatin1String("id")] = id;
    o[QLatin1String("result")] = result;
    const QByteArray frame = IpcFrame::encodeJson(o);
    if (frame.size() - 4 > qsizetype(IpcFrame::MaxFrameBytes)) {
        qCWarning(lcIpcServer) << "refused to send a reply of" << frame.size() - 4 << "bytes to"
                               << m_clientName;
        replyError(id, IpcError::TooLarge,
                   QStringLiteral("the answer would be %1 bytes, more than the %2 one frame may "
                                  "hold; ask for less (a smaller page or maxBytes)")
                           .arg(frame.size() - 4)
                           .arg(IpcFrame::MaxFrameBytes));
        return;
    }
    m_socket->write(frame);
}

void IpcPeer::replyError(qint64 id, const QString &code, const QString &message)
{
    replyError(id, IpcError::simple(code, message));
}

void IpcPeer::replyError(qint64 id, const IpcError &error)
{
    QJsonObject o;
    o[QLatin1String("type")] = QStringLiteral("response");
    o[QLatin1String("id")] = id;
    o[QLatin1String("error")] = error.toJson();
    sendJson(o);
}

void IpcPeer::sendEvent(const QString &stream, const QString &name, const QJsonObject &data)
{
    QJsonObject o;
    o[QLatin1String("type")] = QStringLiteral("event");
    o[QLatin1String("stream")] = stream;
    o[QLatin1String("event")] = name;
    o[QLatin1String("data")] = data;
    sendJson(o);
}

void IpcPeer::reportLosses(const QString &stream)
{
    auto it = m_lost.find(stream);
    if (it == m_lost.end())
        return;
    const auto lost = it.value();
    m_lost.erase(it);
    sendEvent(stream, QStringLiteral("events-lost"),
              QJsonObject{{QStringLiteral("events"), qint64(lost.first)},
                          {QStringLiteral("binaryBytes"), qint64(lost.second)},
                          {QStringLiteral("message"),
                           QStringLiteral("this client read too slowly: %1 events and %2 bytes "
                                          "of live data were not sent to it (the daemon's "
                                          "store has them)")
                                   .arg(lost.first)
                                   .arg(lost.second)}});
}

void IpcPeer::publishEvent(const QString &stream, const QString &name, const QJsonObject &data)
{
    if (pendingBytes() > MaxPendingBytes) {
        ++m_lost[stream].first;
        return;
    }
    reportLosses(stream);
    sendEvent(stream, name, data);
}

bool IpcPeer::publishBinary(const QString &stream, quint32 streamId, const QByteArray &data,
                            bool essential)
{
    if (!essential && pendingBytes() > MaxPendingBytes) {
        m_lost[stream].second += quint64(data.size());
        return false;
    }
    reportLosses(stream);
    sendBinary(streamId, data);
    return true;
}

void IpcPeer::protocolError(const QString &why)
{
    qCWarning(lcIpcServer) << "closing client" << m_clientName << ":" << why;
    QJsonObject o;
    o[QLatin1String("type")] = QStringLiteral("error");
    o[QLatin1String("code")] = QStringLiteral("protocol");
    o[QLatin1String("message")] = why;
    sendJson(o);
    m_socket->flush();
    m_socket->disconnectFromServer();
}

void IpcPeer::onReadyRead()
{
    const QList<IpcFrame> frames = m_decoder.feed(m_socket->readAll());
    for (const IpcFrame &f : frames) {
        if (f.kind != IpcFrame::Json) {
            protocolError(QStringLiteral("binary frames are only sent by the daemon"));
            return;
        }
        const QString type = f.json.value(QLatin1String("type")).toString();
        if (!m_handshaken) {
            const int version = f.json.value(QLatin1String("protocol")).toInt(-1);
            if (type != QLatin1String("hello") || version != IpcFrame::ProtocolVersion) {
                protocolError(QStringLiteral("expected hello with protocol %1 (got %2 %3)")
                                      .arg(IpcFrame::ProtocolVersion)
                                      .arg(type)
                                      .arg(version));
                return;
            }
            m_handshaken = true;
            m_clientName = f.json.value(QLatin1String("client")).toString().left(200);
            QJsonObject w;
            w[QLatin1String("type")] = QStringLiteral("welcome");
            w[QLatin1String("protocol")] = IpcFrame::ProtocolVersion;
            w[QLatin1String("server")] = m_server->m_serverName;
            w[QLatin1String("pid")] = qint64(getpid());
            sendJson(w);
            continue;
        }
        if (type != QLatin1String("request")) {
            protocolError(QStringLiteral("unexpected message type '%1'").arg(type));
            return;
        }
        m_server->dispatch(this, f.json);
    }
    if (m_decoder.failed())
        protocolError(m_decoder.error());
}

IpcServer::IpcServer(QObject *parent)
    : QObject(parent)
{
    connect(&m_server, &QLocalServer::newConnection, this, &IpcServer::onNewConnection);
}

IpcServer::~IpcServer()
{
    // Peers count themselves out through m_peers: delete them while it still exists.
    qDeleteAll(findChildren<IpcPeer *>(Qt::FindDirectChildrenOnly));
    m_server.close();
    if (!m_path.isEmpty())
        QFile::remove(m_path);
}

Result<bool> IpcServer::listen(const QString &socketPath)
{
    using R = Result<bool>;
    if (!QDir::isAbsolutePath(socketPath))
        return R::failure(QStringLiteral("the socket path must be absolute: %1").arg(socketPath));
    const QString dir = QFileInfo(socketPath).absolutePath();
    // Only a folder made here is made private: chmod'ing one the user named (--socket
    // ~/projects/x.sock) would lock them out of their own folder. The socket itself is 0600
    // and every peer's uid is checked, so a shared folder does not open it to others.
    const bool created = !QFileInfo::exists(dir);
    if (!QDir().mkpath(dir))
        return R::failure(QStringLiteral("cannot create %1").arg(dir));
    struct stat st
    {
    };
    if (::stat(QFile::encodeName(dir).constData(), &st) != 0 || st.st_uid != geteuid())
        return R::failure(
                QStringLiteral("%1 is not owned by you: refusing to put the daemon socket there")
                        .arg(dir));
    if (created && (st.st_mode & 0777) != 0700
        && ::chmod(QFile::encodeName(dir).constData(), 0700) != 0)
        return R::failure(QStringLiteral("cannot make %1 private (0700)").arg(dir));

    if (QFileInfo::exists(socketPath)) {
        QLocalSocket probe;
        probe.connectToServer(socketPath);
        if (probe.waitForConnected(1000))
            return R::failure(
                    QStringLiteral("another podtapd is already running on %1").arg(socketPath));
        QFile::remove(socketPath); // stale: its daemon is gone
    }
    m_server.setSocketOptions(QLocalServer::UserAccessOption);
    if (!m_server.listen(socketPath))
        return R::failure(
                QStringLiteral("cannot listen on %1: %2").arg(socketPath, m_server.errorString()));
    // UserAccessOption already asks for 0600; make it so whatever the umask.
    ::chmod(QFile::encodeName(socketPath).constData(), 0600);
    m_path = socketPath;
    return true;
}

void IpcServer::onNewConnection()
{
    while (QLocalSocket *s = m_server.nextPendingConnection()) {
        uid_t uid = uid_t(-1);
        if (!peerIsOwner(s, &uid)) {
            ++m_refused;
            qCWarning(lcIpcServer) << "refused a connection from uid" << uid;
            s->abort();
            s->deleteLater();
            continue;
        }
        ++m_peers;
        auto *peer = new IpcPeer(s, this);
        m_peerList.append(peer);
    }
}

void IpcServer::dispatch(IpcPeer *peer, const QJsonObject &request)
{
    const QJsonValue idValue = request.value(QLatin1String("id"));
    const qint64 id = idValue.toInteger(-1);
    const QString method = request.value(QLatin1String("method")).toString();
    if (!idValue.isDouble() || method.isEmpty()) {
        peer->replyError(id, QStringLiteral("bad-request"),
                         QStringLiteral("a request needs a numeric id and a method"));
        return;
    }
    if (!m_handler) {
        peer->replyError(id, QStringLiteral("unknown-method"),
                         QStringLiteral("unknown method %1").arg(method));
        return;
    }
    m_handler(peer, id, method, request.value(QLatin1String("params")).toObject());
}

void IpcServer::broadcastEvent(const QString &stream, const QString &name, const QJsonObject &data)
{
    m_peerList.removeAll(nullptr);
    for (const auto &p : std::as_const(m_peerList))
        if (p)
            p->sendEvent(stream, name, data);
}

void IpcServer::publish(const QString &stream, const QString &name, const QJsonObject &data)
{
    for (IpcPeer *p : peers())
        if (p->isSubscribed(stream) && p->wants(stream, name))
            p->publishEvent(stream, name, data);
}

int IpcServer::publishBinary(const QString &stream, quint32 streamId, const QByteArray &data,
                             bool essential)
{
    int subscribed = 0;
    for (IpcPeer *p : peers()) {
        if (p->isSubscribed(stream)) {
            ++subscribed;
            p->publishBinary(stream, streamId, data, essential);
        }
    }
    return subscribed;
}

QList<IpcPeer *> IpcServer::peers()
{
    m_peerList.removeAll(nullptr);
    QList<IpcPeer *> out;
    out.reserve(m_peerList.size());
    for (const auto &p : std::as_const(m_peerList))
        if (p)
            out << p.data();
    return out;
}

} // namespace podtap
