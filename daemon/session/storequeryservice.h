#pragma once

#include "result.h"
#include "store/packetrows.h"
#include "store/storedsession.h"
#include "workerpool.h"

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPair>

#include <functional>
#include <memory>

namespace podtap {

class IpcPeer;
class SessionRegistry;

// Reads of the store over the IPC: session.packets, packet, rows, histogram, stream,
// connections, requests and session.export (docs/ipc.md). The cheap ones answer on the event
// loop; the passes over a whole index or capture run on a WorkerPool: `queries` for the
// interactive ones, `exports` for exports, so a long export never holds up a packet list.
class StoreQueryService : public QObject
{
    Q_OBJECT

public:
    StoreQueryService(SessionRegistry *registry, WorkerPool *queries, WorkerPool *exports,
                      QObject *parent = nullptr);

    // True when the method is ours (answered, now or later).
    bool handle(IpcPeer *peer, qint64 id, const QString &method, const QJsonObject &params);

private:
    // What a worker's answer is for: a newer request of the same client for the same key with
    // another variant (or any newer one when the variant is empty) makes it stale.
    struct View
    {
        QString key;
        QString variant;
    };
    void packets(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void packet(IpcPeer *peer, qint64 id, const QJsonObject &params);
    // session.rows: a range of a (filtered) packet list, with each row's Info.
    void rows(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void histogram(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void stream(IpcPeer *peer, qint64 id, const QJsonObject &params);
    // Runs `work` on the query pool and answers with its result ("invalid" with its message;
    // "busy" when the pool's queue is full; "superseded" when `view` went stale meanwhile).
    void answerFromWorker(IpcPeer *peer, qint64 id, std::function<Result<QJsonObject>()> work,
                          const View &view = {});
    void connections(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void requests(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void exportSession(IpcPeer *peer, qint64 id, const QJsonObject &params);
    // The stored session sid, with a running session's buffered data written out first.
    Result<StoredSession> openStored(const QString &sid) const;

    SessionRegistry *m_registry;
    WorkerPool *m_queries;
    WorkerPool *m_exports;
    // Filtered packet lists recently asked for (session id + filter key), newest last.
    QList<QPair<QString, std::shared_ptr<PacketRows>>> m_rowViews;
};

} // namespace podtap
