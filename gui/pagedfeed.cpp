#include "pagedfeed.h"

#include "daemonlink.h"

namespace podtap {

PagedFeed::PagedFeed(DaemonLink *link, DaemonClient::Page page, QObject *parent)
    : QObject(parent)
    , m_link(link)
    , m_page(page)
{
    connect(m_link, &DaemonLink::event, this, &PagedFeed::onEvent);
    // A stored session is not subscribed: page it again after a reconnect.
    connect(m_link, &DaemonLink::connected, this, [this] {
        if (!m_id.isEmpty() && !m_live)
            resync();
    });
}

PagedFeed::~PagedFeed()
{
    if (m_live && !m_id.isEmpty())
        DaemonClient(m_link).sessionUnsubscribe(subscription(), this);
}

SessionSubscribeRequest PagedFeed::subscription() const
{
    return SessionSubscribeRequest::session(m_id);
}

bool PagedFeed::isQuietError(const QString &code) const
{
    // A session that has not stored anything yet, or no daemon: nothing to show, no error.
    return code == QLatin1String("not-found") || code == QLatin1String("disconnected");
}

void PagedFeed::setSession(const QString &id, bool live)
{
    if (m_live && !m_id.isEmpty())
        DaemonClient(m_link).sessionUnsubscribe(subscription(), this);
    ++m_generation;
    m_id = id;
    m_live = live && !id.isEmpty();
    m_total = 0;
    clearModel();
    setLoading(false);
    if (m_id.isEmpty())
        return;
    if (m_live) {
        // Every (re)subscription is answered: page from there, the events follow it.
        DaemonClient(m_link).sessionSubscribe(
                subscription(), this, [this](const DaemonClient::SessionAnswer &) { resync(); });
    } else {
        resync();
    }
}

void PagedFeed::resync()
{
    ++m_generation;
    setLoading(true);
    fetchPage(0, m_generation);
}

void PagedFeed::fetchPage(qint64 offset, quint64 generation)
{
    QJsonObject params = pageParams(offset);
    params.insert(QStringLiteral("id"), m_id);
    DaemonClient(m_link).sessionPage(
            m_page, params, this, [this, offset, generation](const DaemonClient::JsonAnswer &r) {
                if (generation != m_generation)
                    return;
                if (!r.ok()) {
                    setLoading(false);
                    if (!isQuietError(r.error.code))
                        Q_EMIT failed(r.error.message);
                    return;
                }
                m_total = r.value.value(QLatin1String("total")).toInteger();
                const qint64 next = addPage(r.value, offset);
                if (next >= 0)
                    fetchPage(next, generation);
                else
                    setLoading(false);
            });
}

void PagedFeed::onEvent(const QJsonObject &event)
{
    if (m_id.isEmpty()
        || event.value(QLatin1String("stream")).toString() != QStringLiteral("session/") + m_id)
        return;
    const QString name = event.value(QLatin1String("event")).toString();
    if (name == QLatin1String("events-lost"))
        resync(); // the store has what the events missed
    else
        onSessionEvent(name, event.value(QLatin1String("data")).toObject());
}

void PagedFeed::setLoading(bool loading)
{
    if (m_loading == loading)
        return;
    m_loading = loading;
    Q_EMIT loadingChanged(loading);
}

} // namespace podtap
