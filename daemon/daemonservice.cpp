#include "daemonservice.h"

#include "version.h"

#include <QCoreApplication>
#include <QJsonArray>

#include <unistd.h>

namespace podtap {

DaemonService::DaemonService(QObject *parent)
    : QObject(parent)
    , m_started(QDateTime::currentDateTimeUtc())
{
    m_server.setServerName(QStringLiteral("podtapd/") + QLatin1String(versionString()));
    m_server.setHandler([this](IpcPeer *peer, qint64 id, const QString &method,
                               const QJsonObject &params) { handle(peer, id, method, params); });
}

Result<bool> DaemonService::start(const QString &socketPath)
{
    return m_server.listen(socketPath);
}

void DaemonService::handle(IpcPeer *peer, qint64 id, const QString &method, const QJsonObject &)
{
    if (method == QLatin1String("daemon.status")) {
        QJsonObject r;
        r[QLatin1String("version")] = QLatin1String(versionString());
        r[QLatin1String("pid")] = qint64(getpid());
        r[QLatin1String("socket")] = m_server.socketPath();
        r[QLatin1String("started")] = m_started.toString(Qt::ISODate);
        r[QLatin1String("clients")] = m_server.peerCount();
        r[QLatin1String("sessions")] = QJsonArray();
        peer->reply(id, r);
        return;
    }
    if (method == QLatin1String("daemon.shutdown")) {
        peer->reply(id, {});
        QMetaObject::invokeMethod(qApp, &QCoreApplication::quit, Qt::QueuedConnection);
        return;
    }
    peer->replyError(id, QStringLiteral("unknown-method"),
                     QStringLiteral("podtapd does not know the method '%1'").arg(method));
}

} // namespace podtap
