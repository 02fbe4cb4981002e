#pragma once

#include "scenario.h"

#include <QHash>
#include <QJsonObject>
#include <QString>

namespace kubesim {

struct UserInfo
{
    QString name;
    QStringList groups;
};

struct ResourceAttributes
{
    QString verb, group, resource, subresource, ns, name;
};

// RBAC evaluation of the scenario's rules (each user's rules behave like Roles bound in the
// listed namespaces, or a ClusterRole when no namespace is given), plus the defaults every
// authenticated user has (system:basic-user, system:discovery). Group system:masters is allowed
// everything, as on a real cluster.
class RbacAuthorizer
{
public:
    void setUsers(const QList<ScenarioUser> &users);
    bool allowed(const UserInfo &user, const ResourceAttributes &attrs,
                 QString *reason = nullptr) const;
    bool nonResourceAllowed(const UserInfo &user, const QString &path) const;
    // status of a SelfSubjectRulesReview for the namespace.
    QJsonObject rulesReviewStatus(const UserInfo &user, const QString &ns) const;

private:
    static bool ruleMatches(const ScenarioRule &rule, const ResourceAttributes &a);
    QList<ScenarioRule> rulesFor(const UserInfo &user) const;
    QHash<QString, QList<ScenarioRule>> m_rules;
};

} // namespace kubesim
