#include "storehousekeeper.h"

#include "capturesession.h"
#include "ipc/ipcserver.h"
#include "sessionregistry.h"
#include "store/capturestore.h"
#include "store/storelog.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QTimer>

namespace podtap {

namespace {
QString sessionIdParam(const QJsonObject &params)
{
    return SessionRegistry::sessionIdParam(params);
}
} // namespace

StoreHousekeeper::StoreHousekeeper(IpcServer *server, CaptureStore *store,
                                   SessionRegistry *registry, QObject *parent)
    : QObject(parent)
    , m_server(server)
    , m_store(store)
    , m_registry(registry)
    , m_retention(store, [registry] { return registry->runningIds(); })
{
    connect(&m_retention, &StoreRetention::removed, this,
            [this](const QString &sid, const QString &reason, qint64 diskBytes) {
                m_registry->release(sid);
                m_server->publish(QStringLiteral("sessions"), QStringLiteral("removed"),
                                  QJsonObject{{QStringLiteral("id"), sid},
                                              {QStringLiteral("reason"), reason},
                                              {QStringLiteral("diskBytes"), diskBytes}});
            });
    // The store grew by a session: retention runs once it is closed.
    connect(registry, &SessionRegistry::sessionFinished, this, [this] { m_retention.enforce(); });
}

Result<bool> StoreHousekeeper::open(const QJsonObject &retention)
{
    auto opened = m_store->open();
    if (!opened)
        return opened;
    auto loaded = m_retention.load(retention);
    if (!loaded)
        return loaded;
    m_retention.enforce();
    m_retention.start();
    return true;
}

bool StoreHousekeeper::handle(IpcPeer *peer, qint64 id, const QString &method,
                              const QJsonObject &params)
{
    if (method == QLatin1String("session.delete")) {
        remove(peer, id, params);
        return true;
    }
    if (method == QLatin1String("store.retention")) {
        retention(peer, id, params);
        return true;
    }
    return false;
}

QSet<QString> StoreHousekeeper::runningIds() const
{
    return m_registry->runningIds();
}

void StoreHousekeeper::release(const QString &sid)
{
    m_registry->release(sid);
}

void StoreHousekeeper::remove(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    // {"id": "3"}, {"ids": ["3", "4"]} or {"allStopped": true}. One id keeps the old answers
    // (an error when it cannot go); a list answers what went and why the others did not.
    const bool allStopped = params.value(QLatin1String("allStopped")).toBool();
    const bool many = allStopped || params.contains(QLatin1String("ids"));
    QStringList ids;
    if (allStopped) {
        const QSet<QString> running = runningIds();
        for (const QJsonObject &m : m_store->list(running)) {
            const QString sid = m.value(QLatin1String("id")).toString();
            if (!running.contains(sid))
                ids << sid;
        }
    } else if (many) {
        for (const QJsonValue v : params.value(QLatin1String("ids")).toArray())
            ids << (v.isDouble() ? QString::number(v.toInteger()) : v.toString());
    } else {
        ids << sessionIdParam(params);
    }
    QJsonArray removed;
    QJsonArray errors;
    QString firstCode;
    for (const QString &sid : std::as_const(ids)) {
        QString code;
        QString message;
        qint64 diskBytes = 0;
        if (CaptureSession *s = m_registry->session(sid); s && !s->isFinished()) {
            code = QStringLiteral("busy");
            message = QStringLiteral("session %1 is still running: stop it first").arg(sid);
        } else {
            diskBytes = m_store->diskBytes(sid);
            const bool inMemoryOnly
                    = m_registry->inMemory(sid) && !QFileInfo::exists(m_store->sessionDir(sid));
            // A session that failed before it stored anything has no folder: it only leaves
            // memory.
            const auto r = inMemoryOnly ? Result<bool>(true) : m_store->remove(sid);
            if (!r) {
                code = QStringLiteral("not-found");
                message = r.error();
            }
        }
        if (!code.isEmpty()) {
            if (firstCode.isEmpty())
                firstCode = code;
            errors.append(QJsonObject{{QStringLiteral("id"), sid},
                                      {QStringLiteral("code"), code},
                                      {QStringLiteral("message"), message}});
            continue;
        }
        release(sid);
        qCInfo(lcStore).noquote()
                << QStringLiteral("removed stored session %1 (%2 bytes): asked by a client")
                           .arg(sid)
                           .arg(diskBytes);
        removed.append(
                QJsonObject{{QStringLiteral("id"), sid}, {QStringLiteral("diskBytes"), diskBytes}});
        m_server->publish(
                QStringLiteral("sessions"), QStringLiteral("removed"),
                QJsonObject{{QStringLiteral("id"), sid},
                            {QStringLiteral("reason"), QStringLiteral("removed by request")},
                            {QStringLiteral("diskBytes"), diskBytes}});
    }
    if (!many && !errors.isEmpty()) {
        peer->replyError(id, firstCode,
                         errors.first().toObject().value(QLatin1String("message")).toString());
        return;
    }
    peer->reply(id, QJsonObject{{QStringLiteral("removed"), removed},
                                {QStringLiteral("errors"), errors}});
}

void StoreHousekeeper::retention(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    QJsonArray removed;
    if (params.contains(QLatin1String("quota")) || params.contains(QLatin1String("maxAge"))
        || params.contains(QLatin1String("quotaBytes"))
        || params.contains(QLatin1String("maxAgeSecs"))) {
        const auto policy = m_retention.policy().updated(params);
        if (!policy) {
            peer->replyError(id, QStringLiteral("invalid"), policy.error());
            return;
        }
        const auto saved = m_retention.setPolicy(policy.value());
        if (!saved) {
            peer->replyError(id, QStringLiteral("store"), saved.error());
            return;
        }
        for (const RetentionPolicy::Removal &r : m_retention.enforce())
            removed.append(QJsonObject{{QStringLiteral("id"), r.id},
                                       {QStringLiteral("reason"), r.reason},
                                       {QStringLiteral("diskBytes"), r.diskBytes}});
    }
    qint64 used = 0;
    for (const QJsonObject &m : m_store->list(runningIds()))
        used += m.value(QLatin1String("diskBytes")).toInteger();
    peer->reply(id, QJsonObject{{QStringLiteral("retention"), m_retention.policy().toJson()},
                                {QStringLiteral("store"), m_store->root()},
                                {QStringLiteral("diskBytes"), used},
                                {QStringLiteral("removed"), removed}});
}

} // namespace podtap
