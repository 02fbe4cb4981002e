#include "sessionmanager.h"

#include <QThread>

namespace podtap {

namespace {
WorkerPool::Limits queryLimits()
{
    // 2 to 4 threads: enough for a packet list, its timeline and a follow-stream at once,
    // without a many-core machine's worth of threads on one index.
    return WorkerPool::Limits{std::clamp(QThread::idealThreadCount(), 2, 4), 64};
}
} // namespace

SessionManager::SessionManager(IpcServer *server, const QString &storeRoot,
                               CredentialCache *credentials, QObject *parent)
    : QObject(parent)
    , m_store(storeRoot)
    , m_queryPool(queryLimits())
    , m_exportPool(WorkerPool::Limits{2, 16})
    , m_registry(server, &m_store, credentials)
    , m_housekeeper(server, &m_store, &m_registry)
    , m_queries(&m_registry, &m_queryPool, &m_exportPool)
    , m_replays(server, &m_registry)
{}

SessionManager::~SessionManager()
{
    // No worker result may reach a service that is going away: cancel and wait first.
    m_queryPool.shutdown();
    m_exportPool.shutdown();
}

Result<bool> SessionManager::open(const QJsonObject &retention)
{
    return m_housekeeper.open(retention);
}

bool SessionManager::handle(IpcPeer *peer, qint64 id, const QString &method,
                            const QJsonObject &params)
{
    return m_registry.handle(peer, id, method, params) || m_queries.handle(peer, id, method, params)
           || m_housekeeper.handle(peer, id, method, params)
           || m_replays.handle(peer, id, method, params);
}

} // namespace podtap
