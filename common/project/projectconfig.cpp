#include "projectconfig.h"

#include <QJsonArray>

namespace podtap {

QJsonObject ProjectConfig::HttpFilter::toJson() const
{
    QJsonObject o;
    if (!methods.isEmpty())
        o[QLatin1String("methods")] = QJsonArray::fromStringList(methods);
    if (!path.isEmpty())
        o[QLatin1String("path")] = path;
    if (!headers.isEmpty()) {
        QJsonObject h;
        for (auto it = headers.cbegin(); it != headers.cend(); ++it)
            h[it.key()] = it.value();
        o[QLatin1String("headers")] = h;
    }
    return o;
}

QJsonObject ProjectConfig::Mirror::sessionParams(int portIndex) const
{
    const PortMapping &m = ports.at(portIndex);
    QJsonObject p;
    p[QLatin1String("context")] = context;
    p[QLatin1String("namespace")] = ns;
    p[QLatin1String("target")] = target;
    p[QLatin1String("port")] = m.remote;
    p[QLatin1String("allPods")] = allPods;
    if (!image.isEmpty())
        p[QLatin1String("image")] = image;
    if (!profile.isEmpty())
        p[QLatin1String("tapProfile")] = profile;
    p[QLatin1String("limits")]
            = QJsonObject{{QStringLiteral("maxBytes"), maxMegabytes * 1024 * 1024},
                          {QStringLiteral("maxAgeSeconds"), maxAgeSeconds},
                          {QStringLiteral("durationSeconds"), durationSeconds}};
    QJsonObject mirror{{QStringLiteral("host"), m.host},
                       {QStringLiteral("port"), m.local},
                       {QStringLiteral("joinMidstream"), joinMidstream},
                       {QStringLiteral("allowRemote"), m.hostGiven}};
    if (!http.isEmpty())
        mirror[QLatin1String("httpFilter")] = http.toJson();
    p[QLatin1String("mirror")] = mirror;
    return p;
}

QString ProjectConfig::Mirror::summary() const
{
    QStringList maps;
    for (const PortMapping &m : ports)
        maps << QStringLiteral("%1→%2%3")
                        .arg(m.remote)
                        .arg(m.hostGiven ? m.host + QLatin1Char(':') : QString())
                        .arg(m.local);
    QString where;
    if (!context.isEmpty())
        where += QStringLiteral("context ") + context;
    if (!ns.isEmpty())
        where += (where.isEmpty() ? QString() : QStringLiteral(", ")) + QStringLiteral("namespace ")
                 + ns;
    QString s = target + QLatin1Char(' ') + maps.join(QStringLiteral(", "));
    if (!where.isEmpty())
        s += QStringLiteral(" (") + where + QLatin1Char(')');
    return s;
}

const ProjectConfig::Mirror *ProjectConfig::find(const QString &name) const
{
    for (const Mirror &m : mirrors)
        if (m.name == name)
            return &m;
    return nullptr;
}

QStringList ProjectConfig::names() const
{
    QStringList n;
    for (const Mirror &m : mirrors)
        n << m.name;
    return n;
}

} // namespace podtap
