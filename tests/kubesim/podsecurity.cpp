#include "podsecurity.h"

#include <QJsonArray>
#include <QStringList>

namespace kubesim {

namespace {

QString joinQuote(const QStringList &items)
{
    QStringList q;
    for (const QString &s : items)
        q << QLatin1Char('"') + s + QLatin1Char('"');
    return q.join(QStringLiteral(", "));
}

QString pluralize(const QStringList &items)
{
    return (items.size() == 1 ? QStringLiteral("container ") : QStringLiteral("containers "))
           + joinQuote(items);
}

QList<QJsonObject> allContainers(const QJsonObject &spec)
{
    QList<QJsonObject> out;
    for (const char *field : {"initContainers", "containers", "ephemeralContainers"}) {
        const QJsonArray a = spec.value(QLatin1String(field)).toArray();
        for (const auto &c : a)
            out << c.toObject();
    }
    return out;
}

QString normCap(QString c)
{
    c = c.toUpper();
    if (c.startsWith(QLatin1String("CAP_")))
        c = c.mid(4);
    return c;
}

} // namespace

QString PodSecurity::check(const QString &level, const QString &version, const QJsonObject &pod)
{
    if (level.isEmpty() || level == QLatin1String("privileged"))
        return {};
    const bool restricted = level == QLatin1String("restricted");
    const QJsonObject spec = pod.value(QStringLiteral("spec")).toObject();
    const QJsonObject podSc = spec.value(QStringLiteral("securityContext")).toObject();
    const QList<QJsonObject> containers = allContainers(spec);
    QStringList violations;

    static const QStringList baselineCaps
            = {QStringLiteral("AUDIT_WRITE"),  QStringLiteral("CHOWN"),
               QStringLiteral("DAC_OVERRIDE"), QStringLiteral("FOWNER"),
               QStringLiteral("FSETID"),       QStringLiteral("KILL"),
               QStringLiteral("MKNOD"),        QStringLiteral("NET_BIND_SERVICE"),
               QStringLiteral("SETFCAP"),      QStringLiteral("SETGID"),
               QStringLiteral("SETPCAP"),      QStringLiteral("SETUID"),
               QStringLiteral("SYS_CHROOT")};

    // Checks in the order psa evaluates them (by check ID).
    if (restricted) {
        QStringList bad;
        for (const auto &c : containers) {
            const QJsonValue ape = c.value(QStringLiteral("securityContext"))
                                           .toObject()
                                           .value(QStringLiteral("allowPrivilegeEscalation"));
            if (!ape.isBool() || ape.toBool())
                bad << c.value(QStringLiteral("name")).toString();
        }
        if (!bad.isEmpty())
            violations << QStringLiteral("allowPrivilegeEscalation != false (%1 must set "
                                         "securityContext.allowPrivilegeEscalation=false)")
                                  .arg(pluralize(bad));
    }

    {
        QStringList badContainers, badCaps, noDrop;
        for (const auto &c : containers) {
            const QJsonObject caps = c.value(QStringLiteral("securityContext"))
                                             .toObject()
                                             .value(QStringLiteral("capabilities"))
                                             .toObject();
            const QString name = c.value(QStringLiteral("name")).toString();
            bool containerBad = false;
            const QJsonArray add = caps.value(QStringLiteral("add")).toArray();
            for (const auto &a : add) {
                const QString cap = a.toString();
                const bool ok = restricted ? normCap(cap) == QLatin1String("NET_BIND_SERVICE")
                                           : baselineCaps.contains(cap);
                if (!ok) {
                    containerBad = true;
                    if (!badCaps.contains(cap))
                        badCaps << cap;
                }
            }
            if (containerBad)
                badContainers << name;
            if (restricted) {
                bool dropsAll = false;
                const QJsonArray drop = caps.value(QStringLiteral("drop")).toArray();
                for (const auto &d : drop)
                    dropsAll = dropsAll || d.toString() == QLatin1String("ALL");
                if (!dropsAll)
                    noDrop << name;
            }
        }
        if (restricted && (!badContainers.isEmpty() || !noDrop.isEmpty())) {
            QStringList parts;
            if (!noDrop.isEmpty())
                parts << QStringLiteral("%1 must set securityContext.capabilities.drop=[\"ALL\"]")
                                 .arg(pluralize(noDrop));
            if (!badContainers.isEmpty())
                parts << QStringLiteral(
                                 "%1 must not include %2 in securityContext.capabilities.add")
                                 .arg(pluralize(badContainers), joinQuote(badCaps));
            violations << QStringLiteral("unrestricted capabilities (%1)")
                                  .arg(parts.join(QStringLiteral("; ")));
        } else if (!restricted && !badContainers.isEmpty()) {
            violations << QStringLiteral("non-default capabilities (%1 must not include %2 in "
                                         "securityContext.capabilities.add)")
                                  .arg(pluralize(badContainers), joinQuote(badCaps));
        }
    }

    {
        QStringList host;
        if (spec.value(QStringLiteral("hostNetwork")).toBool())
            host << QStringLiteral("hostNetwork=true");
        if (spec.value(QStringLiteral("hostPID")).toBool())
            host << QStringLiteral("hostPID=true");
        if (spec.value(QStringLiteral("hostIPC")).toBool())
            host << QStringLiteral("hostIPC=true");
        if (!host.isEmpty())
            violations
                    << QStringLiteral("host namespaces (%1)").arg(host.join(QStringLiteral(", ")));
    }

    {
        QStringList bad;
        for (const auto &c : containers)
            if (c.value(QStringLiteral("securityContext"))
                        .toObject()
                        .value(QStringLiteral("privileged"))
                        .toBool())
                bad << c.value(QStringLiteral("name")).toString();
        if (!bad.isEmpty())
            violations << QStringLiteral(
                                  "privileged (%1 must not set securityContext.privileged=true)")
                                  .arg(pluralize(bad));
    }

    if (restricted) {
        const bool podNonRoot = podSc.value(QStringLiteral("runAsNonRoot")).toBool();
        QStringList bad;
        for (const auto &c : containers) {
            const QJsonValue v = c.value(QStringLiteral("securityContext"))
                                         .toObject()
                                         .value(QStringLiteral("runAsNonRoot"));
            if (v.isBool() ? !v.toBool() : !podNonRoot)
                bad << c.value(QStringLiteral("name")).toString();
        }
        if (!bad.isEmpty())
            violations << QStringLiteral("runAsNonRoot != true (pod or %1 must set "
                                         "securityContext.runAsNonRoot=true)")
                                  .arg(pluralize(bad));

        QStringList rootUser;
        for (const auto &c : containers) {
            const QJsonValue v = c.value(QStringLiteral("securityContext"))
                                         .toObject()
                                         .value(QStringLiteral("runAsUser"));
            if (v.isDouble() && v.toInteger() == 0)
                rootUser << c.value(QStringLiteral("name")).toString();
        }
        if (!rootUser.isEmpty())
            violations << QStringLiteral("runAsUser=0 (%1 must not set runAsUser=0)")
                                  .arg(pluralize(rootUser));

        const QString podSeccomp = podSc.value(QStringLiteral("seccompProfile"))
                                           .toObject()
                                           .value(QStringLiteral("type"))
                                           .toString();
        QStringList noSeccomp;
        for (const auto &c : containers) {
            QString t = c.value(QStringLiteral("securityContext"))
                                .toObject()
                                .value(QStringLiteral("seccompProfile"))
                                .toObject()
                                .value(QStringLiteral("type"))
                                .toString();
            if (t.isEmpty())
                t = podSeccomp;
            if (t != QLatin1String("RuntimeDefault") && t != QLatin1String("Localhost"))
                noSeccomp << c.value(QStringLiteral("name")).toString();
        }
        if (!noSeccomp.isEmpty())
            violations << QStringLiteral(
                                  "seccompProfile (pod or %1 must set "
                                  "securityContext.seccompProfile.type to \"RuntimeDefault\" "
                                  "or \"Localhost\")")
                                  .arg(pluralize(noSeccomp));
    }

    if (violations.isEmpty())
        return {};
    return QStringLiteral("violates PodSecurity \"%1:%2\": %3")
            .arg(level, version.isEmpty() ? QStringLiteral("latest") : version,
                 violations.join(QStringLiteral(", ")));
}

} // namespace kubesim
