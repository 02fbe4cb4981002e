#include "podruntime.h"

#include "childprocess.h"
#include "containerprocesses.h"
#include "execsession.h"
#include "netnsmanager.h"
#include "workloadprocess.h"

#include <QDir>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSslSocket>

namespace kubesim {

Q_LOGGING_CATEGORY(lcRuntime, "kubesim.runtime")

PodRuntime::PodRuntime(const QString &stateDir, QObject *parent)
    : QObject(parent)
    , m_netns(std::make_unique<NetnsManager>(stateDir))
    , m_stateDir(stateDir)
    , m_processes(new ContainerProcesses(this))
{
    QString tg = qEnvironmentVariable("PODTAP_TRAFFICGEN");
#ifdef KUBESIM_DEFAULT_TRAFFICGEN
    if (tg.isEmpty())
        tg = QStringLiteral(KUBESIM_DEFAULT_TRAFFICGEN);
#endif
    setTrafficGenPath(tg);
}

PodRuntime::~PodRuntime()
{
    shutdown();
}

void PodRuntime::setTrafficGenPath(const QString &path)
{
    m_trafficGen = QFileInfo(path).isExecutable() ? path : QString();
    if (m_trafficGen.isEmpty() && !path.isEmpty())
        qCInfo(lcRuntime) << "podtap-trafficgen not found at" << path
                          << "- using the built-in http-echo and a curl loop";
}

bool PodRuntime::cleanStale(QString *error)
{
    return m_netns->cleanStale(error);
}

bool PodRuntime::startPod(const PodSpec &spec, QString *podIp, QString *podIpv6, QString *error)
{
    const QString k = key(spec.ns, spec.name);
    if (m_pods.contains(k)) {
        *error = QStringLiteral("pod %1 already started").arg(k);
        return false;
    }
    const auto net = m_netns->createPod(error);
    if (!net)
        return false;
    Pod pod;
    pod.spec = spec;
    pod.podNs = net->podNs;
    pod.clientNs = net->clientNs;
    pod.podIp = net->podIp;
    pod.podIpv6 = net->podIpv6;
    pod.clientIp = net->clientIp;
    pod.workload
            = new WorkloadProcess(*net, spec, m_trafficGen, recordPrefix(spec.ns, spec.name), this);
    m_pods.insert(k, pod);
    if (!pod.workload->start(error)) {
        *error = QStringLiteral("pod %1: %2").arg(k, *error);
        return false;
    }
    if (podIp)
        *podIp = pod.podIp;
    if (podIpv6)
        *podIpv6 = pod.podIpv6;
    return true;
}

QString PodRuntime::recordPrefix(const QString &ns, const QString &pod) const
{
    return QDir(m_stateDir).filePath(m_netns->prefix() + ns + QLatin1Char('-') + pod);
}

QString PodRuntime::trafficRecordPath(const QString &ns, const QString &pod, bool client) const
{
    if (m_trafficGen.isEmpty())
        return {};
    return recordPrefix(ns, pod)
           + (client ? QStringLiteral("-client.jsonl") : QStringLiteral("-server.jsonl"));
}

QString PodRuntime::nginxAccessLogPath(const QString &ns, const QString &pod) const
{
    const auto it = m_pods.constFind(key(ns, pod));
    if (it == m_pods.cend() || it->spec.workload.kind != QLatin1String("nginx"))
        return {};
    return WorkloadProcess::nginxDir(recordPrefix(ns, pod)) + QStringLiteral("/access.log");
}

bool PodRuntime::hasPod(const QString &ns, const QString &pod) const
{
    return m_pods.contains(key(ns, pod));
}

QString PodRuntime::clientIp(const QString &ns, const QString &pod) const
{
    return m_pods.value(key(ns, pod)).clientIp;
}

QString PodRuntime::podNetns(const QString &ns, const QString &pod) const
{
    return m_pods.value(key(ns, pod)).podNs;
}

QString PodRuntime::clientNetns(const QString &ns, const QString &pod) const
{
    return m_pods.value(key(ns, pod)).clientNs;
}

void PodRuntime::setExecFault(const QString &ns, const QString &pod, const FaultSpec &fault)
{
    auto it = m_pods.find(key(ns, pod));
    if (it != m_pods.end())
        it->fault = fault;
}

void PodRuntime::handleExecUpgrade(QSslSocket *socket, const QByteArray &method,
                                   const QByteArray &target,
                                   const QList<QPair<QByteArray, QByteArray>> &headers,
                                   const ExecRequest &req)
{
    handleExecUpgrade(static_cast<QTcpSocket *>(socket), method, target, headers, req);
}

void PodRuntime::handleExecUpgrade(QTcpSocket *socket, const QByteArray &method,
                                   const QByteArray &target,
                                   const QList<QPair<QByteArray, QByteArray>> &headers,
                                   const ExecRequest &req)
{
    Q_UNUSED(target)
    const auto it = m_pods.constFind(key(req.ns, req.pod));
    ExecSession::Context ctx;
    ctx.hostname = req.pod;
    if (it != m_pods.cend()) {
        ctx.netnsPath = NetnsManager::netnsPath(it->podNs);
        ctx.fault = it->fault;
    }
    if (it == m_pods.cend() || m_shutdown) {
        // The API half checks pods first; this only guards against a pod without a sandbox.
        qCWarning(lcRuntime) << "exec for a pod the runtime does not know:" << req.ns << req.pod;
        ctx.error = QStringLiteral("pod %1/%2 has no running sandbox in kubesim")
                            .arg(req.ns, req.pod);
    }
    const QString containerKey = ContainerProcesses::key(req.ns, req.pod, req.container);
    ctx.emulate = [this, containerKey](const QStringList &argv) {
        return m_processes->emulate(containerKey, argv);
    };
    auto *session = new ExecSession(socket, req, ctx, this);
    connect(session, &ExecSession::processStarted, this,
            [this, containerKey](ChildProcess *p) { m_processes->add(containerKey, p); });
    m_sessions.removeAll(nullptr);
    m_sessions << session;
    connect(session, &ExecSession::finished, this, &PodRuntime::execSessionFinished);
    session->start(method, headers);
}

int PodRuntime::activeExecSessions() const
{
    int n = 0;
    for (const auto &s : m_sessions)
        n += s ? 1 : 0;
    return n;
}

void PodRuntime::shutdown()
{
    if (m_shutdown && m_pods.isEmpty())
        return;
    m_shutdown = true;
    const auto sessions = m_sessions;
    m_sessions.clear();
    for (const auto &s : sessions)
        if (s)
            s->abort();
    m_processes->killAll(); // exec'd processes, orphans included
    for (auto &pod : m_pods) {
        if (pod.workload) {
            pod.workload->stop();
            delete pod.workload;
            pod.workload = nullptr;
        }
    }
    m_pods.clear();
    m_netns->teardown();
}

} // namespace kubesim
