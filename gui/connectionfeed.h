#pragma once

#include <QJsonObject>
#include <QObject>

namespace podtap {

class ConnectionTableModel;
class DaemonLink;

// Fills a ConnectionTableModel with one session's connections: the stored ones page by page
// (session.connections), then, for a running session, the stream's batched "connections"
// events. After a reconnect or lost events it pages again; the model drops what it has.
class ConnectionFeed : public QObject
{
    Q_OBJECT

public:
    static constexpr int PageSize = 10000; // the daemon's maximum

    ConnectionFeed(DaemonLink *link, ConnectionTableModel *model, QObject *parent = nullptr);
    ~ConnectionFeed() override;

    // Clears the model and follows `id` (live: subscribed as well); empty = none.
    void setSession(const QString &id, bool live);
    QString sessionId() const { return m_id; }
    bool isLoading() const { return m_loading; }
    // What the last page said the store holds.
    qint64 storedTotal() const { return m_total; }

Q_SIGNALS:
    void loadingChanged(bool loading);
    void failed(const QString &message);

private:
    void resync();
    void fetchPage(qint64 from, quint64 generation);
    void onEvent(const QJsonObject &event);
    void setLoading(bool loading);
    QJsonObject subscription() const;

    DaemonLink *m_link;
    ConnectionTableModel *m_model;
    QString m_id;
    bool m_live = false;
    bool m_loading = false;
    qint64 m_total = 0;
    quint64 m_generation = 0; // answers for an earlier session or resync are dropped
};

} // namespace podtap
