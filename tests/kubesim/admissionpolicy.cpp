#include "admissionpolicy.h"

#include <QJsonArray>

namespace kubesim {

namespace {

const char *const ContainerLists[] = {"containers", "initContainers", "ephemeralContainers"};

// anyPattern[0]: pod-level runAsNonRoot true, and no container sets it to anything else.
QString podLevelFailure(const QJsonObject &spec)
{
    if (!spec.contains(QLatin1String("securityContext")))
        return QStringLiteral("/spec/securityContext/");
    if (spec.value(QLatin1String("securityContext")).toObject().value(QLatin1String("runAsNonRoot"))
        != QJsonValue(true))
        return QStringLiteral("/spec/securityContext/runAsNonRoot/");
    for (const char *list : ContainerLists) {
        const QJsonArray cs = spec.value(QLatin1String(list)).toArray();
        for (int i = 0; i < cs.size(); ++i) {
            const QJsonObject sc
                    = cs.at(i).toObject().value(QLatin1String("securityContext")).toObject();
            if (sc.contains(QLatin1String("runAsNonRoot"))
                && sc.value(QLatin1String("runAsNonRoot")) != QJsonValue(true))
                return QStringLiteral("/spec/%1/%2/securityContext/runAsNonRoot/")
                        .arg(QLatin1String(list))
                        .arg(i);
        }
    }
    return {};
}

// anyPattern[1]: every container sets runAsNonRoot: true itself.
QString containerLevelFailure(const QJsonObject &spec)
{
    for (const char *list : ContainerLists) {
        const QJsonArray cs = spec.value(QLatin1String(list)).toArray();
        for (int i = 0; i < cs.size(); ++i) {
            const QJsonObject c = cs.at(i).toObject();
            if (!c.contains(QLatin1String("securityContext")))
                return QStringLiteral("/spec/%1/%2/securityContext/")
                        .arg(QLatin1String(list))
                        .arg(i);
            if (c.value(QLatin1String("securityContext"))
                        .toObject()
                        .value(QLatin1String("runAsNonRoot"))
                != QJsonValue(true))
                return QStringLiteral("/spec/%1/%2/securityContext/runAsNonRoot/")
                        .arg(QLatin1String(list))
                        .arg(i);
        }
    }
    return {};
}

} // namespace

QString AdmissionPolicy::check(const QList<ScenarioAdmissionPolicy> &policies, const QString &ns,
                               const QJsonObject &pod)
{
    const QJsonObject spec = pod.value(QLatin1String("spec")).toObject();
    const QString name = pod.value(QLatin1String("metadata"))
                                 .toObject()
                                 .value(QLatin1String("name"))
                                 .toString();
    for (const ScenarioAdmissionPolicy &p : policies) {
        if (!p.namespaces.isEmpty() && !p.namespaces.contains(ns)
            && !p.namespaces.contains(QLatin1String("*")))
            continue;
        const QString first = podLevelFailure(spec);
        const QString second = containerLevelFailure(spec);
        if (first.isEmpty() || second.isEmpty())
            continue;
        // Kyverno's report for a failed anyPattern, as `kubectl` prints it.
        return QStringLiteral(
                       "admission webhook \"%1\" denied the request: \n\nresource Pod/%2/%3 was "
                       "blocked due to the following policies \n\n%4:\n  %5: 'validation error: "
                       "Running as root is not allowed. Either the field "
                       "spec.securityContext.runAsNonRoot must be set to `true`, or the fields "
                       "spec.containers[*].securityContext.runAsNonRoot, "
                       "spec.initContainers[*].securityContext.runAsNonRoot, and "
                       "spec.ephemeralContainers[*].securityContext.runAsNonRoot must be set to "
                       "`true`. rule %5[0] failed at path %6 rule %5[1] failed at path %7'")
                .arg(p.webhook, ns, name, p.policy, p.rule, first, second);
    }
    return {};
}

} // namespace kubesim
