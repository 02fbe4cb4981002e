#pragma once

#include <QJsonObject>
#include <QObject>

namespace podtap {

class DaemonLink;
class RequestTableModel;

// Fills a RequestTableModel with one session's HTTP requests: the stored ones page by page
// (session.requests, exchanges joined with their verdicts), then, for a running session, the
// stream's "http" and "compared" events. After a reconnect or lost events it pages again;
// the model drops what it has and joins a verdict with its exchange in any order.
class RequestFeed : public QObject
{
    Q_OBJECT

public:
    static constexpr int PageSize = 5000;

    RequestFeed(DaemonLink *link, RequestTableModel *model, QObject *parent = nullptr);
    ~RequestFeed() override;

    // Clears the model and follows `id` (live: subscribed as well); empty = none.
    void setSession(const QString &id, bool live);
    QString sessionId() const { return m_id; }
    bool isLoading() const { return m_loading; }
    qint64 storedTotal() const { return m_total; }

Q_SIGNALS:
    void loadingChanged(bool loading);
    void failed(const QString &message);

private:
    void resync();
    void fetchPage(qint64 offset, quint64 generation);
    void onEvent(const QJsonObject &event);
    void setLoading(bool loading);
    QJsonObject subscription() const;

    DaemonLink *m_link;
    RequestTableModel *m_model;
    QString m_id;
    bool m_live = false;
    bool m_loading = false;
    qint64 m_total = 0;
    quint64 m_generation = 0; // answers for an earlier session or resync are dropped
};

} // namespace podtap
