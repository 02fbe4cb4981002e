#include "httpconnection.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QLocale>
#include <QSslSocket>
#include <QTimer>
#include <QUuid>

namespace kubesim {

HttpConnection::HttpConnection(QSslSocket *socket, QObject *parent)
    : QObject(parent)
    , m_socket(socket)
{
    socket->setParent(this);
    connect(socket, &QSslSocket::readyRead, this, &HttpConnection::onReadyRead);
    connect(socket, &QSslSocket::disconnected, this, [this] {
        if (m_detached)
            return;
        Q_EMIT closed(this);
        deleteLater();
    });
    QTimer::singleShot(0, this, &HttpConnection::onReadyRead);
}

HttpConnection::~HttpConnection() = default;

QByteArray HttpConnection::reasonPhrase(int code)
{
    switch (code) {
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 413:
        return "Request Entity Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

void HttpConnection::onReadyRead()
{
    while (m_socket && !m_busy && !m_detached) {
        const auto state = m_parser.advance(m_socket);
        if (state == HttpRequestParser::State::Error) {
            m_keepAlive = false;
            m_busy = true;
            const QJsonObject st{{QStringLiteral("kind"), QStringLiteral("Status")},
                                 {QStringLiteral("apiVersion"), QStringLiteral("v1")},
                                 {QStringLiteral("metadata"), QJsonObject()},
                                 {QStringLiteral("status"), QStringLiteral("Failure")},
                                 {QStringLiteral("message"), m_parser.errorText()},
                                 {QStringLiteral("reason"), QStringLiteral("BadRequest")},
                                 {QStringLiteral("code"), m_parser.errorStatus()}};
            sendJson(m_parser.errorStatus(), st);
            return;
        }
        if (state != HttpRequestParser::State::Complete)
            return;
        const HttpRequest req = m_parser.takeRequest();
        m_keepAlive = req.keepAlive();
        m_busy = true;
        Q_EMIT requestReceived(this, req);
    }
}

QByteArray HttpConnection::headerBlock(int code,
                                       const QList<QPair<QByteArray, QByteArray>> &headers) const
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(code) + ' ' + reasonPhrase(code) + "\r\n";
    out += "Audit-Id: " + QUuid::createUuid().toByteArray(QUuid::WithoutBraces) + "\r\n";
    out += "Cache-Control: no-cache, private\r\n";
    out += "Date: "
           + QLocale::c()
                     .toString(QDateTime::currentDateTimeUtc(),
                               QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'"))
                     .toLatin1()
           + "\r\n";
    for (const auto &h : headers)
        out += h.first + ": " + h.second + "\r\n";
    if (!m_keepAlive)
        out += "Connection: close\r\n";
    return out + "\r\n";
}

void HttpConnection::sendResponse(int code, const QByteArray &contentType, const QByteArray &body,
                                  const QList<QPair<QByteArray, QByteArray>> &extraHeaders)
{
    if (!m_socket || m_detached)
        return;
    QList<QPair<QByteArray, QByteArray>> headers = extraHeaders;
    if (!contentType.isEmpty())
        headers.append({"Content-Type", contentType});
    headers.append({"Content-Length", QByteArray::number(body.size())});
    m_socket->write(headerBlock(code, headers) + body);
    finishResponse();
}

void HttpConnection::sendJson(int code, const QJsonObject &body,
                              const QList<QPair<QByteArray, QByteArray>> &extraHeaders)
{
    sendResponse(code, "application/json",
                 QJsonDocument(body).toJson(QJsonDocument::Compact) + '\n', extraHeaders);
}

void HttpConnection::sendEmpty(int code)
{
    sendResponse(code, QByteArray(), QByteArray());
}

void HttpConnection::startChunked(int code, const QByteArray &contentType)
{
    if (!m_socket)
        return;
    m_streaming = true;
    m_socket->write(
            headerBlock(code, {{"Content-Type", contentType}, {"Transfer-Encoding", "chunked"}}));
    m_socket->flush();
}

void HttpConnection::writeChunk(const QByteArray &data)
{
    if (!m_socket || !m_streaming || data.isEmpty())
        return;
    m_socket->write(QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n");
    m_socket->flush();
}

void HttpConnection::endChunked()
{
    if (!m_socket || !m_streaming)
        return;
    m_streaming = false;
    m_socket->write("0\r\n\r\n");
    finishResponse();
}

void HttpConnection::finishResponse()
{
    m_busy = false;
    if (!m_keepAlive) {
        m_socket->disconnectFromHost();
        return;
    }
    QTimer::singleShot(0, this, &HttpConnection::onReadyRead);
}

QSslSocket *HttpConnection::detachSocket()
{
    m_detached = true;
    QSslSocket *s = m_socket;
    if (s) {
        disconnect(s, nullptr, this, nullptr);
        s->setParent(nullptr);
    }
    m_socket = nullptr;
    deleteLater();
    return s;
}

} // namespace kubesim
