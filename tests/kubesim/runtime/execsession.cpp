#include "execsession.h"

#include "capabilityexec.h"
#include "childprocess.h"
#include "pcapdropfilter.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QTcpSocket>
#include <QTimer>

namespace kubesim {

Q_LOGGING_CATEGORY(lcExec, "kubesim.exec")

namespace {

constexpr qint64 HighWater = 256 * 1024; // pause the command's output above this much unsent
constexpr qint64 LowWater = 64 * 1024;
constexpr qint64 MaxStdinBacklog = 1024 * 1024;
constexpr qint64 MaxMessageSize = 1024 * 1024;

// A JSON string literal as Go's encoding/json writes it (quotes included).
QByteArray jsonString(const QString &s)
{
    QByteArray a = QJsonDocument(QJsonArray{s}).toJson(QJsonDocument::Compact);
    return a.mid(1, a.size() - 2);
}

bool isTrueToken(const QByteArray &value, const QByteArray &token)
{
    const QList<QByteArray> parts = value.split(',');
    for (const QByteArray &p : parts)
        if (p.trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    return false;
}

} // namespace

ExecSession::ExecSession(QTcpSocket *socket, const ExecRequest &request, const Context &context,
                         QObject *parent)
    : QObject(parent)
    , m_socket(socket)
    , m_request(request)
    , m_context(context)
    , m_codec(MaxMessageSize, true)
{
    socket->setParent(this);
    // Bounded: Qt stops reading from the kernel when this much is buffered, so a client that
    // floods stdin (or a stalled session) pushes back through TCP.
    socket->setReadBufferSize(64 * 1024);
    connect(socket, &QTcpSocket::disconnected, this, &ExecSession::end);
}

ExecSession::~ExecSession() = default;

ExecSession::Protocol ExecSession::negotiate(const QList<QByteArray> &offered, QByteArray *chosen)
{
    if (offered.contains(QByteArrayLiteral("v5.channel.k8s.io"))) {
        *chosen = QByteArrayLiteral("v5.channel.k8s.io");
        return Protocol::V5;
    }
    if (offered.isEmpty()) {
        chosen->clear();
        return Protocol::V1; // the kubelet's "" = binary channel.k8s.io
    }
    for (const QByteArray &p : offered) {
        *chosen = p;
        if (p == "v4.channel.k8s.io")
            return Protocol::V4;
        if (p == "v4.base64.channel.k8s.io")
            return Protocol::V4Base64;
        if (p == "channel.k8s.io")
            return Protocol::V1;
        if (p == "base64.channel.k8s.io")
            return Protocol::V1Base64;
    }
    chosen->clear();
    return Protocol::None;
}

QByteArray ExecSession::successStatus()
{
    return QByteArrayLiteral(R"({"metadata":{},"status":"Success"})");
}

QByteArray ExecSession::exitCodeStatus(int code)
{
    const QByteArray c = QByteArray::number(code);
    return QByteArrayLiteral(
                   R"({"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: command terminated with exit code )")
           + c
           + QByteArrayLiteral(
                   R"(","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":")")
           + c + QByteArrayLiteral(R"("}]}})");
}

QByteArray ExecSession::internalErrorStatus(const QString &error)
{
    return QByteArrayLiteral(R"({"metadata":{},"status":"Failure","message":)")
           + jsonString(QStringLiteral("Internal error occurred: ") + error)
           + QByteArrayLiteral(R"(,"reason":"InternalError","details":{"causes":[{"message":)")
           + jsonString(error) + QByteArrayLiteral(R"(}]},"code":500})");
}

void ExecSession::rejectHttp(const QByteArray &statusLine, const QByteArray &extraHeaders,
                             const QByteArray &body)
{
    // golang.org/x/net/websocket writes only the status line and a blank line, then closes.
    QByteArray response = QByteArrayLiteral("HTTP/1.1 ") + statusLine + "\r\n" + extraHeaders;
    if (!body.isEmpty())
        response += QByteArrayLiteral("Content-Type: text/plain; charset=utf-8\r\nContent-Length: ")
                    + QByteArray::number(body.size()) + "\r\n";
    response += "\r\n" + body;
    m_socket->write(response);
    end();
}

void ExecSession::start(const QByteArray &method,
                        const QList<QPair<QByteArray, QByteArray>> &headers)
{
    QByteArray upgrade, connection, version, key;
    QList<QByteArray> offered;
    for (const auto &h : headers) {
        const QByteArray name = h.first.toLower();
        if (name == "upgrade")
            upgrade = h.second;
        else if (name == "connection")
            connection += "," + h.second;
        else if (name == "sec-websocket-version")
            version = h.second.trimmed();
        else if (name == "sec-websocket-key")
            key = h.second.trimmed();
        else if (name == "sec-websocket-protocol") {
            const QList<QByteArray> parts = h.second.split(',');
            for (const QByteArray &p : parts)
                if (!p.trimmed().isEmpty())
                    offered << p.trimmed();
        }
    }
    if (method != "GET" || !isTrueToken(upgrade, "websocket") || !isTrueToken(connection, "upgrade")
        || key.isEmpty()) {
        rejectHttp("400 Bad Request", {},
                   "kubesim serves exec over WebSocket only (GET with Upgrade: websocket); "
                   "SPDY is not emulated\n");
        return;
    }
    if (version != "13") {
        rejectHttp("400 Bad Request", "Sec-WebSocket-Version: 13\r\n", {});
        return;
    }
    QByteArray chosen;
    m_protocol = negotiate(offered, &chosen);
    if (m_protocol == Protocol::None) {
        rejectHttp("403 Forbidden", {}, {});
        return;
    }

    QByteArray response = QByteArrayLiteral("HTTP/1.1 101 Switching Protocols\r\n"
                                            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                            "Sec-WebSocket-Accept: ")
                          + WebSocketCodec::acceptKey(key) + "\r\n";
    if (!chosen.isEmpty())
        response += "Sec-WebSocket-Protocol: " + chosen + "\r\n";
    response += "\r\n";
    m_socket->write(response); // the 101 is not counted by the cut fault
    m_upgraded = true;

    connect(m_socket, &QTcpSocket::readyRead, this, &ExecSession::onReadyRead);
    connect(m_socket, &QTcpSocket::bytesWritten, this, &ExecSession::updateBackPressure);
    if (m_context.fault.cutAfterMs >= 0)
        QTimer::singleShot(m_context.fault.cutAfterMs, this, &ExecSession::cutNow);

    // "Send an empty message to the lowest writable channel" = ready.
    sendChannel(m_request.stdoutEnabled ? 1 : (m_request.stderrEnabled ? 2 : 3), {});
    if (m_context.fault.stall) {
        m_stalled = true;
        qCInfo(lcExec) << "exec session stalled by fault knob" << m_request.pod;
    }

    if (!m_context.error.isEmpty() || m_context.netnsPath.isEmpty()) {
        const QString e
                = m_context.error.isEmpty() ? QStringLiteral("no pod namespace") : m_context.error;
        finishWithStatus(internalErrorStatus(e), e);
        return;
    }
    if (m_context.emulate) {
        if (const auto code = m_context.emulate(m_request.argv)) {
            onExit(*code);
            return;
        }
    }
    QString error;
    if (m_request.argv.isEmpty()
        || ChildProcess::findExecutable(m_request.argv.first()).isEmpty()) {
        // What containerd says when the binary is missing, wrapped as the apiserver does.
        const QString msg
                = QStringLiteral("error executing command in container: failed to exec in "
                                 "container: OCI runtime exec failed: exec failed: unable "
                                 "to start container process: exec: \"%1\": executable "
                                 "file not found in $PATH: unknown")
                          .arg(m_request.argv.value(0));
        finishWithStatus(internalErrorStatus(msg), msg);
        return;
    }
    // The kubelet never starts a container that breaks runAsNonRoot (CreateContainerConfigError);
    // an exec into it fails with the same reason. format.Pod gives "name_namespace(uid)".
    if (const QString refused = CapabilityExec::verifyRunAsNonRoot(
                m_request.image, m_request.security,
                m_request.pod + QLatin1Char('_') + m_request.ns, m_request.container);
        !refused.isEmpty()) {
        finishWithStatus(internalErrorStatus(refused), refused);
        return;
    }
    const auto argv
            = CapabilityExec::wrap(m_request.image, m_request.security, m_request.argv, &error);
    if (!argv) {
        finishWithStatus(internalErrorStatus(error), error);
        return;
    }
    ChildProcess::Options options;
    options.argv = *argv;
    options.netnsPath = m_context.netnsPath;
    options.privateSysfs = true;
    options.pipeStdin = m_request.stdinEnabled;
    options.pipeStdout = m_request.stdoutEnabled || m_request.tty;
    options.pipeStderr = m_request.stderrEnabled && !m_request.tty;
    options.stderrToStdout = m_request.tty; // no pty: a tty session gets both streams merged
    options.environment
            = {QStringLiteral("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
               QStringLiteral("HOSTNAME=") + m_context.hostname, QStringLiteral("HOME=/root")};
    if (m_request.tty)
        options.environment << QStringLiteral("TERM=xterm");
    m_child = new ChildProcess(this);
    if (m_context.fault.dropPackets.enabled()
        && QFileInfo(m_request.argv.first()).fileName() == QLatin1String("tcpdump")) {
        m_dropFilter = std::make_unique<PcapDropFilter>(m_context.fault.dropPackets);
        qCInfo(lcExec) << "exec session drops captured packets by fault knob" << m_request.pod;
    }
    connect(m_child, &ChildProcess::stdoutData, this, [this](const QByteArray &d) {
        if (!m_dropFilter) {
            sendChannel(1, d);
        } else if (const QByteArray kept = m_dropFilter->filter(d); !kept.isEmpty()) {
            sendChannel(1, kept);
        }
    });
    connect(m_child, &ChildProcess::stderrData, this,
            [this](const QByteArray &d) { sendChannel(2, d); });
    connect(m_child, &ChildProcess::finished, this, &ExecSession::onChildFinished);
    if (!m_child->start(options, &error)) {
        // What containerd says when the binary is missing, wrapped as the apiserver does.
        const QString msg
                = QStringLiteral("error executing command in container: failed to exec in "
                                 "container: OCI runtime exec failed: exec failed: unable "
                                 "to start container process: %1: unknown")
                          .arg(error);
        finishWithStatus(internalErrorStatus(msg), msg);
        return;
    }
    Q_EMIT processStarted(m_child);
    if (m_stalled)
        m_child->setOutputPaused(true);
    onReadyRead(); // bytes the client sent right behind the request
}

void ExecSession::onReadyRead()
{
    if (!m_socket || m_stalled || m_cut || m_ended)
        return;
    if (m_child && m_child->pendingStdin() > MaxStdinBacklog) {
        // The command does not read its stdin: stop reading the socket and look again later.
        if (!m_readingStopped) {
            m_readingStopped = true;
            QTimer::singleShot(50, this, [this] {
                m_readingStopped = false;
                onReadyRead();
            });
        }
        return;
    }
    m_codec.append(m_socket->readAll());
    WebSocketCodec::Message message;
    while (!m_ended && m_codec.takeMessage(&message))
        handleMessage(message);
    if (m_codec.hasError() && !m_closeSent) {
        qCInfo(lcExec) << "exec protocol error:" << m_codec.errorString();
        sendCloseAndEnd(m_codec.errorCode(), CloseMode::Now);
    }
}

void ExecSession::handleMessage(const WebSocketCodec::Message &message)
{
    switch (message.opcode) {
    case WebSocketCodec::Ping:
        sendRaw(WebSocketCodec::encodeFrame(WebSocketCodec::Pong, message.payload));
        return;
    case WebSocketCodec::Pong:
        return;
    case WebSocketCodec::Close: {
        // Client goes away: echo its close code. The command keeps running (see end()).
        quint16 code = WebSocketCodec::Normal;
        if (message.payload.size() >= 2)
            code = quint16((quint8(message.payload.at(0)) << 8) | quint8(message.payload.at(1)));
        sendCloseAndEnd(code, CloseMode::Now);
        return;
    }
    case WebSocketCodec::Text:
    case WebSocketCodec::Binary:
        break;
    default:
        return;
    }
    const QByteArray &p = message.payload;
    if (p.isEmpty())
        return;
    if (m_protocol == Protocol::V4Base64 || m_protocol == Protocol::V1Base64) {
        const char c = p.at(0);
        if (c < '0' || c > '9')
            return;
        handleData(quint8(c - '0'), QByteArray::fromBase64(p.mid(1)));
    } else {
        handleData(quint8(p.at(0)), p.mid(1));
    }
}

void ExecSession::handleData(quint8 channel, const QByteArray &payload)
{
    if (channel == 0) {
        if (m_child && m_request.stdinEnabled)
            m_child->writeStdin(payload);
    } else if (channel == 0xFF && m_protocol == Protocol::V5) {
        if (payload.size() != 1) {
            // am wsstream: anything else after 0xFF is a protocol error; the server stops reading.
            m_stalled = true;
            return;
        }
        if (payload.at(0) == 0 && m_child)
            m_child->closeStdin();
    }
    // Channel 4 (resize) and unknown channels: nothing to do without a pty.
}

void ExecSession::sendChannel(quint8 channel, const QByteArray &payload)
{
    if (!m_upgraded || m_cut || m_ended || m_closeSent)
        return;
    const bool base64 = m_protocol == Protocol::V4Base64 || m_protocol == Protocol::V1Base64;
    for (qsizetype off = 0; off < payload.size() || off == 0; off += ChildProcess::ChunkSize) {
        const QByteArray part = payload.mid(off, ChildProcess::ChunkSize);
        if (base64)
            sendRaw(WebSocketCodec::encodeFrame(
                    WebSocketCodec::Text, QByteArray(1, char('0' + channel)) + part.toBase64()));
        else
            sendRaw(WebSocketCodec::encodeFrame(WebSocketCodec::Binary,
                                                QByteArray(1, char(channel)) + part));
        if (payload.isEmpty())
            break;
    }
    updateBackPressure();
}

void ExecSession::sendRaw(const QByteArray &bytes)
{
    if (!m_socket || m_cut || m_ended || m_stalled)
        return;
    const qint64 limit = m_context.fault.cutAfterBytes;
    if (limit >= 0 && m_sentBytes + bytes.size() >= limit) {
        m_socket->write(bytes.left(limit - m_sentBytes));
        m_sentBytes = limit;
        cutNow();
        return;
    }
    m_socket->write(bytes);
    m_sentBytes += bytes.size();
}

void ExecSession::cutNow()
{
    if (m_cut || m_ended || !m_socket)
        return;
    qCInfo(lcExec) << "cutting exec session by fault knob after" << m_sentBytes << "bytes";
    m_cut = true;
    // Abrupt: no close frame and no TLS close_notify, but what was written reaches the client.
    m_socket->flush();
    auto abortWhenFlushed = [this] {
        if (m_socket && m_socket->bytesToWrite() == 0) {
            m_socket->abort();
            end();
        }
    };
    connect(m_socket, &QTcpSocket::bytesWritten, this, abortWhenFlushed);
    QTimer::singleShot(2000, this, [this] {
        if (m_socket)
            m_socket->abort();
        end();
    });
    abortWhenFlushed();
}

void ExecSession::updateBackPressure()
{
    if (!m_child || !m_socket || m_stalled || m_cut)
        return;
    const qint64 pending = m_socket->bytesToWrite();
    if (pending > HighWater)
        m_child->setOutputPaused(true);
    else if (pending < LowWater)
        m_child->setOutputPaused(false);
}

void ExecSession::onChildFinished()
{
    if (m_dropFilter) {
        if (const QByteArray rest = m_dropFilter->takeRemainder(); !rest.isEmpty())
            sendChannel(1, rest);
    }
    onExit(m_child->exitCode());
}

void ExecSession::onExit(int code)
{
    if (code == 0)
        finishWithStatus(successStatus(), {});
    else
        finishWithStatus(exitCodeStatus(code),
                         QStringLiteral("command terminated with non-zero exit code: command "
                                        "terminated with exit code %1")
                                 .arg(code));
}

void ExecSession::finishWithStatus(const QByteArray &v4Status, const QString &plainError)
{
    if (m_stalled || m_cut || m_ended)
        return; // a stalled session stays silent until the client gives up
    if (m_protocol == Protocol::V5 || m_protocol == Protocol::V4
        || m_protocol == Protocol::V4Base64)
        sendChannel(3, v4Status);
    else if (!plainError.isEmpty())
        sendChannel(3, plainError.toUtf8()); // v1: plain text, only on failure
    sendCloseAndEnd(WebSocketCodec::Normal, CloseMode::AwaitPeer);
}

void ExecSession::sendCloseAndEnd(quint16 code, CloseMode mode)
{
    const bool initiating = !m_closeSent;
    if (!m_closeSent && m_upgraded) {
        m_closeSent = true;
        sendRaw(WebSocketCodec::encodeClose(code));
    }
    if (mode == CloseMode::AwaitPeer && initiating && m_upgraded && m_socket && !m_cut
        && m_socket->state() == QAbstractSocket::ConnectedState) {
        // RFC 6455 closing handshake: the client answers our Close with its own, and only
        // then is the TCP connection closed. Closing at once with a client frame (a ping,
        // its Close) unread makes the kernel answer with RST, and a TLS client can lose the
        // tail of the output it had not decrypted yet (seen under load). The apiserver
        // closes at once; a client that never answers waits 0.5 s here (README).
        QTimer::singleShot(500, this, [this] {
            if (!m_ended)
                sendCloseAndEnd(WebSocketCodec::Normal, CloseMode::Now);
        });
        return;
    }
    if (m_socket && !m_cut)
        m_socket->disconnectFromHost(); // flushes, then FIN (and close_notify over TLS)
    if (m_socket && m_socket->state() == QAbstractSocket::UnconnectedState)
        end();
}

void ExecSession::orphanChild()
{
    if (!m_child || !m_child->isRunning())
        return;
    // Like a kubelet when the stream breaks: the process lives on in the container (podtap kills
    // such an orphan tcpdump with a second exec). Its stdin gets EOF, its output is drained and
    // dropped, so it never blocks on a full pipe. The runtime reaps it or kills it at shutdown.
    ChildProcess *child = m_child;
    m_child = nullptr;
    child->disconnect(this);
    child->setParent(parent());
    connect(child, &ChildProcess::finished, child, &QObject::deleteLater);
    child->closeStdin();
    child->setOutputPaused(false);
    qCInfo(lcExec) << "exec stream ended before the command; pid" << child->pid() << "lives on";
}

void ExecSession::abort()
{
    if (m_child)
        m_child->killAndWait();
    if (m_socket)
        m_socket->abort();
    end();
}

void ExecSession::end()
{
    if (m_ended)
        return;
    if (m_socket && m_socket->state() != QAbstractSocket::UnconnectedState && !m_cut) {
        // Let a pending reply (403, close frame) drain; 'disconnected' brings us back here.
        m_socket->disconnectFromHost();
        if (m_socket->state() != QAbstractSocket::UnconnectedState) {
            QTimer::singleShot(5000, this, [this] {
                if (m_socket)
                    m_socket->abort();
                end();
            });
            return;
        }
    }
    m_ended = true;
    orphanChild();
    Q_EMIT finished();
    deleteLater();
}

} // namespace kubesim
