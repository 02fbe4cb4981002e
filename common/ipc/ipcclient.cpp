#include "ipcclient.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QTimer>

#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace podtap {

IpcClient::IpcClient(QObject *parent)
    : QObject(parent)
{
    connect(&m_socket, &QLocalSocket::readyRead, this, &IpcClient::onReadyRead);
    connect(&m_socket, &QLocalSocket::connected, this, [this] {
        QJsonObject hello;
        hello[QLatin1String("type")] = QStringLiteral("hello");
        hello[QLatin1String("protocol")] = IpcFrame::ProtocolVersion;
        hello[QLatin1String("client")] = m_clientName;
        m_socket.write(IpcFrame::encodeJson(hello));
    });
    connect(&m_socket, &QLocalSocket::errorOccurred, this, [this](QLocalSocket::LocalSocketError) {
        if (!m_ready)
            fail(QStringLiteral("cannot connect to podtapd at %1: %2")
                         .arg(m_socket.serverName(), m_socket.errorString()));
    });
    connect(&m_socket, &QLocalSocket::disconnected, this, [this] {
        m_ready = false;
        // Every request still waiting gets an answer: the daemon went away.
        const auto pending = std::exchange(m_pending, {});
        for (const Pending &p : pending) {
            if (!p.guarded || p.context)
                p.callback(Reply::failure(
                        IpcError::simple(QStringLiteral("disconnected"),
                                         QStringLiteral("the connection to podtapd was lost"))));
        }
        Q_EMIT disconnected();
    });
}

IpcClient::~IpcClient()
{
    // The socket's destructor may emit disconnected(); our members are gone by then.
    m_socket.disconnect(this);
    m_socket.abort();
}

QString IpcClient::defaultSocketPath()
{
    QString runtime = QString::fromLocal8Bit(qgetenv("XDG_RUNTIME_DIR"));
    if (runtime.isEmpty())
        runtime = QStringLiteral("/tmp/podtap-runtime-%1").arg(getuid());
    return runtime + QStringLiteral("/podtap/podtapd.sock");
}

void IpcClient::connectToDaemon(const QString &socketPath, const QString &clientName)
{
    m_clientName = clientName;
    struct stat st = {};
    const QByteArray path = QFile::encodeName(socketPath);
    if (::lstat(path.constData(), &st) == 0
        && (!S_ISSOCK(st.st_mode) || st.st_uid != ::geteuid())) {
        m_refusal = S_ISSOCK(st.st_mode)
                            ? QStringLiteral("%1 belongs to uid %2, not to you (uid %3): refusing "
                                             "to send it anything")
                                      .arg(socketPath)
                                      .arg(st.st_uid)
                                      .arg(::geteuid())
                            : QStringLiteral("%1 is not a socket: refusing to use it")
                                      .arg(socketPath);
        QTimer::singleShot(0, this, [this] { Q_EMIT failed(m_refusal); });
        return;
    }
    m_refusal.clear();
    m_socket.connectToServer(socketPath);
}

void IpcClient::fail(const QString &why)
{
    Q_EMIT failed(why);
    m_socket.abort();
}

void IpcClient::releaseEvents()
{
    m_holding = false;
    const QList<IpcFrame> held = std::exchange(m_held, {});
    for (const IpcFrame &f : held) {
        if (f.kind == IpcFrame::Binary)
            Q_EMIT binary(f.streamId, f.data);
        else
            Q_EMIT event(f.json);
    }
}

void IpcClient::onReadyRead()
{
    const QList<IpcFrame> frames = m_decoder.feed(m_socket.readAll());
    for (const IpcFrame &f : frames) {
        if (f.kind == IpcFrame::Binary) {
            if (m_holding)
                m_held.append(f);
            else
                Q_EMIT binary(f.streamId, f.data);
            continue;
        }
        const QString type = f.json.value(QLatin1String("type")).toString();
        if (type == QLatin1String("welcome")) {
            m_ready = true;
            Q_EMIT ready(f.json);
        } else if (type == QLatin1String("response")) {
            const qint64 id = f.json.value(QLatin1String("id")).toInteger();
            auto it = m_pending.find(id);
            if (it == m_pending.end())
                continue;
            Pending p = *it;
            m_pending.erase(it);
            Reply r;
            const QJsonObject error = f.json.value(QLatin1String("error")).toObject();
            r.ok = error.isEmpty();
            r.result = f.json.value(QLatin1String("result")).toObject();
            if (!r.ok) {
                r.error = IpcError::fromReply(error);
                r.errorCode = r.error.code;
                r.errorMessage = r.error.message;
            }
            if (!p.guarded || p.context)
                p.callback(r);
        } else if (type == QLatin1String("event")) {
            if (m_holding)
                m_held.append(f);
            else
                Q_EMIT event(f.json);
        } else if (type == QLatin1String("error")) {
            fail(f.json.value(QLatin1String("message")).toString());
            return;
        }
    }
    if (m_decoder.failed())
        fail(QStringLiteral("podtapd sent a malformed frame: %1").arg(m_decoder.error()));
}

void IpcClient::request(const QString &method, const QJsonObject &params, QObject *context,
                        Callback callback)
{
    const qint64 id = m_nextId++;
    QJsonObject req;
    req[QLatin1String("type")] = QStringLiteral("request");
    req[QLatin1String("id")] = id;
    req[QLatin1String("method")] = method;
    req[QLatin1String("params")] = params;
    const QByteArray frame = IpcFrame::encodeJson(req);
    if (frame.size() - 4 > qsizetype(IpcFrame::MaxFrameBytes)) {
        // podtapd would drop the whole connection for it: refused here, answered as an error.
        const Reply r = Reply::failure(IpcError::simple(
                IpcError::TooLarge,
                QStringLiteral("the %1 request is %2 bytes, more than the %3 a frame may hold")
                        .arg(method)
                        .arg(frame.size() - 4)
                        .arg(IpcFrame::MaxFrameBytes)));
        QTimer::singleShot(0, context ? context : this,
                           [callback = std::move(callback), r] { callback(r); });
        return;
    }
    m_pending.insert(id, {QPointer<QObject>(context), context != nullptr, std::move(callback)});
    m_socket.write(frame);
}

bool IpcClient::waitForReady(int timeoutMs)
{
    if (m_ready)
        return true;
    if (!m_refusal.isEmpty())
        return false;
    QEventLoop loop;
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    connect(this, &IpcClient::ready, &loop, &QEventLoop::quit);
    connect(this, &IpcClient::failed, &loop, &QEventLoop::quit);
    connect(this, &IpcClient::disconnected, &loop, &QEventLoop::quit);
    loop.exec();
    return m_ready;
}

IpcClient::Reply IpcClient::requestAndWait(const QString &method, const QJsonObject &params,
                                           int timeoutMs)
{
    Reply reply = Reply::failure(IpcError::simple(
            QStringLiteral("timeout"), QStringLiteral("podtapd did not answer %1 within %2 s")
                                               .arg(method)
                                               .arg(timeoutMs / 1000)));
    QEventLoop loop;
    QObject guard;
    request(method, params, &guard, [&](const Reply &r) {
        reply = r;
        loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
    return reply;
}

} // namespace podtap
