#include "storequeryservice.h"

#include "capturesession.h"
#include "ipc/ipcframe.h"
#include "ipc/ipcserver.h"
#include "sessionregistry.h"
#include "store/captureexporter.h"
#include "store/storedsession.h"
#include "store/storequeries.h"

#include <QDir>
#include <QJsonArray>
#include <QPointer>

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
    return SessionRegistry::sessionIdParam(params);
}

// The queue is full: the client is told at once instead of waiting behind it.
void replyBusy(IpcPeer *peer, qint64 id, const WorkerPool *pool, const QString &what)
{
    peer->replyError(id, QStringLiteral("busy"),
                     QStringLiteral("the daemon is busy: %1 %2 are already waiting for its %3 "
                                    "worker threads; try again in a moment")
                             .arg(pool->queued())
                             .arg(what)
                             .arg(pool->limits().threads));
}
static_assert(StoreQueries::MaxStreamBytes / 3 * 4 < IpcFrame::MaxFrameBytes * 3 / 4,
              "session.stream's base64 must leave a quarter of the frame for its JSON");
} // namespace

StoreQueryService::StoreQueryService(SessionRegistry *registry, WorkerPool *queries,
                                     WorkerPool *exports, QObject *parent)
    : QObject(parent)
    , m_registry(registry)
    , m_queries(queries)
    , m_exports(exports)
{}

bool StoreQueryService::handle(IpcPeer *peer, qint64 id, const QString &method,
                               const QJsonObject &params)
{
    using Handler = void (StoreQueryService::*)(IpcPeer *, qint64, const QJsonObject &);
    static const QMap<QString, Handler> handlers{
            {QStringLiteral("session.packets"), &StoreQueryService::packets},
            {QStringLiteral("session.packet"), &StoreQueryService::packet},
            {QStringLiteral("session.rows"), &StoreQueryService::rows},
            {QStringLiteral("session.histogram"), &StoreQueryService::histogram},
            {QStringLiteral("session.stream"), &StoreQueryService::stream},
            {QStringLiteral("session.connections"), &StoreQueryService::connections},
            {QStringLiteral("session.requests"), &StoreQueryService::requests},
            {QStringLiteral("session.export"), &StoreQueryService::exportSession},
    };
    const auto it = handlers.constFind(method);
    if (it == handlers.cend())
        return false;
    (this->*it.value())(peer, id, params);
    return true;
}

Result<StoredSession> StoreQueryService::openStored(const QString &sid) const
{
    return m_registry->openStored(sid);
}

void StoreQueryService::packets(IpcPeer *peer, qint64 id, const QJsonObject &params)
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

void StoreQueryService::rows(IpcPeer *peer, qint64 id, const QJsonObject &params)
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
    const CaptureSession *live = m_registry->session(sid);
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
                     },
                     // Another filter on this session from this client: the old pages are stale.
                     {QStringLiteral("rows|") + sid, filter->key()});
}

void StoreQueryService::answerFromWorker(IpcPeer *peer, qint64 id,
                                         std::function<Result<QJsonObject>()> work,
                                         const View &view)
{
    // A pass over a big index takes a while: a worker keeps live captures flowing meanwhile.
    QPointer<IpcPeer> p(peer);
    WorkerPool::Job job;
    job.receiver = peer;
    // Generations are per client: one peer's requests never make another's stale.
    if (!view.key.isEmpty())
        job.key = QString::number(quintptr(peer), 16) % QLatin1Char('|') % view.key;
    job.variant = view.variant;
    job.work = [work = std::move(work), p, id]() -> WorkerPool::Deliver {
        auto result = std::make_shared<Result<QJsonObject>>(work());
        return [p, id, result] {
            if (!p)
                return;
            const auto &r = *result;
            if (!r)
                p->replyError(id, QStringLiteral("invalid"), r.error());
            else
                p->reply(id, r.value());
        };
    };
    job.superseded = [p, id] {
        if (p)
            p->replyError(id, QStringLiteral("superseded"),
                          QStringLiteral("a newer request for the same view replaced this one"));
    };
    if (m_queries->submit(std::move(job)) == WorkerPool::Outcome::Busy)
        replyBusy(peer, id, m_queries, QStringLiteral("store queries"));
}

void StoreQueryService::histogram(IpcPeer *peer, qint64 id, const QJsonObject &params)
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
    // A newer histogram of this session (zoom, pan) makes the older one stale.
    answerFromWorker(peer, id, [s = stored.value(), q] { return StoreQueries::histogram(s, q); },
                     {QStringLiteral("histogram|") + sessionIdParam(params), {}});
}

void StoreQueryService::stream(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    const auto stored = openStored(sessionIdParam(params));
    if (!stored) {
        peer->replyError(id, QStringLiteral("not-found"), stored.error());
        return;
    }
    StoreQueries::StreamQuery q;
    q.connection = quint64(params.value(QLatin1String("connection")).toInteger());
    q.maxBytes = params.value(QLatin1String("maxBytes")).toInteger(q.maxBytes);
    if (q.maxBytes > StoreQueries::MaxStreamBytes) {
        peer->replyError(id, IpcError::TooLarge,
                         QStringLiteral("maxBytes %1 is more than one answer may carry (at most "
                                        "%2: the reply must fit one %3-byte IPC frame)")
                                 .arg(q.maxBytes)
                                 .arg(StoreQueries::MaxStreamBytes)
                                 .arg(IpcFrame::MaxFrameBytes));
        return;
    }
    const QJsonObject meta = stored->meta();
    q.tappedPort
            = meta.value(QLatin1String("podPort")).toInt(meta.value(QLatin1String("port")).toInt());
    // Following another connection makes the older reassembly stale.
    answerFromWorker(peer, id, [s = stored.value(), q] { return StoreQueries::stream(s, q); },
                     {QStringLiteral("stream|") + sessionIdParam(params), {}});
}

void StoreQueryService::packet(IpcPeer *peer, qint64 id, const QJsonObject &params)
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

void StoreQueryService::connections(IpcPeer *peer, qint64 id, const QJsonObject &params)
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
    if (CaptureSession *s = m_registry->session(sid); s && !s->isFinished()) {
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

void StoreQueryService::requests(IpcPeer *peer, qint64 id, const QJsonObject &params)
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
    q.method = params.value(QLatin1String("method")).toString();
    answerFromWorker(peer, id, [s = stored.value(), q] { return StoreQueries::requests(s, q); });
}

void StoreQueryService::exportSession(IpcPeer *peer, qint64 id, const QJsonObject &params)
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
    // Exports read files only: a worker keeps live captures flowing meanwhile. They have
    // their own pool so that a long export never holds up the packet list.
    QPointer<IpcPeer> p(peer);
    WorkerPool::Job job;
    job.receiver = peer;
    job.work = [stored = stored.value(), path, o, p, id]() -> WorkerPool::Deliver {
        auto result = std::make_shared<Result<CaptureExporter::Summary>>(
                CaptureExporter::exportSession(stored, path, o));
        return [p, id, result] {
            if (!p)
                return;
            const auto &r = *result;
            if (!r) {
                p->replyError(id, QStringLiteral("export"), r.error());
                return;
            }
            p->reply(id, QJsonObject{{QStringLiteral("path"), r->path},
                                     {QStringLiteral("packets"), qint64(r->packets)},
                                     {QStringLiteral("bytes"), qint64(r->bytes)}});
        };
    };
    if (m_exports->submit(std::move(job)) == WorkerPool::Outcome::Busy)
        replyBusy(peer, id, m_exports, QStringLiteral("exports"));
}

} // namespace podtap
