#pragma once

#include <QByteArray>
#include <QObject>
#include <QTcpSocket>

#include <memory>

namespace podtap {

class Http2Connection;
class MirrorSink;

// One local TCP connection carrying one captured connection's inbound bytes.
class MirrorConnection : public QObject
{
    Q_OBJECT

public:
    MirrorConnection(MirrorSink *sink, quint64 captureId, QObject *parent);
    ~MirrorConnection() override;
    MirrorConnection(const MirrorConnection &) = delete;
    MirrorConnection &operator=(const MirrorConnection &) = delete;

    void connectTo(const QHostAddress &host, quint16 port);
    // Queues bytes; false when the local side is too far behind (the caller drops us).
    bool enqueue(const char *data, qint64 size, qint64 limit);
    // Hands what enqueue() collected to the socket in one write and pushes it to the kernel
    // as far as it goes without blocking (the sink calls it once per engine batch).
    void writeOut();
    // The captured stream ended: close once everything queued has been written.
    void finishGracefully();
    // The stream is HTTP/2 (call before its first bytes are written): both directions are
    // followed (frames only, no bodies kept) and the captured client's FIN waits until the
    // local side has ended every stream it was sent (at most LingerMs). An HTTP/2 server
    // closes the whole connection when its peer half-closes (gRPC: UNAVAILABLE "Socket
    // closed"), and the mirror's bytes arrive a little after the pod's client got its last
    // answer.
    void trackHttp2();
    // The captured stream ended without an end we saw: write what was captured, then RST
    // (a FIN would tell the local service the stream was complete).
    void finishWithReset(const QString &outcome);
    void resetNow(const QString &outcome = QStringLiteral("reset"));
    quint64 captureId() const { return m_captureId; }
    quint64 written() const { return m_written; }
    const QByteArray &response() const { return m_response; }
    qint64 queued() const;
    // The local side closed while the captured stream goes on.
    bool isLocalClosed() const { return m_localClosed && !m_ended; }
    // Ends it as "local-closed" (the caller goes on with a new connection).
    void endLocalClosed();

    // After our FIN, how long the local side may keep answering.
    static constexpr int LingerMs = 10000;

private:
    void flush();
    void halfClose();
    void closeWritten(); // everything is written: FIN, or RST after finishWithReset()
    // closeWritten(), once an HTTP/2 local side has answered every stream (trackHttp2()).
    void closeWhenAnswered();
    void end(const QString &outcome);

    MirrorSink *m_sink;
    quint64 m_captureId;
    QTcpSocket m_socket;
    QByteArray m_pending; // bytes waiting for the connect, or for the next writeOut()
    QByteArray m_response;
    quint64 m_written = 0;
    bool m_connected = false;
    bool m_closing = false;
    bool m_halfClosed = false;
    bool m_aborting = false; // we are closing it: its signals name no outcome
    bool m_ended = false;
    bool m_markedDirty = false;
    bool m_resetAtEnd = false;
    bool m_localClosed = false; // the local side closed first; the capture names the outcome
    QString m_endOutcome;       // queued in the sink's list for writeOut()
    std::unique_ptr<Http2Connection> m_h2; // trackHttp2(): the local conversation's streams
    bool m_holdingFin = false;             // the FIN waits for the local answers
    bool m_holdExpired = false;
};

} // namespace podtap
