#include "discovery.h"

#include <QJsonArray>
#include <QStringList>

namespace kubesim {

namespace {

struct ResourceDef
{
    const char *groupVersion, *name, *singular, *kind;
    bool namespaced;
    const char *verbs;
    const char *shortNames;
    bool all; // in category "all"
};

// Verbs: only what kubesim implements (the discovery document is what kubectl trusts).
const ResourceDef kResources[] = {
        {"v1", "namespaces", "namespace", "Namespace", false, "get,list,watch", "ns", false},
        {"v1", "nodes", "node", "Node", false, "get,list", "no", false},
        {"v1", "pods", "pod", "Pod", true, "get,list,watch", "po", true},
        {"v1", "pods/attach", "", "PodAttachOptions", true, "create,get", "", false},
        {"v1", "pods/ephemeralcontainers", "", "Pod", true, "get,patch,update", "", false},
        {"v1", "pods/exec", "", "PodExecOptions", true, "create,get", "", false},
        {"v1", "pods/log", "", "Pod", true, "get", "", false},
        {"v1", "pods/status", "", "Pod", true, "get", "", false},
        {"v1", "services", "service", "Service", true, "get,list,watch", "svc", true},
        {"v1", "events", "event", "Event", true, "get,list,watch", "ev", false},
        {"apps/v1", "deployments", "deployment", "Deployment", true, "get,list,watch", "deploy",
         true},
        {"apps/v1", "statefulsets", "statefulset", "StatefulSet", true, "get,list,watch", "sts",
         true},
        {"apps/v1", "replicasets", "replicaset", "ReplicaSet", true, "get,list,watch", "rs", true},
        {"apps/v1", "daemonsets", "daemonset", "DaemonSet", true, "get,list,watch", "ds", true},
        {"authorization.k8s.io/v1", "selfsubjectaccessreviews", "selfsubjectaccessreview",
         "SelfSubjectAccessReview", false, "create", "", false},
        {"authorization.k8s.io/v1", "selfsubjectrulesreviews", "selfsubjectrulesreview",
         "SelfSubjectRulesReview", false, "create", "", false},
};

QJsonArray split(const char *csv)
{
    QJsonArray a;
    const QStringList parts = QString::fromLatin1(csv).split(QLatin1Char(','), Qt::SkipEmptyParts);
    for (const QString &p : parts)
        a.append(p);
    return a;
}

QString gv(const QString &group)
{
    if (group.isEmpty())
        return QStringLiteral("v1");
    return group + QStringLiteral("/v1");
}

QJsonObject groupObject(const QString &name)
{
    const QJsonObject v{{QStringLiteral("groupVersion"), QString(name + QStringLiteral("/v1"))},
                        {QStringLiteral("version"), QStringLiteral("v1")}};
    return {{QStringLiteral("name"), name},
            {QStringLiteral("versions"), QJsonArray{v}},
            {QStringLiteral("preferredVersion"), v}};
}

} // namespace

QJsonObject Discovery::version()
{
    return {{QStringLiteral("major"), QStringLiteral("1")},
            {QStringLiteral("minor"), QStringLiteral("32")},
            {QStringLiteral("gitVersion"), QStringLiteral("v1.32.4-kubesim")},
            {QStringLiteral("gitCommit"),
             QStringLiteral("0000000000000000000000000000000000000000")},
            {QStringLiteral("gitTreeState"), QStringLiteral("clean")},
            {QStringLiteral("buildDate"), QStringLiteral("2025-04-22T16:00:00Z")},
            {QStringLiteral("goVersion"), QStringLiteral("go1.23.8")},
            {QStringLiteral("compiler"), QStringLiteral("gc")},
            {QStringLiteral("platform"), QStringLiteral("linux/amd64")}};
}

QJsonObject Discovery::apiVersions(const QString &serverAddress)
{
    return {{QStringLiteral("kind"), QStringLiteral("APIVersions")},
            {QStringLiteral("versions"), QJsonArray{QStringLiteral("v1")}},
            {QStringLiteral("serverAddressByClientCIDRs"),
             QJsonArray{QJsonObject{{QStringLiteral("clientCIDR"), QStringLiteral("0.0.0.0/0")},
                                    {QStringLiteral("serverAddress"), serverAddress}}}}};
}

QJsonObject Discovery::apiGroupList()
{
    return {{QStringLiteral("kind"), QStringLiteral("APIGroupList")},
            {QStringLiteral("apiVersion"), QStringLiteral("v1")},
            {QStringLiteral("groups"),
             QJsonArray{groupObject(QStringLiteral("apps")),
                        groupObject(QStringLiteral("authorization.k8s.io"))}}};
}

QJsonObject Discovery::group(const QString &name)
{
    if (name != QLatin1String("apps") && name != QLatin1String("authorization.k8s.io"))
        return {};
    QJsonObject g = groupObject(name);
    g.insert(QStringLiteral("kind"), QStringLiteral("APIGroup"));
    g.insert(QStringLiteral("apiVersion"), QStringLiteral("v1"));
    return g;
}

QJsonObject Discovery::resourceList(const QString &groupVersion)
{
    QJsonArray resources;
    for (const auto &r : kResources) {
        if (groupVersion != QLatin1String(r.groupVersion))
            continue;
        QJsonObject o{{QStringLiteral("name"), QLatin1String(r.name)},
                      {QStringLiteral("singularName"), QLatin1String(r.singular)},
                      {QStringLiteral("namespaced"), r.namespaced},
                      {QStringLiteral("kind"), QLatin1String(r.kind)},
                      {QStringLiteral("verbs"), split(r.verbs)}};
        if (*r.shortNames)
            o.insert(QStringLiteral("shortNames"), split(r.shortNames));
        if (r.all)
            o.insert(QStringLiteral("categories"), QJsonArray{QStringLiteral("all")});
        resources.append(o);
    }
    if (resources.isEmpty())
        return {};
    return {{QStringLiteral("kind"), QStringLiteral("APIResourceList")},
            {QStringLiteral("apiVersion"), QStringLiteral("v1")},
            {QStringLiteral("groupVersion"), groupVersion},
            {QStringLiteral("resources"), resources}};
}

QString Discovery::kindOf(const QString &group, const QString &resource)
{
    const QString g = gv(group);
    for (const auto &r : kResources)
        if (g == QLatin1String(r.groupVersion) && resource == QLatin1String(r.name))
            return QLatin1String(r.kind);
    return {};
}

bool Discovery::isNamespaced(const QString &group, const QString &resource)
{
    const QString g = gv(group);
    for (const auto &r : kResources)
        if (g == QLatin1String(r.groupVersion) && resource == QLatin1String(r.name))
            return r.namespaced;
    return false;
}

} // namespace kubesim
