#include "builtinhttpecho.h"

#include "netnsmanager.h"

#include <QTcpServer>
#include <QTcpSocket>

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kubesim {

namespace {
constexpr qsizetype MaxHeader = 64 * 1024;
constexpr qsizetype MaxBody = 16 * 1024 * 1024;
} // namespace

BuiltinHttpEcho::BuiltinHttpEcho(QObject *parent)
    : QObject(parent)
{}

BuiltinHttpEcho::~BuiltinHttpEcho()
{
    close();
}

bool BuiltinHttpEcho::listen(const QString &netns, quint16 port, QString *error)
{
    const int fd = NetnsManager::openSocketIn(netns, AF_INET6, SOCK_STREAM, error);
    if (fd < 0)
        return false;
    const int zero = 0, one = 1;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)); // IPv4 and IPv6
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_any;
    addr.sin6_port = htons(port);
    if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0
        || ::listen(fd, 128) != 0) {
        *error = QStringLiteral("http-echo cannot listen on port %1 in %2: %3")
                         .arg(port)
                         .arg(netns, QString::fromLocal8Bit(strerror(errno)));
        ::close(fd);
        return false;
    }
    m_server = new QTcpServer(this);
    if (!m_server->setSocketDescriptor(fd)) {
        *error = m_server->errorString();
        ::close(fd);
        return false;
    }
    connect(m_server, &QTcpServer::newConnection, this, &BuiltinHttpEcho::onNewConnection);
    return true;
}

void BuiltinHttpEcho::close()
{
    const QList<QTcpSocket *> sockets = m_buffers.keys();
    m_buffers.clear();
    for (QTcpSocket *s : sockets) {
        s->disconnect(this);
        s->abort();
        s->deleteLater();
    }
    if (m_server) {
        m_server->close();
        m_server->deleteLater();
        m_server = nullptr;
    }
}

void BuiltinHttpEcho::onNewConnection()
{
    while (QTcpSocket *s = m_server->nextPendingConnection()) {
        m_buffers.insert(s, {});
        connect(s, &QTcpSocket::readyRead, this, [this, s] { onReadyRead(s); });
        connect(s, &QTcpSocket::disconnected, this, [this, s] {
            m_buffers.remove(s);
            s->deleteLater();
        });
    }
}

void BuiltinHttpEcho::onReadyRead(QTcpSocket *socket)
{
    auto it = m_buffers.find(socket);
    if (it == m_buffers.end())
        return;
    it->append(socket->readAll());
    for (;;) {
        QByteArray &buf = *it;
        const qsizetype headerEnd = buf.indexOf("\r\n\r\n");
        if (headerEnd < 0) {
            if (buf.size() > MaxHeader)
                socket->abort();
            return;
        }
        qsizetype contentLength = 0;
        bool close = false;
        const QList<QByteArray> lines = buf.left(headerEnd).split('\n');
        for (const QByteArray &line : lines) {
            const qsizetype colon = line.indexOf(':');
            if (colon < 0)
                continue;
            const QByteArray name = line.left(colon).trimmed().toLower();
            const QByteArray value = line.mid(colon + 1).trimmed();
            if (name == "content-length")
                contentLength = value.toLongLong();
            else if (name == "connection" && value.toLower() == "close")
                close = true;
        }
        if (contentLength < 0 || contentLength > MaxBody) {
            socket->write("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: "
                          "close\r\n\r\n");
            socket->disconnectFromHost();
            return;
        }
        if (buf.size() < headerEnd + 4 + contentLength)
            return;
        const QByteArray body = buf.mid(headerEnd + 4, contentLength);
        buf.remove(0, headerEnd + 4 + contentLength);
        socket->write(
                QByteArrayLiteral("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                                  "Content-Length: ")
                + QByteArray::number(body.size()) + "\r\n"
                + (close ? QByteArrayLiteral("Connection: close\r\n") : QByteArray()) + "\r\n"
                + body);
        if (close) {
            socket->disconnectFromHost();
            return;
        }
    }
}

} // namespace kubesim
