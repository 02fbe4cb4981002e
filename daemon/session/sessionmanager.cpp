#include "sessionmanager.h"
#include "privatefile.h"

#include "capturesession.h"
#include "guard/contextguard.h"
#include "http/httpfilter.h"
#include "ipc/ipcserver.h"
#include "kube/kubeconfig.h"
#include "kube/targetresolver.h"
#include "replay/httpreplaysession.h"
#include "replay/replaysession.h"
#include "store/captureexporter.h"
#include "store/storedsession.h"
#include "store/storelog.h"
#include "store/storequeries.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QThread>
#include <QTimer>

namespace podtap {

namespace {
constexpr int MaxPacketsPerPage = 10000;
constexpr int MaxRowsPerPage = 1000; // session.rows reads each row's bytes for its Info
constexpr int MaxRowViews = 4;       // filtered packet lists kept (8 B per matching packet)

QJsonObject entryJson(quint64 number, const PacketIndexEntry &e)
{
    return QJsonObject{{QStringLiteral("n"), qint64(number)},
                       {QStringLiteral("ts"), qint64(e.tsNs)},
                       {QStringLiteral("connection"), qint64(e.connectionId)},
                       {QStringLiteral("direction"), int(e.direction)},
                       {QStringLiteral("length"), qint64(e.length)},
                       {QStringLiteral("flags"), int(e.tcpFlags)}};
}

QString sessionIdParam(const QJsonObject &params)
{
    const QJsonValue v = params.value(QLatin1String("id"));
    return v.isDouble() ? QString::number(v.toInteger()) : v.toString();
}
} // namespace

SessionManager::SessionManager(IpcServer *server, const QString &storeRoot,
                               CredentialCache *credentials, QObject *parent)
    : QObject(parent)
    , m_server(server)
    , m_credentials(credentials)
    , m_store(storeRoot)
    , m_retention(&m_store, [this] { return runningIds(); })
{
    connect(&m_retention, &StoreRetention::removed, this,
            [this](const QString &sid, const QString &reason, qint64 diskBytes) {
                release(sid);
                m_server->publish(QStringLiteral("sessions"), QStringLiteral("removed"),
                                  QJsonObject{{QStringLiteral("id"), sid},
                                              {QStringLiteral("reason"), reason},
                                              {QStringLiteral("diskBytes"), diskBytes}});
            });
}

SessionManager::~SessionManager()
{
    qDeleteAll(m_sessions);
}

Result<bool> SessionManager::open(const QJsonObject &retention)
{
    const auto opened = m_store.open();
    if (!opened)
        return opened;
    const auto loaded = m_retention.load(retention);
    if (!loaded)
        return loaded;
    m_retention.enforce();
    m_retention.start();
    return true;
}

QSet<QString> SessionManager::runningIds() const
{
    QSet<QString> out;
    for (auto it = m_sessions.cbegin(); it != m_sessions.cend(); ++it)
        if (!it.value()->isFinished())
            out.insert(it.key());
    return out;
}

void SessionManager::release(const QString &sid)
{
    CaptureSession *s = m_sessions.value(sid);
    if (!s || !s->isFinished())
        return;
    m_sessions.remove(sid);
    s->deleteLater();
}

QString SessionManager::nextId() const
{
    // Ids are never reused, across restarts too (a session that failed before storing
    // anything leaves no folder): the last one handed out is kept in the store.
    QFile last(m_store.root() + QStringLiteral("/last-session-id"));
    int max = m_lastId;
    if (last.open(QIODevice::ReadOnly))
        max = std::max(max, last.readAll().trimmed().toInt());
    last.close();
    for (const QJsonObject &m : m_store.list())
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

QJsonArray SessionManager::liveSummaries() const
{
    QJsonArray out;
    for (const CaptureSession *s : m_sessions)
        out.append(s->summary());
    return out;
}

int SessionManager::activeCount() const
{
    int n = 0;
    for (const CaptureSession *s : m_sessions)
        n += s->isFinished() ? 0 : 1;
    return n;
}

void SessionManager::stopAll(int timeoutMs)
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

bool SessionManager::handle(IpcPeer *peer, qint64 id, const QString &method,
                            const QJsonObject &params)
{
    using Handler = void (SessionManager::*)(IpcPeer *, qint64, const QJsonObject &);
    static const QMap<QString, Handler> handlers{
            {QStringLiteral("session.start"), &SessionManager::start},
            {QStringLiteral("session.get"), &SessionManager::get},
            {QStringLiteral("session.stop"), &SessionManager::stop},
            {QStringLiteral("session.mirror"), &SessionManager::mirror},
            {QStringLiteral("session.packets"), &SessionManager::packets},
            {QStringLiteral("session.packet"), &SessionManager::packet},
            {QStringLiteral("session.rows"), &SessionManager::rows},
            {QStringLiteral("session.histogram"), &SessionManager::histogram},
            {QStringLiteral("session.stream"), &SessionManager::stream},
            {QStringLiteral("session.connections"), &SessionManager::connections},
            {QStringLiteral("session.requests"), &SessionManager::requests},
            {QStringLiteral("session.export"), &SessionManager::exportSession},
            {QStringLiteral("session.delete"), &SessionManager::remove},
            {QStringLiteral("store.retention"), &SessionManager::retention},
            {QStringLiteral("replay.start"), &SessionManager::replayStart},
            {QStringLiteral("replay.stop"), &SessionManager::replayStop},
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

void SessionManager::watch(CaptureSession *s)
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
                QTimer::singleShot(0, this, [this] { m_retention.enforce(); });
                QTimer::singleShot(m_finishedLingerMs, this,
                                   [this, sid = s->id()] { release(sid); });
            });
}

void SessionManager::subscribePcap(IpcPeer *peer, CaptureSession *s, const QJsonObject &params)
{
    const QString stream = streamOf(s->id());
    if (params.value(QLatin1String("pcapFormat")).toString() == QLatin1String("pcapng")) {
        // This reader's section header and the interfaces so far, before any packet block.
        peer->subscribe(stream + QStringLiteral("/pcapng"));
        peer->sendBinary(quint32(s->id().toUInt()), s->startPcapng());
        return;
    }
    peer->subscribe(stream + QStringLiteral("/pcap"));
    s->setPcapWanted(true);
}

QString SessionManager::protectedBy(const SessionConfig &config, QString *context) const
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
        const QString pattern = guard.matchingPattern(c);
        if (!pattern.isEmpty()) {
            *context = c;
            return pattern;
        }
    }
    *context = contexts.value(0);
    return {};
}

void SessionManager::start(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    const auto config = SessionConfig::fromJson(params);
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
        peer->replyError(
                id, QStringLiteral("protected-context"),
                QStringLiteral("context '%1' is protected (it matches '%2' in %3): nothing was "
                               "touched. Confirm to tap it anyway: podtap --yes-i-mean-production, "
                               "or type the context name in podtap-gui")
                        .arg(context, pattern, ContextGuard::defaultFile()));
        return;
    }
    const QString sid = nextId();
    auto *s = new CaptureSession(sid, config.value(), m_store.sessionDir(sid), this);
    s->setAudit(&m_audit, !pattern.isEmpty());
    s->setCredentialCache(m_credentials);
    m_sessions.insert(sid, s);
    watch(s);
    // Subscribing in the same request means no event can be missed.
    if (params.value(QLatin1String("subscribe")).toBool())
        peer->subscribe(streamOf(sid), skipEvents(params));
    if (params.value(QLatin1String("pcap")).toBool())
        subscribePcap(peer, s, params);
    // A foreground CLI session ends with its terminal (closed, killed): no orphan taps.
    if (params.value(QLatin1String("stopWithClient")).toBool()) {
        QPointer<CaptureSession> guarded(s);
        connect(peer, &IpcPeer::closed, s, [guarded] {
            if (guarded && !guarded->isFinished()) {
                Q_EMIT guarded->warning(QStringLiteral("the client that started this session "
                                                       "went away: stopping it"));
                guarded->stop();
            }
        });
    }
    peer->reply(id, QJsonObject{{QStringLiteral("session"), s->summary()}});
    m_server->publish(QStringLiteral("sessions"), QStringLiteral("added"), s->summary());
    s->start();
}

void SessionManager::list(IpcPeer *peer, qint64 id)
{
    QSet<QString> live;
    for (auto it = m_sessions.cbegin(); it != m_sessions.cend(); ++it)
        live.insert(it.key());
    QJsonArray stored;
    for (const QJsonObject &m : m_store.list(live))
        if (!live.contains(m.value(QLatin1String("id")).toString()))
            stored.append(m);
    QJsonArray sessions;
    for (const CaptureSession *s : std::as_const(m_sessions)) {
        QJsonObject summary = s->summary();
        summary.insert(QStringLiteral("diskBytes"), m_store.diskBytes(s->id()));
        sessions.append(summary);
    }
    peer->reply(id, QJsonObject{{QStringLiteral("sessions"), sessions},
                                {QStringLiteral("stored"), stored}});
}

void SessionManager::get(IpcPeer *peer, qint64 id, const QJsonObject &params)
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

Result<StoredSession> SessionManager::openStored(const QString &sid) const
{
    // A live session's last 100 ms are still in its spool's buffers. A client pages the store
    // after its subscription was answered; what ended before that must be on disk by then.
    if (CaptureSession *s = m_sessions.value(sid); s && !s->isFinished())
        s->flushStore();
    // Ids are numbers: anything else ("../x") would name a folder outside the store.
    if (!CaptureStore::isValidId(sid))
        return Result<StoredSession>::failure(
                QStringLiteral("\"%1\" is not a capture session id").arg(sid));
    return StoredSession::open(m_store.sessionDir(sid));
}

CaptureSession *SessionManager::liveSession(IpcPeer *peer, qint64 id,
                                            const QJsonObject &params) const
{
    const QString sid = sessionIdParam(params);
    CaptureSession *s = m_sessions.value(sid);
    if (!s)
        peer->replyError(id, QStringLiteral("not-found"),
                         QStringLiteral("no running session %1").arg(sid));
    return s;
}

void SessionManager::stop(IpcPeer *peer, qint64 id, const QJsonObject &params)
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

QStringList SessionManager::skipEvents(const QJsonObject &params)
{
    QStringList skip;
    for (const QJsonValue v : params.value(QLatin1String("skipEvents")).toArray())
        if (v.isString())
            skip << v.toString();
    return skip;
}

void SessionManager::subscribe(IpcPeer *peer, qint64 id, const QJsonObject &params, bool on)
{
    const QString what = params.value(QLatin1String("stream")).toString();
    QString stream;
    CaptureSession *s = nullptr;
    if (what == QLatin1String("sessions")) {
        stream = what;
    } else {
        const QString sid = sessionIdParam(params);
        s = m_sessions.value(sid);
        if (!s) {
            peer->replyError(id, QStringLiteral("not-found"),
                             QStringLiteral("no running session %1").arg(sid));
            return;
        }
        stream = streamOf(sid);
    }
    const bool pcap = params.value(QLatin1String("pcap")).toBool();
    if (on) {
        peer->subscribe(stream, skipEvents(params));
        if (pcap && s)
            subscribePcap(peer, s, params);
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

void SessionManager::mirror(IpcPeer *peer, qint64 id, const QJsonObject &params)
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

void SessionManager::packets(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    const auto stored = openStored(sessionIdParam(params));
    if (!stored) {
        peer->replyError(id, QStringLiteral("not-found"), stored.error());
        return;
    }
    const quint64 first = stored->firstPacket();
    const quint64 total = stored->packetCount();
    const quint64 from = std::max<quint64>(first, params.value(QLatin1String("from")).toInteger());
    const int count
            = std::clamp(params.value(QLatin1String("count")).toInt(1000), 0, MaxPacketsPerPage);
    QJsonArray out;
    if (params.contains(QLatin1String("connection")) || params.contains(QLatin1String("fromNs"))
        || params.contains(QLatin1String("toNs"))) {
        // A filtered page: the index has no per-connection or time lookup, so this scans it
        // from `from` (32 B read per packet, ~10 ms per 100k packets from the page cache).
        // A page stops after MaxScanPerPage records so one request never blocks long; the
        // client continues at `next` until `end`.
        constexpr quint64 MaxScanPerPage = 250000;
        StoreQueries::PacketFilter filter;
        const QJsonValue c = params.value(QLatin1String("connection"));
        for (const QJsonValue v : c.isArray() ? c.toArray() : QJsonArray{c})
            if (!v.isUndefined() && !v.isNull())
                filter.connections.insert(quint64(v.toInteger()));
        if (params.contains(QLatin1String("fromNs")))
            filter.fromNs = params.value(QLatin1String("fromNs")).toInteger();
        if (params.contains(QLatin1String("toNs")))
            filter.toNs = params.value(QLatin1String("toNs")).toInteger();
        const auto page
                = StoreQueries::packets(stored.value(), filter, from, count, MaxScanPerPage);
        for (const auto &[n, e] : page.packets)
            out.append(entryJson(n, e));
        peer->reply(id, QJsonObject{{QStringLiteral("first"), qint64(first)},
                                    {QStringLiteral("total"), qint64(total)},
                                    {QStringLiteral("next"), qint64(page.next)},
                                    {QStringLiteral("end"), page.end},
                                    {QStringLiteral("packets"), out}});
        return;
    }
    quint64 n = from;
    for (const PacketIndexEntry &e : stored->entries(from, count))
        out.append(entryJson(n++, e));
    peer->reply(id, QJsonObject{{QStringLiteral("first"), qint64(first)},
                                {QStringLiteral("total"), qint64(total)},
                                {QStringLiteral("packets"), out}});
}

void SessionManager::rows(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    const QString sid = sessionIdParam(params);
    auto stored = openStored(sid);
    if (!stored) {
        peer->replyError(id, QStringLiteral("not-found"), stored.error());
        return;
    }
    auto filter = PacketRows::Filter::fromParams(params);
    if (!filter) {
        peer->replyError(id, QStringLiteral("invalid"), filter.error());
        return;
    }
    const qint64 offset = params.value(QLatin1String("offset")).toInteger(0);
    if (offset < 0) {
        peer->replyError(id, QStringLiteral("invalid"),
                         QStringLiteral("offset must be 0 or more (got %1)").arg(offset));
        return;
    }
    const int count
            = std::clamp(params.value(QLatin1String("count")).toInt(256), 0, MaxRowsPerPage);
    const bool withInfo = params.value(QLatin1String("info")).toBool(true);
    // The same filter on the same session reuses its view: later pages are lookups and a
    // running session's view only scans what arrived since.
    const QString key = sid % QLatin1Char('|') % filter->key();
    std::shared_ptr<PacketRows> view;
    for (qsizetype i = 0; i < m_rowViews.size(); ++i)
        if (m_rowViews.at(i).first == key) {
            view = m_rowViews.takeAt(i).second;
            break;
        }
    if (!view)
        view = std::make_shared<PacketRows>(filter.value());
    m_rowViews.append({key, view});
    while (m_rowViews.size() > MaxRowViews)
        m_rowViews.removeFirst();
    // A client following a running session polls; a finished one tells it to stop.
    const CaptureSession *live = m_sessions.value(sid);
    const bool running = live && !live->isFinished();
    answerFromWorker(peer, id,
                     [session = std::move(stored.value()), view, offset, count, withInfo,
                      running]() -> Result<QJsonObject> {
                         const PacketRows::Page page = view->page(session, quint64(offset), count);
                         QList<PacketIndexEntry> entries;
                         entries.reserve(page.rows.size());
                         for (const auto &r : page.rows)
                             entries << r.second;
                         const QStringList info
                                 = withInfo ? PacketRows::info(session, entries) : QStringList();
                         QJsonArray out;
                         for (qsizetype i = 0; i < page.rows.size(); ++i) {
                             QJsonObject row = entryJson(page.rows.at(i).first, entries.at(i));
                             if (withInfo)
                                 row[QLatin1String("info")] = info.value(i);
                             out.append(row);
                         }
                         return QJsonObject{{QStringLiteral("first"), qint64(page.first)},
                                            {QStringLiteral("total"), qint64(page.total)},
                                            {QStringLiteral("offset"), qint64(page.offset)},
                                            {QStringLiteral("running"), running},
                                            {QStringLiteral("rows"), out}};
                     });
}

void SessionManager::answerFromWorker(IpcPeer *peer, qint64 id,
                                      std::function<Result<QJsonObject>()> work)
{
    // A pass over a big index takes a while: a thread keeps live captures flowing meanwhile.
    QPointer<IpcPeer> p(peer);
    auto result = std::make_shared<std::optional<Result<QJsonObject>>>();
    QThread *t = QThread::create([work = std::move(work), result] { *result = work(); });
    connect(t, &QThread::finished, this, [p, id, result, t] {
        t->deleteLater();
        if (!p)
            return;
        const auto &r = **result;
        if (!r)
            p->replyError(id, QStringLiteral("invalid"), r.error());
        else
            p->reply(id, r.value());
    });
    t->start();
}

void SessionManager::histogram(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    const auto stored = openStored(sessionIdParam(params));
    if (!stored) {
        peer->replyError(id, QStringLiteral("not-found"), stored.error());
        return;
    }
    StoreQueries::HistogramQuery q;
    if (params.contains(QLatin1String("fromNs")))
        q.fromNs = params.value(QLatin1String("fromNs")).toInteger();
    if (params.contains(QLatin1String("toNs")))
        q.toNs = params.value(QLatin1String("toNs")).toInteger();
    q.bins = params.value(QLatin1String("bins")).toInt(512);
    for (const QJsonValue v : params.value(QLatin1String("connections")).toArray())
        q.connections.insert(quint64(v.toInteger()));
    answerFromWorker(peer, id, [s = stored.value(), q] { return StoreQueries::histogram(s, q); });
}

void SessionManager::stream(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    const auto stored = openStored(sessionIdParam(params));
    if (!stored) {
        peer->replyError(id, QStringLiteral("not-found"), stored.error());
        return;
    }
    StoreQueries::StreamQuery q;
    q.connection = quint64(params.value(QLatin1String("connection")).toInteger());
    q.maxBytes = params.value(QLatin1String("maxBytes")).toInteger(q.maxBytes);
    const QJsonObject meta = stored->meta();
    q.tappedPort
            = meta.value(QLatin1String("podPort")).toInt(meta.value(QLatin1String("port")).toInt());
    answerFromWorker(peer, id, [s = stored.value(), q] { return StoreQueries::stream(s, q); });
}

void SessionManager::packet(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    const auto stored = openStored(sessionIdParam(params));
    if (!stored) {
        peer->replyError(id, QStringLiteral("not-found"), stored.error());
        return;
    }
    const quint64 n = quint64(params.value(QLatin1String("n")).toInteger(-1));
    const auto entries = stored->entries(n, 1);
    if (entries.isEmpty()) {
        peer->replyError(id, QStringLiteral("not-found"),
                         QStringLiteral("packet %1 is not in the store (first %2, total %3)")
                                 .arg(n)
                                 .arg(stored->firstPacket())
                                 .arg(stored->packetCount()));
        return;
    }
    const auto data = stored->packetData(entries.constFirst());
    if (!data) {
        peer->replyError(id, QStringLiteral("store"), data.error());
        return;
    }
    QJsonObject r = entryJson(n, entries.constFirst());
    r[QLatin1String("linkType")] = stored->linkTypeOf(entries.constFirst());
    r[QLatin1String("data")] = QString::fromLatin1(data->toBase64());
    peer->reply(id, r);
}

void SessionManager::connections(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    const QString sid = sessionIdParam(params);
    const auto stored = openStored(sid);
    if (!stored) {
        peer->replyError(id, QStringLiteral("not-found"), stored.error());
        return;
    }
    // The store holds the ended connections; a running session's open ones are only in its
    // pipelines: they follow the ended ones, flagged "open".
    const bool onlyOpen = params.value(QLatin1String("open")).toBool();
    QList<QJsonObject> all;
    if (!onlyOpen) {
        all = stored->connections();
        for (QJsonObject &c : all)
            if (!c.contains(QLatin1String("open")))
                c[QLatin1String("open")] = false; // stored before the flag existed
    }
    qsizetype open = 0;
    if (CaptureSession *s = m_sessions.value(sid); s && !s->isFinished()) {
        const QList<QJsonObject> live = s->openConnections();
        open = live.size();
        all.append(live);
    }
    const int from = std::max(0, params.value(QLatin1String("from")).toInt());
    const int count
            = std::clamp(params.value(QLatin1String("count")).toInt(1000), 0, MaxPacketsPerPage);
    QJsonArray out;
    for (int i = from; i < all.size() && i < from + count; ++i)
        out.append(all.at(i));
    peer->reply(id, QJsonObject{{QStringLiteral("total"), int(all.size())},
                                {QStringLiteral("open"), qint64(open)},
                                {QStringLiteral("connections"), out}});
}

void SessionManager::requests(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    const auto stored = openStored(sessionIdParam(params));
    if (!stored) {
        peer->replyError(id, QStringLiteral("not-found"), stored.error());
        return;
    }
    StoreQueries::RequestQuery q;
    q.offset = params.value(QLatin1String("offset")).toInteger(0);
    q.limit = params.value(QLatin1String("limit")).toInt(1000);
    q.connection = params.value(QLatin1String("connection")).toInteger(-1);
    const QJsonValue v = params.value(QLatin1String("verdict"));
    for (const QJsonValue name : v.isArray() ? v.toArray() : QJsonArray{v})
        if (!name.toString().isEmpty())
            q.verdicts.insert(name.toString());
    q.route = params.value(QLatin1String("route")).toString();
    answerFromWorker(peer, id, [s = stored.value(), q] { return StoreQueries::requests(s, q); });
}

void SessionManager::exportSession(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    const QString sid = sessionIdParam(params);
    auto stored = openStored(sid);
    if (!stored) {
        peer->replyError(id, QStringLiteral("not-found"), stored.error());
        return;
    }
    const QString path = params.value(QLatin1String("path")).toString();
    if (!QDir::isAbsolutePath(path)) {
        peer->replyError(id, QStringLiteral("invalid"),
                         QStringLiteral("the export path must be absolute (got '%1')").arg(path));
        return;
    }
    CaptureExporter::Options o;
    const QString format = params.value(QLatin1String("format")).toString();
    if (format == QLatin1String("pcap"))
        o.format = PcapWriter::Format::Pcap;
    else if (format.isEmpty() || format == QLatin1String("pcapng"))
        o.format = PcapWriter::Format::Pcapng;
    else {
        peer->replyError(id, QStringLiteral("invalid"),
                         QStringLiteral("format must be pcap or pcapng (got '%1')").arg(format));
        return;
    }
    for (const QJsonValue v : params.value(QLatin1String("connections")).toArray())
        o.connections.insert(quint64(v.toInteger()));
    if (params.contains(QLatin1String("fromNs")))
        o.fromNs = params.value(QLatin1String("fromNs")).toInteger();
    if (params.contains(QLatin1String("toNs")))
        o.toNs = params.value(QLatin1String("toNs")).toInteger();
    o.bpf = params.value(QLatin1String("filter")).toString();
    // Exports read files only: a thread keeps live captures flowing meanwhile.
    QPointer<IpcPeer> p(peer);
    auto result = std::make_shared<std::optional<Result<CaptureExporter::Summary>>>();
    QThread *t = QThread::create([stored = stored.value(), path, o, result] {
        *result = CaptureExporter::exportSession(stored, path, o);
    });
    connect(t, &QThread::finished, this, [p, id, result, t] {
        t->deleteLater();
        if (!p)
            return;
        const auto &r = **result;
        if (!r) {
            p->replyError(id, QStringLiteral("export"), r.error());
            return;
        }
        p->reply(id, QJsonObject{{QStringLiteral("path"), r->path},
                                 {QStringLiteral("packets"), qint64(r->packets)},
                                 {QStringLiteral("bytes"), qint64(r->bytes)}});
    });
    t->start();
}

void SessionManager::remove(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    // {"id": "3"}, {"ids": ["3", "4"]} or {"allStopped": true}. One id keeps the old answers
    // (an error when it cannot go); a list answers what went and why the others did not.
    const bool allStopped = params.value(QLatin1String("allStopped")).toBool();
    const bool many = allStopped || params.contains(QLatin1String("ids"));
    QStringList ids;
    if (allStopped) {
        const QSet<QString> running = runningIds();
        for (const QJsonObject &m : m_store.list(running)) {
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
        if (CaptureSession *s = m_sessions.value(sid); s && !s->isFinished()) {
            code = QStringLiteral("busy");
            message = QStringLiteral("session %1 is still running: stop it first").arg(sid);
        } else {
            diskBytes = m_store.diskBytes(sid);
            const bool inMemoryOnly
                    = m_sessions.contains(sid) && !QFileInfo::exists(m_store.sessionDir(sid));
            // A session that failed before it stored anything has no folder: it only leaves
            // memory.
            const auto r = inMemoryOnly ? Result<bool>(true) : m_store.remove(sid);
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

void SessionManager::retention(IpcPeer *peer, qint64 id, const QJsonObject &params)
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
    for (const QJsonObject &m : m_store.list(runningIds()))
        used += m.value(QLatin1String("diskBytes")).toInteger();
    peer->reply(id, QJsonObject{{QStringLiteral("retention"), m_retention.policy().toJson()},
                                {QStringLiteral("store"), m_store.root()},
                                {QStringLiteral("diskBytes"), used},
                                {QStringLiteral("removed"), removed}});
}

void SessionManager::replayStart(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    ReplaySession::Options o;
    const QString source = params.value(QLatin1String("source")).toString();
    if (QDir::isAbsolutePath(source)) {
        o.file = source;
    } else {
        if (CaptureSession *s = m_sessions.value(source); s && !s->isFinished()) {
            peer->replyError(id, QStringLiteral("busy"),
                             QStringLiteral("session %1 is still capturing: stop it first, or "
                                            "mirror it live instead")
                                     .arg(source));
            return;
        }
        const auto stored = openStored(source);
        if (!stored) {
            peer->replyError(id, QStringLiteral("not-found"),
                             QStringLiteral("'%1' is neither an absolute file path nor a stored "
                                            "session: %2")
                                     .arg(source, stored.error()));
            return;
        }
        const QStringList files = stored->files();
        if (files.isEmpty()) {
            peer->replyError(id, QStringLiteral("not-found"),
                             QStringLiteral("session %1 has no stored packets").arg(source));
            return;
        }
        o.file = files.constFirst();
        o.moreFiles = files.mid(1);
        // A selection by the session's connection ids (what the GUI and export use).
        const QJsonArray ids = params.value(QLatin1String("connections")).toArray();
        if (!ids.isEmpty()) {
            QSet<qint64> wanted;
            for (const QJsonValue v : ids)
                wanted.insert(v.toInteger());
            for (const QJsonObject &c : stored->connections())
                if (wanted.contains(c.value(QLatin1String("id")).toInteger()))
                    o.clients.insert(c.value(QLatin1String("client")).toString());
            if (o.clients.isEmpty()) {
                peer->replyError(
                        id, QStringLiteral("not-found"),
                        QStringLiteral("none of those connections is in session %1").arg(source));
                return;
            }
        }
        o.serverPort = std::uint16_t(
                stored->meta()
                        .value(QLatin1String("podPort"))
                        .toInt(stored->meta().value(QLatin1String("port")).toInt()));
    }
    const QString host = params.value(QLatin1String("host")).toString(QStringLiteral("127.0.0.1"));
    o.host = QHostAddress(host == QLatin1String("localhost") ? QStringLiteral("127.0.0.1") : host);
    o.port = quint16(params.value(QLatin1String("port")).toInt());
    o.speed = params.value(QLatin1String("speed")).toDouble(1.0);
    for (const QJsonValue v : params.value(QLatin1String("clients")).toArray())
        o.clients.insert(v.toString());
    o.includeMidstream = params.value(QLatin1String("joinMidstream")).toBool();
    if (params.contains(QLatin1String("serverPort")))
        o.serverPort = std::uint16_t(params.value(QLatin1String("serverPort")).toInt());
    if (o.host.isNull() || o.port == 0) {
        peer->replyError(id, QStringLiteral("invalid"),
                         QStringLiteral("replay needs an IP address and a port to send to"));
        return;
    }
    if (!MirrorSink::targetAllowed(o.host, params.value(QLatin1String("allowRemote")).toBool())) {
        peer->replyError(id, QStringLiteral("invalid"),
                         QStringLiteral("refusing to replay to %1: not a loopback address (give "
                                        "the address explicitly to allow it)")
                                 .arg(host));
        return;
    }
    if (o.speed < 0) {
        peer->replyError(id, QStringLiteral("invalid"), QStringLiteral("speed must be ≥ 0"));
        return;
    }
    if (params.value(QLatin1String("http")).toBool()) {
        startHttpReplay(peer, id, params, o);
        return;
    }
    auto *r = new ReplaySession(o, this);
    runReplay(peer, id, params, r, m_replays, [this, r](const QString &stream) {
        auto batch = std::make_shared<QJsonArray>();
        connect(r, &ReplaySession::connectionDone, r,
                [batch](quint64 cid, const QString &outcome, quint64 sent, const QByteArray &resp) {
                    batch->append(
                            QJsonObject{{QStringLiteral("id"), qint64(cid)},
                                        {QStringLiteral("outcome"), outcome},
                                        {QStringLiteral("bytesSent"), qint64(sent)},
                                        {QStringLiteral("responseBytes"), qint64(resp.size())}});
                });
        connect(r, &ReplaySession::progress, r, [this, stream, r](quint64 packets, quint64 conns) {
            m_server->publish(
                    stream, QStringLiteral("progress"),
                    QJsonObject{{QStringLiteral("packets"), qint64(packets)},
                                {QStringLiteral("connections"), qint64(conns)},
                                {QStringLiteral("bytesSent"), qint64(r->stats().bytesMirrored)}});
        });
        ReplayEvents events;
        events.flush = [this, stream, batch] {
            if (batch->isEmpty())
                return;
            m_server->publish(stream, QStringLiteral("connections"),
                              QJsonObject{{QStringLiteral("ended"), *batch}});
            *batch = QJsonArray();
        };
        events.done = [r](bool ok, const QString &message) {
            // Every count (docs/ipc.md), plus bytesSent as replay clients know it.
            QJsonObject done = r->stats().toJson();
            done[QLatin1String("ok")] = ok;
            done[QLatin1String("message")] = message;
            done[QLatin1String("bytesSent")] = qint64(r->stats().bytesMirrored);
            return done;
        };
        return events;
    });
}

template<typename Session>
void SessionManager::runReplay(IpcPeer *peer, qint64 id, const QJsonObject &params, Session *r,
                               QMap<QString, QPointer<Session>> &running,
                               const std::function<ReplayEvents(const QString &stream)> &wire)
{
    const QString rid = QStringLiteral("r%1").arg(m_nextReplay++);
    const QString stream = QStringLiteral("replay/") + rid;
    if (params.value(QLatin1String("subscribe")).toBool(true))
        peer->subscribe(stream);
    const ReplayEvents events = wire(stream);
    auto *flush = new QTimer(r);
    flush->setInterval(250);
    connect(flush, &QTimer::timeout, r, events.flush);
    connect(r, &Session::done, this,
            [this, stream, r, rid, flush, events, &running](bool ok, const QString &message) {
                flush->stop();
                events.flush();
                m_server->publish(stream, QStringLiteral("done"), events.done(ok, message));
                running.remove(rid);
                r->deleteLater();
            });
    QString error;
    if (!r->start(&error)) {
        delete r;
        peer->unsubscribe(stream);
        peer->replyError(id, QStringLiteral("invalid"), error);
        return;
    }
    running.insert(rid, r);
    flush->start();
    peer->reply(id, QJsonObject{{QStringLiteral("id"), rid}, {QStringLiteral("stream"), stream}});
}

void SessionManager::startHttpReplay(IpcPeer *peer, qint64 id, const QJsonObject &params,
                                     const ReplaySession::Options &raw)
{
    HttpReplaySession::Options o;
    o.file = raw.file;
    o.moreFiles = raw.moreFiles;
    o.host = raw.host;
    o.port = raw.port;
    o.serverPort = raw.serverPort;
    o.clients = raw.clients;
    o.rate = params.value(QLatin1String("rate")).toDouble(0);
    o.percent = params.value(QLatin1String("percent")).toDouble(100);
    o.concurrency = params.value(QLatin1String("concurrency")).toInt(8);
    o.keepAuth = params.value(QLatin1String("keepAuth")).toBool();
    o.compare = params.value(QLatin1String("compare")).toBool(true);
    o.timeoutMs = params.value(QLatin1String("timeoutMs")).toInt(10000);
    for (const QJsonValue v : params.value(QLatin1String("ignoreHeaders")).toArray())
        o.compareOptions.ignoreHeaders.insert(v.toString().toLatin1().toLower().trimmed());
    const QJsonObject headers = params.value(QLatin1String("setHeaders")).toObject();
    for (auto it = headers.begin(); it != headers.end(); ++it) {
        const QByteArray name = it.key().toLatin1();
        const QByteArray value = it.value().toString().toLatin1();
        // A header line must stay one line: no CR/LF smuggled into the request.
        if (name.isEmpty() || name.contains('\r') || name.contains('\n') || name.contains(':')
            || value.contains('\r') || value.contains('\n')) {
            peer->replyError(id, QStringLiteral("invalid"),
                             QStringLiteral("bad header to set: '%1'").arg(it.key()));
            return;
        }
        o.setHeaders.append({name, value});
    }
    const auto filter = HttpFilter::fromJson(params.value(QLatin1String("filter")).toObject());
    if (!filter) {
        peer->replyError(id, QStringLiteral("invalid"), filter.error());
        return;
    }
    o.filter = filter.value();
    if (o.concurrency < 1 || o.concurrency > 256 || o.timeoutMs < 100) {
        peer->replyError(id, QStringLiteral("invalid"),
                         QStringLiteral("concurrency must be 1-256 and the timeout ≥ 100 ms"));
        return;
    }
    auto *r = new HttpReplaySession(o, this);
    runReplay(peer, id, params, r, m_httpReplays, [this, r](const QString &stream) {
        auto batch = std::make_shared<QJsonArray>();
        connect(r, &HttpReplaySession::compared, r,
                [batch](const QJsonObject &record) { batch->append(record); });
        ReplayEvents events;
        events.flush = [this, stream, batch, r] {
            if (!batch->isEmpty()) {
                m_server->publish(stream, QStringLiteral("compared"),
                                  QJsonObject{{QStringLiteral("verdicts"), *batch}});
                *batch = QJsonArray();
            }
            m_server->publish(stream, QStringLiteral("progress"), r->summary());
        };
        events.done = [r](bool ok, const QString &message) {
            QJsonObject done = r->summary();
            done[QLatin1String("ok")] = ok;
            done[QLatin1String("message")] = message;
            done[QLatin1String("http")] = true;
            return done;
        };
        return events;
    });
}

void SessionManager::replayStop(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    const QString rid = params.value(QLatin1String("id")).toString();
    if (HttpReplaySession *h = m_httpReplays.value(rid)) {
        h->stop();
        peer->reply(id, {});
        return;
    }
    ReplaySession *r = m_replays.value(rid);
    if (!r) {
        peer->replyError(id, QStringLiteral("not-found"), QStringLiteral("no replay %1").arg(rid));
        return;
    }
    r->stop();
    peer->reply(id, {});
}

} // namespace podtap
