#pragma once

#include "auditlog.h"
#include "result.h"
#include "sessionconfig.h"
#include "store/storedsession.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QMap>
#include <QObject>
#include <QSet>

namespace podtap {

class CaptureSession;
class CaptureStore;
class CredentialCache;
class IpcPeer;
class IpcServer;

// The daemon's capture/mirror sessions and their events: session.start, list, get, stop,
// subscribe/unsubscribe and mirror; the events of "sessions", "session/ID" and the live pcap
// streams (docs/ipc.md). A finished session stays in memory for a while, then its stored meta
// answers for it. The other session services find live sessions and stored ones here.
class SessionRegistry : public QObject
{
    Q_OBJECT

public:
    // `credentials`: the daemon's exec credential cache, shared by every session.
    SessionRegistry(IpcServer *server, CaptureStore *store, CredentialCache *credentials,
                    QObject *parent = nullptr);
    ~SessionRegistry() override;

    // True when the method is ours (answered, now or later).
    bool handle(IpcPeer *peer, qint64 id, const QString &method, const QJsonObject &params);
    void setFinishedLingerMs(int ms) { m_finishedLingerMs = ms; }
    QJsonArray liveSummaries() const;
    int activeCount() const;
    // Stops every session and waits (event loop) at most `timeoutMs` for them to finish.
    void stopAll(int timeoutMs);

    // The session in memory (running, or finished a short while ago), or nullptr.
    CaptureSession *session(const QString &sid) const { return m_sessions.value(sid); }
    bool inMemory(const QString &sid) const { return m_sessions.contains(sid); }
    QSet<QString> runningIds() const;
    // The finished session leaves memory: from now on the store's meta answers for it.
    void release(const QString &sid);
    // The stored session sid, with a running session's buffered data written out first.
    Result<StoredSession> openStored(const QString &sid) const;
    // params.id as a session id (a number or a string).
    static QString sessionIdParam(const QJsonObject &params);

Q_SIGNALS:
    // A session ended: the store grew by it.
    void sessionFinished(const QString &sid);

private:
    void start(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void list(IpcPeer *peer, qint64 id);
    void get(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void stop(IpcPeer *peer, qint64 id, const QJsonObject &params);
    void subscribe(IpcPeer *peer, qint64 id, const QJsonObject &params, bool on);
    void mirror(IpcPeer *peer, qint64 id, const QJsonObject &params);

    QString nextId() const;
    // The context guard: the context `config` taps if it is protected (the pattern it
    // matches), else an empty string.
    QString protectedBy(const SessionConfig &config, QString *context) const;
    // The live capture for `peer`: classic pcap records, or pcapng blocks when the params
    // say pcapFormat "pcapng" (then the section header goes to this peer at once).
    // `format`: "pcapng", else classic pcap.
    void subscribePcap(IpcPeer *peer, CaptureSession *s, const QString &format);
    // The session named by params.id, or nullptr after answering "not-found".
    CaptureSession *liveSession(IpcPeer *peer, qint64 id, const QJsonObject &params) const;
    QString streamOf(const QString &sessionId) const
    {
        return QStringLiteral("session/") + sessionId;
    }
    void watch(CaptureSession *s);

    IpcServer *m_server;
    CaptureStore *m_store;
    CredentialCache *m_credentials;
    AuditLog m_audit;
    QMap<QString, CaptureSession *> m_sessions; // live and finished since the daemon started
    int m_finishedLingerMs = 10000;
    mutable int m_lastId = 0;
};

} // namespace podtap
