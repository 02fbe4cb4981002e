#pragma once

#include <QHash>
#include <QList>
#include <QObject>
#include <QPair>
#include <QTcpServer>

class QTcpSocket;

// An HTTP/2 (h2c, prior knowledge) server built on libnghttp2's server session that keeps
// every request (fields and body) and answers "200 ok N" to each, except: every
// `resetEvery`-th request of a connection gets RST_STREAM(INTERNAL_ERROR), every
// `silentEvery`-th no answer at all, and after `goawayAfter` requests a connection gets
// GOAWAY (NO_ERROR, last stream = that request's) and is closed. 0 turns each off. For
// testing what the replay client sends, and how it handles streams and connections the
// server ends.
class Http2TestServer : public QObject
{
    Q_OBJECT

public:
    struct Request
    {
        QList<QPair<QByteArray, QByteArray>> fields; // as received, pseudo-header fields too
        QByteArray body;
    };
    Http2TestServer(int resetEvery, int goawayAfter, int silentEvery = 0,
                    QObject *parent = nullptr);
    ~Http2TestServer() override;

    bool listen(); // on 127.0.0.1, any port
    quint16 port() const { return m_server.serverPort(); }
    int requests() const { return m_requests; }
    int resets() const { return m_resets; }
    int goaways() const { return m_goaways; }
    const QList<Request> &received() const { return m_received; }

private:
    struct Connection;
    void onNewConnection();

    QTcpServer m_server;
    int m_resetEvery;
    int m_goawayAfter;
    int m_silentEvery;
    QList<Request> m_received;
    int m_requests = 0;
    int m_resets = 0;
    int m_goaways = 0;
    QHash<QTcpSocket *, Connection *> m_connections;
};
