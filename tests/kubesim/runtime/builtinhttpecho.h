#pragma once

#include <QHash>
#include <QObject>

class QTcpServer;
class QTcpSocket;

namespace kubesim {

// Fallback http-echo workload when podtap-trafficgen is not built: an HTTP/1.1 server living in
// kubesim's own process whose listening socket was created inside the pod's namespace. Answers
// every request with 200 and the request body (keep-alive honoured).
class BuiltinHttpEcho : public QObject
{
    Q_OBJECT
public:
    explicit BuiltinHttpEcho(QObject *parent = nullptr);
    ~BuiltinHttpEcho() override;

    bool listen(const QString &netns, quint16 port, QString *error);
    void close();

private:
    void onNewConnection();
    void onReadyRead(QTcpSocket *socket);

    QTcpServer *m_server = nullptr;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

} // namespace kubesim
