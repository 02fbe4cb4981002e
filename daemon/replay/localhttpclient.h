#pragma once

#include "http/httpparser.h"

#include <QHostAddress>
#include <QObject>
#include <QTcpSocket>
#include <QTimer>

namespace podtap {

// One keep-alive HTTP/1.1 connection to the local build, one request at a time (HTTP
// replay). Reconnects when the server closed; a request that gets no complete answer within
// the timeout fails, and the connection is dropped (its framing is unknown from then on).
class LocalHttpClient : public QObject
{
    Q_OBJECT

public:
    LocalHttpClient(const QHostAddress &host, quint16 port, QObject *parent = nullptr);
    ~LocalHttpClient() override;

    bool isBusy() const { return m_busy; }
    // `method` tells the parser whether the answer can have a body (HEAD).
    void send(const QByteArray &request, const QByteArray &method, int timeoutMs);

Q_SIGNALS:
    // A complete answer; latency = request written → first answer byte.
    void answered(const podtap::HttpMessage &response, qint64 latencyNs);
    void failed(const QString &why, bool timedOut);

private:
    void writeRequest();
    void finish(bool ok, const QString &why, bool timedOut);
    void onReadyRead();

    QHostAddress m_host;
    quint16 m_port;
    QTcpSocket m_socket;
    QTimer m_timeout;
    HttpParser m_parser{HttpMessage::Kind::Response};
    QByteArray m_request;
    QByteArray m_method;
    qint64 m_sentNs = 0;
    bool m_busy = false;
    bool m_mustReconnect = false;
};

} // namespace podtap
