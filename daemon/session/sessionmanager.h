#pragma once

#include "replay/replayservice.h"
#include "result.h"
#include "sessionregistry.h"
#include "store/capturestore.h"
#include "storehousekeeper.h"
#include "storequeryservice.h"
#include "workerpool.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QObject>

namespace podtap {

class CredentialCache;
class IpcPeer;
class IpcServer;

// The daemon's sessions: capture/mirror sessions, stored captures (listed, paged,
// exported) and replays, served over the IPC (methods session.*, store.*, replay.*; events on
// "sessions", "session/ID", "session/ID/pcap" (binary) and "replay/ID"). docs/ipc.md.
// It owns the store and the worker pools and routes each method to the service that serves
// it: SessionRegistry (sessions and their events), StoreQueryService (reads of the store,
// exports), StoreHousekeeper (removal, retention) and ReplayService (replays).
class SessionManager : public QObject
{
    Q_OBJECT

public:
    // `credentials`: the daemon's exec credential cache, shared by every session.
    SessionManager(IpcServer *server, const QString &storeRoot, CredentialCache *credentials,
                   QObject *parent = nullptr);
    ~SessionManager() override;

    // Opens the store and applies its retention: `retention` holds podtapd's --store-quota /
    // --store-max-age ({"quota": "10G", "maxAge": "3d"}), over what was saved in the store.
    Result<bool> open(const QJsonObject &retention = {});
    // How long a finished session stays in memory (its events, subscribe) before only its
    // stored meta answers for it.
    void setFinishedLingerMs(int ms) { m_registry.setFinishedLingerMs(ms); }
    // True when the method is ours (answered, now or later).
    bool handle(IpcPeer *peer, qint64 id, const QString &method, const QJsonObject &params);
    QJsonArray liveSummaries() const { return m_registry.liveSummaries(); }
    int activeCount() const { return m_registry.activeCount(); }
    // Stops every session and waits (event loop) at most `timeoutMs` for them to finish.
    void stopAll(int timeoutMs) { m_registry.stopAll(timeoutMs); }
    // The pool of session.rows/histogram/stream/requests (for daemon.status and benches).
    const WorkerPool &queryPool() const { return m_queryPool; }

private:
    CaptureStore m_store;
    // Store queries that the GUI waits for, and exports (long: kept apart so that they never
    // hold up a packet list).
    WorkerPool m_queryPool;
    WorkerPool m_exportPool;
    SessionRegistry m_registry;
    StoreHousekeeper m_housekeeper;
    StoreQueryService m_queries;
    ReplayService m_replays;
};

} // namespace podtap
