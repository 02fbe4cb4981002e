#pragma once

#include "daemonclient.h"

#include <QJsonObject>
#include <QObject>

namespace podtap {

class DaemonLink;

// Follows one session for a table: pages what the daemon stored, then, for a running
// session, the stream's events. After a reconnect (stored session) or lost events it pages
// again from the start; answers for an earlier session or resync are dropped by generation.
// Subclasses say how to ask for a page, where its rows go and which events carry rows.
class PagedFeed : public QObject
{
    Q_OBJECT

public:
    ~PagedFeed() override;

    // Clears the model and follows `id` (live: subscribed as well); empty = none.
    void setSession(const QString &id, bool live);
    QString sessionId() const { return m_id; }
    bool isLoading() const { return m_loading; }
    // What the last page said the store holds.
    qint64 storedTotal() const { return m_total; }

Q_SIGNALS:
    void loadingChanged(bool loading);
    void failed(const QString &message);

protected:
    // `page` is the paging query (session.connections or session.requests).
    PagedFeed(DaemonLink *link, DaemonClient::Page page, QObject *parent);

    virtual void clearModel() = 0;
    virtual QJsonObject pageParams(qint64 offset) const = 0;
    // Adds the page's rows; returns the offset of the next page, or -1 at the end.
    // storedTotal() already holds the page's "total".
    virtual qint64 addPage(const QJsonObject &result, qint64 offset) = 0;
    // A live event of the session other than "events-lost".
    virtual void onSessionEvent(const QString &name, const QJsonObject &data) = 0;
    // Errors that mean "nothing stored (yet)" rather than a failure.
    virtual bool isQuietError(const QString &code) const;

private:
    void resync();
    void fetchPage(qint64 offset, quint64 generation);
    void onEvent(const QJsonObject &event);
    void setLoading(bool loading);
    SessionSubscribeRequest subscription() const;

    DaemonLink *m_link;
    DaemonClient::Page m_page;
    QString m_id;
    bool m_live = false;
    bool m_loading = false;
    qint64 m_total = 0;
    quint64 m_generation = 0;
};

} // namespace podtap
