#include "rbaccommand.h"

#include "kube/rbacgenerator.h"

#include <QCommandLineParser>

namespace podtap {

namespace {

constexpr const char *Usage
        = "usage: podtap rbac (-n NAMESPACE | --cluster) [--pod NAME]... [--user U | --group G]\n"
          "                   [--workloads] [--name ROLE]\n";

} // namespace

int RbacCommand::run(const QStringList &arguments, FILE *out, FILE *err)
{
    QCommandLineParser p;
    const QCommandLineOption nsOpt({QStringLiteral("n"), QStringLiteral("namespace")},
                                   QStringLiteral("Role and RoleBinding in this namespace."),
                                   QStringLiteral("NAMESPACE"));
    const QCommandLineOption clusterOpt(
            QStringLiteral("cluster"),
            QStringLiteral("ClusterRole and ClusterRoleBinding: every namespace."));
    const QCommandLineOption podOpt(QStringLiteral("pod"),
                                    QStringLiteral("Only these pods (repeat, or a,b)."),
                                    QStringLiteral("NAME"));
    const QCommandLineOption userOpt(QStringLiteral("user"), QStringLiteral("Bind to this user."),
                                     QStringLiteral("U"));
    const QCommandLineOption groupOpt(QStringLiteral("group"),
                                      QStringLiteral("Bind to this group."), QStringLiteral("G"));
    const QCommandLineOption workloadsOpt(
            QStringLiteral("workloads"),
            QStringLiteral("Also get deployments, statefulsets and services (targets "
                           "deployment/X, statefulset/X, service/X)."));
    const QCommandLineOption nameOpt(QStringLiteral("name"),
                                     QStringLiteral("Role name (default podtap)."),
                                     QStringLiteral("ROLE"), QStringLiteral("podtap"));
    p.addOptions({nsOpt, clusterOpt, podOpt, userOpt, groupOpt, workloadsOpt, nameOpt});
    QStringList args = arguments;
    args.prepend(QStringLiteral("podtap rbac"));
    if (!p.parse(args)) {
        std::fprintf(err, "podtap rbac: %s\n%s", qPrintable(p.errorText()), Usage);
        return 2;
    }
    if (!p.positionalArguments().isEmpty()) {
        std::fprintf(err, "podtap rbac: unexpected argument '%s' (pods are named with --pod)\n%s",
                     qPrintable(p.positionalArguments().constFirst()), Usage);
        return 2;
    }
    for (const QCommandLineOption *single : {&nsOpt, &userOpt, &groupOpt, &nameOpt}) {
        if (p.values(*single).size() > 1) {
            std::fprintf(err, "podtap rbac: --%s given twice\n%s",
                         qPrintable(single->names().constLast()), Usage);
            return 2;
        }
    }
    RbacGenerator::Options o;
    o.ns = p.value(nsOpt);
    o.cluster = p.isSet(clusterOpt);
    for (const QString &v : p.values(podOpt))
        o.pods << v.split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (p.isSet(podOpt) && o.pods.isEmpty()) {
        std::fprintf(err, "podtap rbac: --pod needs a pod name\n%s", Usage);
        return 2;
    }
    o.user = p.value(userOpt);
    o.group = p.value(groupOpt);
    if ((p.isSet(userOpt) && o.user.isEmpty()) || (p.isSet(groupOpt) && o.group.isEmpty())) {
        std::fprintf(err, "podtap rbac: --user and --group need a name\n%s", Usage);
        return 2;
    }
    o.workloads = p.isSet(workloadsOpt);
    o.name = p.value(nameOpt);
    const auto gen = RbacGenerator::create(o);
    if (!gen) {
        std::fprintf(err, "podtap rbac: %s\n%s", qPrintable(gen.error()), Usage);
        return 2;
    }
    const QByteArray yaml = gen->yaml().toUtf8();
    std::fwrite(yaml.constData(), 1, std::size_t(yaml.size()), out);
    if (o.user.isEmpty() && o.group.isEmpty())
        std::fprintf(err,
                     "podtap rbac: no --user or --group: fill in the binding's subject (\"%s\") "
                     "before applying\n",
                     qPrintable(RbacGenerator::placeholderSubject()));
    return 0;
}

} // namespace podtap
