#include "kubebrowser.h"

#include "guard/contextguard.h"
#include "ipc/ipcserver.h"
#include "kube/clusteraccess.h"
#include "kube/credentialcache.h"
#include "kube/kubeapiclient.h"
#include "kube/kubeconfig.h"
#include "kube/podinfo.h"
#include "kube/preflight.h"
#include "kube/tapspec.h"
#include "kube/targetresolver.h"

#include <QJsonArray>
#include <QPointer>
#include <QProcessEnvironment>
#include <QTimer>

#include <memory>

namespace podtap {

namespace {

constexpr int MaxPreflightPods = 16;

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

// One request in flight: its own kube client (credentials in memory only) and the peer
// to answer. Deleted once answered, when the peer goes, or on timeout; callbacks use it
// as their context, so none runs after that.
class Job : public QObject
{
public:
    Job(IpcPeer *peer, qint64 id, int timeoutMs, CredentialCache *credentials, QObject *parent)
        : QObject(parent)
        , m_peer(peer)
        , m_id(id)
        , m_credentials(credentials)
    {
        // A client that disconnected gets nothing: drop its work at once.
        connect(peer, &IpcPeer::closed, this, &QObject::deleteLater);
        connect(peer, &QObject::destroyed, this, &QObject::deleteLater);
        QTimer::singleShot(timeoutMs, this, [this, timeoutMs] {
            fail(QStringLiteral("timeout"),
                 QStringLiteral("the cluster did not answer within %1 s").arg(timeoutMs / 1000));
        });
    }

    void reply(const QJsonObject &result)
    {
        if (m_done)
            return;
        m_done = true;
        if (m_peer)
            m_peer->reply(m_id, result);
        deleteLater();
    }
    void fail(const QString &code, const QString &message)
    {
        if (m_done)
            return;
        m_done = true;
        if (m_peer)
            m_peer->replyError(m_id, code, message);
        deleteLater();
    }

    // Kubeconfig → context → client; false after answering the error.
    bool open(const QJsonObject &params)
    {
        QStringList files;
        for (const QJsonValue v : params.value(QLatin1String("kubeconfig")).toArray())
            files << v.toString();
        auto config = loadConfig(files);
        if (!config)
            return false;
        auto access = ClusterAccess::fromKubeconfig(*config, str(params, "context"));
        if (!access) {
            fail(QStringLiteral("context"), access.error());
            return false;
        }
        m_context = access->contextName();
        m_ns = str(params, "namespace").trimmed();
        if (m_ns.isEmpty())
            m_ns = access->defaultNamespace();
        m_api = new KubeApiClient(access.value(), m_credentials, this);
        const QJsonObject env = params.value(QLatin1String("environment")).toObject();
        QProcessEnvironment pe;
        if (!env.isEmpty()) {
            // The client's environment reaches exec plugins and the proxy choice (HTTPS_PROXY,
            // NO_PROXY) only; it is never logged.
            for (auto it = env.begin(); it != env.end(); ++it)
                pe.insert(it.key(), it.value().toString());
            m_api->setPluginEnvironment(pe);
        }
        if (!env.isEmpty())
            m_api->setProxyEnvironment(pe);
        return true;
    }

    // The merged kubeconfig, or answers why there is none.
    std::optional<Kubeconfig> loadConfig(const QStringList &files)
    {
        auto config = files.isEmpty() ? Kubeconfig::loadDefault() : Kubeconfig::loadFiles(files);
        if (!config) {
            fail(QStringLiteral("kubeconfig"), config.error());
            return std::nullopt;
        }
        if (config->files().isEmpty()) {
            fail(QStringLiteral("no-kubeconfig"),
                 (config->warnings().isEmpty() ? QStringLiteral("no kubeconfig found")
                                               : config->warnings().constFirst())
                         + QStringLiteral(
                                 ": create one with your cloud's CLI (e.g. `gcloud container "
                                 "clusters get-credentials`, `aws eks update-kubeconfig`) or "
                                 "set KUBECONFIG"));
            return std::nullopt;
        }
        return config.value();
    }

    KubeApiClient *api() const { return m_api; }
    QString ns() const { return m_ns; }
    QString context() const { return m_context; }

private:
    QPointer<IpcPeer> m_peer;
    qint64 m_id;
    bool m_done = false;
    CredentialCache *m_credentials;
    KubeApiClient *m_api = nullptr;
    QString m_ns;
    QString m_context;
};

QString ruleFor(const QString &ns, const QString &group, const QString &resource,
                const QString &verb)
{
    const QString scope = ns.isEmpty() ? QStringLiteral("a ClusterRole")
                                       : QStringLiteral("a Role in namespace %1").arg(ns);
    return QStringLiteral("%1 with {apiGroups: [\"%2\"], resources: [\"%3\"], verbs: [\"%4\"]} "
                          "bound to you")
            .arg(scope, group, resource, verb);
}

QJsonArray containerPorts(const QJsonArray &containers)
{
    QJsonArray out;
    for (const QJsonValue c : containers)
        for (const QJsonValue p : c[QLatin1String("ports")].toArray())
            out.append(
                    QJsonObject{{QStringLiteral("container"), c[QLatin1String("name")].toString()},
                                {QStringLiteral("name"), p[QLatin1String("name")].toString()},
                                {QStringLiteral("port"), p[QLatin1String("containerPort")].toInt()},
                                {QStringLiteral("protocol"),
                                 p[QLatin1String("protocol")].toString(QStringLiteral("TCP"))}});
    return out;
}

QJsonObject podJson(const QJsonObject &raw)
{
    const PodInfo pod = PodInfo::fromJson(raw);
    QJsonObject o{
            {QStringLiteral("name"), pod.name},
            {QStringLiteral("phase"), pod.phase},
            {QStringLiteral("ready"), pod.readyText()},
            {QStringLiteral("allReady"), pod.ready},
            {QStringLiteral("restarts"), pod.restarts()},
            {QStringLiteral("ip"), pod.podIp},
            {QStringLiteral("node"), pod.nodeName},
            {QStringLiteral("ports"),
             containerPorts(raw[QLatin1String("spec")][QLatin1String("containers")].toArray())}};
    const QJsonArray owners
            = raw[QLatin1String("metadata")][QLatin1String("ownerReferences")].toArray();
    if (!owners.isEmpty())
        o[QLatin1String("owner")]
                = QString(owners.first()[QLatin1String("kind")].toString() + QLatin1Char('/')
                          + owners.first()[QLatin1String("name")].toString());
    if (const auto tap = pod.latestTap())
        o[QLatin1String("tap")] = tap->value(QLatin1String("name")).toString();
    return o;
}

QJsonObject workloadJson(const QString &kind, const QJsonObject &raw)
{
    const QJsonObject spec = raw[QLatin1String("spec")].toObject();
    const QJsonObject status = raw[QLatin1String("status")].toObject();
    const int replicas = spec.value(QLatin1String("replicas")).toInt(1);
    const int ready = status.value(QLatin1String("readyReplicas")).toInt();
    return {{QStringLiteral("kind"), kind},
            {QStringLiteral("name"),
             raw[QLatin1String("metadata")][QLatin1String("name")].toString()},
            {QStringLiteral("replicas"), replicas},
            {QStringLiteral("readyReplicas"), ready},
            {QStringLiteral("ready"), QStringLiteral("%1/%2").arg(ready).arg(replicas)},
            {QStringLiteral("selector"),
             TargetResolver::selectorString(spec.value(QLatin1String("selector")).toObject())},
            {QStringLiteral("ports"), containerPorts(spec[QLatin1String("template")][QLatin1String(
                                              "spec")][QLatin1String("containers")]
                                                             .toArray())}};
}

bool selects(const QJsonObject &selector, const QJsonObject &labels)
{
    if (selector.isEmpty())
        return false;
    for (auto it = selector.begin(); it != selector.end(); ++it)
        if (labels.value(it.key()).toString() != it.value().toString())
            return false;
    return true;
}

// A Service's ports with the pod-side port when it can be worked out simply: a number, or
// a named container port that a selected pod declares.
QJsonObject serviceJson(const QJsonObject &raw, const QJsonArray &pods)
{
    const QJsonObject spec = raw[QLatin1String("spec")].toObject();
    const QJsonObject selector = spec.value(QLatin1String("selector")).toObject();
    QJsonArray ports;
    for (const QJsonValue p : spec.value(QLatin1String("ports")).toArray()) {
        const int port = p[QLatin1String("port")].toInt();
        const QJsonValue target = p[QLatin1String("targetPort")];
        QJsonObject o{{QStringLiteral("name"), p[QLatin1String("name")].toString()},
                      {QStringLiteral("port"), port},
                      {QStringLiteral("protocol"),
                       p[QLatin1String("protocol")].toString(QStringLiteral("TCP"))}};
        int podPort = 0;
        if (target.isUndefined()) {
            podPort = port;
            o[QLatin1String("targetPort")] = port;
        } else if (target.isDouble()) {
            podPort = target.toInt();
            o[QLatin1String("targetPort")] = podPort;
        } else {
            o[QLatin1String("targetPort")] = target.toString();
            for (const QJsonValue pod : pods) {
                if (podPort > 0
                    || !selects(selector,
                                pod[QLatin1String("metadata")][QLatin1String("labels")].toObject()))
                    continue;
                for (const QJsonValue c :
                     pod[QLatin1String("spec")][QLatin1String("containers")].toArray())
                    for (const QJsonValue cp : c[QLatin1String("ports")].toArray())
                        if (cp[QLatin1String("name")].toString() == target.toString())
                            podPort = cp[QLatin1String("containerPort")].toInt();
            }
        }
        if (podPort > 0)
            o[QLatin1String("podPort")] = podPort;
        ports.append(o);
    }
    int selected = 0;
    for (const QJsonValue pod : pods)
        if (selects(selector, pod[QLatin1String("metadata")][QLatin1String("labels")].toObject()))
            ++selected;
    return {{QStringLiteral("name"),
             raw[QLatin1String("metadata")][QLatin1String("name")].toString()},
            {QStringLiteral("type"), spec.value(QLatin1String("type")).toString()},
            {QStringLiteral("selector"), TargetResolver::selectorString(selector)},
            {QStringLiteral("pods"), selected},
            {QStringLiteral("ports"), ports}};
}

} // namespace

KubeBrowser::KubeBrowser(CredentialCache *credentials, QObject *parent)
    : QObject(parent)
    , m_credentials(credentials)
{}

KubeBrowser::~KubeBrowser() = default;

bool KubeBrowser::handle(IpcPeer *peer, qint64 id, const QString &method, const QJsonObject &params)
{
    if (method == QLatin1String("kube.contexts"))
        contexts(peer, id, params);
    else if (method == QLatin1String("kube.namespaces"))
        namespaces(peer, id, params);
    else if (method == QLatin1String("kube.targets"))
        targets(peer, id, params);
    else if (method == QLatin1String("kube.preflight"))
        preflight(peer, id, params);
    else
        return false;
    return true;
}

void KubeBrowser::contexts(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    auto *job = new Job(peer, id, m_timeoutMs, m_credentials, this);
    QStringList files;
    for (const QJsonValue v : params.value(QLatin1String("kubeconfig")).toArray())
        files << v.toString();
    const auto config = job->loadConfig(files);
    if (!config)
        return;
    if (config->contexts().isEmpty()) {
        job->fail(QStringLiteral("no-contexts"),
                  QStringLiteral("the kubeconfig (%1) defines no contexts: add one with "
                                 "`kubectl config set-context` or your cloud's CLI")
                          .arg(config->files().join(QStringLiteral(", "))));
        return;
    }
    QJsonArray list;
    for (const KubeContext &c : config->contexts()) {
        QJsonObject o{{QStringLiteral("name"), c.name},
                      {QStringLiteral("cluster"), c.cluster},
                      {QStringLiteral("namespace"), c.ns},
                      {QStringLiteral("user"), c.user}};
        // Only what kind of credential the context uses, never the credential.
        const auto access = ClusterAccess::fromKubeconfig(*config, c.name);
        if (access) {
            o[QLatin1String("server")] = access->server().toString();
            o[QLatin1String("authKind")]
                    = QLatin1String(ClusterAccess::authKindName(access->authKind()));
            o[QLatin1String("defaultNamespace")] = access->defaultNamespace();
        } else {
            o[QLatin1String("problem")] = access.error();
        }
        list.append(o);
    }
    job->reply({{QStringLiteral("current"), config->currentContext()},
                {QStringLiteral("contexts"), list},
                {QStringLiteral("files"), QJsonArray::fromStringList(config->files())},
                {QStringLiteral("warnings"), QJsonArray::fromStringList(config->warnings())}});
}

void KubeBrowser::namespaces(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    auto *job = new Job(peer, id, m_timeoutMs, m_credentials, this);
    if (!job->open(params))
        return;
    job->api()->get(
            QStringLiteral("/api/v1/namespaces"), {}, job, [job](const KubeApiClient::Response &r) {
                if (r.httpCode == 403) {
                    job->fail(QStringLiteral("forbidden"),
                              QStringLiteral("%1. You can still type a namespace (context %2 "
                                             "defaults to %3). To list them, ask your cluster "
                                             "admin for %4")
                                      .arg(r.errorText(), job->context(), job->ns(),
                                           ruleFor({}, {}, QStringLiteral("namespaces"),
                                                   QStringLiteral("list"))));
                    return;
                }
                if (!r.ok()) {
                    job->fail(QStringLiteral("kube"), r.errorText());
                    return;
                }
                QStringList names;
                for (const QJsonValue v : r.json.value(QLatin1String("items")).toArray())
                    names << v[QLatin1String("metadata")][QLatin1String("name")].toString();
                names.sort();
                job->reply({{QStringLiteral("context"), job->context()},
                            {QStringLiteral("defaultNamespace"), job->ns()},
                            {QStringLiteral("namespaces"), QJsonArray::fromStringList(names)}});
            });
}

void KubeBrowser::targets(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    auto *job = new Job(peer, id, m_timeoutMs, m_credentials, this);
    if (!job->open(params))
        return;
    struct Kind
    {
        QString name; // as in the answer
        QString group;
        QString resource;
        QString path;
    };
    const QString ns = job->ns();
    const QList<Kind> kinds{
            {QStringLiteral("pods"), QString(), QStringLiteral("pods"),
             QStringLiteral("/api/v1/namespaces/%1/pods").arg(ns)},
            {QStringLiteral("deployments"), QStringLiteral("apps"), QStringLiteral("deployments"),
             QStringLiteral("/apis/apps/v1/namespaces/%1/deployments").arg(ns)},
            {QStringLiteral("statefulsets"), QStringLiteral("apps"), QStringLiteral("statefulsets"),
             QStringLiteral("/apis/apps/v1/namespaces/%1/statefulsets").arg(ns)},
            {QStringLiteral("services"), QString(), QStringLiteral("services"),
             QStringLiteral("/api/v1/namespaces/%1/services").arg(ns)}};
    struct State
    {
        QHash<QString, QJsonArray> items;
        QJsonArray forbidden;
        QStringList errors;
        int pending = 0;
    };
    auto st = std::make_shared<State>();
    st->pending = int(kinds.size());
    for (const Kind &k : kinds) {
        job->api()->get(k.path, {}, job, [job, st, k, ns](const KubeApiClient::Response &r) {
            if (r.ok()) {
                st->items.insert(k.name, r.json.value(QLatin1String("items")).toArray());
            } else if (r.httpCode == 403) {
                st->forbidden.append(
                        QJsonObject{{QStringLiteral("kind"), k.name},
                                    {QStringLiteral("why"), r.errorText()},
                                    {QStringLiteral("ask"),
                                     ruleFor(ns, k.group, k.resource, QStringLiteral("list"))}});
            } else {
                st->errors << QStringLiteral("%1: %2").arg(k.name, r.errorText());
            }
            if (--st->pending > 0)
                return;
            if (st->items.isEmpty()) {
                if (!st->forbidden.isEmpty() && st->errors.isEmpty()) {
                    QStringList asks;
                    for (const QJsonValue f : st->forbidden)
                        asks << f[QLatin1String("ask")].toString();
                    job->fail(QStringLiteral("forbidden"),
                              QStringLiteral("not allowed to list pods, workloads or services in "
                                             "namespace %1 (context %2). Ask your cluster admin "
                                             "for %3")
                                      .arg(ns, job->context(), asks.join(QStringLiteral("; "))));
                } else {
                    job->fail(QStringLiteral("kube"), st->errors.join(QStringLiteral("; ")));
                }
                return;
            }
            const QJsonArray rawPods = st->items.value(QStringLiteral("pods"));
            QJsonArray pods;
            for (const QJsonValue p : rawPods)
                pods.append(podJson(p.toObject()));
            QJsonArray workloads;
            for (const QString &kind :
                 {QStringLiteral("deployments"), QStringLiteral("statefulsets")})
                for (const QJsonValue w : st->items.value(kind))
                    workloads.append(workloadJson(kind.chopped(1), w.toObject()));
            QJsonArray services;
            for (const QJsonValue s : st->items.value(QStringLiteral("services")))
                services.append(serviceJson(s.toObject(), rawPods));
            QJsonObject out{{QStringLiteral("context"), job->context()},
                            {QStringLiteral("namespace"), ns},
                            {QStringLiteral("pods"), pods},
                            {QStringLiteral("workloads"), workloads},
                            {QStringLiteral("services"), services},
                            {QStringLiteral("forbidden"), st->forbidden}};
            if (!st->errors.isEmpty())
                out[QLatin1String("errors")] = QJsonArray::fromStringList(st->errors);
            job->reply(out);
        });
    }
}

void KubeBrowser::preflight(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    auto *job = new Job(peer, id, m_timeoutMs, m_credentials, this);
    const QString targetText = str(params, "target").trimmed();
    const int port = params.value(QLatin1String("port")).toInt();
    if (targetText.isEmpty()) {
        job->fail(QStringLiteral("invalid"),
                  QStringLiteral("preflight needs a target (pod, deployment/NAME, …)"));
        return;
    }
    if (port < 0 || port > 65535) {
        job->fail(QStringLiteral("invalid"),
                  QStringLiteral("the port to tap must be 1-65535 (got %1)").arg(port));
        return;
    }
    if (!job->open(params))
        return;
    const auto spec = TargetSpec::parse(targetText, job->ns());
    if (!spec) {
        job->fail(QStringLiteral("invalid"), spec.error());
        return;
    }
    const QString profileName = str(params, "tapProfile").isEmpty() ? QStringLiteral("default")
                                                                    : str(params, "tapProfile");
    const auto profile = tapProfileFromName(profileName);
    if (!profile) {
        job->fail(QStringLiteral("invalid"), QStringLiteral("unknown tap profile '%1' (%2)")
                                                     .arg(profileName, tapProfileChoices()));
        return;
    }
    QString image = str(params, "image").trimmed();
    // The nonroot profile has no default image: preflight's image item says why.
    if (image.isEmpty() && *profile != TapProfile::NonRoot)
        image = QLatin1String(TapSpec::DefaultImage);
    // The context guard, shown before anything starts (session.start enforces it).
    const ContextGuard guard = ContextGuard::load();
    const QString context = job->api()->access().contextName();
    const QJsonObject guarded{{QStringLiteral("context"), context},
                              {QStringLiteral("protected"), guard.isProtected(context)},
                              {QStringLiteral("pattern"), guard.matchingPattern(context)},
                              {QStringLiteral("file"), guard.file()}};
    TargetResolver::resolve(
            job->api(), spec.value(), port, job,
            [job, image, port, profile = *profile, guarded,
             target = spec->toString()](const Result<ResolvedTarget> &r) {
                if (!r) {
                    job->fail(QStringLiteral("target"), r.error());
                    return;
                }
                struct State
                {
                    QList<QJsonObject> pods;
                    int pending = 0;
                    bool passed = true;
                };
                auto st = std::make_shared<State>();
                const QList<PodInfo> pods = r->pods.mid(0, MaxPreflightPods);
                st->pods.resize(pods.size());
                st->pending = int(pods.size());
                const QJsonObject head{{QStringLiteral("target"), target},
                                       {QStringLiteral("port"), port},
                                       {QStringLiteral("podPort"), r->port > 0 ? r->port : port},
                                       {QStringLiteral("candidates"), r->candidates},
                                       {QStringLiteral("note"), r->note},
                                       {QStringLiteral("guard"), guarded}};
                for (int i = 0; i < pods.size(); ++i) {
                    Preflight::run(job->api(), pods.at(i), image, profile, job,
                                   [job, st, i, head,
                                    name = pods.at(i).name](const PreflightReport &report) {
                                       st->pods[i] = QJsonObject{
                                               {QStringLiteral("pod"), name},
                                               {QStringLiteral("passed"), report.passed()},
                                               {QStringLiteral("existingTap"), report.existingTap},
                                               {QStringLiteral("items"), report.toJson()}};
                                       st->passed = st->passed && report.passed();
                                       if (--st->pending > 0)
                                           return;
                                       QJsonObject out = head;
                                       QJsonArray list;
                                       for (const QJsonObject &p : st->pods)
                                           list.append(p);
                                       out[QLatin1String("pods")] = list;
                                       out[QLatin1String("passed")] = st->passed;
                                       job->reply(out);
                                   });
                }
            });
}

} // namespace podtap
