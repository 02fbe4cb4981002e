#include "execstream.h"

#include "tlsservername.h"

#include <QWebSocketHandshakeOptions>

namespace podtap {

namespace {
// Above this much pending stdout, hand it on at once rather than after the read.
constexpr qsizetype MaxPendingStdout = 1024 * 1024;
constexpr char ChannelStdout = 1;
constexpr char ChannelStderr = 2;
constexpr char ChannelStatus = 3;
} // namespace

ExecStream::ExecStream(KubeApiClient *api, QObject *parent)
    : QObject(parent)
    , m_api(api)
{
    connect(&m_socket, &QWebSocket::binaryMessageReceived, this, &ExecStream::onBinary);
    connect(&m_socket, &QWebSocket::disconnected, this, &ExecStream::onDisconnected);
    connect(&m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            &ExecStream::onError);
    connect(&m_socket, &QWebSocket::connected, this, [this] {
        m_protocol = m_socket.subprotocol();
        m_sincePong.start();
        m_pingTimer.start(m_pingIntervalMs);
        Q_EMIT opened(m_protocol);
    });
    connect(&m_socket, &QWebSocket::pong, this, [this] { m_sincePong.restart(); });
    // The kubeconfig's tls-server-name, which QWebSocket does not apply (see TlsServerName).
    connect(&m_socket, &QWebSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
        const QString name = m_api->access().cluster().tlsServerName;
        // A HostNameMismatch error carries the peer's certificate.
        if (TlsServerName::onlyMismatchResolvedBy(errors, errors.value(0).certificate(), name))
            m_socket.ignoreSslErrors(errors);
    });
    connect(&m_pingTimer, &QTimer::timeout, this, &ExecStream::onPingTimer);
}

ExecStream::~ExecStream()
{
    m_socket.disconnect(this);
    m_socket.abort();
}

QUrl ExecStream::execUrl(const KubeApiClient &api, const QString &ns, const QString &pod,
                         const QString &container, const QStringList &argv)
{
    QUrlQuery q;
    for (const QString &a : argv)
        q.addQueryItem(QStringLiteral("command"), QString::fromLatin1(QUrl::toPercentEncoding(a)));
    if (!container.isEmpty())
        q.addQueryItem(QStringLiteral("container"), container);
    q.addQueryItem(QStringLiteral("stderr"), QStringLiteral("true"));
    q.addQueryItem(QStringLiteral("stdout"), QStringLiteral("true"));
    QUrl url = api.urlFor(QStringLiteral("/api/v1/namespaces/%1/pods/%2/exec").arg(ns, pod), {});
    url.setQuery(q.query(QUrl::FullyEncoded), QUrl::StrictMode);
    url.setScheme(url.scheme() == QLatin1String("https") ? QStringLiteral("wss")
                                                         : QStringLiteral("ws"));
    return url;
}

void ExecStream::start(const QString &ns, const QString &pod, const QString &container,
                       const QStringList &argv)
{
    m_running = true;
    // The request waits here while an exec credential plugin runs; abort() meanwhile ends it.
    m_api->prepare(QString(), {}, this, [=, this](const Result<QNetworkRequest> &req) {
        if (m_finished)
            return;
        if (!req) {
            finish({false, -1, false, req.error()});
            return;
        }
        QNetworkRequest ws = req.value();
        ws.setUrl(execUrl(*m_api, ns, pod, container, argv));
        ws.setRawHeader("Accept", QByteArray()); // not part of the upgrade kubectl sends
        m_socket.setSslConfiguration(ws.sslConfiguration());
        m_socket.setProxy(m_api->proxy()); // the REST requests' route (kubeconfig proxy-url)
        QWebSocketHandshakeOptions options;
        // v5 adds the CLOSE signal; v4 is what legacy kubelet paths speak.
        options.setSubprotocols(
                {QStringLiteral("v5.channel.k8s.io"), QStringLiteral("v4.channel.k8s.io")});
        m_socket.setMaxAllowedIncomingMessageSize(64 * 1024 * 1024);
        m_socket.open(ws, options);
    });
}

void ExecStream::abort()
{
    if (m_finished)
        return;
    abortWith({false, -1, false, QStringLiteral("stopped")});
}

void ExecStream::abortWith(const Outcome &outcome)
{
    // QWebSocket::abort() emits disconnected() at once: without this, onDisconnected()
    // would report "ended without a status" and our outcome (a stall, a stop) would be lost.
    m_socket.disconnect(this);
    m_socket.abort();
    finish(outcome);
}

void ExecStream::onBinary(const QByteArray &message)
{
    // Anything from the server proves the stream alive, and no ping is sent while data flows
    // (onPingTimer): a ping sent while we still have output unread can reach the server after
    // it closed the connection behind its status (the apiserver closes at once); its kernel
    // answers with RST, and ours then drops every byte we had not read yet, the tail of the
    // capture (podtap-bench-exec with a slow consumer lost megabytes that way).
    m_sincePong.restart();
    m_sinceData.restart();
    if (message.isEmpty())
        return;
    const char channel = message.at(0);
    const QByteArrayView payload = QByteArrayView(message).sliced(1);
    switch (channel) {
    case ChannelStdout:
        if (!payload.isEmpty()) {
            m_stdoutBytes += payload.size();
            if (m_stdoutPending.isEmpty())
                m_stdoutPending = message.sliced(1);
            else
                m_stdoutPending.append(payload);
            if (m_stdoutPending.size() >= MaxPendingStdout) {
                flushStdout();
            } else if (!m_flushQueued) {
                // Runs once QWebSocket has parsed every message of this read.
                m_flushQueued = true;
                QMetaObject::invokeMethod(this, &ExecStream::flushStdout, Qt::QueuedConnection);
            }
        }
        break;
    case ChannelStderr: {
        flushStdout(); // tcpdump's lines (its final counts) follow the packets it wrote
        m_stderrPartial.append(payload);
        qsizetype nl;
        while ((nl = m_stderrPartial.indexOf('\n')) >= 0) {
            Q_EMIT stderrLine(QString::fromUtf8(m_stderrPartial.left(nl)).trimmed());
            m_stderrPartial.remove(0, nl + 1);
        }
        if (m_stderrPartial.size() > 64 * 1024) { // a line without end: emit what we have
            Q_EMIT stderrLine(QString::fromUtf8(m_stderrPartial));
            m_stderrPartial.clear();
        }
        break;
    }
    case ChannelStatus:
        m_statusSeen = true;
        if (m_status.size() < 1024 * 1024)
            m_status.append(payload);
        break;
    default:
        break; // unknown channels are ignored, as client-go does
    }
}

void ExecStream::flushStdout()
{
    m_flushQueued = false;
    if (m_stdoutPending.isEmpty())
        return;
    QByteArray out;
    out.swap(m_stdoutPending);
    Q_EMIT stdoutData(out);
}

void ExecStream::onPingTimer()
{
    if (m_sincePong.isValid() && m_sincePong.elapsed() > m_deadAfterMs) {
        abortWith({false, -1, true,
                   QStringLiteral("the exec stream stalled: no answer to pings for %1 s")
                           .arg(m_deadAfterMs / 1000)});
        return;
    }
    if (!m_sinceData.isValid() || m_sinceData.elapsed() >= m_pingIntervalMs)
        m_socket.ping();
}

void ExecStream::onError(QAbstractSocket::SocketError)
{
    m_errorText = m_socket.errorString();
    if (m_socket.state() == QAbstractSocket::UnconnectedState && m_protocol.isEmpty())
        finish({false, -1, false,
                QStringLiteral("the exec request was refused: %1").arg(m_errorText)});
}

void ExecStream::onDisconnected()
{
    flushStdout();
    if (!m_statusSeen) {
        if (!m_stderrPartial.isEmpty())
            Q_EMIT stderrLine(QString::fromUtf8(m_stderrPartial));
        finish({false, -1, true,
                QStringLiteral("the exec stream ended without a status (%1)")
                        .arg(m_errorText.isEmpty() ? QStringLiteral("connection closed")
                                                   : m_errorText)});
        return;
    }
    if (m_status.trimmed().isEmpty()) {
        finish({true, 0, false, QString()});
        return;
    }
    const KubeStatus s = KubeStatus::fromBody(0, m_status);
    if (s.status == QLatin1String("Success"))
        finish({true, 0, false, QString()});
    else
        finish({false, s.exitCode(), false, s.message});
}

void ExecStream::finish(const Outcome &outcome)
{
    if (m_finished)
        return;
    flushStdout(); // what arrived before the end is delivered before it
    m_finished = true;
    m_running = false;
    m_pingTimer.stop();
    Q_EMIT finished(outcome);
}

} // namespace podtap
