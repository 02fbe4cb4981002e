#include "recenttargets.h"

#include "settings.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace podtap {

namespace {
// Remembered ports outlive the recent list, but not forever.
constexpr int MaxRememberedPorts = 200;

QString keyOf(const QString &context, const QString &ns, const QString &target, int port)
{
    return context.trimmed() + QLatin1Char('|') + ns.trimmed() + QLatin1Char('|') + target.trimmed()
           + QLatin1Char('|') + QString::number(port);
}
} // namespace

QString RecentTargets::Entry::key() const
{
    return keyOf(context, ns, target, port);
}

QString RecentTargets::Entry::label() const
{
    QString where = ns.isEmpty() ? target : ns + QLatin1Char('/') + target;
    if (!context.isEmpty())
        where += QStringLiteral(" (") + context + QLatin1Char(')');
    return QStringLiteral("%1 :%2 → 127.0.0.1:%3").arg(where).arg(port).arg(localPort);
}

bool RecentTargets::Entry::matches(const QJsonObject &s) const
{
    // The daemon fills in a namespace or context the request left empty: compare those only
    // when the entry names them.
    if (s.value(QLatin1String("target")).toString() != target.trimmed()
        || s.value(QLatin1String("port")).toInt() != port)
        return false;
    if (!ns.isEmpty() && s.value(QLatin1String("namespace")).toString() != ns.trimmed())
        return false;
    return context.isEmpty() || s.value(QLatin1String("context")).toString() == context.trimmed();
}

RecentTargets::RecentTargets(QObject *parent)
    : QObject(parent)
{
    reload();
}

int RecentTargets::capacity() const
{
    return Settings::recentTargetCount();
}

void RecentTargets::reload()
{
    m_entries.clear();
    const QJsonArray list = QJsonDocument::fromJson(Settings::recentTargetsJson()).array();
    for (const QJsonValue v : list) {
        const QJsonObject o = v.toObject();
        Entry e{o.value(QLatin1String("context")).toString(),
                o.value(QLatin1String("namespace")).toString(),
                o.value(QLatin1String("target")).toString(), o.value(QLatin1String("port")).toInt(),
                o.value(QLatin1String("localPort")).toInt()};
        // A hand-edited or damaged file loses the bad entries, not the app.
        if (e.target.isEmpty() || e.port < 1 || e.port > 65535 || e.localPort < 1
            || e.localPort > 65535)
            continue;
        if (m_entries.size() < capacity())
            m_entries << e;
    }
    m_ports = QJsonDocument::fromJson(Settings::mirrorPortsJson()).object();
    Q_EMIT changed();
}

void RecentTargets::add(const Entry &entry)
{
    if (entry.target.trimmed().isEmpty() || entry.port < 1 || entry.localPort < 1)
        return;
    Entry e = entry;
    e.context = e.context.trimmed();
    e.ns = e.ns.trimmed();
    e.target = e.target.trimmed();
    const QString key = e.key();
    m_entries.removeIf([&key](const Entry &x) { return x.key() == key; });
    m_entries.prepend(e);
    while (m_entries.size() > capacity())
        m_entries.removeLast();
    m_ports.remove(key);
    m_ports.insert(key, e.localPort);
    save();
}

void RecentTargets::clear()
{
    m_entries.clear();
    save();
}

int RecentTargets::rememberedLocalPort(const QString &context, const QString &ns,
                                       const QString &target, int port) const
{
    return m_ports.value(keyOf(context, ns, target, port)).toInt();
}

void RecentTargets::rememberLocalPort(const Entry &entry)
{
    if (entry.target.trimmed().isEmpty() || entry.localPort < 1)
        return;
    m_ports.insert(entry.key(), entry.localPort);
    save();
}

void RecentTargets::save()
{
    QJsonArray list;
    for (const Entry &e : std::as_const(m_entries))
        list.append(QJsonObject{{QStringLiteral("context"), e.context},
                                {QStringLiteral("namespace"), e.ns},
                                {QStringLiteral("target"), e.target},
                                {QStringLiteral("port"), e.port},
                                {QStringLiteral("localPort"), e.localPort}});
    // QJsonObject keeps no insertion order: past the cap, drop arbitrary old ones.
    while (m_ports.size() > MaxRememberedPorts)
        m_ports.erase(m_ports.begin());
    Settings::setRecentTargetsJson(QJsonDocument(list).toJson(QJsonDocument::Compact));
    Settings::setMirrorPortsJson(QJsonDocument(m_ports).toJson(QJsonDocument::Compact));
    Q_EMIT changed();
}

} // namespace podtap
