#include "podinfo.h"

#include "tapspec.h"

#include <QJsonArray>

namespace podtap {

namespace {
ContainerStateInfo parseStatus(const QJsonObject &s)
{
    ContainerStateInfo c;
    c.name = s.value(QLatin1String("name")).toString();
    c.image = s.value(QLatin1String("image")).toString();
    c.ready = s.value(QLatin1String("ready")).toBool();
    c.restarts = s.value(QLatin1String("restartCount")).toInt();
    const QJsonObject state = s.value(QLatin1String("state")).toObject();
    if (state.contains(QLatin1String("running"))) {
        c.state = ContainerStateInfo::State::Running;
    } else if (state.contains(QLatin1String("terminated"))) {
        const QJsonObject t = state.value(QLatin1String("terminated")).toObject();
        c.state = ContainerStateInfo::State::Terminated;
        c.reason = t.value(QLatin1String("reason")).toString();
        c.message = t.value(QLatin1String("message")).toString();
        c.exitCode = t.value(QLatin1String("exitCode")).toInt();
    } else if (state.contains(QLatin1String("waiting"))) {
        const QJsonObject w = state.value(QLatin1String("waiting")).toObject();
        c.state = ContainerStateInfo::State::Waiting;
        c.reason = w.value(QLatin1String("reason")).toString();
        c.message = w.value(QLatin1String("message")).toString();
    }
    return c;
}

QString findMeshSidecar(const QJsonObject &meta, const QJsonObject &spec)
{
    static const QLatin1String proxies[]
            = {QLatin1String("istio-proxy"), QLatin1String("linkerd-proxy")};
    for (const QJsonValue c : spec.value(QLatin1String("containers")).toArray())
        for (const QLatin1String &p : proxies)
            if (c[QLatin1String("name")].toString() == p)
                return p;
    QString init;
    for (const QJsonValue c : spec.value(QLatin1String("initContainers")).toArray()) {
        const QString name = c[QLatin1String("name")].toString();
        for (const QLatin1String &p : proxies)
            if (name == p
                && c[QLatin1String("restartPolicy")].toString() == QLatin1String("Always"))
                return p; // a native sidecar (Kubernetes 1.28+)
        if (name == QLatin1String("istio-init"))
            init = QStringLiteral("istio-proxy");
        else if (name == QLatin1String("linkerd-init"))
            init = QStringLiteral("linkerd-proxy");
    }
    const QJsonObject annotations = meta.value(QLatin1String("annotations")).toObject();
    if (annotations.contains(QLatin1String("sidecar.istio.io/status")))
        return QStringLiteral("istio-proxy");
    if (annotations.contains(QLatin1String("linkerd.io/proxy-version")))
        return QStringLiteral("linkerd-proxy");
    return init;
}
} // namespace

PodInfo PodInfo::fromJson(const QJsonObject &pod)
{
    PodInfo p;
    const QJsonObject meta = pod.value(QLatin1String("metadata")).toObject();
    const QJsonObject spec = pod.value(QLatin1String("spec")).toObject();
    const QJsonObject status = pod.value(QLatin1String("status")).toObject();
    p.ns = meta.value(QLatin1String("namespace")).toString();
    p.name = meta.value(QLatin1String("name")).toString();
    p.uid = meta.value(QLatin1String("uid")).toString();
    p.resourceVersion = meta.value(QLatin1String("resourceVersion")).toString();
    const QJsonObject labels = meta.value(QLatin1String("labels")).toObject();
    for (auto it = labels.begin(); it != labels.end(); ++it)
        p.labels.insert(it.key(), it.value().toString());
    p.created = QDateTime::fromString(meta.value(QLatin1String("creationTimestamp")).toString(),
                                      Qt::ISODate);
    p.deleting = QDateTime::fromString(meta.value(QLatin1String("deletionTimestamp")).toString(),
                                       Qt::ISODate);
    p.nodeName = spec.value(QLatin1String("nodeName")).toString();
    p.phase = status.value(QLatin1String("phase")).toString();
    p.podIp = status.value(QLatin1String("podIP")).toString();
    for (const QJsonValue v : status.value(QLatin1String("podIPs")).toArray())
        p.podIps << v[QLatin1String("ip")].toString();
    for (const QJsonValue c : status.value(QLatin1String("conditions")).toArray())
        if (c[QLatin1String("type")].toString() == QLatin1String("Ready"))
            p.ready = c[QLatin1String("status")].toString() == QLatin1String("True");
    for (const QJsonValue cv : spec.value(QLatin1String("containers")).toArray()) {
        ContainerInfo c;
        c.name = cv[QLatin1String("name")].toString();
        c.image = cv[QLatin1String("image")].toString();
        for (const QJsonValue pv : cv[QLatin1String("ports")].toArray())
            c.ports.append({pv[QLatin1String("name")].toString(),
                            pv[QLatin1String("containerPort")].toInt(),
                            pv[QLatin1String("protocol")].toString(QStringLiteral("TCP"))});
        p.containers.append(c);
    }
    for (const QJsonValue s : status.value(QLatin1String("containerStatuses")).toArray())
        p.containerStatuses.append(parseStatus(s.toObject()));
    for (const QJsonValue e : spec.value(QLatin1String("ephemeralContainers")).toArray())
        p.ephemeralContainers.append(e.toObject());
    for (const QJsonValue s : status.value(QLatin1String("ephemeralContainerStatuses")).toArray())
        p.ephemeralStatuses.append(parseStatus(s.toObject()));
    p.meshSidecar = findMeshSidecar(meta, spec);
    return p;
}

int PodInfo::restarts() const
{
    int n = 0;
    for (const auto &s : containerStatuses)
        n += s.restarts;
    return n;
}

std::optional<ContainerStateInfo> PodInfo::ephemeralStatus(const QString &name) const
{
    for (const auto &s : ephemeralStatuses)
        if (s.name == name)
            return s;
    return std::nullopt;
}

std::optional<QJsonObject> PodInfo::latestTap() const
{
    for (auto it = ephemeralContainers.crbegin(); it != ephemeralContainers.crend(); ++it)
        if (TapSpec::isTapName(it->value(QLatin1String("name")).toString()))
            return *it;
    return std::nullopt;
}

std::optional<QJsonObject> PodInfo::reusableTap(const QString &image, TapProfile profile,
                                                QList<SkippedTap> *skipped) const
{
    for (auto it = ephemeralContainers.crbegin(); it != ephemeralContainers.crend(); ++it) {
        const QString name = it->value(QLatin1String("name")).toString();
        if (!TapSpec::isTapName(name))
            continue;
        const auto theirProfile = TapSpec::contractProfile(*it);
        if (!theirProfile) {
            if (skipped)
                *skipped << SkippedTap{name,
                                       QStringLiteral("its securityContext is not the tap "
                                                      "contract (NET_RAW only)"),
                                       true};
            continue;
        }
        if (*theirProfile != profile) {
            // One of ours, but its uid and escalation setting are not what was asked for.
            if (skipped)
                *skipped << SkippedTap{
                        name,
                        QStringLiteral("it is a %1-profile tap, not %2")
                                .arg(tapProfileName(*theirProfile), tapProfileName(profile)),
                        false};
            continue;
        }
        const QString theirs = it->value(QLatin1String("image")).toString();
        if (theirs != image) {
            if (skipped)
                *skipped << SkippedTap{name, QStringLiteral("image %1, not %2").arg(theirs, image),
                                       false};
            continue;
        }
        return *it;
    }
    return std::nullopt;
}

QString PodInfo::readyText() const
{
    int ready = 0;
    for (const auto &s : containerStatuses)
        ready += s.ready ? 1 : 0;
    return QStringLiteral("%1/%2").arg(ready).arg(containers.size());
}

} // namespace podtap
