#include "rbacmanifestloader.h"

#include <QFile>
#include <QHash>

#include <yaml-cpp/yaml.h>

#include <stdexcept>
#include <string>

namespace kubesim {

namespace {

struct LoadError : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

const char *const kRbacGroup = "rbac.authorization.k8s.io";

[[noreturn]] void fail(const YAML::Mark &at, const std::string &what)
{
    throw LoadError("line " + std::to_string(at.line + 1) + ": " + what);
}

[[noreturn]] void fail(const YAML::Node &n, const std::string &what)
{
    fail(n.Mark(), what);
}

void checkKeys(const YAML::Node &n, const std::string &what,
               std::initializer_list<const char *> allowed)
{
    if (!n.IsMap())
        fail(n, what + " must be a mapping");
    for (const auto &kv : n) {
        const std::string key = kv.first.as<std::string>();
        bool ok = false;
        for (const char *a : allowed)
            ok = ok || key == a;
        if (!ok) {
            // NOLINTNEXTLINE(performance-inefficient-string-concatenation): fail() throws: once
            fail(kv.first, "unknown field \"" + key + "\" in " + what);
        }
    }
}

QString scalar(const YAML::Node &parent, const char *key, const std::string &what,
               bool required = true)
{
    const YAML::Node n = parent[key];
    if (!n) {
        if (required)
            fail(parent, what + " needs \"" + key + "\"");
        return QString();
    }
    if (!n.IsScalar())
        fail(n, std::string(key) + " must be a string");
    return QString::fromStdString(n.as<std::string>());
}

QStringList list(const YAML::Node &parent, const char *key)
{
    QStringList out;
    const YAML::Node n = parent[key];
    if (!n || n.IsNull())
        return out;
    if (!n.IsSequence())
        fail(n, std::string(key) + " must be a list");
    for (const auto &e : n) {
        if (!e.IsScalar())
            fail(e, std::string(key) + " items must be strings");
        out << QString::fromStdString(e.as<std::string>());
    }
    return out;
}

struct Role
{
    QList<ScenarioRule> rules;
};

struct Subject
{
    QString kind, name;
};

struct Binding
{
    // Where errors point. Not the YAML::Node: its assignment can throw (InvalidNode), which
    // made Binding's implicit move assignment throwing too.
    YAML::Mark roleRefAt, subjectsAt;
    QString kind, ns, roleKind, roleName;
    QList<Subject> subjects;
};

QList<ScenarioRule> parseRules(const YAML::Node &doc)
{
    QList<ScenarioRule> rules;
    const YAML::Node n = doc["rules"];
    if (!n || n.IsNull())
        return rules;
    if (!n.IsSequence())
        fail(n, "rules must be a list");
    for (const auto &r : n) {
        checkKeys(r, "rule",
                  {"apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"});
        if (r["nonResourceURLs"])
            fail(r, "nonResourceURLs are not supported by kubesim");
        ScenarioRule rule;
        rule.apiGroups = list(r, "apiGroups");
        rule.resources = list(r, "resources");
        rule.verbs = list(r, "verbs");
        rule.resourceNames = list(r, "resourceNames");
        // rbac validation.go ValidatePolicyRule.
        if (rule.verbs.isEmpty())
            fail(r, "rules[].verbs: Required value: verbs must contain at least one value");
        if (rule.apiGroups.isEmpty())
            fail(r, "rules[].apiGroups: Required value: resource rules must supply at least one "
                    "api group");
        if (rule.resources.isEmpty())
            fail(r, "rules[].resources: Required value: resource rules must supply at least one "
                    "resource");
        rules << rule;
    }
    return rules;
}

void load(const QByteArray &yaml, Scenario *scenario)
{
    QHash<QString, Role> roles; // "ns/name" for Roles, "/name" for ClusterRoles
    QList<Binding> bindings;
    const std::vector<YAML::Node> docs = YAML::LoadAll(yaml.toStdString());
    for (const YAML::Node &doc : docs) {
        if (!doc || doc.IsNull())
            continue;
        checkKeys(doc, "manifest",
                  {"apiVersion", "kind", "metadata", "rules", "subjects", "roleRef",
                   "aggregationRule"});
        if (scalar(doc, "apiVersion", "a manifest")
            != QLatin1String("rbac.authorization.k8s.io/v1"))
            fail(doc["apiVersion"], "apiVersion must be rbac.authorization.k8s.io/v1");
        const QString kind = scalar(doc, "kind", "a manifest");
        const YAML::Node meta = doc["metadata"];
        if (!meta)
            fail(doc, "a manifest needs metadata");
        checkKeys(meta, "metadata", {"name", "namespace", "labels", "annotations"});
        const QString name = scalar(meta, "name", "metadata");
        const QString ns = scalar(meta, "namespace", "metadata", false);
        const bool namespaced
                = kind == QLatin1String("Role") || kind == QLatin1String("RoleBinding");
        const bool known = namespaced || kind == QLatin1String("ClusterRole")
                           || kind == QLatin1String("ClusterRoleBinding");
        if (!known)
            fail(doc["kind"], "kind must be Role, ClusterRole, RoleBinding or ClusterRoleBinding");
        if (namespaced && ns.isEmpty())
            fail(meta, kind.toStdString() + " " + name.toStdString()
                               + " needs metadata.namespace (kubesim has no default namespace)");
        if (!namespaced && !ns.isEmpty())
            fail(meta, kind.toStdString() + " is cluster-scoped: no metadata.namespace");
        if (namespaced) {
            bool declared = false;
            for (const auto &n : std::as_const(scenario->namespaces))
                declared = declared || n.name == ns;
            if (!declared)
                fail(meta, "namespace \"" + ns.toStdString() + "\" is not in the scenario");
        }
        if (kind.endsWith(QLatin1String("Role"))) {
            if (doc["subjects"] || doc["roleRef"])
                fail(doc, "a " + kind.toStdString() + " has rules, not subjects or roleRef");
            if (doc["aggregationRule"])
                fail(doc, "aggregationRule is not supported by kubesim");
            const QString key = (namespaced ? ns : QString()) + QLatin1Char('/') + name;
            if (roles.contains(key))
                fail(doc, "duplicate " + kind.toStdString() + " " + name.toStdString());
            roles.insert(key, Role{parseRules(doc)});
            continue;
        }
        if (doc["rules"] || doc["aggregationRule"])
            fail(doc, "a " + kind.toStdString() + " has subjects and roleRef, not rules");
        Binding b;
        b.kind = kind;
        b.ns = ns;
        const YAML::Node ref = doc["roleRef"];
        if (!ref)
            fail(doc, kind.toStdString() + " needs roleRef");
        b.roleRefAt = ref.Mark();
        checkKeys(ref, "roleRef", {"apiGroup", "kind", "name"});
        if (scalar(ref, "apiGroup", "roleRef") != QLatin1String(kRbacGroup))
            fail(ref, "roleRef.apiGroup must be rbac.authorization.k8s.io");
        b.roleKind = scalar(ref, "kind", "roleRef");
        b.roleName = scalar(ref, "name", "roleRef");
        if (b.roleKind != QLatin1String("ClusterRole")
            && !(namespaced && b.roleKind == QLatin1String("Role")))
            fail(ref, namespaced ? "roleRef.kind must be Role or ClusterRole"
                                 : "roleRef.kind must be ClusterRole");
        const YAML::Node subjects = doc["subjects"];
        if (subjects && !subjects.IsSequence())
            fail(subjects, "subjects must be a list");
        if (subjects)
            b.subjectsAt = subjects.Mark(); // a missing key's node throws on Mark()
        for (const auto &s : subjects) {
            checkKeys(s, "subject", {"kind", "apiGroup", "name", "namespace"});
            Subject sub{scalar(s, "kind", "subject"), scalar(s, "name", "subject")};
            if (sub.kind != QLatin1String("User") && sub.kind != QLatin1String("Group"))
                fail(s, "subject kind must be User or Group (kubesim has no ServiceAccounts)");
            if (scalar(s, "apiGroup", "subject") != QLatin1String(kRbacGroup))
                fail(s, "a User or Group subject needs apiGroup rbac.authorization.k8s.io");
            if (s["namespace"])
                fail(s, "a User or Group subject has no namespace");
            b.subjects << sub;
        }
        bindings << b;
    }

    for (const Binding &b : std::as_const(bindings)) {
        const bool fromRole = b.roleKind == QLatin1String("Role");
        const QString key = (fromRole ? b.ns : QString()) + QLatin1Char('/') + b.roleName;
        if (!roles.contains(key))
            fail(b.roleRefAt, b.kind.toStdString() + " refers to " + b.roleKind.toStdString() + " "
                                      + b.roleName.toStdString()
                                      + ", which is not in the manifests");
        QList<ScenarioRule> rules = roles.value(key).rules;
        for (ScenarioRule &r : rules)
            r.namespaces
                    = b.kind == QLatin1String("RoleBinding") ? QStringList{b.ns} : QStringList();
        for (const Subject &s : b.subjects) {
            bool matched = false;
            for (ScenarioUser &u : scenario->users) {
                const bool hit = s.kind == QLatin1String("User") ? u.name == s.name
                                                                 : u.groups.contains(s.name);
                if (hit) {
                    u.rules << rules;
                    matched = true;
                }
            }
            if (!matched)
                fail(b.subjectsAt, b.kind.toStdString() + " binds " + s.kind.toStdString() + " \""
                                           + s.name.toStdString()
                                           + "\", which no scenario user is or belongs to");
        }
    }
}

} // namespace

podtap::Result<bool> RbacManifestLoader::applyFile(const QString &path, Scenario *scenario)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return podtap::Result<bool>::failure(
                QStringLiteral("cannot read RBAC manifests %1: %2").arg(path, f.errorString()));
    return applyData(f.readAll(), path, scenario);
}

podtap::Result<bool> RbacManifestLoader::applyData(const QByteArray &yaml, const QString &origin,
                                                   Scenario *scenario)
{
    // All or nothing: a failing file leaves the scenario as it was.
    Scenario copy = *scenario;
    try {
        load(yaml, &copy);
    } catch (const LoadError &e) {
        return podtap::Result<bool>::failure(origin + QStringLiteral(": ")
                                             + QString::fromStdString(e.what()));
    } catch (const YAML::Exception &e) {
        return podtap::Result<bool>::failure(origin + QStringLiteral(": ")
                                             + QString::fromStdString(e.what()));
    }
    *scenario = copy;
    return true;
}

} // namespace kubesim
