#pragma once

#include <QHash>
#include <QObject>
#include <QTcpServer>

class QTcpSocket;

// An HTTP/2 (h2c, prior knowledge) server built on libnghttp2's server session that answers
// "200 ok N" to each request except: every `resetEvery`-th request of a connection gets
// RST_STREAM(INTERNAL_ERROR), and after `goawayAfter` requests a connection gets GOAWAY
// (NO_ERROR, last stream = that request's) and is closed. 0 turns either off. For testing
// the replay client's handling of streams and connections the server ends.
class MisbehavingHttp2Server : public QObject
{
    Q_OBJECT

public:
    MisbehavingHttp2Server(int resetEvery, int goawayAfter, QObject *parent = nullptr);
    ~MisbehavingHttp2Server() override;

    bool listen(); // on 127.0.0.1, any port
    quint16 port() const { return m_server.serverPort(); }
    int requests() const { return m_requests; }
    int resets() const { return m_resets; }
    int goaways() const { return m_goaways; }

private:
    struct Connection;
    void onNewConnection();

    QTcpServer m_server;
    int m_resetEvery;
    int m_goawayAfter;
    int m_requests = 0;
    int m_resets = 0;
    int m_goaways = 0;
    QHash<QTcpSocket *, Connection *> m_connections;
};
