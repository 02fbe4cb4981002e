#pragma once

#include "result.h"
#include "store/storeretention.h"

#include <QJsonObject>
#include <QObject>
#include <QSet>

namespace podtap {

class CaptureStore;
class IpcPeer;
class IpcServer;
class SessionRegistry;

// What leaves the store: session.delete (podtap rm) and store.retention, and the retention
// policy applied at startup, after every session and on its timer ("sessions" "removed"
// events, docs/ipc.md).
class StoreHousekeeper : public QObject
{
    Q_OBJECT

public:
    StoreHousekeeper(IpcServer *server, CaptureStore *store, SessionRegistry *registry,
                     QObject *parent = nullptr);

    // Opens the store and applies its retention: `retention` holds podtapd's --store-quota /
    // --store-max-age ({"quota": "10G", "maxAge": "3d"}), over what was saved in the store.
    Result<bool> open(const QJsonObject &retention = {});
    // True when the method is ours (answered, now or later).
    bool handle(IpcPeer *peer, qint64 id, const QString &method, const QJsonObject &params);

private:
    void remove(IpcPeer *peer, qint64 id, const QJsonObject &params);
    // store.retention: the policy and the store's use; with quota/maxAge, sets and applies it.
    void retention(IpcPeer *peer, qint64 id, const QJsonObject &params);
    QSet<QString> runningIds() const;
    void release(const QString &sid);

    IpcServer *m_server;
    CaptureStore *m_store;
    SessionRegistry *m_registry;
    StoreRetention m_retention;
};

} // namespace podtap
