#include "localhttpclient.h"

#include <time.h>

namespace podtap {

namespace {
qint64 nowNs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
HttpParser::Limits limits()
{
    HttpParser::Limits l;
    l.keepBodyBytes = 1024 * 1024; // as much as the recorded answer keeps
    return l;
}
} // namespace

LocalHttpClient::LocalHttpClient(const QHostAddress &host, quint16 port, QObject *parent)
    : QObject(parent)
    , m_host(host)
    , m_port(port)
    , m_parser(HttpMessage::Kind::Response, limits())
{
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this,
            [this] { finish(false, QStringLiteral("no complete answer in time"), true); });
    connect(&m_socket, &QTcpSocket::connected, this, [this] {
        m_socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
        if (m_busy)
            writeRequest();
    });
    connect(&m_socket, &QTcpSocket::readyRead, this, &LocalHttpClient::onReadyRead);
    connect(&m_socket, &QTcpSocket::disconnected, this, [this] {
        m_mustReconnect = true;
        if (!m_busy)
            return;
        m_parser.finish(nowNs()); // an answer delimited by the close is complete now
        onReadyRead();
        if (m_busy)
            finish(false, QStringLiteral("the local build closed the connection"), false);
    });
    connect(&m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
        if (e == QAbstractSocket::RemoteHostClosedError)
            return; // handled by disconnected()
        m_mustReconnect = true;
        if (m_busy)
            finish(false, QStringLiteral("local error: ") + m_socket.errorString(), false);
    });
}

LocalHttpClient::~LocalHttpClient()
{
    m_socket.disconnect(this);
    m_socket.abort();
}

void LocalHttpClient::send(const QByteArray &request, const QByteArray &method, int timeoutMs)
{
    m_busy = true;
    m_request = request;
    m_method = method;
    m_timeout.start(timeoutMs);
    if (m_mustReconnect || m_socket.state() == QAbstractSocket::UnconnectedState) {
        m_mustReconnect = false;
        m_socket.abort();
        m_parser = HttpParser(HttpMessage::Kind::Response, limits());
        m_socket.connectToHost(m_host, m_port);
        return;
    }
    if (m_socket.state() == QAbstractSocket::ConnectedState)
        writeRequest();
}

void LocalHttpClient::writeRequest()
{
    m_parser.expectResponseTo(m_method);
    m_sentNs = nowNs();
    m_socket.write(m_request);
}

void LocalHttpClient::onReadyRead()
{
    const QByteArray bytes = m_socket.readAll();
    if (!bytes.isEmpty())
        m_parser.feed(reinterpret_cast<const std::uint8_t *>(bytes.constData()),
                      std::size_t(bytes.size()), nowNs());
    for (HttpMessage &m : m_parser.takeMessages()) {
        if (m.interim && m.isComplete())
            continue;
        if (!m_busy)
            continue; // nothing asked: an unsolicited answer is ignored
        const qint64 latency = std::max<qint64>(0, m.firstByteNs - m_sentNs);
        if (!m.isComplete()) {
            finish(false,
                   QStringLiteral("the local answer is incomplete (%1)")
                           .arg(QLatin1String(HttpMessage::incompleteName(m.incomplete))),
                   false);
            return;
        }
        const bool close = m.header("connection").toLower().contains("close")
                           || (m.versionMinor == 0
                               && !m.header("connection").toLower().contains("keep-alive"));
        m_mustReconnect = m_mustReconnect || close;
        m_busy = false;
        m_timeout.stop();
        Q_EMIT answered(m, latency);
        return;
    }
    if (m_busy && m_parser.isStopped())
        finish(false,
               QStringLiteral("the local answer is not valid HTTP/1.x: %1").arg(m_parser.error()),
               false);
}

void LocalHttpClient::finish(bool ok, const QString &why, bool timedOut)
{
    Q_UNUSED(ok)
    m_busy = false;
    m_timeout.stop();
    m_mustReconnect = true; // framing on this connection is unknown now
    m_socket.abort();
    Q_EMIT failed(why, timedOut);
}

} // namespace podtap
