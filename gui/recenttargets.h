#pragma once

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>

namespace podtap {

// The targets mirrored lately, most recent first, for the tray's one-click "Quick mirror";
// and the local port last used per target, which prefills the mirror dialog. Both persist in
// Settings (context, namespace, target and ports only).
class RecentTargets : public QObject
{
    Q_OBJECT

public:
    struct Entry
    {
        QString context;
        QString ns;
        QString target;
        int port = 0;
        int localPort = 0;

        // Two entries for the same tapped thing are one recent target.
        QString key() const;
        QString label() const;
        // Does the daemon's session summary tap this target?
        bool matches(const QJsonObject &summary) const;
        bool operator==(const Entry &o) const = default;
    };

    explicit RecentTargets(QObject *parent = nullptr);

    QList<Entry> entries() const { return m_entries; }
    int capacity() const;
    // Puts `entry` first (replacing an older one for the same target), keeps at most
    // capacity() entries, remembers its local port and saves.
    void add(const Entry &entry);
    void clear();
    // The local port last used for this target; 0 if none.
    int rememberedLocalPort(const QString &context, const QString &ns, const QString &target,
                            int port) const;
    void rememberLocalPort(const Entry &entry);
    void reload();

Q_SIGNALS:
    void changed();

private:
    void save();

    QList<Entry> m_entries;
    QJsonObject m_ports; // key() → local port
};

} // namespace podtap
