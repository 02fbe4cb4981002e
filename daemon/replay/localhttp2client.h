#pragma once

#include "http/httpexchange.h"

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPair>
#include <QTcpSocket>
#include <QTimer>

#include <deque>
#include <map>
#include <memory>
#include <vector>

struct nghttp2_session;

namespace podtap {

// One HTTP/2 connection to the local build (prior-knowledge h2c: the preface and SETTINGS,
// no Upgrade), many requests on it at once, framed by libnghttp2's client session (HPACK,
// flow control, SETTINGS). At most `maxStreams` requests are open at a time, fewer when the
// server's SETTINGS_MAX_CONCURRENT_STREAMS says so; nothing is sent before the server's
// SETTINGS arrived. Each answer becomes an HttpExchange like a captured HTTP/2 stream (the
// head as "name: value" lines with the pseudo-header fields, trailers, body counted, hashed
// and kept up to 1 MiB, the gRPC call decoded). A request fails with its reason when its
// stream is reset, when it is not answered in time, or when the connection breaks (GOAWAY,
// close, a protocol error): every stream in flight then fails with the same reason, and the
// next request opens a new connection.
class LocalHttp2Client : public QObject
{
    Q_OBJECT

public:
    struct Request
    {
        // In the order sent; pseudo-header fields (:method, :scheme, :authority, :path) first,
        // names lower case (RFC 9113 8.2.1).
        QList<QPair<QByteArray, QByteArray>> fields;
        QByteArray body;
    };
    static constexpr qint64 KeepBodyBytes = 1024 * 1024; // as the HTTP/1 client

    LocalHttp2Client(const QHostAddress &host, quint16 port, int maxStreams,
                     QObject *parent = nullptr);
    ~LocalHttp2Client() override;

    // Whether send() takes another request now: the connection is open (or will be opened by
    // send), its streams below the limit and no GOAWAY pending.
    bool canSend() const;
    int inFlight() const { return int(m_streams.size() + m_queued.size()); }
    // Returns the request's id (the answered / failed signals carry it).
    quint64 send(const Request &request, int timeoutMs);
    // Server's SETTINGS_MAX_CONCURRENT_STREAMS (0xffffffff = no limit), once known.
    quint32 peerMaxStreams() const { return m_peerMax; }
    quint64 connectionsOpened() const { return m_connections; }

Q_SIGNALS:
    // latencyNs: request submitted → first response header field.
    void answered(quint64 id, const podtap::HttpExchange &exchange, qint64 latencyNs);
    void failed(quint64 id, const QString &why, bool timedOut);
    // More requests can be sent (the server's SETTINGS arrived, or a stream ended).
    void ready();

private:
    struct Stream;
    struct Callbacks;
    friend struct Callbacks;

    void connectNow();
    void onConnected();
    void onReadyRead();
    void flush();
    void submitQueued();
    void submit(quint64 id);
    void failConnection(const QString &why);
    void finishStream(std::int32_t streamId, std::uint32_t errorCode);
    void timeOut(quint64 id);
    void deliver();
    void resetSession();
    Stream *streamById(std::int32_t streamId);

    QHostAddress m_host;
    quint16 m_port;
    int m_maxStreams;
    QTcpSocket m_socket;
    nghttp2_session *m_session = nullptr;
    bool m_settingsReceived = false;
    bool m_goaway = false;
    QString m_goawayReason;
    QString m_lastError; // nghttp2's last word on what the peer did wrong
    quint32 m_peerMax = 0xffffffffu;
    quint64 m_nextId = 1;
    quint64 m_connections = 0;
    // Requests by id: queued (connection not ready yet) or submitted (stream id known).
    std::map<quint64, std::unique_ptr<Stream>> m_requests;
    std::map<std::int32_t, quint64> m_streams; // stream id → request id
    std::deque<quint64> m_queued;              // request ids waiting for the connection
    // Outcomes found inside nghttp2's callbacks, signalled once it returned (a slot may send).
    struct Outcome
    {
        quint64 id = 0;
        bool ok = false;
        bool timedOut = false;
        HttpExchange exchange;
        qint64 latencyNs = 0;
        QString why;
    };
    std::vector<Outcome> m_outcomes;
    bool m_delivering = false;
};

} // namespace podtap
