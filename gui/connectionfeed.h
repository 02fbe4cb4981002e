#pragma once

#include "pagedfeed.h"

namespace podtap {

class ConnectionTableModel;

// Fills a ConnectionTableModel with one session's connections: the stored ones page by page
// (session.connections: ended, then open), then, for a running session, the stream's batched
// "connections" events (opened, progress, ended), each applied by id so an open row is
// updated in place. After a reconnect or lost events it pages again; the model drops what it
// has.
class ConnectionFeed : public PagedFeed
{
    Q_OBJECT

public:
    static constexpr int PageSize = 10000; // the daemon's maximum

    ConnectionFeed(DaemonLink *link, ConnectionTableModel *model, QObject *parent = nullptr);
    ~ConnectionFeed() override;

protected:
    void clearModel() override;
    QJsonObject pageParams(qint64 from) const override;
    qint64 addPage(const QJsonObject &result, qint64 from) override;
    void onSessionEvent(const QString &name, const QJsonObject &data) override;

private:
    ConnectionTableModel *m_model;
};

} // namespace podtap
