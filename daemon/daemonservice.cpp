#include "daemonservice.h"

#include "version.h"

#include <QCoreApplication>
#include <QJsonArray>

#include <unistd.h>

namespace podtap {

namespace {
constexpr int ShutdownStopMs = 20000;
}

DaemonService::DaemonService(const QString &storeRoot, QObject *parent)
    : QObject(parent)
    , m_sessions(&m_server, storeRoot, &m_credentials)
    , m_kube(&m_credentials)
    , m_started(QDateTime::currentDateTimeUtc())
{
    m_server.setServerName(QStringLiteral("podtapd/") + QLatin1String(versionString()));
    m_server.setHandler([this](IpcPeer *peer, qint64 id, const QString &method,
                               const QJsonObject &params) { handle(peer, id, method, params); });
}

Result<bool> DaemonService::start(const QString &socketPath, const QJsonObject &retention)
{
    // The store first: a daemon that cannot keep captures must not accept sessions.
    auto store = m_sessions.open(retention);
    if (!store)
        return store;
    return m_server.listen(socketPath);
}

void DaemonService::shutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    m_sessions.stopAll(ShutdownStopMs);
    QCoreApplication::quit();
}

void DaemonService::handle(IpcPeer *peer, qint64 id, const QString &method,
                           const QJsonObject &params)
{
    if (method == QLatin1String("daemon.status")) {
        QJsonObject r;
        r[QLatin1String("version")] = QLatin1String(versionString());
        r[QLatin1String("pid")] = qint64(getpid());
        r[QLatin1String("socket")] = m_server.socketPath();
        r[QLatin1String("started")] = m_started.toString(Qt::ISODate);
        r[QLatin1String("clients")] = m_server.peerCount();
        r[QLatin1String("sessions")] = m_sessions.liveSummaries();
        r[QLatin1String("active")] = m_sessions.activeCount();
        peer->reply(id, r);
        return;
    }
    if (method == QLatin1String("daemon.shutdown")) {
        peer->reply(id, {});
        QMetaObject::invokeMethod(this, &DaemonService::shutdown, Qt::QueuedConnection);
        return;
    }
    if (m_shuttingDown) {
        peer->replyError(id, QStringLiteral("shutting-down"),
                         QStringLiteral("podtapd is shutting down"));
        return;
    }
    if (m_sessions.handle(peer, id, method, params))
        return;
    if (m_kube.handle(peer, id, method, params))
        return;
    peer->replyError(id, QStringLiteral("unknown-method"),
                     QStringLiteral("podtapd does not know the method '%1'").arg(method));
}

} // namespace podtap
