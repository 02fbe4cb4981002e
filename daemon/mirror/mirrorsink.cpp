#include "mirrorsink.h"

#include "mirrorconnection.h"
#include "shadowcompare.h"

#include <QTimer>

namespace podtap {

namespace {
bool loopback(const Endpoint &e)
{
    static constexpr std::array<std::uint8_t, 16> v6Loopback{0, 0, 0, 0, 0, 0, 0, 0,
                                                             0, 0, 0, 0, 0, 0, 0, 1};
    return e.family == 4 ? e.addr[0] == 127 : e.addr == v6Loopback;
}

// The sidecar → app hop: on lo, either 127.0.0.1 to 127.0.0.1 or the pod IP to itself.
bool localHop(const TcpConnection &c)
{
    return (loopback(c.client) && loopback(c.server))
           || (c.client.family == c.server.family && c.client.addr == c.server.addr);
}
} // namespace

MirrorSink::Stats &MirrorSink::Stats::operator+=(const Stats &s)
{
    connections += s.connections;
    skippedMidstream += s.skippedMidstream;
    localErrors += s.localErrors;
    gaps += s.gaps;
    dropped += s.dropped;
    bytesMirrored += s.bytesMirrored;
    responseBytes += s.responseBytes;
    completed += s.completed;
    notSelected += s.notSelected;
    resets += s.resets;
    localClosed += s.localClosed;
    incomplete += s.incomplete;
    filtered += s.filtered;
    requests += s.requests;
    freshConnections += s.freshConnections;
    notResyncable += s.notResyncable;
    joined += s.joined;
    tlsNotMirrored += s.tlsNotMirrored;
    localHops += s.localHops;
    http2 += s.http2;
    http2Gaps += s.http2Gaps;
    http2Midstream += s.http2Midstream;
    return *this;
}

QJsonObject MirrorSink::Stats::toJson() const
{
    return QJsonObject{{QStringLiteral("connections"), qint64(connections)},
                       {QStringLiteral("completed"), qint64(completed)},
                       {QStringLiteral("skippedMidstream"), qint64(skippedMidstream)},
                       {QStringLiteral("localErrors"), qint64(localErrors)},
                       {QStringLiteral("gaps"), qint64(gaps)},
                       {QStringLiteral("dropped"), qint64(dropped)},
                       {QStringLiteral("notSelected"), qint64(notSelected)},
                       {QStringLiteral("resets"), qint64(resets)},
                       {QStringLiteral("localClosed"), qint64(localClosed)},
                       {QStringLiteral("incomplete"), qint64(incomplete)},
                       {QStringLiteral("filtered"), qint64(filtered)},
                       {QStringLiteral("bytesMirrored"), qint64(bytesMirrored)},
                       {QStringLiteral("responseBytes"), qint64(responseBytes)},
                       {QStringLiteral("requestsSeen"), qint64(requests.requestsSeen)},
                       {QStringLiteral("requestsMirrored"), qint64(requests.requestsMirrored)},
                       {QStringLiteral("requestsLost"), qint64(requests.requestsLost)},
                       {QStringLiteral("requestsLostAtLeast"), requests.lostAtLeast},
                       {QStringLiteral("bytesLost"), qint64(requests.bytesLost)},
                       {QStringLiteral("resyncs"), qint64(requests.resyncs)},
                       {QStringLiteral("freshConnections"), qint64(freshConnections)},
                       {QStringLiteral("notResyncable"), qint64(notResyncable)},
                       {QStringLiteral("joined"), qint64(joined)},
                       {QStringLiteral("tlsNotMirrored"), qint64(tlsNotMirrored)},
                       {QStringLiteral("localHops"), qint64(localHops)},
                       {QStringLiteral("http2"), qint64(http2)},
                       {QStringLiteral("http2Gaps"), qint64(http2Gaps)},
                       {QStringLiteral("http2Midstream"), qint64(http2Midstream)}};
}

MirrorSink::MirrorSink(const Options &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
{
    if (m_options.compare) {
        m_shadow = std::make_unique<ShadowCompare>(m_options.compareOptions);
        m_shadow->setTimeoutMs(m_options.compareTimeoutMs);
    }
    m_idle = new QTimer(this);
    m_idle->setInterval(IdleTickMs);
    connect(m_idle, &QTimer::timeout, this, &MirrorSink::idleTick);
    m_idle->start();
}

void MirrorSink::idleTick()
{
    for (auto &[id, f] : m_flows) {
        if (f.ended || !f.framer.waitingForConfirmation())
            continue;
        m_out.clear();
        f.framer.idle(m_out);
        deliver(id, f, m_out);
    }
}

MirrorSink::~MirrorSink()
{
    for (auto &[id, m] : m_conns)
        delete m;
}

bool MirrorSink::targetAllowed(const QHostAddress &host, bool allowRemote)
{
    return allowRemote || host.isLoopback();
}

QString MirrorSink::liveState(std::uint64_t captureId) const
{
    if (m_conns.count(captureId) > 0)
        return QStringLiteral("mirroring");
    if (const auto it = m_flows.find(captureId); it != m_flows.end()) {
        if (it->second.ended)
            return QStringLiteral("ended");
        return QStringLiteral("waiting");
    }
    return m_known.count(captureId) > 0 ? QStringLiteral("skipped") : QString();
}

MirrorSink::Stats MirrorSink::stats() const
{
    Stats s = m_stats;
    for (const auto &[id, f] : m_flows)
        s.requests += f.framer.counts();
    return s;
}

void MirrorSink::connectionOpened(TcpConnection &c)
{
    m_known.insert(c.id);
    if (m_options.select && !m_options.select(c)) {
        ++m_stats.notSelected;
        return;
    }
    if (c.midstream && !m_options.joinMidstream) {
        ++m_stats.skippedMidstream;
        return;
    }
    startFlow(c, c.midstream);
}

void MirrorSink::startFlow(TcpConnection &c, bool midstream)
{
    RequestFramer::Options o;
    o.midstream = midstream;
    Flow &f = m_flows.try_emplace(c.id, o).first->second;
    f.midstream = midstream;
    f.localHop = localHop(c);
    if (midstream)
        ++m_stats.joined;
    if (!m_options.httpFilter.isEmpty()) {
        f.filterPending = true; // opened once its first request is known
        return;
    }
    if (midstream)
        return; // opened at its first whole request
    // Opened once its first bytes show it is not TLS (the first byte, for a plain stream).
    f.pendingOpen = true;
}

void MirrorSink::openFlow(std::uint64_t id, Flow &f)
{
    f.pendingOpen = false;
    open(id);
    f.opened = true;
    if (f.localHop)
        ++m_stats.localHops;
    if (m_shadow) {
        m_shadow->connectionStarted(id); // compared from its first byte
        f.compared = true;
    }
}

void MirrorSink::tlsFound(Flow &f)
{
    f.ended = true;
    f.pendingOpen = false;
    f.filterPending = false;
    if (f.midstream)
        --m_stats.joined; // it was never joined: no request boundary in TLS
    ++m_stats.tlsNotMirrored;
    Q_EMIT statsChanged();
}

MirrorSink::Flow *MirrorSink::flowFor(TcpConnection &c)
{
    if (const auto it = m_flows.find(c.id); it != m_flows.end())
        return it->second.ended ? nullptr : &it->second;
    if (!m_known.insert(c.id).second)
        return nullptr; // skipped, dropped or ended earlier
    // Open before the mirror was switched on: its start is not ours to replay.
    if (!m_options.joinMidstream) {
        ++m_stats.skippedMidstream;
        return nullptr;
    }
    if (m_options.select && !m_options.select(c)) {
        ++m_stats.notSelected;
        return nullptr;
    }
    startFlow(c, true);
    return &m_flows.find(c.id)->second;
}

void MirrorSink::open(std::uint64_t id)
{
    auto *m = new MirrorConnection(this, id, this);
    m_conns.emplace(id, m);
    ++m_stats.connections;
    m->connectTo(m_options.host, m_options.port);
}

void MirrorSink::data(TcpConnection &c, Direction d, const std::uint8_t *bytes, std::size_t size,
                      std::int64_t tsNs)
{
    if (d != Direction::ClientToServer)
        return; // the pod's own answers are not sent anywhere
    Flow *f = flowFor(c);
    if (!f)
        return;
    m_out.clear();
    f->framer.data(bytes, size, tsNs, m_out);
    deliver(c.id, *f, m_out);
}

void MirrorSink::gap(TcpConnection &c, Direction d, std::uint64_t bytes, std::int64_t tsNs)
{
    if (d != Direction::ClientToServer)
        return; // the answers' gaps never stop the mirror
    Flow *f = flowFor(c);
    if (!f)
        return;
    m_out.clear();
    f->framer.gap(bytes, tsNs, m_out);
    deliver(c.id, *f, m_out);
}

void MirrorSink::deliver(std::uint64_t id, Flow &f, RequestFramer::Output &out)
{
    if (f.framer.isTls()) {
        tlsFound(f); // nothing was handed out, and no local connection was opened
        return;
    }
    if (f.pendingOpen && f.framer.tlsDecided())
        openFlow(id, f);
    auto it = m_conns.find(id);
    if (f.framer.isHttp2() && f.opened && !f.http2) {
        f.http2 = true;
        ++m_stats.http2;
        if (m_shadow && f.compared)
            m_shadow->http2Started(id); // before its first bytes reach the local socket
        if (it != m_conns.end())
            it->second->trackHttp2();
    }
    if (f.framer.stopped()) {
        // Not HTTP/1.x and bytes are missing: nothing after the gap can be delivered.
        f.ended = true;
        if (f.framer.isHttp2() && f.midstream && !f.opened) {
            // Joined inside HTTP/2 frames: never mirrored (no local connection was opened).
            --m_stats.joined;
            ++m_stats.http2Midstream;
            f.filterPending = false;
            Q_EMIT statsChanged();
            return;
        }
        if (f.filterPending) {
            ++m_stats.filtered; // its start cannot be mirrored truthfully any more
            return;
        }
        ++m_stats.notResyncable;
        if (f.http2)
            ++m_stats.http2Gaps;
        if (it != m_conns.end()) {
            ++m_stats.gaps;
            MirrorConnection *m = it->second;
            m_conns.erase(it);
            m->resetNow(QStringLiteral("gap: ") + f.framer.stopReason());
        }
        return;
    }
    if (out.resetLocal && it != m_conns.end()) {
        // The local build has the start of a request whose rest is lost: RST, and the next
        // whole request goes on a new connection.
        ++m_stats.gaps;
        MirrorConnection *m = it->second;
        m_conns.erase(it);
        it = m_conns.end();
        m->resetNow(QStringLiteral("gap: a request was cut; the next one goes on a new "
                                   "connection"));
        f.needFresh = true;
    }
    if (f.filterPending) {
        const HttpMessage *first = f.framer.firstRequest();
        if (!first && !f.framer.isRaw() && !f.finished)
            return; // not known yet (the framer holds the bytes)
        f.filterPending = false;
        if (!first || !m_options.httpFilter.matches(*first)) {
            ++m_stats.filtered; // not HTTP, or its first request does not match
            f.ended = true;
            return;
        }
        if (!f.midstream) {
            openFlow(id, f);
            it = m_conns.find(id);
        }
    }
    if (out.bytes.isEmpty())
        return;
    if (it != m_conns.end() && it->second->isLocalClosed() && f.framer.isHttp()) {
        // The local build closed (its own keep-alive limit, "Connection: close"): the next
        // whole request goes on a new connection.
        MirrorConnection *m = it->second;
        m_conns.erase(it);
        it = m_conns.end();
        m->endLocalClosed();
        f.needFresh = true;
    }
    if (it == m_conns.end()) {
        if (f.opened && !f.needFresh)
            return; // its local connection ended for good (dropped, local error)
        if (f.opened)
            ++m_stats.freshConnections;
        else if (f.localHop)
            ++m_stats.localHops;
        open(id);
        f.opened = true;
        f.needFresh = false;
        it = m_conns.find(id);
        if (m_shadow && f.compared)
            m_shadow->localRestarted(id);
    }
    if (m_shadow && f.compared) {
        for (const std::uint64_t ordinal : out.requests)
            m_shadow->requestForwarded(id, ordinal);
    }
    if (!it->second->enqueue(out.bytes.constData(), out.bytes.size(), m_options.maxPendingBytes)) {
        ++m_stats.dropped;
        f.ended = true;
        MirrorConnection *m = it->second;
        m_conns.erase(it);
        m->resetNow(QStringLiteral("dropped: the local port is not keeping up"));
    }
}

void MirrorSink::connectionClosed(TcpConnection &c)
{
    if (const auto fit = m_flows.find(c.id); fit != m_flows.end() && !fit->second.ended) {
        Flow &f = fit->second;
        f.finished = true;
        m_out.clear();
        f.framer.finish(c.lastTsNs, m_out);
        deliver(c.id, f, m_out);
        if (f.pendingOpen && !f.ended)
            openFlow(c.id, f); // no byte came: the open and close are mirrored as before
        if (f.filterPending) {
            ++m_stats.filtered; // ended before a request was seen
            f.filterPending = false;
            f.ended = true;
        }
    }
    auto it = m_conns.find(c.id);
    if (it == m_conns.end())
        return;
    if (c.closeReason == CloseReason::Reset) {
        it->second->resetNow();
    } else if (c.halfFor(Direction::ClientToServer).finished()) {
        it->second->finishGracefully(); // the client's FIN, after every byte: a true end
    } else {
        // Idle, end of capture, evicted: the stream's end was never seen (its last bytes
        // and FIN may be among lost packets). A FIN would claim a complete stream.
        it->second->finishWithReset(
                QStringLiteral("incomplete: the capture never saw the client finish"));
    }
}

void MirrorSink::connectionRemoved(TcpConnection &c)
{
    // Local connections live on until their queued bytes are written.
    m_known.erase(c.id);
    if (const auto fit = m_flows.find(c.id); fit != m_flows.end()) {
        const RequestFramer::Counts counts = fit->second.framer.counts();
        m_stats.requests += counts;
        if (m_conns.count(c.id) && fit->second.framer.isHttp())
            m_lastCounts[c.id] = counts.toJson(); // for its local connection's end
        m_flows.erase(fit);
    }
    if (m_shadow)
        m_shadow->podEnded(c.id);
}

QJsonObject MirrorSink::requestCounts(std::uint64_t captureId)
{
    if (const auto it = m_flows.find(captureId); it != m_flows.end())
        return it->second.framer.isHttp() ? it->second.framer.counts().toJson() : QJsonObject();
    const auto last = m_lastCounts.find(captureId);
    if (last == m_lastCounts.end())
        return {};
    QJsonObject o = last->second;
    m_lastCounts.erase(last);
    return o;
}

void MirrorSink::podExchange(std::uint64_t captureId, HttpExchange &&exchange)
{
    if (m_shadow)
        m_shadow->podExchange(captureId, std::move(exchange));
}

void MirrorSink::wrote(MirrorConnection *m, const QByteArray &bytes)
{
    if (m_shadow)
        m_shadow->localRequestBytes(m->captureId(), bytes.constData(), bytes.size());
}

void MirrorSink::readBack(MirrorConnection *m, const QByteArray &bytes)
{
    if (m_shadow)
        m_shadow->localResponseBytes(m->captureId(), bytes.constData(), bytes.size());
}

void MirrorSink::markDirty(MirrorConnection *m)
{
    m_dirty.push_back(m->captureId());
    if (!m_flushQueued) {
        m_flushQueued = true;
        QMetaObject::invokeMethod(this, &MirrorSink::flushPending, Qt::QueuedConnection);
    }
}

void MirrorSink::flushPending()
{
    m_flushQueued = false;
    std::vector<std::uint64_t> dirty;
    dirty.swap(m_dirty);
    for (const std::uint64_t id : dirty) {
        const auto it = m_conns.find(id);
        if (it != m_conns.end())
            it->second->writeOut(); // repeated ids: the second call finds nothing to write
    }
}

void MirrorSink::finished(MirrorConnection *m, const QString &outcome)
{
    auto it = m_conns.find(m->captureId());
    if (it != m_conns.end() && it->second == m)
        m_conns.erase(it);
    if (outcome == QLatin1String("completed"))
        ++m_stats.completed;
    else if (outcome.startsWith(QLatin1String("local-error")))
        ++m_stats.localErrors;
    else if (outcome == QLatin1String("reset"))
        ++m_stats.resets;
    else if (outcome == QLatin1String("local-closed"))
        ++m_stats.localClosed;
    else if (outcome.startsWith(QLatin1String("incomplete")))
        ++m_stats.incomplete;
    // gap and dropped outcomes were counted when they were decided
    if (m_shadow)
        m_shadow->localEnded(m->captureId(), outcome);
    Q_EMIT connectionEnded(m->captureId(), outcome, m->written(), m->response(),
                           requestCounts(m->captureId()));
    Q_EMIT statsChanged();
    m->deleteLater();
}

} // namespace podtap
