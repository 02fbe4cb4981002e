#include "mirrorsink.h"

#include "mirrorconnection.h"
#include "shadowcompare.h"

#include <QTimer>

namespace podtap {

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
                       {QStringLiteral("responseBytes"), qint64(responseBytes)}};
}

MirrorSink::MirrorSink(const Options &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
{
    if (m_options.compare) {
        m_shadow = std::make_unique<ShadowCompare>(m_options.compareOptions);
        m_shadow->setTimeoutMs(m_options.compareTimeoutMs);
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
    if (!m_options.httpFilter.isEmpty()) {
        m_undecided.try_emplace(c.id); // opened once its first request is known
        return;
    }
    open(c);
    if (m_shadow && !c.midstream)
        m_shadow->connectionStarted(c.id); // compared from its first byte
}

bool MirrorSink::decide(TcpConnection &c, Undecided &u, bool final)
{
    const HttpMessage *first = u.parser.messageInBody();
    std::vector<HttpMessage> done;
    if (!first && u.parser.hasMessages()) {
        done = u.parser.takeMessages();
        first = &done.front();
    }
    if (!first) {
        if (!final && !u.parser.isStopped() && u.bytes.size() < MaxUndecidedBytes)
            return false;   // not yet known
        ++m_stats.filtered; // not HTTP, or no request head before the end
        return false;
    }
    if (!m_options.httpFilter.matches(*first)) {
        ++m_stats.filtered;
        return false;
    }
    open(c);
    if (m_shadow && !c.midstream)
        m_shadow->connectionStarted(c.id);
    auto it = m_conns.find(c.id);
    if (!u.bytes.isEmpty()
        && !it->second->enqueue(u.bytes.constData(), u.bytes.size(), m_options.maxPendingBytes)) {
        ++m_stats.dropped;
        MirrorConnection *m = it->second;
        m_conns.erase(it);
        m->resetNow(QStringLiteral("dropped: the local port is not keeping up"));
    }
    return true;
}

void MirrorSink::open(const TcpConnection &c)
{
    auto *m = new MirrorConnection(this, c.id, this);
    m_conns.emplace(c.id, m);
    ++m_stats.connections;
    m->connectTo(m_options.host, m_options.port);
}

void MirrorSink::data(TcpConnection &c, Direction d, const std::uint8_t *bytes, std::size_t size,
                      std::int64_t tsNs)
{
    if (d != Direction::ClientToServer)
        return; // the pod's own answers are not sent anywhere
    if (const auto u = m_undecided.find(c.id); u != m_undecided.end()) {
        u->second.bytes.append(reinterpret_cast<const char *>(bytes), qsizetype(size));
        u->second.parser.feed(bytes, size, tsNs);
        const bool known = u->second.parser.messageInBody() || u->second.parser.hasMessages()
                           || u->second.parser.isStopped()
                           || u->second.bytes.size() >= MaxUndecidedBytes;
        if (known) {
            decide(c, u->second, true);
            m_undecided.erase(u);
        }
        return;
    }
    auto it = m_conns.find(c.id);
    if (it == m_conns.end()) {
        if (!m_known.insert(c.id).second)
            return; // skipped, dropped or ended earlier
        // Open before the mirror was switched on: its start is not ours to replay.
        if (!m_options.joinMidstream) {
            ++m_stats.skippedMidstream;
            return;
        }
        open(c);
        it = m_conns.find(c.id);
    }
    if (!it->second->enqueue(reinterpret_cast<const char *>(bytes), qint64(size),
                             m_options.maxPendingBytes)) {
        ++m_stats.dropped;
        MirrorConnection *m = it->second;
        m_conns.erase(it);
        m->resetNow(QStringLiteral("dropped: the local port is not keeping up"));
    }
}

void MirrorSink::gap(TcpConnection &c, Direction d, std::uint64_t, std::int64_t)
{
    if (d != Direction::ClientToServer)
        return;
    if (const auto u = m_undecided.find(c.id); u != m_undecided.end()) {
        ++m_stats.filtered; // its start cannot be mirrored truthfully any more
        m_undecided.erase(u);
        return;
    }
    auto it = m_conns.find(c.id);
    if (it == m_conns.end())
        return;
    ++m_stats.gaps;
    MirrorConnection *m = it->second;
    m_conns.erase(it);
    // Bytes after a gap cannot be delivered truthfully: end the local connection.
    m->resetNow(QStringLiteral("gap: bytes missing from the capture"));
}

void MirrorSink::connectionClosed(TcpConnection &c)
{
    if (const auto u = m_undecided.find(c.id); u != m_undecided.end()) {
        decide(c, u->second, true);
        m_undecided.erase(u);
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
    m_undecided.erase(c.id);
    if (m_shadow)
        m_shadow->podEnded(c.id);
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
    Q_EMIT connectionEnded(m->captureId(), outcome, m->written(), m->response());
    Q_EMIT statsChanged();
    m->deleteLater();
}

} // namespace podtap
