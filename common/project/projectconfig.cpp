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

SessionStartRequest ProjectConfig::Mirror::sessionRequest(int portIndex) const
{
    const PortMapping &m = ports.at(portIndex);
    SessionStartRequest r;
    r.context = context;
    r.ns = ns;
    r.target = target;
    r.port = m.remote;
    r.allPods = allPods;
    r.image = image;
    if (!profile.isEmpty())
        r.tapProfile = profile;
    r.limits.maxBytes = maxMegabytes * 1024 * 1024;
    r.limits.maxAgeSeconds = maxAgeSeconds;
    r.limits.durationSeconds = durationSeconds;
    r.mirror.host = m.host;
    r.mirror.port = m.local;
    r.mirror.joinMidstream = joinMidstream;
    r.mirror.allowRemote = m.hostGiven;
    if (!http.isEmpty())
        r.mirror.httpFilter = http.toJson();
    return r;
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
