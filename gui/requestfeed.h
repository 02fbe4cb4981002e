#pragma once

#include "pagedfeed.h"

namespace podtap {

class RequestTableModel;

// Fills a RequestTableModel with one session's HTTP requests: the stored ones page by page
// (session.requests, exchanges joined with their verdicts), then, for a running session, the
// stream's "http" and "compared" events. After a reconnect or lost events it pages again;
// the model drops what it has and joins a verdict with its exchange in any order.
class RequestFeed : public PagedFeed
{
    Q_OBJECT

public:
    static constexpr int PageSize = 5000;

    RequestFeed(DaemonLink *link, RequestTableModel *model, QObject *parent = nullptr);
    ~RequestFeed() override;

protected:
    void clearModel() override;
    QJsonObject pageParams(qint64 offset) const override;
    qint64 addPage(const QJsonObject &result, qint64 offset) override;
    void onSessionEvent(const QString &name, const QJsonObject &data) override;
    bool isQuietError(const QString &code) const override;

private:
    RequestTableModel *m_model;
};

} // namespace podtap
