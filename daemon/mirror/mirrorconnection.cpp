#include "mirrorconnection.h"

#include "mirrorsink.h"

#include "http2/http2connection.h"

#include <QTimer>

#include <sys/socket.h>

namespace podtap {

MirrorConnection::MirrorConnection(MirrorSink *sink, quint64 captureId, QObject *parent)
    : QObject(parent)
    , m_sink(sink)
    , m_captureId(captureId)
{
    connect(&m_socket, &QTcpSocket::connected, this, [this] {
        m_connected = true;
        // Requests are small and latency matters: no Nagle. (Qt ignores the option when
        // it is set before the socket exists, so it is set here.)
        m_socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
        flush();
    });
    connect(&m_socket, &QTcpSocket::bytesWritten, this, [this](qint64 n) {
        m_written += quint64(n);
        m_sink->m_stats.bytesMirrored += quint64(n);
        if (m_closing && m_socket.bytesToWrite() == 0 && m_pending.isEmpty())
            closeWhenAnswered();
    });
    connect(&m_socket, &QTcpSocket::readyRead, this, [this] {
        const QByteArray b = m_socket.readAll();
        m_sink->m_stats.responseBytes += quint64(b.size());
        m_sink->readBack(this, b);
        if (m_h2) {
            m_h2->serverData(reinterpret_cast<const std::uint8_t *>(b.constData()),
                             std::size_t(b.size()), 0);
            m_h2->takeExchanges(); // only the open streams matter here
            if (m_holdingFin)
                closeWhenAnswered();
        }
        const qint64 room = m_sink->m_options.keepResponseBytes - m_response.size();
        if (room > 0)
            m_response.append(b.left(room));
    });
    connect(&m_socket, &QTcpSocket::disconnected, this, [this] {
        if (m_aborting)
            return; // our own abort(): the caller names the outcome
        if (m_halfClosed) {
            end(QStringLiteral("completed"));
            return;
        }
        // The local side closed before the captured client finished. A server honouring
        // "Connection: close" does exactly that, right after its answer and before the
        // client's FIN: the capture decides. The client finishing with nothing left to
        // write is a complete stream; more bytes for the closed socket are not.
        m_localClosed = true;
        if (!m_pending.isEmpty() || m_closing)
            end(QStringLiteral("local-closed"));
    });
    connect(&m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
        if (m_aborting)
            return;
        if (e == QAbstractSocket::RemoteHostClosedError)
            return; // an orderly close, no error: `disconnected` follows and names the outcome
        end(QStringLiteral("local-error: ") + m_socket.errorString());
    });
}

MirrorConnection::~MirrorConnection()
{
    m_socket.disconnect(this);
    m_socket.abort();
}

void MirrorConnection::connectTo(const QHostAddress &host, quint16 port)
{
    m_socket.connectToHost(host, port);
}

qint64 MirrorConnection::queued() const
{
    return m_pending.size() + m_socket.bytesToWrite();
}

bool MirrorConnection::enqueue(const char *data, qint64 size, qint64 limit)
{
    if (m_ended)
        return true;
    if (m_localClosed) {
        end(QStringLiteral("local-closed")); // bytes the local side can no longer get
        return true;
    }
    if (queued() + size > limit)
        return false;
    // Segments collect here and reach the socket as one write per engine batch
    // (writeOut): one QTcpSocket::write per segment leaves Qt draining one 1.4 kB block per
    // event-loop pass, far behind a bulk stream (measured: 32 kB per pass).
    m_pending.append(data, size);
    if (m_connected && !m_markedDirty) {
        m_markedDirty = true;
        m_sink->markDirty(this);
    }
    return true;
}

void MirrorConnection::writeOut()
{
    m_markedDirty = false;
    if (!m_connected || m_ended)
        return;
    if (!m_pending.isEmpty()) {
        m_sink->wrote(this, m_pending);
        if (m_h2) {
            m_h2->clientData(reinterpret_cast<const std::uint8_t *>(m_pending.constData()),
                             std::size_t(m_pending.size()), 0);
            m_h2->takeExchanges();
        }
        m_socket.write(m_pending);
        m_pending.clear();
    }
    // Everything the kernel takes now; the rest goes on the write notifier.
    while (m_socket.bytesToWrite() > 0 && m_socket.flush()) {
    }
}

void MirrorConnection::flush()
{
    writeOut();
    if (m_closing && m_socket.bytesToWrite() == 0 && m_pending.isEmpty())
        closeWhenAnswered();
}

void MirrorConnection::trackHttp2()
{
    HttpParser::Limits limits;
    limits.keepBodyBytes = 0; // frames and streams only
    m_h2 = std::make_unique<Http2Connection>(limits);
}

void MirrorConnection::closeWhenAnswered()
{
    if (m_ended || m_halfClosed)
        return;
    if (!m_resetAtEnd && m_h2 && !m_holdExpired && m_h2->state() == Http2Connection::State::Decoding
        && m_h2->openStreams() > 0) {
        if (!m_holdingFin) {
            m_holdingFin = true;
            QTimer::singleShot(LingerMs, this, [this] {
                m_holdExpired = true; // a stream the local side never ends: FIN anyway
                closeWhenAnswered();
            });
        }
        return;
    }
    closeWritten();
}

void MirrorConnection::closeWritten()
{
    if (m_resetAtEnd)
        resetNow(m_endOutcome);
    else
        halfClose();
}

void MirrorConnection::finishWithReset(const QString &outcome)
{
    m_resetAtEnd = true;
    m_endOutcome = outcome;
    finishGracefully();
}

void MirrorConnection::halfClose()
{
    if (m_halfClosed)
        return;
    m_halfClosed = true;
    // Mirror the client's FIN as a FIN (SHUT_WR), not a full close: the local service may
    // still be answering, and its answer is what a comparison needs.
    ::shutdown(int(m_socket.socketDescriptor()), SHUT_WR);
    QTimer::singleShot(LingerMs, this, [this] {
        m_aborting = true;
        m_socket.abort();
        end(QStringLiteral("completed"));
    });
}

void MirrorConnection::finishGracefully()
{
    m_closing = true;
    if (m_localClosed) { // it closed first and got every byte: both sides are done
        end(m_resetAtEnd ? m_endOutcome : QStringLiteral("completed"));
        return;
    }
    if (m_connected)
        flush();
}

void MirrorConnection::resetNow(const QString &outcome)
{
    // A truncated or reset stream must not look complete to the local service: RST, not
    // FIN (abort() alone closes the descriptor, and the kernel sends a FIN).
    if (const int fd = int(m_socket.socketDescriptor()); fd >= 0) {
        const linger hard{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    }
    // abort() emits disconnected() at once: without this, a gap, reset or unfinished stream
    // was reported as "local-closed" (and a gap counted twice).
    m_aborting = true;
    m_socket.abort();
    end(outcome);
}

void MirrorConnection::endLocalClosed()
{
    m_aborting = true;
    m_socket.abort();
    end(QStringLiteral("local-closed"));
}

void MirrorConnection::end(const QString &outcome)
{
    if (m_ended)
        return;
    m_ended = true;
    m_sink->finished(this, outcome);
}

} // namespace podtap
