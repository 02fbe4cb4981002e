#include "targetresolver.h"

#include <QSet>

#include <QJsonArray>

#include <algorithm>

namespace podtap {

Result<TargetSpec> TargetSpec::parse(const QString &text, const QString &defaultNamespace)
{
    static const QMap<QString, QString> kinds{
            {QStringLiteral("pod"), QStringLiteral("pod")},
            {QStringLiteral("po"), QStringLiteral("pod")},
            {QStringLiteral("pods"), QStringLiteral("pod")},
            {QStringLiteral("deployment"), QStringLiteral("deployment")},
            {QStringLiteral("deploy"), QStringLiteral("deployment")},
            {QStringLiteral("deployments"), QStringLiteral("deployment")},
            {QStringLiteral("statefulset"), QStringLiteral("statefulset")},
            {QStringLiteral("sts"), QStringLiteral("statefulset")},
            {QStringLiteral("statefulsets"), QStringLiteral("statefulset")},
            {QStringLiteral("service"), QStringLiteral("service")},
            {QStringLiteral("svc"), QStringLiteral("service")},
            {QStringLiteral("services"), QStringLiteral("service")}};
    // Kinds kubectl knows that select pods podtap does not follow (yet).
    static const QSet<QString> unsupported{
            QStringLiteral("cronjob"),     QStringLiteral("cronjobs"), QStringLiteral("cj"),
            QStringLiteral("job"),         QStringLiteral("jobs"),     QStringLiteral("daemonset"),
            QStringLiteral("daemonsets"),  QStringLiteral("ds"),       QStringLiteral("replicaset"),
            QStringLiteral("replicasets"), QStringLiteral("rs"),       QStringLiteral("ingress"),
            QStringLiteral("node"),        QStringLiteral("nodes")};
    const QStringList parts = text.split(QLatin1Char('/'));
    for (const QString &p : parts)
        if (p.isEmpty())
            return Result<TargetSpec>::failure(
                    QStringLiteral("target '%1' has an empty part").arg(text));
    TargetSpec t;
    t.ns = defaultNamespace;
    if (parts.size() == 1) {
        t.name = parts[0];
    } else if (parts.size() == 2 && kinds.contains(parts[0])) {
        t.kind = kinds.value(parts[0]);
        t.name = parts[1];
    } else if (parts.size() == 2 && unsupported.contains(parts[0].toLower())) {
        // "cronjob/x" is not namespace "cronjob": say what can be tapped instead.
        return Result<TargetSpec>::failure(
                QStringLiteral("podtap cannot tap a %1: name a pod, deployment/X, statefulset/X "
                               "or service/X (for a %1, name one of its pods)")
                        .arg(parts[0]));
    } else if (parts.size() == 2) {
        t.ns = parts[0];
        t.name = parts[1];
    } else if (parts.size() == 3) {
        t.context = parts[0];
        t.ns = parts[1];
        t.name = parts[2];
    } else {
        return Result<TargetSpec>::failure(
                QStringLiteral("target '%1' is not [context/]namespace/pod or deployment/X, "
                               "statefulset/X, service/X")
                        .arg(text));
    }
    return t;
}

QString TargetSpec::toString() const
{
    return (context.isEmpty() ? QString() : context + QLatin1Char('/')) + ns + QLatin1Char('/')
           + (kind == QLatin1String("pod") ? QString() : kind + QLatin1Char('/')) + name;
}

QString TargetResolver::selectorString(const QJsonObject &selector)
{
    QStringList reqs;
    const bool labelSelector = selector.contains(QLatin1String("matchLabels"))
                               || selector.contains(QLatin1String("matchExpressions"));
    const QJsonObject labels
            = labelSelector ? selector.value(QLatin1String("matchLabels")).toObject() : selector;
    for (auto it = labels.begin(); it != labels.end(); ++it)
        reqs << it.key() + QLatin1Char('=') + it.value().toString();
    for (const QJsonValue e : selector.value(QLatin1String("matchExpressions")).toArray()) {
        const QString key = e[QLatin1String("key")].toString();
        const QString op = e[QLatin1String("operator")].toString();
        QStringList values;
        for (const QJsonValue v : e[QLatin1String("values")].toArray())
            values << v.toString();
        if (op == QLatin1String("In"))
            reqs << QStringLiteral("%1 in (%2)").arg(key, values.join(QLatin1Char(',')));
        else if (op == QLatin1String("NotIn"))
            reqs << QStringLiteral("%1 notin (%2)").arg(key, values.join(QLatin1Char(',')));
        else if (op == QLatin1String("Exists"))
            reqs << key;
        else if (op == QLatin1String("DoesNotExist"))
            reqs << QLatin1Char('!') + key;
    }
    std::sort(reqs.begin(), reqs.end());
    return reqs.join(QLatin1Char(','));
}

void TargetResolver::sortMostActiveFirst(QList<PodInfo> &pods)
{
    auto phaseRank = [](const QString &phase) {
        if (phase == QLatin1String("Running"))
            return 2;
        if (phase == QLatin1String("Unknown"))
            return 1;
        return 0; // Pending and the rest
    };
    std::stable_sort(pods.begin(), pods.end(), [&](const PodInfo &a, const PodInfo &b) {
        if (a.nodeName.isEmpty() != b.nodeName.isEmpty())
            return !a.nodeName.isEmpty();
        if (phaseRank(a.phase) != phaseRank(b.phase))
            return phaseRank(a.phase) > phaseRank(b.phase);
        if (a.ready != b.ready)
            return a.ready;
        if (a.deleting.isValid() != b.deleting.isValid())
            return !a.deleting.isValid();
        if (a.restarts() != b.restarts())
            return a.restarts() < b.restarts();
        return a.created < b.created;
    });
}

void TargetResolver::resolve(KubeApiClient *api, const TargetSpec &t, int port, QObject *context,
                             const Callback &callback)
{
    using R = Result<ResolvedTarget>;
    const QString nsPath = QStringLiteral("/api/v1/namespaces/%1").arg(t.ns);
    if (t.kind == QLatin1String("pod")) {
        api->get(nsPath + QStringLiteral("/pods/") + t.name, {}, context,
                 [=](const KubeApiClient::Response &r) {
                     if (!r.ok()) {
                         callback(R::failure(r.errorText()));
                         return;
                     }
                     const PodInfo pod = PodInfo::fromJson(r.json);
                     callback(ResolvedTarget{pod, port, QString(), 1, {pod}});
                 });
        return;
    }
    const QString objectPath = t.kind == QLatin1String("service")
                                       ? nsPath + QStringLiteral("/services/") + t.name
                                       : QStringLiteral("/apis/apps/v1/namespaces/%1/%2s/%3")
                                                 .arg(t.ns, t.kind, t.name);
    api->get(objectPath, {}, context, [=](const KubeApiClient::Response &r) {
        if (!r.ok()) {
            callback(R::failure(r.errorText()));
            return;
        }
        const QJsonObject spec = r.json.value(QLatin1String("spec")).toObject();
        const QJsonObject selector = spec.value(QLatin1String("selector")).toObject();
        if (selector.isEmpty()) {
            callback(
                    R::failure(QStringLiteral("%1/%2 is defined without a selector: no pods to tap")
                                       .arg(t.kind, t.name)));
            return;
        }
        // A Service's port maps to the pods' targetPort (a number or a container port name).
        QJsonValue targetPort;
        if (t.kind == QLatin1String("service") && port > 0) {
            for (const QJsonValue p : spec.value(QLatin1String("ports")).toArray())
                if (p[QLatin1String("port")].toInt() == port)
                    targetPort = p[QLatin1String("targetPort")].isUndefined()
                                         ? QJsonValue(port)
                                         : p[QLatin1String("targetPort")];
        }
        QUrlQuery q;
        KubeApiClient::addQueryValue(q, QStringLiteral("labelSelector"), selectorString(selector));
        api->get(nsPath + QStringLiteral("/pods"), q, context,
                 [=](const KubeApiClient::Response &list) {
                     if (!list.ok()) {
                         callback(R::failure(list.errorText()));
                         return;
                     }
                     QList<PodInfo> pods;
                     for (const QJsonValue v : list.json.value(QLatin1String("items")).toArray())
                         pods << PodInfo::fromJson(v.toObject());
                     if (pods.isEmpty()) {
                         callback(R::failure(
                                 QStringLiteral("%1/%2 selects no pods (%3)")
                                         .arg(t.kind, t.name, selectorString(selector))));
                         return;
                     }
                     sortMostActiveFirst(pods);
                     ResolvedTarget rt{pods.first(), port, QString(), int(pods.size()), pods};
                     if (targetPort.isDouble()) {
                         rt.port = targetPort.toInt();
                     } else if (targetPort.isString()) {
                         rt.port = 0;
                         for (const auto &c : rt.pod.containers)
                             for (const auto &cp : c.ports)
                                 if (cp.name == targetPort.toString())
                                     rt.port = cp.port;
                         if (rt.port == 0) {
                             callback(R::failure(
                                     QStringLiteral("service/%1 port %2 targets the named port "
                                                    "'%3', which pod %4 does not declare")
                                             .arg(t.name)
                                             .arg(port)
                                             .arg(targetPort.toString(), rt.pod.name)));
                             return;
                         }
                     }
                     if (pods.size() > 1)
                         rt.note = QStringLiteral("%1/%2 has %3 pods; tapping %4 (the most active, "
                                                  "as kubectl picks). "
                                                  "Only this pod is tapped.")
                                           .arg(t.kind, t.name)
                                           .arg(pods.size())
                                           .arg(rt.pod.name);
                     callback(rt);
                 });
    });
}

} // namespace podtap
