#include "rbacgenerator.h"

#include <QRegularExpression>

namespace podtap {

namespace {

const QString kRbacApi = QStringLiteral("rbac.authorization.k8s.io");

// A YAML double-quoted scalar (names are validated: no control characters reach here).
QString quoted(const QString &s)
{
    QString out = s;
    out.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
    out.replace(QLatin1Char('"'), QStringLiteral("\\\""));
    return QLatin1Char('"') + out + QLatin1Char('"');
}

QString flowList(const QStringList &items)
{
    QStringList q;
    for (const QString &i : items)
        q << quoted(i);
    return QLatin1Char('[') + q.join(QStringLiteral(", ")) + QLatin1Char(']');
}

bool isDnsLabel(const QString &s)
{
    static const QRegularExpression re(QStringLiteral("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"));
    return s.size() <= 63 && re.match(s).hasMatch();
}

bool isDnsSubdomain(const QString &s)
{
    static const QRegularExpression re(
            QStringLiteral("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"));
    return s.size() <= 253 && re.match(s).hasMatch();
}

bool isSubjectName(const QString &s)
{
    if (s.trimmed().isEmpty() || s.size() > 1024)
        return false;
    for (const QChar c : s)
        if (c.category() == QChar::Other_Control || c == QChar::LineSeparator
            || c == QChar::ParagraphSeparator)
            return false;
    return true;
}

// "shop web-0" style argument quoting for a command line shown to a person.
QString shellWord(const QString &s)
{
    static const QRegularExpression safe(QStringLiteral("^[A-Za-z0-9_.:@%+=/,-]+$"));
    if (safe.match(s).hasMatch())
        return s;
    QString out = s;
    out.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + out + QLatin1Char('\'');
}

// Comment lines, wrapped at 96 columns, each starting with `indent` + "# ".
QString comment(const QString &text, const QString &indent)
{
    QString out;
    QString line;
    const QStringList words = text.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    for (const QString &w : words) {
        if (!line.isEmpty() && indent.size() + 2 + line.size() + 1 + w.size() > 96) {
            out += indent + QStringLiteral("# ") + line + QLatin1Char('\n');
            line.clear();
        }
        line += (line.isEmpty() ? QString() : QStringLiteral(" ")) + w;
    }
    if (!line.isEmpty())
        out += indent + QStringLiteral("# ") + line + QLatin1Char('\n');
    return out;
}

} // namespace

QString RbacRule::inlineText() const
{
    QString s = QStringLiteral("{apiGroups: %1, resources: %2, verbs: %3")
                        .arg(flowList(apiGroups), flowList(resources), flowList(verbs));
    if (!resourceNames.isEmpty())
        s += QStringLiteral(", resourceNames: ") + flowList(resourceNames);
    return s + QLatin1Char('}');
}

RbacGenerator::RbacGenerator(Options options)
    : m_options(std::move(options))
{}

QString RbacGenerator::placeholderSubject()
{
    return QStringLiteral("<USER>");
}

Result<RbacGenerator> RbacGenerator::create(const Options &o)
{
    using R = Result<RbacGenerator>;
    if (o.cluster && !o.ns.isEmpty())
        return R::failure(QStringLiteral("-n and --cluster exclude each other: a Role is for one "
                                         "namespace, a ClusterRole for all of them"));
    if (!o.cluster && o.ns.isEmpty())
        return R::failure(QStringLiteral("say where podtap may tap: -n NAMESPACE (a Role) or "
                                         "--cluster (a ClusterRole for every namespace)"));
    if (!o.ns.isEmpty() && !isDnsLabel(o.ns))
        return R::failure(QStringLiteral("'%1' is not a namespace name (lower-case letters, "
                                         "digits and '-', at most 63)")
                                  .arg(o.ns));
    if (o.cluster && !o.pods.isEmpty())
        return R::failure(QStringLiteral("--pod needs -n: pod names are only unique within a "
                                         "namespace"));
    for (const QString &p : o.pods)
        if (!isDnsSubdomain(p))
            return R::failure(QStringLiteral("'%1' is not a pod name").arg(p));
    if (o.workloads && !o.pods.isEmpty())
        return R::failure(QStringLiteral("--workloads and --pod exclude each other: the pods of a "
                                         "Deployment, StatefulSet or Service are replaced under "
                                         "new names, so they cannot be named in advance"));
    if (!o.user.isEmpty() && !o.group.isEmpty())
        return R::failure(QStringLiteral("give --user or --group, not both (apply the output "
                                         "twice for two subjects)"));
    if ((!o.user.isEmpty() && !isSubjectName(o.user))
        || (!o.group.isEmpty() && !isSubjectName(o.group)))
        return R::failure(QStringLiteral("the user or group name is empty or has control "
                                         "characters"));
    if (!isDnsSubdomain(o.name))
        return R::failure(QStringLiteral("'%1' is not a valid Role name").arg(o.name));
    Options clean = o;
    clean.pods.removeDuplicates();
    return RbacGenerator(clean);
}

Result<RbacGenerator> RbacGenerator::forPod(const QString &ns, const QString &pod)
{
    Options o;
    o.ns = ns;
    o.pods = {pod};
    return create(o);
}

QString RbacGenerator::roleKind() const
{
    return m_options.cluster ? QStringLiteral("ClusterRole") : QStringLiteral("Role");
}

QString RbacGenerator::bindingKind() const
{
    return roleKind() + QStringLiteral("Binding");
}

QString RbacGenerator::bindingName() const
{
    const QString subject = !m_options.user.isEmpty() ? m_options.user
                            : !m_options.group.isEmpty()
                                    ? QString(QStringLiteral("group-") + m_options.group)
                                    : QString();
    QString suffix;
    for (const QChar c : subject.toLower())
        suffix += (c.isLetterOrNumber() && c.unicode() < 128) || c == QLatin1Char('.')
                          ? c
                          : QLatin1Char('-');
    static const QRegularExpression edges(QStringLiteral("^[-.]+|[-.]+$"));
    suffix.remove(edges);
    QString name = suffix.isEmpty() ? m_options.name : m_options.name + QLatin1Char('-') + suffix;
    name.truncate(253);
    return name;
}

QList<RbacRule> RbacGenerator::rules() const
{
    const QString where = m_options.cluster ? QStringLiteral("any namespace")
                                            : QString(QStringLiteral("namespace ") + m_options.ns);
    const QStringList &pods = m_options.pods;
    QList<RbacRule> out;
    const QStringList core{QString()};
    if (pods.isEmpty()) {
        out << RbacRule{QStringLiteral("pods-read"),
                        core,
                        {QStringLiteral("pods")},
                        {QStringLiteral("get"), QStringLiteral("list"), QStringLiteral("watch")},
                        {},
                        QStringLiteral("Read the target pod and the tap's status, list pods to "
                                       "find those of a Deployment, StatefulSet or Service, "
                                       "and watch the pod until the tap runs."),
                        true};
    } else {
        out << RbacRule{QStringLiteral("pods-read"),
                        core,
                        {QStringLiteral("pods")},
                        {QStringLiteral("get"), QStringLiteral("watch")},
                        pods,
                        QStringLiteral("Read the target pod and the tap's status, and watch the "
                                       "pod until the tap runs (podtap watches with "
                                       "fieldSelector metadata.name=POD, which the API server "
                                       "authorises as a request for that name)."),
                        true};
        out << RbacRule{QStringLiteral("pods-list"),
                        core,
                        {QStringLiteral("pods")},
                        {QStringLiteral("list")},
                        {},
                        QStringLiteral("Preflight checks it and podtap lists pods to find those "
                                       "of a workload. A list has no name, so resourceNames "
                                       "cannot limit it: this rule lets the subject read every "
                                       "pod in %1, specs included. Without it preflight fails "
                                       "(rbac.list-pods).")
                                .arg(where),
                        true};
    }
    out << RbacRule{QStringLiteral("ephemeralcontainers"),
                    core,
                    {QStringLiteral("pods/ephemeralcontainers")},
                    {QStringLiteral("patch")},
                    pods,
                    QStringLiteral("Add the tap: one ephemeral container podtap-xxxxx with only "
                                   "NET_RAW (drop ALL, no privilege escalation). RBAC cannot "
                                   "check what is added: this verb allows any ephemeral "
                                   "container, so the namespace's Pod Security level (or an "
                                   "admission policy) is what bounds it. Ephemeral containers "
                                   "are never removed, only with the pod."),
                    true};
    out << RbacRule{
            QStringLiteral("exec"),
            core,
            {QStringLiteral("pods/exec")},
            {QStringLiteral("get"), QStringLiteral("create")},
            pods,
            QStringLiteral(
                    "Run tcpdump in the tap and stop it with pkill -f (its own command line). A "
                    "WebSocket exec is authorised as get, and from Kubernetes "
                    "1.35 as create too. RBAC cannot limit exec to one container: "
                    "this also allows commands in the pod's own containers."),
            true};
    out << RbacRule{QStringLiteral("namespace"),
                    core,
                    {QStringLiteral("namespaces")},
                    {QStringLiteral("get")},
                    m_options.cluster ? QStringList() : QStringList{m_options.ns},
                    m_options.cluster
                            ? QStringLiteral("Read a namespace's "
                                             "pod-security.kubernetes.io/enforce label, so "
                                             "preflight predicts a Pod Security refusal before "
                                             "anything is changed. Without it that check is only "
                                             "a warning.")
                            : QStringLiteral("Read this namespace's "
                                             "pod-security.kubernetes.io/enforce label, so "
                                             "preflight predicts a Pod Security refusal before "
                                             "anything is changed. Without it that check is only "
                                             "a warning. A Role can grant it: the API server "
                                             "authorises GET /api/v1/namespaces/%1 as a request "
                                             "in namespace %1.")
                                      .arg(m_options.ns),
                    false};
    if (m_options.workloads) {
        out << RbacRule{QStringLiteral("workloads"),
                        {QStringLiteral("apps")},
                        {QStringLiteral("deployments"), QStringLiteral("statefulsets")},
                        {QStringLiteral("get")},
                        {},
                        QStringLiteral("Targets deployment/X and statefulset/X: read the "
                                       "selector, then list its pods."),
                        false};
        out << RbacRule{QStringLiteral("services"),
                        core,
                        {QStringLiteral("services")},
                        {QStringLiteral("get")},
                        {},
                        QStringLiteral("Target service/X: read the selector and map the "
                                       "Service port to the pods' targetPort."),
                        false};
    }
    return out;
}

std::optional<RbacRule> RbacGenerator::ruleFor(const QString &verb, const QString &resource,
                                               const QString &subresource,
                                               const QString &group) const
{
    const QString full
            = subresource.isEmpty() ? resource : resource + QLatin1Char('/') + subresource;
    const QList<RbacRule> all = rules();
    for (const RbacRule &r : all) {
        if (r.apiGroups.contains(group) && r.resources.contains(full) && r.verbs.contains(verb)) {
            RbacRule one = r;
            one.resources = {full};
            one.verbs = {verb};
            return one;
        }
    }
    return std::nullopt;
}

QString RbacGenerator::askFor(const QString &verb, const QString &resource,
                              const QString &subresource, const QString &group) const
{
    const auto rule = ruleFor(verb, resource, subresource, group);
    if (!rule)
        return QString();
    const QString scope = m_options.cluster
                                  ? QStringLiteral("a ClusterRole")
                                  : QStringLiteral("a Role in namespace %1").arg(m_options.ns);
    return QStringLiteral("%1 with %2 bound to you; your admin can print the whole %3 and %4 "
                          "with: %5")
            .arg(scope, rule->inlineText(), roleKind(), bindingKind(), command());
}

QString RbacGenerator::command() const
{
    QStringList words{QStringLiteral("podtap"), QStringLiteral("rbac")};
    if (m_options.cluster)
        words << QStringLiteral("--cluster");
    else
        words << QStringLiteral("-n") << m_options.ns;
    for (const QString &p : m_options.pods)
        words << QStringLiteral("--pod") << p;
    if (m_options.workloads)
        words << QStringLiteral("--workloads");
    if (!m_options.user.isEmpty())
        words << QStringLiteral("--user") << shellWord(m_options.user);
    if (!m_options.group.isEmpty())
        words << QStringLiteral("--group") << shellWord(m_options.group);
    if (m_options.name != QLatin1String("podtap"))
        words << QStringLiteral("--name") << m_options.name;
    return words.join(QLatin1Char(' '));
}

QString RbacGenerator::yaml() const
{
    const Options &o = m_options;
    const bool placeholder = o.user.isEmpty() && o.group.isEmpty();
    const QString subjectKind
            = o.group.isEmpty() ? QStringLiteral("User") : QStringLiteral("Group");
    const QString subject = !o.group.isEmpty() ? o.group
                            : placeholder      ? placeholderSubject()
                                               : o.user;
    QString y;
    QString scope = o.cluster ? QStringLiteral("in every namespace")
                              : QString(QStringLiteral("in namespace ") + o.ns);
    if (!o.pods.isEmpty())
        scope += QStringLiteral(", pods ") + o.pods.join(QStringLiteral(", "));
    const QString who = placeholder ? QStringLiteral("%1 (to fill in)").arg(subjectKind)
                                    : QStringLiteral("%1 %2").arg(subjectKind, quoted(subject));
    y += QStringLiteral("# podtap RBAC %1, for %2.\n").arg(scope, who);
    y += QStringLiteral("# Generated by: %1\n").arg(command());
    const QString target = o.pods.isEmpty() ? QStringLiteral("POD") : o.pods.constFirst();
    const QString as
            = o.group.isEmpty()
                      ? QStringLiteral("--as %1").arg(shellWord(subject))
                      : QStringLiteral("--as someone --as-group %1").arg(shellWord(subject));
    y += QStringLiteral("# Apply: kubectl apply -f FILE\n# Check: kubectl auth can-i patch pods/%1 "
                        "--subresource=ephemeralcontainers %2 %3\n")
                 .arg(target,
                      o.cluster ? QStringLiteral("-n NAMESPACE")
                                : QString(QStringLiteral("-n ") + o.ns),
                      as);
    y += comment(QStringLiteral("podtap adds one ephemeral container (the tap, NET_RAW only) to a "
                                "pod and runs tcpdump in it; it creates, updates or deletes "
                                "nothing else. Before it changes anything, preflight checks the "
                                "rules below with SelfSubjectAccessReviews (every authenticated "
                                "user may create them: system:basic-user)."),
                 QString());
    y += comment(QStringLiteral("Not granted, podtap works without: listing namespaces, "
                                "Deployments, StatefulSets and Services (the GUI's target picker "
                                "and `podtap pods` show what may not be listed)%1.")
                         .arg(o.workloads ? QString()
                                          : QStringLiteral("; reading Deployments, StatefulSets "
                                                           "and Services, needed only for "
                                                           "deployment/X, statefulset/X and "
                                                           "service/X targets (add --workloads)")),
                 QString());
    if (placeholder)
        y += comment(QStringLiteral("FILL IN the subject below (name: \"%1\"): the user name the "
                                    "API server sees (`kubectl auth whoami`), or rerun with "
                                    "--user U or --group G.")
                             .arg(placeholderSubject()),
                     QString());
    y += QStringLiteral("apiVersion: rbac.authorization.k8s.io/v1\n");
    y += QStringLiteral("kind: %1\n").arg(roleKind());
    y += QStringLiteral("metadata:\n  name: %1\n").arg(o.name);
    if (!o.cluster)
        y += QStringLiteral("  namespace: %1\n").arg(o.ns);
    y += QStringLiteral("  labels:\n    app.kubernetes.io/part-of: podtap\n");
    y += QStringLiteral("rules:\n");
    const QList<RbacRule> all = rules();
    for (const RbacRule &r : all) {
        y += comment(r.why, QStringLiteral("  "));
        y += QStringLiteral("  - apiGroups: %1\n").arg(flowList(r.apiGroups));
        y += QStringLiteral("    resources: %1\n").arg(flowList(r.resources));
        y += QStringLiteral("    verbs: %1\n").arg(flowList(r.verbs));
        if (!r.resourceNames.isEmpty())
            y += QStringLiteral("    resourceNames: %1\n").arg(flowList(r.resourceNames));
    }
    y += QStringLiteral("---\n");
    y += QStringLiteral("apiVersion: rbac.authorization.k8s.io/v1\n");
    y += QStringLiteral("kind: %1\n").arg(bindingKind());
    y += QStringLiteral("metadata:\n  name: %1\n").arg(bindingName());
    if (!o.cluster)
        y += QStringLiteral("  namespace: %1\n").arg(o.ns);
    y += QStringLiteral("  labels:\n    app.kubernetes.io/part-of: podtap\n");
    y += QStringLiteral("subjects:\n");
    y += QStringLiteral("  - kind: %1\n    apiGroup: %2\n    name: %3\n")
                 .arg(subjectKind, kRbacApi, quoted(subject));
    y += QStringLiteral("roleRef:\n  apiGroup: %1\n  kind: %2\n  name: %3\n")
                 .arg(kRbacApi, roleKind(), o.name);
    return y;
}

} // namespace podtap
