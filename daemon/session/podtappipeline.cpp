#include "podtappipeline.h"

#include "http/routetemplate.h"
#include "kube/kubeapiclient.h"
#include "kube/tapcapture.h"
#include "kube/tapinjector.h"
#include "mirror/shadowcompare.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <vector>

namespace podtap {

namespace {
constexpr int TickMs = 250;

EngineConfig engineConfig(int port)
{
    EngineConfig c;
    c.tappedPort = std::uint16_t(port);
    return c;
}

QJsonObject directionJson(const DirectionStats &s)
{
    return QJsonObject{{QStringLiteral("packets"), qint64(s.packets)},
                       {QStringLiteral("bytes"), qint64(s.bytes)},
                       {QStringLiteral("gapBytes"), qint64(s.gapBytes)},
                       {QStringLiteral("gaps"), qint64(s.gaps)},
                       {QStringLiteral("retransmissions"), qint64(s.retransmissions)}};
}

// A gRPC call as stored in http.jsonl and sent in `http` events: GrpcCall::toJson, bounded.
// At most MaxGrpcMessages messages per direction (the rest counted in requestsOmitted /
// responsesOmitted); when the wire views still make more than MaxGrpcJsonBytes, the messages
// keep their lengths only and `messagesOmitted` says why.
constexpr qsizetype MaxGrpcMessages = 32;
constexpr qsizetype MaxGrpcJsonBytes = 32 * 1024;

QJsonObject grpcJson(const GrpcCall &call)
{
    QJsonObject o = call.toJson();
    for (const char *side : {"requests", "responses"}) {
        QJsonArray messages = o.value(QLatin1String(side)).toArray();
        if (messages.size() <= MaxGrpcMessages)
            continue;
        o[QLatin1String(side) + QLatin1String("Omitted")] = messages.size() - MaxGrpcMessages;
        while (messages.size() > MaxGrpcMessages)
            messages.removeLast();
        o[QLatin1String(side)] = messages;
    }
    if (QJsonDocument(o).toJson(QJsonDocument::Compact).size() <= MaxGrpcJsonBytes)
        return o;
    for (const char *side : {"requests", "responses"}) {
        QJsonArray messages = o.value(QLatin1String(side)).toArray();
        for (qsizetype i = 0; i < messages.size(); ++i) {
            QJsonObject message = messages.at(i).toObject();
            message.remove(QLatin1String("fields"));
            message.remove(QLatin1String("bytes"));
            messages.replace(i, message);
        }
        o[QLatin1String(side)] = messages;
    }
    o[QLatin1String("messagesOmitted")]
            = QStringLiteral("the messages' wire view is larger than %1 KiB")
                      .arg(MaxGrpcJsonBytes / 1024);
    return o;
}
} // namespace

const char *PodTapPipeline::stateName(State s)
{
    switch (s) {
    case State::Preflight:
        return "preflight";
    case State::Injecting:
        return "injecting";
    case State::WaitingForTap:
        return "waiting-for-tap";
    case State::Capturing:
        return "capturing";
    case State::Reconnecting:
        return "reconnecting";
    case State::Stopped:
        return "stopped";
    case State::Failed:
        return "failed";
    }
    return "?";
}

PodTapPipeline::PodTapPipeline(KubeApiClient *api, const PodInfo &pod, int index, int port,
                               const QString &image, PacketObserver *observer, QObject *parent)
    : QObject(parent)
    , m_api(api)
    , m_pod(pod)
    , m_index(index)
    , m_port(port)
    , m_image(image)
    , m_observer(observer)
    , m_engine(engineConfig(port))
    , m_http([this](const TcpConnection &c, HttpExchange &&x) { httpExchange(c, std::move(x)); })
{
    // HTTP/2 (prior knowledge, gRPC, a sidecar's plaintext hop) is decoded like HTTP/1.x:
    // its streams are stored, published, mirrored and compared as exchanges.
    m_http.setHttp2Decoding(true);
    m_engine.setSink(this);
    m_engine.setOtherPacketCallback([this](const RawPacket &p) {
        m_account.packetArrived(p);
        m_lastTsNs = std::max(m_lastTsNs, p.tsNs);
        m_sinceLastPacket.start();
        m_observer->podPacket(m_index, p, 0, 255, 0);
    });
    // Capture time moves on while no packet comes: idle connections and holes the peer
    // acknowledged must still be settled (gaps declared, mirrors closed).
    m_clock.setInterval(TickMs);
    connect(&m_clock, &QTimer::timeout, this, &PodTapPipeline::tick);
}

PodTapPipeline::~PodTapPipeline()
{
    m_engine.setSink(nullptr);
}

void PodTapPipeline::setState(State s, const QString &reason)
{
    if (m_state == s && m_reason == reason)
        return;
    if (m_state == State::Stopped || m_state == State::Failed)
        return; // final
    m_state = s;
    m_reason = reason;
    Q_EMIT stateChanged(s, reason);
}

void PodTapPipeline::start()
{
    setState(State::Preflight);
    Preflight::run(m_api, m_pod, m_image, m_profile, this,
                   [this](const PreflightReport &r) { onPreflight(r); });
}

void PodTapPipeline::onPreflight(const PreflightReport &report)
{
    Q_EMIT preflightDone(report.toJson(), report.passed());
    if (m_stopping) {
        setState(State::Stopped, QStringLiteral("stopped before the tap was added"));
        Q_EMIT stopped();
        return;
    }
    if (!report.passed()) {
        setState(State::Failed, QStringLiteral("preflight failed; nothing was changed in the "
                                               "cluster.\n")
                                        + report.toText());
        Q_EMIT stopped();
        return;
    }
    for (const auto &i : report.items)
        if (i.status == PreflightItem::Status::Warn)
            Q_EMIT warning(QStringLiteral("%1: %2").arg(i.title, i.why));

    m_nodeRuntime = report.nodeRuntime;
    CaptureCommand::Options co;
    co.port = m_port;
    const auto argv = CaptureCommand::argv(co);
    if (!argv) {
        setState(State::Failed, argv.error());
        Q_EMIT stopped();
        return;
    }
    setState(State::Injecting);
    auto *injector = new TapInjector(m_api, this);
    m_injector = injector;
    connect(injector, &TapInjector::progress, this, [this](const QString &m) {
        Q_EMIT progress(m);
        if (!m.startsWith(QLatin1String("adding tap")))
            setState(State::WaitingForTap, m);
    });
    connect(injector, &TapInjector::failed, this, [this, injector](const QString &m) {
        Q_EMIT tapFailed(m);
        setState(State::Failed, m);
        injector->deleteLater();
        Q_EMIT stopped();
    });
    connect(injector, &TapInjector::ready, this,
            [this, injector, args = argv.value()](const QString &tap, bool reused) {
                injector->deleteLater();
                Q_EMIT tapReady(tap, reused);
                Q_EMIT progress(
                        QStringLiteral("%1 tap %2 in %3/%4; capturing tcp port %5")
                                .arg(reused ? QStringLiteral("reusing") : QStringLiteral("started"),
                                     tap, m_pod.ns, m_pod.name)
                                .arg(m_port));
                if (m_stopping) {
                    setState(State::Stopped, QStringLiteral("stopped before capture began"));
                    Q_EMIT stopped();
                    return;
                }
                auto *capture = new TapCapture(m_api, this);
                m_capture = capture;
                capture->setStallTimeout(m_stallMs);
                capture->setTap(m_profile, m_pod.nodeName, m_nodeRuntime);
                setState(State::WaitingForTap, QStringLiteral("starting tcpdump"));
                connect(capture, &TapCapture::streamStarted, this, [this](int attempt) {
                    if (attempt > 0)
                        beginStream();
                });
                connect(capture, &TapCapture::pcapData, this, &PodTapPipeline::feedPcap);
                connect(capture, &TapCapture::warning, this, &PodTapPipeline::warning);
                // tcpdump's own lines (listening on…, its counts) as it printed them.
                connect(capture, &TapCapture::statusLine, this, &PodTapPipeline::progress);
                connect(capture, &TapCapture::countsReported, this, &PodTapPipeline::onCounts);
                connect(capture, &TapCapture::stateChanged, this,
                        [this](TapCapture::State s, const QString &why) {
                            switch (s) {
                            case TapCapture::State::Starting:
                                setState(State::WaitingForTap, QStringLiteral("starting tcpdump"));
                                break;
                            case TapCapture::State::Capturing:
                                setState(State::Capturing);
                                break;
                            case TapCapture::State::Reconnecting:
                                setState(State::Reconnecting, why);
                                break;
                            case TapCapture::State::Stopped:
                            case TapCapture::State::Failed:
                                break; // stopped() decides
                            }
                        });
                connect(capture, &TapCapture::stopped, this, [this](bool ok, const QString &why) {
                    if (m_account.streamHasBytes())
                        m_engine.endOfStream();
                    finishEngine();
                    setState(ok ? State::Stopped : State::Failed, why);
                    Q_EMIT stopped();
                });
                m_sinceLastPacket.start();
                m_clock.start();
                capture->start(m_pod.ns, m_pod.name, tap, args);
            });
    injector->setProfile(m_profile);
    injector->start(m_pod, m_image);
}

void PodTapPipeline::stop()
{
    if (m_stopping)
        return;
    m_stopping = true;
    if (m_capture) {
        m_capture->stop(); // stopped() follows once tcpdump's counts arrived
        return;
    }
    if (m_injector) {
        // The injection finishes on its own (a tap half-added is worse); ready() sees
        // m_stopping and ends there, failed() ends anyway.
        return;
    }
    if (m_state != State::Preflight) {
        setState(State::Stopped);
        Q_EMIT stopped();
    }
}

void PodTapPipeline::feedPcap(const QByteArray &b)
{
    m_account.bytesArrived(b.size());
    m_engine.feed(reinterpret_cast<const std::uint8_t *>(b.constData()), std::size_t(b.size()));
    // The bytes this chunk completed go to the local sockets now, not a loop pass later.
    if (m_mirror)
        m_mirror->flushPending();
}

void PodTapPipeline::beginStream()
{
    m_engine.beginStream();
    m_account.beginStream();
}

void PodTapPipeline::finishEngine()
{
    if (m_engineFinished)
        return;
    m_engineFinished = true;
    m_clock.stop();
    m_engine.finish();
}

void PodTapPipeline::onCounts(const CaptureCommand::Counts &c)
{
    const auto loss = m_account.streamEnded(c);
    if (!loss.counted)
        Q_EMIT progress(QStringLiteral("note: a capture stream of %1 ended without tcpdump's "
                                       "counts, so losses at its end cannot be ruled out")
                                .arg(m_pod.name));
    if (loss.lostOnTheWay > 0)
        Q_EMIT warning(QStringLiteral("%1: tcpdump wrote %2 packets but only %3 arrived: %4 were "
                                      "lost on the way")
                               .arg(m_pod.name)
                               .arg(loss.captured)
                               .arg(loss.received)
                               .arg(loss.lostOnTheWay));
    if (loss.unread > 0)
        Q_EMIT warning(QStringLiteral("%1: %2 packets were still in the tap's capture buffer when "
                                      "tcpdump stopped: those bytes are missing")
                               .arg(m_pod.name)
                               .arg(loss.unread));
}

void PodTapPipeline::tick()
{
    if (m_lastTsNs > 0)
        m_engine.advanceTime(m_lastTsNs + m_sinceLastPacket.nsecsElapsed());
}

void PodTapPipeline::setMirror(const MirrorSink::Options &options)
{
    m_mirror.reset();
    if (options.port > 0)
        m_mirror = std::make_unique<MirrorSink>(options);
    if (m_mirror && m_mirror->shadow()) {
        connect(m_mirror->shadow(), &ShadowCompare::compared, this,
                [this](quint64 captureId, const QJsonObject &record) {
                    QJsonObject r = record;
                    r[QLatin1String("id")] = qint64(sessionId(captureId));
                    m_observer->podCompared(r);
                });
    }
}

QJsonObject PodTapPipeline::exchangeJson(const HttpExchange &x, std::uint64_t sessionId)
{
    QJsonObject o{
            {QStringLiteral("id"), qint64(sessionId)},
            {QStringLiteral("index"), qint64(x.index)},
            {QStringLiteral("method"), QString::fromLatin1(x.request.method)},
            {QStringLiteral("target"), QString::fromLatin1(x.request.target.left(2048))},
            {QStringLiteral("route"), RouteTemplate::fold(x.request.method, x.request.target)},
            {QStringLiteral("tsNs"), qint64(x.request.firstByteNs)},
            {QStringLiteral("requestBytes"), qint64(x.request.bodyBytes)}};
    if (x.hasResponse) {
        o[QLatin1String("status")] = x.response.status;
        o[QLatin1String("responseBytes")] = qint64(x.response.bodyBytes);
        o[QLatin1String("latencyUs")] = double(x.latencyNs()) / 1000.0;
        const QByteArray type = x.response.header("content-type");
        if (!type.isEmpty())
            o[QLatin1String("contentType")] = QString::fromLatin1(type.left(128));
    }
    if (!x.request.isComplete())
        o[QLatin1String("requestIncomplete")]
                = QLatin1String(HttpMessage::incompleteName(x.request.incomplete));
    if (x.hasResponse && !x.response.isComplete())
        o[QLatin1String("responseIncomplete")]
                = QLatin1String(HttpMessage::incompleteName(x.response.incomplete));
    if (x.protocol == HttpExchange::Protocol::Http2) {
        o[QLatin1String("protocol")] = QLatin1String("h2");
        o[QLatin1String("stream")] = qint64(x.streamId);
        if (x.wasReset)
            o[QLatin1String("resetCode")] = qint64(x.resetCode);
        if (x.grpc)
            o[QLatin1String("grpc")] = grpcJson(*x.grpc);
    }
    return o;
}

void PodTapPipeline::httpExchange(const TcpConnection &c, HttpExchange &&x)
{
    HttpSummary &s = m_httpSummaries[c.id];
    ++s.requests;
    if (s.first.isEmpty())
        s.first = QString::fromLatin1(x.request.method + ' ' + x.request.target.left(256));
    if (x.hasResponse) {
        s.lastStatus = x.response.status;
        s.errors += x.response.status >= 500 ? 1 : 0;
    }
    m_observer->podHttpExchange(exchangeJson(x, sessionId(c.id)));
    if (m_mirror)
        m_mirror->podExchange(c.id, std::move(x));
}

QJsonObject PodTapPipeline::toJson() const
{
    return QJsonObject{{QStringLiteral("pod"), m_pod.name},
                       {QStringLiteral("namespace"), m_pod.ns},
                       {QStringLiteral("ip"), m_pod.podIp},
                       {QStringLiteral("state"), QLatin1String(stateName(m_state))},
                       {QStringLiteral("reason"), m_reason},
                       {QStringLiteral("packets"), qint64(m_account.received())},
                       {QStringLiteral("kernelDrops"), m_account.kernelDrops()},
                       {QStringLiteral("lostOnTheWay"), m_account.lostOnTheWay()},
                       {QStringLiteral("unreadAtStop"), m_account.unreadAtStop()}};
}

QJsonObject PodTapPipeline::connectionJson(const TcpConnection &c, std::uint64_t sessionId)
{
    return QJsonObject{
            {QStringLiteral("id"), qint64(sessionId)},
            {QStringLiteral("client"), QString::fromStdString(c.client.toString())},
            {QStringLiteral("server"), QString::fromStdString(c.server.toString())},
            {QStringLiteral("state"), QLatin1String(podtap::stateName(c.state))},
            {QStringLiteral("closeReason"), QLatin1String(closeReasonName(c.closeReason))},
            {QStringLiteral("midstream"), c.midstream},
            {QStringLiteral("open"), !c.isClosed()},
            {QStringLiteral("firstNs"), qint64(c.firstTsNs)},
            {QStringLiteral("lastNs"), qint64(c.lastTsNs)},
            {QStringLiteral("c2s"), directionJson(c.statsFor(Direction::ClientToServer))},
            {QStringLiteral("s2c"), directionJson(c.statsFor(Direction::ServerToClient))}};
}

// --- CaptureSink -----------------------------------------------------------------------

QJsonObject PodTapPipeline::summaryJson(const TcpConnection &c, bool live) const
{
    QJsonObject summary = connectionJson(c, sessionId(c.id));
    if (const auto it = m_httpSummaries.find(c.id); it != m_httpSummaries.end()) {
        summary[QLatin1String("http")]
                = QJsonObject{{QStringLiteral("requests"), qint64(it->second.requests)},
                              {QStringLiteral("errors"), qint64(it->second.errors)},
                              {QStringLiteral("first"), it->second.first},
                              {QStringLiteral("lastStatus"), it->second.lastStatus}};
    }
    // A closed connection's mirror outcome comes with the "mirror" event instead.
    if (live && m_mirror) {
        if (const QString state = m_mirror->liveState(c.id); !state.isEmpty())
            summary[QLatin1String("mirror")] = state;
    }
    return summary;
}

quint64 PodTapPipeline::liveVersion(const TcpConnection &c) const
{
    const auto &in = c.statsFor(Direction::ClientToServer);
    const auto &out = c.statsFor(Direction::ServerToClient);
    quint64 v = in.packets + out.packets + in.gapBytes + out.gapBytes;
    if (const auto it = m_httpSummaries.find(c.id); it != m_httpSummaries.end())
        v += it->second.requests;
    return v;
}

int PodTapPipeline::takeLiveConnections(qint64 nowMs, int budget, QJsonArray *opened,
                                        QJsonArray *progress)
{
    int taken = 0;
    // New connections first: a row appears before any row is refreshed.
    for (auto &[id, live] : m_open) {
        if (taken >= budget)
            return taken;
        if (live.lastSentMs >= 0)
            continue;
        live.lastSentMs = nowMs;
        live.version = liveVersion(*live.connection);
        opened->append(summaryJson(*live.connection, true));
        ++taken;
    }
    if (taken >= budget)
        return taken;
    // Then the changed ones not sent within the interval, least recently sent first, so a
    // budget too small for all of them still reaches each in turn.
    std::vector<std::pair<qint64, LiveConnection *>> due;
    for (auto &[id, live] : m_open) {
        if (nowMs - live.lastSentMs < ProgressIntervalMs)
            continue;
        if (liveVersion(*live.connection) != live.version)
            due.emplace_back(live.lastSentMs, &live);
    }
    const auto n = std::min(due.size(), std::size_t(budget - taken));
    std::partial_sort(due.begin(), due.begin() + std::ptrdiff_t(n), due.end(),
                      [](const auto &a, const auto &b) { return a.first < b.first; });
    for (std::size_t i = 0; i < n; ++i) {
        LiveConnection &live = *due[i].second;
        live.lastSentMs = nowMs;
        live.version = liveVersion(*live.connection);
        progress->append(summaryJson(*live.connection, true));
        ++taken;
    }
    return taken;
}

QList<QJsonObject> PodTapPipeline::openConnections() const
{
    QList<QJsonObject> out;
    out.reserve(qsizetype(m_open.size()));
    for (const auto &[id, live] : m_open)
        out.append(summaryJson(*live.connection, true));
    return out;
}

void PodTapPipeline::connectionOpened(TcpConnection &c)
{
    m_open[c.id] = LiveConnection{&c};
    m_http.connectionOpened(c);
    if (m_mirror)
        m_mirror->connectionOpened(c);
}

void PodTapPipeline::packet(TcpConnection &c, Direction d, const TcpSegment &s, const RawPacket &p)
{
    m_account.packetArrived(p);
    m_lastTsNs = std::max(m_lastTsNs, p.tsNs);
    m_sinceLastPacket.start();
    m_observer->podPacket(m_index, p, sessionId(c.id), std::uint8_t(d), s.flags);
}

void PodTapPipeline::data(TcpConnection &c, Direction d, const std::uint8_t *bytes,
                          std::size_t size, std::int64_t tsNs)
{
    m_http.data(c, d, bytes, size, tsNs);
    if (m_mirror)
        m_mirror->data(c, d, bytes, size, tsNs);
}

void PodTapPipeline::gap(TcpConnection &c, Direction d, std::uint64_t bytes, std::int64_t tsNs)
{
    m_http.gap(c, d, bytes, tsNs);
    if (m_mirror)
        m_mirror->gap(c, d, bytes, tsNs);
}

void PodTapPipeline::connectionClosed(TcpConnection &c)
{
    m_http.connectionClosed(c); // the last exchanges reach the mirror before its close
    if (m_mirror)
        m_mirror->connectionClosed(c);
    m_open.erase(c.id);
    m_observer->podConnectionClosed(summaryJson(c, false));
}

void PodTapPipeline::connectionRemoved(TcpConnection &c)
{
    m_open.erase(c.id);
    m_http.connectionRemoved(c);
    m_httpSummaries.erase(c.id);
    if (m_mirror)
        m_mirror->connectionRemoved(c);
}

} // namespace podtap
