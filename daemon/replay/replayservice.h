#pragma once

#include "replay/replaysession.h"
#include "result.h"
#include "store/storedsession.h"

#include <QJsonObject>
#include <QMap>
#include <QObject>
#include <QPointer>

#include <functional>

namespace podtap {

class HttpReplaySession;
class IpcPeer;
class IpcServer;
class SessionRegistry;

// Replays of a capture file or a stored session to a local server: replay.start (raw TCP, or
// HTTP requests with --compare) and replay.stop, events on "replay/ID" (docs/ipc.md).
class ReplayService : public QObject
{
    Q_OBJECT

public:
    ReplayService(IpcServer *server, SessionRegistry *registry, QObject *parent = nullptr);

    // True when the method is ours (answered, now or later).
    bool handle(IpcPeer *peer, qint64 id, const QString &method, const QJsonObject &params);

private:
    void replayStart(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void replayStop(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void startHttpReplay(IpcPeer *peer, qint64 id, const QJsonObject &params,
                         const ReplaySession::Options &raw);
    // What a replay publishes on its stream besides its own events (docs/ipc.md).
    struct ReplayEvents
    {
        std::function<void()> flush; // every 250 ms, and once more before "done"
        std::function<QJsonObject(bool ok, const QString &message)> done;
    };
    // Starts `r` as replay "r<n>" on stream "replay/r<n>": subscribes the asking peer (unless
    // told not to), lets `wire` connect what it publishes, then replies with the id and stream
    // or with why it could not start. `running` holds it until "done".
    template<typename Session>
    void runReplay(IpcPeer *peer, qint64 id, const QJsonObject &params, Session *r,
                   QMap<QString, QPointer<Session>> &running,
                   const std::function<ReplayEvents(const QString &stream)> &wire);
    // The stored session sid, with a running session's buffered data written out first.
    Result<StoredSession> openStored(const QString &sid) const;

    IpcServer *m_server;
    SessionRegistry *m_registry;
    QMap<QString, QPointer<ReplaySession>> m_replays;
    QMap<QString, QPointer<HttpReplaySession>> m_httpReplays;
    int m_nextReplay = 1;
};

} // namespace podtap
