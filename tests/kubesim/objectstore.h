#pragma once

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QObject>
#include <QString>

#include <optional>

namespace kubesim {

struct WatchEvent
{
    qint64 rv = 0;
    QString type; // ADDED, MODIFIED, DELETED
    QString resource;
    QJsonObject object;
};

// Objects by resource ("pods", "namespaces", …) and namespace/name, with one global
// resourceVersion counter and an event history that watches replay from. History before
// oldestRetained() is gone (410 Expired).
class ObjectStore : public QObject
{
    Q_OBJECT
public:
    explicit ObjectStore(QObject *parent = nullptr);

    qint64 currentRv() const { return m_rv; }
    qint64 oldestRetained() const { return m_floor; }
    std::optional<QJsonObject> get(const QString &resource, const QString &ns,
                                   const QString &name) const;
    QList<QJsonObject> list(const QString &resource, const QString &ns) const; // ns "" = all
    QJsonObject create(const QString &resource, QJsonObject object);
    QJsonObject update(const QString &resource, QJsonObject object);
    QList<WatchEvent> eventsSince(const QString &resource, qint64 rv) const;
    // Forgets the history (the next watch from an older resourceVersion gets 410).
    void compact();

Q_SIGNALS:
    void changed(const kubesim::WatchEvent &event);

private:
    static QString key(const QJsonObject &o);
    QMap<QString, QMap<QString, QJsonObject>> m_objects;
    QList<WatchEvent> m_history;
    qint64 m_rv = 100;
    qint64 m_floor = 0;
};

} // namespace kubesim
