#include "sessionregistry.h"
#include "privatefile.h"

#include "capturesession.h"
#include "guard/contextguard.h"
#include "ipc/ipcserver.h"
#include "ipc/sessionreply.h"
#include "ipc/sessionsubscriberequest.h"
#include "kube/kubeconfig.h"
#include "kube/targetresolver.h"
#include "store/capturestore.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QFile>
#include <QPointer>
#include <QTimer>

namespace podtap {

SessionRegistry::SessionRegistry(IpcServer *server, CaptureStore *store,
                                 CredentialCache *credentials, QObject *parent)
    : QObject(parent)
    , m_server(server)
    , m_store(store)
    , m_credentials(credentials)
{}

SessionRegistry::~SessionRegistry()
{
    qDeleteAll(m_sessions);
}

QString SessionRegistry::sessionIdParam(const QJsonObject &params)
{
    const QJsonValue v = params.value(QLatin1String("id"));
    return v.isDouble() ? QString::number(v.toInteger()) : v.toString();
}

bool SessionRegistry::handle(IpcPeer *peer, qint64 id, const QString &method,
                             const QJsonObject &params)
{
    using Handler = void (SessionRegistry::*)(IpcPeer *, qint64, const QJsonObject &);
    static const QMap<QString, Handler> handlers{
            {QStringLiteral("session.start"), &SessionRegistry::start},
            {QStringLiteral("session.get"), &SessionRegistry::get},
            {QStringLiteral("session.stop"), &SessionRegistry::stop},
            {QStringLiteral("session.mirror"), &SessionRegistry::mirror},
    };
    if (method == QLatin1String("session.list")) {
        list(peer, id);
        return true;
    }
    if (method == QLatin1String("session.subscribe")
        || method == QLatin1String("session.unsubscribe")) {
        subscribe(peer, id, params, method == QLatin1String("session.subscribe"));
        return true;
    }
    const auto it = handlers.constFind(method);
    if (it == handlers.cend())
        return false;
    (this->*it.value())(peer, id, params);
    return true;
}

QSet<QString> SessionRegistry::runningIds() const
{
    QSet<QString> out;
    for (auto it = m_sessions.cbegin(); it != m_sessions.cend(); ++it)
        if (!it.value()->isFinished())
            out.insert(it.key());
    return out;
}

void SessionRegistry::release(const QString &sid)
{
    CaptureSession *s = m_sessions.value(sid);
    if (!s || !s->isFinished())
        return;
    m_sessions.remove(sid);
    s->deleteLater();
}

QString SessionRegistry::nextId() const
{
    // Ids are never reused, across restarts too (a session that failed before storing
    // anything leaves no folder): the last one handed out is kept in the store.
    QFile last(m_store->root() + QStringLiteral("/last-session-id"));
    int max = m_lastId;
    if (last.open(QIODevice::ReadOnly))
        max = std::max(max, last.readAll().trimmed().toInt());
    last.close();
    for (const QJsonObject &m : m_store->list())
        max = std::max(max, m.value(QLatin1String("id")).toString().toInt());
    for (auto it = m_sessions.cbegin(); it != m_sessions.cend(); ++it)
        max = std::max(max, it.key().toInt());
    m_lastId = max + 1;
    if (last.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        PrivateFile::restrict(last);
        last.write(QByteArray::number(m_lastId) + '\n');
    }
    return QString::number(m_lastId);
}

QJsonArray SessionRegistry::liveSummaries() const
{
    QJsonArray out;
    for (const CaptureSession *s : m_sessions)
        out.append(s->summary());
    return out;
}

int SessionRegistry::activeCount() const
{
    int n = 0;
    for (const CaptureSession *s : m_sessions)
        n += s->isFinished() ? 0 : 1;
    return n;
}

void SessionRegistry::stopAll(int timeoutMs)
{
    for (CaptureSession *s : std::as_const(m_sessions))
        s->stop();
    QDeadlineTimer deadline(timeoutMs);
    QEventLoop loop;
    while (activeCount() > 0 && !deadline.hasExpired()) {
        QTimer::singleShot(50, &loop, &QEventLoop::quit);
        loop.exec();
    }
}

void SessionRegistry::watch(CaptureSession *s)
{
    const QString stream = streamOf(s->id());
    const QString sid = s->id();
    auto publish = [this, stream](const char *name, const QJsonObject &data) {
        m_server->publish(stream, QLatin1String(name), data);
    };
    connect(s, &CaptureSession::stateChanged, this,
            [this, s, publish](const QString &state, const QString &reason) {
                publish("state", QJsonObject{{QStringLiteral("state"), state},
                                             {QStringLiteral("reason"), reason}});
                m_server->publish(QStringLiteral("sessions"), QStringLiteral("changed"),
                                  s->summary());
            });
    connect(s, &CaptureSession::warning, this, [publish](const QString &m) {
        publish("warning", QJsonObject{{QStringLiteral("message"), m}});
    });
    connect(s, &CaptureSession::progress, this, [publish](const QString &m) {
        publish("progress", QJsonObject{{QStringLiteral("message"), m}});
    });
    connect(s, &CaptureSession::preflight, this,
            [publish](const QString &pod, const QJsonArray &items, bool passed) {
                publish("preflight", QJsonObject{{QStringLiteral("pod"), pod},
                                                 {QStringLiteral("items"), items},
                                                 {QStringLiteral("passed"), passed}});
            });
    connect(s, &CaptureSession::statsUpdated, this, [this, publish](const QJsonObject &summary) {
        publish("stats", summary);
        // A session list shows live counts too, without polling.
        m_server->publish(QStringLiteral("sessions"), QStringLiteral("stats"), summary);
    });
    connect(s, &CaptureSession::connectionsChanged, this,
            [publish](const QJsonArray &opened, const QJsonArray &progress,
                      const QJsonArray &ended) {
                publish("connections", QJsonObject{{QStringLiteral("opened"), opened},
                                                   {QStringLiteral("progress"), progress},
                                                   {QStringLiteral("ended"), ended}});
            });
    connect(s, &CaptureSession::mirrorConnectionsEnded, this, [publish](const QJsonArray &c) {
        publish("mirror", QJsonObject{{QStringLiteral("ended"), c}});
    });
    connect(s, &CaptureSession::httpExchanges, this, [publish](const QJsonArray &x) {
        publish("http", QJsonObject{{QStringLiteral("exchanges"), x}});
    });
    connect(s, &CaptureSession::compared, this, [publish](const QJsonArray &v) {
        publish("compared", QJsonObject{{QStringLiteral("verdicts"), v}});
    });
    // Live pcap: a "pcap-link" event precedes the first record of each link type; the
    // records are classic pcap records (ns timestamps) as binary frames.
    const QString pcapStream = stream + QStringLiteral("/pcap");
    auto lastLink = std::make_shared<int>(-1);
    connect(s, &CaptureSession::pcapBytes, this,
            [this, s, pcapStream, sid, lastLink](const QByteArray &record, int linkType) {
                if (linkType != *lastLink) {
                    *lastLink = linkType;
                    m_server->publish(pcapStream, QStringLiteral("pcap-link"),
                                      QJsonObject{{QStringLiteral("linkType"), linkType}});
                }
                if (m_server->publishBinary(pcapStream, quint32(sid.toUInt()), record) == 0)
                    s->setPcapWanted(false);
            });
    // The same capture as pcapng blocks for readers that asked for it (pcapFormat).
    const QString pcapngStream = stream + QStringLiteral("/pcapng");
    connect(s, &CaptureSession::pcapngBytes, this,
            [this, s, pcapngStream, sid](const QByteArray &blocks, bool essential) {
                if (m_server->publishBinary(pcapngStream, quint32(sid.toUInt()), blocks, essential)
                    == 0)
                    s->stopPcapng();
            });
    connect(s, &CaptureSession::finished, this,
            [this, s, publish](const QString &state, const QString &reason) {
                QJsonObject data = s->summary();
                data[QLatin1String("state")] = state;
                data[QLatin1String("reason")] = reason;
                publish("finished", data);
                m_server->publish(streamOf(s->id()) + QStringLiteral("/pcap"),
                                  QStringLiteral("finished"), data);
                m_server->publish(QStringLiteral("sessions"), QStringLiteral("changed"), data);
                // The store grew by this session: retention runs once it is closed. After a
                // while the session leaves memory; its meta.json answers for it from then on.
                QTimer::singleShot(0, this, [this, sid = s->id()] { Q_EMIT sessionFinished(sid); });
                QTimer::singleShot(m_finishedLingerMs, this,
                                   [this, sid = s->id()] { release(sid); });
            });
}

void SessionRegistry::subscribePcap(IpcPeer *peer, CaptureSession *s, const QString &format)
{
    const QString stream = streamOf(s->id());
    if (format == QLatin1String("pcapng")) {
        // This reader's section header and the interfaces so far, before any packet block.
        peer->subscribe(stream + QStringLiteral("/pcapng"));
        peer->sendBinary(quint32(s->id().toUInt()), s->startPcapng());
        return;
    }
    peer->subscribe(stream + QStringLiteral("/pcap"));
    s->setPcapWanted(true);
}

QString SessionRegistry::protectedBy(const SessionConfig &config, QString *context) const
{
    // Patterns re-read for every session: an edit of guard.conf applies at once.
    const ContextGuard guard = ContextGuard::load();
    QStringList contexts;
    if (!config.context.isEmpty()) {
        contexts << config.context;
    } else {
        // The context the session will use: the kubeconfig's current one (loaded the same
        // way the session loads it; if that fails, so will the session, touching nothing).
        const auto kubeconfig = config.kubeconfigFiles.isEmpty()
                                        ? Kubeconfig::loadDefault()
                                        : Kubeconfig::loadFiles(config.kubeconfigFiles);
        if (kubeconfig)
            contexts << kubeconfig->currentContext();
    }
    // "context/namespace/pod" names a context too: protected if either is.
    const auto spec = TargetSpec::parse(config.target, {});
    if (spec && !spec->context.isEmpty())
        contexts << spec->context;
    for (const QString &c : std::as_const(contexts)) {
        QString pattern = guard.matchingPattern(c);
        if (!pattern.isEmpty()) {
            *context = c;
            return pattern;
        }
    }
    *context = contexts.value(0);
    return {};
}

void SessionRegistry::start(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    QString malformed;
    const SessionStartRequest request = SessionStartRequest::fromJson(params, &malformed);
    if (!malformed.isEmpty()) {
        peer->replyError(id, IpcError::Invalid, malformed);
        return;
    }
    const auto config = SessionConfig::fromRequest(request);
    if (!config) {
        peer->replyError(id, QStringLiteral("invalid"), config.error());
        return;
    }
    // The context guard, here so that every client (CLI, GUI, tray, scripts) gets it.
    QString context;
    const QString pattern = protectedBy(config.value(), &context);
    if (!pattern.isEmpty() && !config->confirmProtected) {
        m_audit.append(QStringLiteral("refused"),
                       QJsonObject{{QStringLiteral("context"), context},
                                   {QStringLiteral("namespace"), config->ns},
                                   {QStringLiteral("target"), config->target},
                                   {QStringLiteral("port"), config->port},
                                   {QStringLiteral("image"), config->image},
                                   {QStringLiteral("profile"), config->tapProfile},
                                   {QStringLiteral("protected"), true},
                                   {QStringLiteral("confirmed"), false},
                                   {QStringLiteral("outcome"),
                                    QStringLiteral("refused: protected context not confirmed")}});
        // The context is a field of its own: the GUI asks the user to type exactly that name.
        peer->replyError(
                id, IpcError{IpcError::ProtectedContext,
                             QStringLiteral("context '%1' is protected (it matches '%2' in %3): "
                                            "nothing was touched. Confirm to tap it anyway: "
                                            "podtap --yes-i-mean-production, or type the context "
                                            "name in podtap-gui")
                                     .arg(context, pattern, ContextGuard::defaultFile()),
                             context, config->ns, config->target});
        return;
    }
    const QString sid = nextId();
    auto *s = new CaptureSession(sid, config.value(), m_store->sessionDir(sid), this);
    s->setAudit(&m_audit, !pattern.isEmpty());
    s->setCredentialCache(m_credentials);
    m_sessions.insert(sid, s);
    watch(s);
    // Subscribing in the same request means no event can be missed.
    if (request.subscribe)
        peer->subscribe(streamOf(sid), request.skipEvents);
    if (request.pcap)
        subscribePcap(peer, s, request.pcapFormat);
    // A foreground CLI session ends with its terminal (closed, killed): no orphan taps.
    if (request.stopWithClient) {
        QPointer<CaptureSession> guarded(s);
        connect(peer, &IpcPeer::closed, s, [guarded] {
            if (guarded && !guarded->isFinished()) {
                Q_EMIT guarded->warning(QStringLiteral("the client that started this session "
                                                       "went away: stopping it"));
                guarded->stop();
            }
        });
    }
    SessionReply reply;
    reply.session = SessionSummary::fromJson(s->summary(), nullptr);
    peer->reply(id, reply.toJson());
    m_server->publish(QStringLiteral("sessions"), QStringLiteral("added"), s->summary());
    s->start();
}

void SessionRegistry::list(IpcPeer *peer, qint64 id)
{
    QSet<QString> live;
    for (auto it = m_sessions.cbegin(); it != m_sessions.cend(); ++it)
        live.insert(it.key());
    QJsonArray stored;
    for (const QJsonObject &m : m_store->list(live))
        if (!live.contains(m.value(QLatin1String("id")).toString()))
            stored.append(m);
    QJsonArray sessions;
    for (const CaptureSession *s : std::as_const(m_sessions)) {
        QJsonObject summary = s->summary();
        summary.insert(QStringLiteral("diskBytes"), m_store->diskBytes(s->id()));
        sessions.append(summary);
    }
    peer->reply(id, QJsonObject{{QStringLiteral("sessions"), sessions},
                                {QStringLiteral("stored"), stored}});
}

void SessionRegistry::get(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    const QString sid = sessionIdParam(params);
    if (CaptureSession *s = m_sessions.value(sid)) {
        peer->reply(id, QJsonObject{{QStringLiteral("session"), s->summary()},
                                    {QStringLiteral("live"), !s->isFinished()}});
        return;
    }
    const auto stored = openStored(sid);
    if (!stored) {
        peer->replyError(id, QStringLiteral("not-found"),
                         QStringLiteral("no session %1: %2").arg(sid, stored.error()));
        return;
    }
    peer->reply(id, QJsonObject{{QStringLiteral("session"), stored->meta()},
                                {QStringLiteral("live"), false}});
}

Result<StoredSession> SessionRegistry::openStored(const QString &sid) const
{
    // A live session's last 100 ms are still in its spool's buffers. A client pages the store
    // after its subscription was answered; what ended before that must be on disk by then.
    if (CaptureSession *s = m_sessions.value(sid); s && !s->isFinished())
        s->flushStore();
    // Ids are numbers: anything else ("../x") would name a folder outside the store.
    if (!CaptureStore::isValidId(sid))
        return Result<StoredSession>::failure(
                QStringLiteral("\"%1\" is not a capture session id").arg(sid));
    return StoredSession::open(m_store->sessionDir(sid));
}

CaptureSession *SessionRegistry::liveSession(IpcPeer *peer, qint64 id,
                                             const QJsonObject &params) const
{
    const QString sid = sessionIdParam(params);
    CaptureSession *s = m_sessions.value(sid);
    if (!s)
        peer->replyError(id, QStringLiteral("not-found"),
                         QStringLiteral("no running session %1").arg(sid));
    return s;
}

void SessionRegistry::stop(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    if (!m_sessions.contains(sessionIdParam(params))) {
        // Finished and out of memory: its stored meta is its summary.
        if (const auto stored = openStored(sessionIdParam(params))) {
            peer->reply(id, QJsonObject{{QStringLiteral("session"), stored->meta()}});
            return;
        }
    }
    CaptureSession *s = liveSession(peer, id, params);
    if (!s)
        return;
    if (s->isFinished()) {
        peer->reply(id, QJsonObject{{QStringLiteral("session"), s->summary()}});
        return;
    }
    // Answered once the session has ended (tcpdump's counts in, store closed).
    QPointer<IpcPeer> p(peer);
    auto answered = std::make_shared<bool>(false);
    auto answer = [p, id, s, answered] {
        if (*answered)
            return;
        *answered = true;
        if (p)
            p->reply(id, QJsonObject{{QStringLiteral("session"), s->summary()}});
    };
    connect(s, &CaptureSession::finished, peer, answer);
    QTimer::singleShot(30000, peer, answer);
    s->stop();
}

void SessionRegistry::subscribe(IpcPeer *peer, qint64 id, const QJsonObject &params, bool on)
{
    QString malformed;
    const auto request = SessionSubscribeRequest::fromJson(params, &malformed);
    if (!malformed.isEmpty()) {
        peer->replyError(id, IpcError::Invalid, malformed);
        return;
    }
    QString stream;
    CaptureSession *s = nullptr;
    if (request.stream == QLatin1String("sessions")) {
        stream = request.stream;
    } else {
        const QString sid = request.id;
        s = m_sessions.value(sid);
        if (!s) {
            peer->replyError(id, QStringLiteral("not-found"),
                             QStringLiteral("no running session %1").arg(sid));
            return;
        }
        stream = streamOf(sid);
    }
    if (on) {
        peer->subscribe(stream, request.skipEvents);
        if (request.pcap && s)
            subscribePcap(peer, s, request.pcapFormat);
    } else {
        peer->unsubscribe(stream);
        peer->unsubscribe(stream + QStringLiteral("/pcap"));
        peer->unsubscribe(stream + QStringLiteral("/pcapng"));
    }
    QJsonObject r{{QStringLiteral("stream"), stream}};
    if (s)
        r[QLatin1String("session")] = s->summary();
    else
        r[QLatin1String("sessions")] = liveSummaries();
    peer->reply(id, r);
}

void SessionRegistry::mirror(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    CaptureSession *s = liveSession(peer, id, params);
    if (!s)
        return;
    const auto r = s->setMirror(params.value(QLatin1String("host")).toString(),
                                params.value(QLatin1String("port")).toInt(),
                                params.value(QLatin1String("joinMidstream")).toBool(),
                                params.value(QLatin1String("allowRemote")).toBool(),
                                params.value(QLatin1String("compare")).toBool());
    if (!r) {
        peer->replyError(id, QStringLiteral("invalid"), r.error());
        return;
    }
    peer->reply(id, QJsonObject{{QStringLiteral("mirror"), s->mirrorStats()}});
}

} // namespace podtap
