#include "capturesession.h"
#include "sessionlog.h"

#include "http/httpfilter.h"

#include "auditlog.h"
#include "capture/pcapwriter.h"
#include "kube/credentialcache.h"
#include "kube/kubeapiclient.h"
#include "kube/kubeconfig.h"
#include "kube/tapspec.h"
#include "kube/targetresolver.h"
#include "store/sessionspool.h"
#include "store/storeio.h"

#include <cerrno>

namespace podtap {

namespace {
constexpr int StatsIntervalMs = 500;
constexpr int FollowIntervalMs = 5000;
constexpr int MirrorDrainMs = 5000;

} // namespace

CaptureSession::CaptureSession(const QString &id, const SessionConfig &config,
                               const QString &storeDir, QObject *parent)
    : QObject(parent)
    , m_id(id)
    , m_config(config)
    , m_storeDir(storeDir)
    , m_started(QDateTime::currentDateTimeUtc())
{
    // The nonroot profile has no default image (netshoot's tcpdump has no file capability):
    // left empty, preflight fails and says why.
    if (m_config.image.isEmpty() && m_config.tapProfile != QLatin1String("nonroot"))
        m_config.image = QLatin1String(TapSpec::DefaultImage);
    m_liveClock.start();
    m_statsTimer.setInterval(StatsIntervalMs);
    connect(&m_statsTimer, &QTimer::timeout, this, &CaptureSession::publishStats);
    m_followTimer.setInterval(FollowIntervalMs);
    connect(&m_followTimer, &QTimer::timeout, this, &CaptureSession::followPods);
    m_durationTimer.setSingleShot(true);
    connect(&m_durationTimer, &QTimer::timeout, this, &CaptureSession::stop);
}

CaptureSession::~CaptureSession()
{
    for (PodTapPipeline *p : std::as_const(m_pipelines))
        delete p;
    m_pipelines.clear();
    closeSpool();
}

void CaptureSession::fail(const QString &reason)
{
    if (m_state == State::Failed)
        return;
    qCWarning(lcSession) << "session" << m_id << "failed:" << reason;
    m_state = State::Failed;
    m_reason = reason;
    Q_EMIT stateChanged(QLatin1String(PodTapPipeline::stateName(m_state)), reason);
    stopPipelines();
    finishIfDone();
}

void CaptureSession::stopPipelines()
{
    m_stopping = true;
    m_followTimer.stop();
    m_durationTimer.stop();
    for (PodTapPipeline *p : std::as_const(m_pipelines))
        if (p->state() != State::Stopped && p->state() != State::Failed)
            p->stop();
}

void CaptureSession::finishIfDone()
{
    if (m_finished)
        return;
    for (const PodTapPipeline *p : std::as_const(m_pipelines))
        if (p->state() != State::Stopped && p->state() != State::Failed)
            return;
    if (!m_stopping && m_state != State::Failed && m_kind != QLatin1String("pod")
        && m_config.allPods) {
        // A followed workload whose pods all went away waits for the next one.
        m_state = State::WaitingForTap;
        m_reason = QStringLiteral("no pod of %1 is running; waiting for one").arg(m_config.target);
        Q_EMIT stateChanged(QLatin1String(PodTapPipeline::stateName(m_state)), m_reason);
        return;
    }
    // Local connections still writing what was captured (or awaiting the local answer
    // after our FIN) get a moment, so the final summary is the real outcome.
    if (!m_drainClock.isValid())
        m_drainClock.start();
    int mirroring = 0;
    for (PodTapPipeline *p : std::as_const(m_pipelines))
        mirroring += p->mirror() ? p->mirror()->openConnections() : 0;
    if (mirroring > 0 && m_drainClock.elapsed() < MirrorDrainMs) {
        QTimer::singleShot(50, this, &CaptureSession::finishIfDone);
        return;
    }
    m_finished = true;
    m_followTimer.stop();
    m_statsTimer.stop();
    m_durationTimer.stop();
    if (m_state != State::Failed) {
        m_state = State::Stopped;
        // One pod that failed (cut for good, tcpdump died) makes the session fail.
        if (m_pipelines.size() == 1 && m_pipelines.constFirst()->state() == State::Failed) {
            m_state = State::Failed;
            m_reason = m_pipelines.constFirst()->reason();
        }
        Q_EMIT stateChanged(QLatin1String(PodTapPipeline::stateName(m_state)), m_reason);
    }
    m_ended = QDateTime::currentDateTimeUtc();
    closeSpool();
    publishStats();
    if (m_pcapng) {
        QList<LivePcapng::PodLoss> loss;
        for (const PodTapPipeline *p : std::as_const(m_pipelines))
            loss.append({p->index(), p->kernelDrops(), p->lostOnTheWay(), p->unreadAtStop()});
        Q_EMIT pcapngBytes(m_pcapng->statistics(loss, m_ended.toMSecsSinceEpoch() * 1000000), true);
    }
    Q_EMIT finished(QLatin1String(PodTapPipeline::stateName(m_state)), m_reason);
}

void CaptureSession::setAudit(AuditLog *log, bool protectedContext)
{
    m_audit = log;
    m_protected = protectedContext;
    if (!m_audit)
        return;
    connect(this, &CaptureSession::finished, this,
            [this](const QString &state, const QString &reason) {
                QString outcome = state;
                if (!reason.isEmpty())
                    outcome += QStringLiteral(": ") + reason.section(QLatin1Char('\n'), 0, 0);
                outcome += QStringLiteral(" (%1 packets, %2 connections)")
                                   .arg(m_packets)
                                   .arg(m_connections);
                audit(m_config.mirrorPort > 0 ? QStringLiteral("mirror-stop")
                                              : QStringLiteral("capture-stop"),
                      QJsonObject{{QStringLiteral("outcome"), outcome}});
            });
}

void CaptureSession::audit(const QString &event, QJsonObject e) const
{
    if (!m_audit)
        return;
    // Names only: never the environment or anything from the kubeconfig but the context.
    e[QLatin1String("session")] = m_id;
    e[QLatin1String("context")] = m_config.context;
    e[QLatin1String("namespace")] = m_namespace.isEmpty() ? m_config.ns : m_namespace;
    e[QLatin1String("target")] = m_config.target;
    e[QLatin1String("port")] = m_config.port;
    e[QLatin1String("image")] = m_config.image;
    e[QLatin1String("profile")] = m_config.tapProfile;
    if (m_config.mirrorPort > 0)
        e[QLatin1String("mirror")]
                = QStringLiteral("%1:%2").arg(m_config.mirrorHost).arg(m_config.mirrorPort);
    e[QLatin1String("protected")] = m_protected;
    if (m_protected)
        e[QLatin1String("confirmed")] = m_config.confirmProtected;
    m_audit->append(event, e);
}

void CaptureSession::start()
{
    Q_EMIT stateChanged(QLatin1String(PodTapPipeline::stateName(m_state)),
                        QStringLiteral("resolving %1").arg(m_config.target));
    const auto kubeconfig = m_config.kubeconfigFiles.isEmpty()
                                    ? Kubeconfig::loadDefault()
                                    : Kubeconfig::loadFiles(m_config.kubeconfigFiles);
    if (!kubeconfig) {
        fail(kubeconfig.error());
        return;
    }
    auto access = ClusterAccess::fromKubeconfig(kubeconfig.value(), m_config.context);
    if (!access) {
        fail(access.error());
        return;
    }
    for (const QString &w : access->warnings())
        Q_EMIT warning(w);
    m_config.context = access->contextName();
    m_namespace = m_config.ns.isEmpty() ? access->defaultNamespace() : m_config.ns;
    audit(m_config.mirrorPort > 0 ? QStringLiteral("mirror-start")
                                  : QStringLiteral("capture-start"),
          QJsonObject{{QStringLiteral("outcome"), QStringLiteral("started")}});
    if (!m_credentials) {
        m_ownCredentials = std::make_unique<CredentialCache>();
        m_credentials = m_ownCredentials.get();
    }
    m_api = std::make_unique<KubeApiClient>(access.value(), m_credentials);
    if (!m_config.environment.isEmpty()) {
        QProcessEnvironment env;
        for (auto it = m_config.environment.cbegin(); it != m_config.environment.cend(); ++it)
            env.insert(it.key(), it.value());
        m_api->setPluginEnvironment(env);
        // The terminal's HTTPS_PROXY / NO_PROXY, as kubectl there would use them.
        m_api->setProxyEnvironment(env);
    }
    if (m_api->access().needsExecCredential())
        Q_EMIT progress(QStringLiteral("getting credentials from the exec plugin %1")
                                .arg(m_api->access().user().exec->command));
    resolve();
}

void CaptureSession::resolve()
{
    const auto spec = TargetSpec::parse(m_config.target, m_namespace);
    if (!spec) {
        fail(spec.error());
        return;
    }
    m_kind = spec->kind;
    m_namespace = spec->ns;
    TargetResolver::resolve(
            m_api.get(), spec.value(), m_config.port, this,
            [this](const Result<ResolvedTarget> &r) {
                if (m_stopping) {
                    m_finished = true;
                    m_state = State::Stopped;
                    m_reason = QStringLiteral("stopped before any tap was added");
                    m_ended = QDateTime::currentDateTimeUtc();
                    Q_EMIT stateChanged(QStringLiteral("stopped"), m_reason);
                    Q_EMIT finished(QStringLiteral("stopped"), m_reason);
                    return;
                }
                if (!r) {
                    fail(r.error());
                    return;
                }
                m_podPort = r->port > 0 ? r->port : m_config.port;
                if (m_podPort != m_config.port)
                    Q_EMIT progress(QStringLiteral("service port %1 is pod port %2")
                                            .arg(m_config.port)
                                            .arg(m_podPort));
                // The store first: a session that cannot keep its packets does not start.
                QStringList podNames;
                for (const PodInfo &p : r->pods)
                    podNames << p.name;
                PcapWriter::Options wo;
                wo.interfaceName = QStringLiteral("any");
                wo.interfaceDescription
                        = QStringLiteral("%1 %2/%3, tcp port %4")
                                  .arg(m_kind, m_namespace,
                                       m_kind == QLatin1String("pod")
                                               ? r->pod.name
                                               : TargetSpec::parse(m_config.target, m_namespace)
                                                         ->name)
                                  .arg(m_podPort);
                wo.sectionComment = QStringLiteral("podtap capture of %1 (context %2)")
                                            .arg(wo.interfaceDescription, m_config.context);
                SessionSpool::Limits limits;
                limits.maxTotalBytes = m_config.maxBytes;
                limits.maxAgeSeconds = m_config.maxAgeSeconds;
                m_spool = std::make_unique<SessionSpool>();
                QJsonObject meta = summary();
                meta[QLatin1String("config")] = m_config.toJson();
                const auto created = m_spool->create(m_storeDir, meta, limits, wo);
                if (!created) {
                    m_spool.reset();
                    const bool full = created.error().contains(StoreIo::errnoText(ENOSPC))
                                      || created.error().contains(StoreIo::errnoText(EDQUOT));
                    fail(full ? QStringLiteral("the disk holding the store is full: %1 (free "
                                               "space, remove sessions with podtap rm or lower "
                                               "the store quota)")
                                         .arg(created.error())
                              : created.error());
                    return;
                }
                connect(m_spool.get(), &SessionSpool::failed, this, [this](const QString &why) {
                    ++m_storeErrors;
                    // ENOSPC/EDQUOT on any store write (SessionSpool, SpoolFile and
                    // JsonLinesWriter all say "disk full while …"): the session stops.
                    if (why.startsWith(QLatin1String("disk full")))
                        fail(QStringLiteral("the disk holding the store is full: %1 (everything "
                                            "stored before is intact and readable; free space, "
                                            "remove sessions with podtap rm or lower the "
                                            "store quota)")
                                     .arg(why));
                    else
                        fail(QStringLiteral("the capture store failed: %1 (everything stored "
                                            "before is intact)")
                                     .arg(why));
                });

                const bool workload = m_kind != QLatin1String("pod");
                if (workload && !m_config.allPods && r->pods.size() > 1) {
                    Q_EMIT warning(r->note);
                    addPod(r->pod);
                } else {
                    for (const PodInfo &p : r->pods)
                        addPod(p);
                }
                if (workload && m_config.allPods)
                    m_followTimer.start();
                m_statsTimer.start();
                if (m_config.durationSeconds > 0)
                    m_durationTimer.start(m_config.durationSeconds * 1000);
                updateState();
            });
}

void CaptureSession::addPod(const PodInfo &pod)
{
    if (m_podUids.contains(pod.uid) || m_stopping)
        return;
    // A named pod goes through preflight, which explains its state; a workload's pod that
    // is not running yet is tapped once it is.
    if (m_kind != QLatin1String("pod")
        && (pod.deleting.isValid() || pod.podIp.isEmpty()
            || pod.phase != QLatin1String("Running"))) {
        Q_EMIT progress(QStringLiteral("pod %1 is not running yet (%2): it is tapped once it is")
                                .arg(pod.name, pod.phase));
        return;
    }
    if (m_pipelines.size() >= m_config.maxPods) {
        Q_EMIT warning(QStringLiteral("%1 selects more than %2 pods: pod %3 is NOT tapped (raise "
                                      "maxPods to tap it)")
                               .arg(m_config.target)
                               .arg(m_config.maxPods)
                               .arg(pod.name));
        m_podUids.insert(pod.uid);
        return;
    }
    m_podUids.insert(pod.uid);
    auto *p = new PodTapPipeline(m_api.get(), pod, m_nextIndex++, m_podPort, m_config.image, this,
                                 this);
    p->setStallTimeout(m_config.stallTimeoutSeconds * 1000);
    p->setTapProfile(tapProfileFromName(m_config.tapProfile).value_or(TapProfile::Default));
    m_pipelines << p;
    if (m_pcapng) {
        const QByteArray idb = m_pcapng->declare(p->index(), pod.ns + QLatin1Char('/') + pod.name);
        if (!idb.isEmpty())
            Q_EMIT pcapngBytes(idb, true);
    }
    wireMirror(p);
    connect(p, &PodTapPipeline::tapReady, this, [this, p](const QString &tap, bool reused) {
        audit(reused ? QStringLiteral("reuse") : QStringLiteral("inject"),
              QJsonObject{{QStringLiteral("pod"), p->pod().name},
                          {QStringLiteral("tap"), tap},
                          {QStringLiteral("outcome"),
                           reused ? QStringLiteral("running tap reused")
                                  : QStringLiteral("tap added and running")}});
    });
    connect(p, &PodTapPipeline::tapFailed, this, [this, p](const QString &why) {
        audit(QStringLiteral("inject-failed"), QJsonObject{{QStringLiteral("pod"), p->pod().name},
                                                           {QStringLiteral("outcome"), why}});
    });
    connect(p, &PodTapPipeline::stateChanged, this, [this, p](State s, const QString &why) {
        if (s == State::Failed && m_pipelines.size() > 1)
            Q_EMIT warning(QStringLiteral("pod %1: %2").arg(p->pod().name, why));
        updateState();
    });
    connect(p, &PodTapPipeline::warning, this, [this](const QString &m) {
        m_warnings << m;
        Q_EMIT warning(m);
    });
    connect(p, &PodTapPipeline::progress, this, &CaptureSession::progress);
    connect(p, &PodTapPipeline::preflightDone, this,
            [this, p](const QJsonArray &items, bool passed) {
                Q_EMIT preflight(p->pod().name, items, passed);
            });
    connect(p, &PodTapPipeline::stopped, this, [this] {
        updateState();
        finishIfDone();
    });
    Q_EMIT progress(QStringLiteral("tapping pod %1/%2").arg(pod.ns, pod.name));
    p->start();
}

void CaptureSession::followPods()
{
    if (m_stopping)
        return;
    const auto spec = TargetSpec::parse(m_config.target, m_namespace);
    if (!spec)
        return;
    TargetResolver::resolve(
            m_api.get(), spec.value(), m_config.port, this,
            [this](const Result<ResolvedTarget> &r) {
                if (m_stopping)
                    return;
                if (!r) {
                    Q_EMIT warning(QStringLiteral("cannot follow the pods of %1: %2")
                                           .arg(m_config.target, r.error()));
                    return;
                }
                QSet<QString> present;
                for (const PodInfo &p : r->pods) {
                    present.insert(p.uid);
                    if (!m_podUids.contains(p.uid)) {
                        Q_EMIT progress(
                                QStringLiteral("new pod %1 of %2").arg(p.name, m_config.target));
                        addPod(p);
                    }
                }
                for (PodTapPipeline *p : std::as_const(m_pipelines)) {
                    if (!present.contains(p->pod().uid) && p->state() != State::Stopped
                        && p->state() != State::Failed) {
                        Q_EMIT progress(
                                QStringLiteral("pod %1 is gone; its tap ends").arg(p->pod().name));
                        p->stop();
                    }
                }
            });
}

void CaptureSession::updateState()
{
    if (m_finished || m_state == State::Failed)
        return;
    // The session is as far as its least advanced live pod; failed pods only make it fail
    // when every pod failed.
    State s = State::Stopped;
    QString why;
    bool anyLive = false;
    int failed = 0;
    for (const PodTapPipeline *p : std::as_const(m_pipelines)) {
        if (p->state() == State::Failed) {
            ++failed;
            why = p->reason();
            continue;
        }
        if (p->state() == State::Stopped)
            continue;
        anyLive = true;
        if (p->state() == State::Reconnecting) {
            s = State::Reconnecting;
            why = QStringLiteral("%1: %2").arg(p->pod().name, p->reason());
        } else if (s != State::Reconnecting && (s == State::Stopped || p->state() < s)) {
            s = p->state();
            why = p->reason();
        }
    }
    if (!anyLive) {
        if (!m_pipelines.isEmpty() && failed == m_pipelines.size() && !m_stopping)
            fail(why);
        return; // finishIfDone decides
    }
    if (s != m_state || why != m_reason) {
        m_state = s;
        m_reason = why;
        Q_EMIT stateChanged(QLatin1String(PodTapPipeline::stateName(s)), why);
    }
}

void CaptureSession::stop()
{
    if (m_stopping) {
        finishIfDone();
        return;
    }
    stopPipelines();
    // Still resolving (no pipeline yet): the resolver's callback sees m_stopping.
    if (!m_pipelines.isEmpty() || m_spool)
        finishIfDone();
}

void CaptureSession::flushStore()
{
    if (m_spool && m_spool->isOpen())
        m_spool->flush();
}

void CaptureSession::closeSpool()
{
    if (!m_spool)
        return;
    if (!m_endedBatch.isEmpty() || !m_mirrorBatch.isEmpty() || !m_httpBatch.isEmpty()
        || !m_compareBatch.isEmpty())
        publishStats();
    if (m_spool->isOpen()) {
        m_spool->updateMeta(summary());
        m_spool->close(QLatin1String(PodTapPipeline::stateName(m_state)));
    }
}

MirrorSink::Options CaptureSession::mirrorOptions() const
{
    MirrorSink::Options o;
    o.host = QHostAddress(m_config.mirrorHost == QLatin1String("localhost")
                                  ? QStringLiteral("127.0.0.1")
                                  : m_config.mirrorHost);
    o.port = quint16(m_config.mirrorPort);
    o.joinMidstream = m_config.joinMidstream;
    if (const auto filter = HttpFilter::fromJson(m_config.httpFilter))
        o.httpFilter = filter.value(); // validated by SessionConfig::fromJson
    o.compare = m_config.compare;
    for (const QString &h : m_config.ignoreHeaders)
        o.compareOptions.ignoreHeaders.insert(h.toLatin1().toLower().trimmed());
    o.compareOptions.descriptors = m_config.protoDescriptors;
    return o;
}

void CaptureSession::wireMirror(PodTapPipeline *p)
{
    if (MirrorSink *old = p->mirror())
        m_mirrorDone += old->stats();
    p->setMirror(mirrorOptions());
    if (MirrorSink *m = p->mirror()) {
        connect(m, &MirrorSink::connectionEnded, this,
                [this, p](quint64 id, const QString &outcome, quint64 bytes,
                          const QByteArray &response, const QJsonObject &requests) {
                    QJsonObject r{{QStringLiteral("id"), qint64(p->sessionId(id))},
                                  {QStringLiteral("outcome"), outcome},
                                  {QStringLiteral("bytesMirrored"), qint64(bytes)},
                                  {QStringLiteral("responseBytes"), qint64(response.size())}};
                    if (!requests.isEmpty())
                        r[QStringLiteral("requests")] = requests;
                    m_mirrorBatch.append(r);
                });
    }
}

Result<bool> CaptureSession::setMirror(const QString &host, int port, bool joinMidstream,
                                       bool allowRemote, bool compare)
{
    SessionConfig c = m_config;
    c.compare = compare;
    c.mirrorHost = host.isEmpty() ? QStringLiteral("127.0.0.1") : host;
    c.mirrorPort = port;
    c.joinMidstream = joinMidstream;
    c.allowRemoteMirror = allowRemote;
    const auto checked = SessionConfig::fromJson(c.toJson());
    if (!checked)
        return Result<bool>::failure(checked.error());
    if (isFinished())
        return Result<bool>::failure(QStringLiteral("session %1 has ended").arg(m_id));
    const bool wasMirroring = m_config.mirrorPort > 0;
    m_config = checked.value();
    m_config.protoDescriptors = c.protoDescriptors; // not in the JSON: carried over
    for (PodTapPipeline *p : std::as_const(m_pipelines))
        wireMirror(p);
    if (port > 0 || wasMirroring)
        audit(port > 0 ? QStringLiteral("mirror-start") : QStringLiteral("mirror-stop"),
              QJsonObject{{QStringLiteral("outcome"),
                           port > 0 ? QStringLiteral("mirror set by the client")
                                    : QStringLiteral("mirror switched off by the client")}});
    publishStats();
    return true;
}

QByteArray CaptureSession::startPcapng()
{
    if (!m_pcapng) {
        m_pcapng = std::make_unique<LivePcapng>(
                QStringLiteral("podtap session %1: %2, tcp port %3, context %4")
                        .arg(m_id, m_config.target)
                        .arg(m_podPort > 0 ? m_podPort : m_config.port)
                        .arg(m_config.context),
                m_podPort > 0 ? m_podPort : m_config.port);
        for (const PodTapPipeline *p : std::as_const(m_pipelines))
            m_pcapng->declare(p->index(), p->pod().ns + QLatin1Char('/') + p->pod().name);
    }
    return m_pcapng->header();
}

void CaptureSession::podPacket(int podIndex, const RawPacket &packet, std::uint64_t connectionId,
                               std::uint8_t direction, std::uint8_t tcpFlags)
{
    ++m_packets;
    m_bytes += packet.caplen;
    if (m_spool && m_spool->isOpen())
        m_spool->append(packet, connectionId, direction, tcpFlags);
    if (m_pcapWanted)
        Q_EMIT pcapBytes(PcapWriter::pcapRecord(packet), packet.linkType);
    if (m_pcapng) {
        QString label;
        for (const PodTapPipeline *p : std::as_const(m_pipelines))
            if (p->index() == podIndex)
                label = p->pod().ns + QLatin1Char('/') + p->pod().name;
        bool newInterface = false;
        const QByteArray blocks = m_pcapng->packet(packet, podIndex, label, &newInterface);
        Q_EMIT pcapngBytes(blocks, newInterface);
    }
}

void CaptureSession::podConnectionClosed(const QJsonObject &c)
{
    ++m_connections;
    m_gapBytes += c[QLatin1String("c2s")][QLatin1String("gapBytes")].toInteger()
                  + c[QLatin1String("s2c")][QLatin1String("gapBytes")].toInteger();
    if (m_spool && m_spool->isOpen())
        m_spool->appendConnection(c);
    m_endedBatch.append(c);
}

void CaptureSession::podHttpExchange(const QJsonObject &record)
{
    ++m_httpExchanges;
    if (m_spool && m_spool->isOpen())
        m_spool->appendHttp(record);
    m_httpBatch.append(record);
}

void CaptureSession::podCompared(const QJsonObject &record)
{
    ShadowComparator::Kind kind{};
    if (ShadowComparator::kindFromName(record[QLatin1String("verdict")].toString(), &kind)) {
        m_compareCounts.add(kind);
        m_routeCounts[record[QLatin1String("route")].toString()].add(kind);
    }
    if (m_spool && m_spool->isOpen())
        m_spool->appendCompare(record);
    m_compareBatch.append(record);
}

QJsonObject CaptureSession::compareJson() const
{
    QJsonObject o = m_compareCounts.toJson();
    QJsonObject routes;
    // Bounded: a service with unfolded ids could have unbounded routes.
    int n = 0;
    for (auto it = m_routeCounts.begin(); it != m_routeCounts.end() && n < 500; ++it, ++n)
        routes[it.key()] = it.value().toJson();
    o[QLatin1String("routes")] = routes;
    o[QLatin1String("enabled")] = m_config.compare;
    return o;
}

QJsonObject CaptureSession::mirrorStats() const
{
    MirrorSink::Stats s = m_mirrorDone;
    int open = 0;
    for (PodTapPipeline *p : std::as_const(m_pipelines)) {
        if (MirrorSink *m = p->mirror()) {
            s += m->stats();
            open += m->openConnections();
        }
    }
    QJsonObject o = s.toJson();
    o[QLatin1String("enabled")] = m_config.mirrorPort > 0;
    o[QLatin1String("to")]
            = m_config.mirrorPort > 0
                      ? QStringLiteral("%1:%2").arg(m_config.mirrorHost).arg(m_config.mirrorPort)
                      : QString();
    o[QLatin1String("open")] = open;
    return o;
}

QJsonObject CaptureSession::summary() const
{
    QJsonArray pods;
    qint64 drops = 0, lost = 0, unread = 0, open = 0;
    for (const PodTapPipeline *p : std::as_const(m_pipelines)) {
        pods.append(p->toJson());
        drops += p->kernelDrops();
        lost += p->lostOnTheWay();
        unread += p->unreadAtStop();
        open += qint64(p->engine().tracker().stats().open);
    }
    QJsonObject o;
    o[QLatin1String("id")] = m_id;
    o[QLatin1String("title")] = m_config.title(m_namespace);
    o[QLatin1String("target")] = m_config.target;
    o[QLatin1String("context")] = m_config.context;
    o[QLatin1String("protected")] = m_protected; // the context guard protects the context
    o[QLatin1String("namespace")] = m_namespace;
    o[QLatin1String("port")] = m_config.port;
    o[QLatin1String("podPort")] = m_podPort;
    o[QLatin1String("state")] = QLatin1String(PodTapPipeline::stateName(m_state));
    o[QLatin1String("reason")] = m_reason;
    o[QLatin1String("started")] = m_started.toString(Qt::ISODateWithMs);
    if (m_ended.isValid())
        o[QLatin1String("ended")] = m_ended.toString(Qt::ISODateWithMs);
    o[QLatin1String("pods")] = pods;
    o[QLatin1String("packets")] = qint64(m_packets);
    o[QLatin1String("bytes")] = qint64(m_bytes);
    o[QLatin1String("connections")] = qint64(m_connections) + open;
    o[QLatin1String("openConnections")] = open;
    o[QLatin1String("gapBytes")] = qint64(m_gapBytes);
    o[QLatin1String("loss")] = QJsonObject{{QStringLiteral("kernelDrops"), drops},
                                           {QStringLiteral("lostOnTheWay"), lost},
                                           {QStringLiteral("unreadAtStop"), unread}};
    o[QLatin1String("mirror")] = mirrorStats();
    o[QLatin1String("http")] = httpJson();
    if (m_config.compare)
        o[QLatin1String("compare")] = compareJson();
    o[QLatin1String("store")] = m_storeDir;
    o[QLatin1String("warnings")] = QJsonArray::fromStringList(m_warnings.mid(0, 50));
    return o;
}

QJsonObject CaptureSession::httpJson() const
{
    // HTTP/2 counts add up over the pods; undecodable ones by cause, with the last reason.
    qint64 h2 = 0, undecodable = 0, midstream = 0, gaps = 0, errors = 0;
    QString reason;
    for (const PodTapPipeline *p : std::as_const(m_pipelines)) {
        const HttpSink::Stats &s = p->http().stats();
        h2 += qint64(s.http2Connections);
        undecodable += qint64(s.http2Undecodable);
        midstream += qint64(s.http2Midstream);
        gaps += qint64(s.http2Gaps);
        errors += qint64(s.http2Errors);
        if (!s.http2LastReason.isEmpty())
            reason = s.http2LastReason;
    }
    QJsonObject o{{QStringLiteral("exchanges"), qint64(m_httpExchanges)},
                  {QStringLiteral("http2Connections"), h2},
                  {QStringLiteral("http2Undecodable"), undecodable},
                  {QStringLiteral("http2Midstream"), midstream},
                  {QStringLiteral("http2Gaps"), gaps},
                  {QStringLiteral("http2Errors"), errors}};
    if (!reason.isEmpty())
        o[QLatin1String("http2UndecodableReason")] = reason;
    return o;
}

QList<QJsonObject> CaptureSession::openConnections() const
{
    QList<QJsonObject> all;
    for (const PodTapPipeline *p : std::as_const(m_pipelines))
        all.append(p->openConnections());
    std::sort(all.begin(), all.end(), [](const QJsonObject &a, const QJsonObject &b) {
        return a.value(QLatin1String("id")).toInteger() < b.value(QLatin1String("id")).toInteger();
    });
    return all;
}

void CaptureSession::publishStats()
{
    QJsonArray opened, progress;
    int budget = MaxLivePerTick;
    for (PodTapPipeline *p : std::as_const(m_pipelines))
        budget -= p->takeLiveConnections(m_liveClock.elapsed(), budget, &opened, &progress);
    if (!m_endedBatch.isEmpty() || !opened.isEmpty() || !progress.isEmpty()) {
        Q_EMIT connectionsChanged(opened, progress, m_endedBatch);
        m_endedBatch = QJsonArray();
    }
    if (!m_mirrorBatch.isEmpty()) {
        Q_EMIT mirrorConnectionsEnded(m_mirrorBatch);
        m_mirrorBatch = QJsonArray();
    }
    if (!m_httpBatch.isEmpty()) {
        Q_EMIT httpExchanges(m_httpBatch);
        m_httpBatch = QJsonArray();
    }
    if (!m_compareBatch.isEmpty()) {
        Q_EMIT compared(m_compareBatch);
        m_compareBatch = QJsonArray();
    }
    const QJsonObject s = summary();
    if (m_spool && m_spool->isOpen())
        m_spool->updateMeta(s);
    Q_EMIT statsUpdated(s);
}

} // namespace podtap
