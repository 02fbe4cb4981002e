#include "objectstore.h"

#include <QDateTime>
#include <QUuid>

namespace kubesim {

ObjectStore::ObjectStore(QObject *parent)
    : QObject(parent)
{}

QString ObjectStore::key(const QJsonObject &o)
{
    const QJsonObject md = o.value(QStringLiteral("metadata")).toObject();
    return md.value(QStringLiteral("namespace")).toString() + QLatin1Char('/')
           + md.value(QStringLiteral("name")).toString();
}

std::optional<QJsonObject> ObjectStore::get(const QString &resource, const QString &ns,
                                            const QString &name) const
{
    const auto &m = m_objects.value(resource);
    const auto it = m.constFind(ns + QLatin1Char('/') + name);
    if (it == m.constEnd())
        return std::nullopt;
    return *it;
}

QList<QJsonObject> ObjectStore::list(const QString &resource, const QString &ns) const
{
    QList<QJsonObject> out;
    const auto &m = m_objects.value(resource);
    for (const auto &o : m) {
        if (ns.isEmpty()
            || o.value(QStringLiteral("metadata")).toObject().value(QStringLiteral("namespace"))
                       == ns)
            out << o;
    }
    return out;
}

QJsonObject ObjectStore::create(const QString &resource, QJsonObject object)
{
    QJsonObject md = object.value(QStringLiteral("metadata")).toObject();
    md.insert(QStringLiteral("uid"), QUuid::createUuid().toString(QUuid::WithoutBraces));
    md.insert(QStringLiteral("resourceVersion"), QString::number(++m_rv));
    if (!md.contains(QStringLiteral("creationTimestamp")))
        md.insert(QStringLiteral("creationTimestamp"),
                  QDateTime::currentDateTimeUtc().toString(Qt::ISODate));
    object.insert(QStringLiteral("metadata"), md);
    m_objects[resource].insert(key(object), object);
    const WatchEvent ev{m_rv, QStringLiteral("ADDED"), resource, object};
    m_history << ev;
    Q_EMIT changed(ev);
    return object;
}

QJsonObject ObjectStore::update(const QString &resource, QJsonObject object)
{
    QJsonObject md = object.value(QStringLiteral("metadata")).toObject();
    md.insert(QStringLiteral("resourceVersion"), QString::number(++m_rv));
    object.insert(QStringLiteral("metadata"), md);
    m_objects[resource].insert(key(object), object);
    const WatchEvent ev{m_rv, QStringLiteral("MODIFIED"), resource, object};
    m_history << ev;
    if (m_history.size() > 10000) {
        m_history.remove(0, 5000);
        m_floor = m_history.first().rv - 1;
    }
    Q_EMIT changed(ev);
    return object;
}

QList<WatchEvent> ObjectStore::eventsSince(const QString &resource, qint64 rv) const
{
    QList<WatchEvent> out;
    for (const auto &e : m_history)
        if (e.rv > rv && e.resource == resource)
            out << e;
    return out;
}

void ObjectStore::compact()
{
    m_floor = m_rv;
    m_history.clear();
}

} // namespace kubesim
