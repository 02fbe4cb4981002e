#pragma once

#include "result.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace podtap {

// One RBAC policy rule podtap needs, with why (shown as a YAML comment and in preflight).
struct RbacRule
{
    QString id; // pods-read, pods-list, ephemeralcontainers, exec, namespace, workloads, services
    QStringList apiGroups, resources, verbs, resourceNames;
    QString why;
    bool contract = false; // checked by preflight's SelfSubjectAccessReviews (tap contract)

    // {apiGroups: [""], resources: ["pods/exec"], verbs: ["get"], resourceNames: ["web-0"]}
    QString inlineText() const;
};

// The Role (or ClusterRole) and binding that let a user run podtap, and nothing more. Pure:
// no cluster is asked. `podtap rbac` prints yaml(); preflight's "ask your admin" text uses
// askFor() so both always name the same rule.
class RbacGenerator
{
public:
    struct Options
    {
        QString ns;           // Role + RoleBinding in this namespace
        bool cluster = false; // ClusterRole + ClusterRoleBinding instead
        QStringList pods;     // resourceNames for the pod-named requests (needs ns)
        QString user;         // subject; neither user nor group: a placeholder to fill in
        QString group;
        bool workloads = false;                  // also get deployments, statefulsets, services
        QString name = QStringLiteral("podtap"); // Role / ClusterRole name
    };
    // The placeholder subject name used when neither a user nor a group is given.
    static QString placeholderSubject();

    // Checks names (namespace = DNS label, pods = DNS subdomains) and combinations.
    static Result<RbacGenerator> create(const Options &options);
    // The Role for one pod: what preflight shows for that pod (`podtap rbac -n NS --pod POD`).
    static Result<RbacGenerator> forPod(const QString &ns, const QString &pod);

    const Options &options() const { return m_options; }
    QList<RbacRule> rules() const;
    // The rule granting `verb` on resource[/subresource] in `group`, narrowed to that verb.
    std::optional<RbacRule> ruleFor(const QString &verb, const QString &resource,
                                    const QString &subresource = QString(),
                                    const QString &group = QString()) const;
    // "a Role in namespace NS with {…} bound to you; your admin can print … with: podtap rbac …"
    QString askFor(const QString &verb, const QString &resource,
                   const QString &subresource = QString(), const QString &group = QString()) const;
    // The podtap command line that prints yaml() (without a subject when none was given).
    QString command() const;
    QString roleKind() const;
    QString bindingKind() const;
    QString bindingName() const;
    // Multi-document YAML: the Role/ClusterRole, then its binding; a comment per rule.
    QString yaml() const;

private:
    explicit RbacGenerator(Options options);
    Options m_options;
};

} // namespace podtap
