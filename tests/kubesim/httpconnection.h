#pragma once

#include "httprequest.h"
#include "httprequestparser.h"

#include <QByteArray>
#include <QJsonObject>
#include <QObject>
#include <QPointer>

#include <QSslSocket>

namespace kubesim {

// One keep-alive HTTP/1.1 connection over TLS. Requests are handled one at a time: while a
// response is outstanding (a delayed answer, a watch stream) further bytes stay unread in the
// socket. A handler answers with sendResponse()/sendJson() or a chunked stream, or takes the
// socket over for an upgrade with detachSocket().
class HttpConnection : public QObject
{
    Q_OBJECT
public:
    explicit HttpConnection(QSslSocket *socket, QObject *parent = nullptr);
    ~HttpConnection() override;

    QSslSocket *socket() const { return m_socket; }
    void sendResponse(int code, const QByteArray &contentType, const QByteArray &body,
                      const QList<QPair<QByteArray, QByteArray>> &extraHeaders = {});
    void sendJson(int code, const QJsonObject &body,
                  const QList<QPair<QByteArray, QByteArray>> &extraHeaders = {});
    void sendEmpty(int code);

    void startChunked(int code, const QByteArray &contentType);
    void writeChunk(const QByteArray &data);
    void endChunked();
    bool isStreaming() const { return m_streaming; }

    // Hands the socket to someone else; this object deletes itself later.
    QSslSocket *detachSocket();

    static QByteArray reasonPhrase(int code);

Q_SIGNALS:
    void requestReceived(kubesim::HttpConnection *connection, const kubesim::HttpRequest &request);
    void closed(kubesim::HttpConnection *connection);

private:
    void onReadyRead();
    void finishResponse();
    QByteArray headerBlock(int code, const QList<QPair<QByteArray, QByteArray>> &headers) const;

    QPointer<QSslSocket> m_socket;
    HttpRequestParser m_parser;
    bool m_busy = false;
    bool m_keepAlive = true;
    bool m_streaming = false;
    bool m_detached = false;
};

} // namespace kubesim
