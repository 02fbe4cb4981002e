#include "rbacauthorizer.h"

#include <QJsonArray>

namespace kubesim {

namespace {

const QString kStar = QStringLiteral("*");

ScenarioRule basicUserRule()
{
    ScenarioRule r;
    r.apiGroups = {QStringLiteral("authorization.k8s.io")};
    r.resources = {QStringLiteral("selfsubjectaccessreviews"),
                   QStringLiteral("selfsubjectrulesreviews")};
    r.verbs = {QStringLiteral("create")};
    return r;
}

const QStringList &discoveryPaths()
{
    static const QStringList paths
            = {QStringLiteral("/api"),     QStringLiteral("/api/*"),   QStringLiteral("/apis"),
               QStringLiteral("/apis/*"),  QStringLiteral("/healthz"), QStringLiteral("/livez"),
               QStringLiteral("/readyz"),  QStringLiteral("/openapi"), QStringLiteral("/openapi/*"),
               QStringLiteral("/version"), QStringLiteral("/version/")};
    return paths;
}

} // namespace

void RbacAuthorizer::setUsers(const QList<ScenarioUser> &users)
{
    m_rules.clear();
    for (const auto &u : users)
        m_rules.insert(u.name, u.rules);
}

QList<ScenarioRule> RbacAuthorizer::rulesFor(const UserInfo &user) const
{
    QList<ScenarioRule> rules = m_rules.value(user.name);
    rules.prepend(basicUserRule());
    if (user.groups.contains(QStringLiteral("system:masters"))) {
        ScenarioRule all;
        all.apiGroups = all.resources = all.verbs = {kStar};
        rules.prepend(all);
    }
    return rules;
}

bool RbacAuthorizer::ruleMatches(const ScenarioRule &rule, const ResourceAttributes &a)
{
    // Namespaced rules (Role + RoleBinding) never grant cluster-scoped requests.
    const bool clusterWide = rule.namespaces.isEmpty() || rule.namespaces.contains(kStar);
    if (!clusterWide && (a.ns.isEmpty() || !rule.namespaces.contains(a.ns)))
        return false;
    if (!rule.verbs.contains(kStar) && !rule.verbs.contains(a.verb))
        return false;
    if (!rule.apiGroups.contains(kStar) && !rule.apiGroups.contains(a.group))
        return false;
    const QString combined
            = a.subresource.isEmpty() ? a.resource : a.resource + QLatin1Char('/') + a.subresource;
    bool resOk = false;
    for (const QString &r : rule.resources) {
        // rbac/v1 helpers.go ResourceMatches: "*", exact "res/sub", and "*/sub".
        if (r == kStar || r == combined
            || (!a.subresource.isEmpty() && r == QStringLiteral("*/") + a.subresource)) {
            resOk = true;
            break;
        }
    }
    if (!resOk)
        return false;
    if (!rule.resourceNames.isEmpty() && !rule.resourceNames.contains(a.name))
        return false;
    return true;
}

bool RbacAuthorizer::allowed(const UserInfo &user, const ResourceAttributes &attrs,
                             QString *reason) const
{
    const QList<ScenarioRule> rules = rulesFor(user);
    for (const auto &r : rules) {
        if (ruleMatches(r, attrs)) {
            if (reason) {
                const bool cluster = r.namespaces.isEmpty() || r.namespaces.contains(kStar);
                *reason = cluster ? QStringLiteral("RBAC: allowed by ClusterRoleBinding \"%1\" of "
                                                   "ClusterRole \"%1\" to User \"%1\"")
                                            .arg(user.name)
                                  : QStringLiteral("RBAC: allowed by RoleBinding \"%1/%2\" of "
                                                   "Role \"%1\" to User \"%1\"")
                                            .arg(user.name, attrs.ns);
            }
            return true;
        }
    }
    return false;
}

bool RbacAuthorizer::nonResourceAllowed(const UserInfo &user, const QString &path) const
{
    if (m_rules.contains(user.name) || user.groups.contains(QStringLiteral("system:masters"))) {
        for (const QString &p : discoveryPaths()) {
            if (p.endsWith(kStar) ? path.startsWith(p.chopped(1)) : path == p)
                return true;
        }
    }
    return user.groups.contains(QStringLiteral("system:masters"));
}

QJsonObject RbacAuthorizer::rulesReviewStatus(const UserInfo &user, const QString &ns) const
{
    QJsonArray resourceRules;
    const QList<ScenarioRule> rules = rulesFor(user);
    for (const auto &r : rules) {
        const bool cluster = r.namespaces.isEmpty() || r.namespaces.contains(kStar);
        if (!cluster && !r.namespaces.contains(ns))
            continue;
        QJsonObject o{{QStringLiteral("verbs"), QJsonArray::fromStringList(r.verbs)},
                      {QStringLiteral("apiGroups"), QJsonArray::fromStringList(r.apiGroups)},
                      {QStringLiteral("resources"), QJsonArray::fromStringList(r.resources)}};
        if (!r.resourceNames.isEmpty())
            o.insert(QStringLiteral("resourceNames"), QJsonArray::fromStringList(r.resourceNames));
        resourceRules.append(o);
    }
    const QJsonArray nonResource{QJsonObject{
            {QStringLiteral("verbs"), QJsonArray{QStringLiteral("get")}},
            {QStringLiteral("nonResourceURLs"), QJsonArray::fromStringList(discoveryPaths())}}};
    return {{QStringLiteral("resourceRules"), resourceRules},
            {QStringLiteral("nonResourceRules"), nonResource},
            {QStringLiteral("incomplete"), false}};
}

} // namespace kubesim
