#pragma once

#include "auditlog.h"
#include "replay/replaysession.h"
#include "sessionconfig.h"
#include "store/capturestore.h"
#include "store/packetrows.h"
#include "store/storedsession.h"
#include "store/storeretention.h"

#include <QJsonObject>
#include <QMap>
#include <QObject>
#include <QPointer>

#include <functional>
#include <memory>

namespace podtap {

class CaptureSession;
class CredentialCache;
class IpcPeer;
class IpcServer;
class HttpReplaySession;

// The daemon's sessions: capture/mirror sessions, stored captures (listed, paged,
// exported) and replays, served over the IPC (methods session.*, replay.*; events on
// "sessions", "session/ID", "session/ID/pcap" (binary) and "replay/ID"). docs/ipc.md.
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
    void setFinishedLingerMs(int ms) { m_finishedLingerMs = ms; }
    // True when the method is ours (answered, now or later).
    bool handle(IpcPeer *peer, qint64 id, const QString &method, const QJsonObject &params);
    QJsonArray liveSummaries() const;
    int activeCount() const;
    // Stops every session and waits (event loop) at most `timeoutMs` for them to finish.
    void stopAll(int timeoutMs);

private:
    void start(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void list(IpcPeer *peer, qint64 id);
    void get(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void stop(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void subscribe(IpcPeer *peer, qint64 id, const QJsonObject &params, bool on);
    // session.start/subscribe `skipEvents`: event names the client does not want.
    static QStringList skipEvents(const QJsonObject &params);
    void mirror(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void packets(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void packet(IpcPeer *peer, qint64 id, const QJsonObject &params);
    // session.rows: a range of a (filtered) packet list, with each row's Info.
    void rows(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void histogram(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void stream(IpcPeer *peer, qint64 id, const QJsonObject &params);
    // Runs `work` on a thread and answers with its result ("invalid" with its message).
    void answerFromWorker(IpcPeer *peer, qint64 id, std::function<Result<QJsonObject>()> work);
    void connections(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void requests(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void exportSession(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void remove(IpcPeer *peer, qint64 id, const QJsonObject &params);
    // store.retention: the policy and the store's use; with quota/maxAge, sets and applies it.
    void retention(IpcPeer *peer, qint64 id, const QJsonObject &params);
    QSet<QString> runningIds() const;
    // The finished session leaves memory: from now on the store's meta answers for it.
    void release(const QString &sid);
    void replayStart(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void replayStop(IpcPeer *peer, qint64 id, const QJsonObject &params);

    QString nextId() const;
    // The context guard: the context `config` taps if it is protected (the pattern it
    // matches), else an empty string.
    QString protectedBy(const SessionConfig &config, QString *context) const;
    // The live capture for `peer`: classic pcap records, or pcapng blocks when the params
    // say pcapFormat "pcapng" (then the section header goes to this peer at once).
    void subscribePcap(IpcPeer *peer, CaptureSession *s, const QJsonObject &params);
    // The session named by params.id, or nullptr after answering "not-found".
    CaptureSession *liveSession(IpcPeer *peer, qint64 id, const QJsonObject &params) const;
    // The stored session sid, with a running session's buffered data written out first.
    Result<StoredSession> openStored(const QString &sid) const;
    QString streamOf(const QString &sessionId) const
    {
        return QStringLiteral("session/") + sessionId;
    }
    void watch(CaptureSession *s);
    void updatePcapWanted(CaptureSession *s);

    IpcServer *m_server;
    CredentialCache *m_credentials;
    CaptureStore m_store;
    AuditLog m_audit;
    // Filtered packet lists recently asked for (session id + filter key), newest last.
    QList<QPair<QString, std::shared_ptr<PacketRows>>> m_rowViews;
    QMap<QString, CaptureSession *> m_sessions; // live and finished since the daemon started
    QMap<QString, QPointer<ReplaySession>> m_replays;
    QMap<QString, QPointer<HttpReplaySession>> m_httpReplays;
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
    StoreRetention m_retention;
    int m_finishedLingerMs = 10000;
    int m_nextReplay = 1;
    mutable int m_lastId = 0;
};

} // namespace podtap
