#include "connectionfeed.h"

#include "connectiontablemodel.h"
#include "daemonlink.h"

#include <QJsonArray>

namespace podtap {

ConnectionFeed::ConnectionFeed(DaemonLink *link, ConnectionTableModel *model, QObject *parent)
    : QObject(parent)
    , m_link(link)
    , m_model(model)
{
    connect(m_link, &DaemonLink::event, this, &ConnectionFeed::onEvent);
    // A stored session is not subscribed: page it again after a reconnect.
    connect(m_link, &DaemonLink::connected, this, [this] {
        if (!m_id.isEmpty() && !m_live)
            resync();
    });
}

ConnectionFeed::~ConnectionFeed()
{
    if (m_live && !m_id.isEmpty())
        m_link->unsubscribe(subscription(), this);
}

QJsonObject ConnectionFeed::subscription() const
{
    return QJsonObject{{QStringLiteral("id"), m_id}};
}

void ConnectionFeed::setSession(const QString &id, bool live)
{
    if (m_live && !m_id.isEmpty())
        m_link->unsubscribe(subscription(), this);
    ++m_generation;
    m_id = id;
    m_live = live && !id.isEmpty();
    m_total = 0;
    m_model->clear();
    setLoading(false);
    if (m_id.isEmpty())
        return;
    if (m_live) {
        // Every (re)subscription is answered: page from there, the events follow it.
        m_link->subscribe(subscription(), this, [this](const IpcClient::Reply &) { resync(); });
    } else {
        resync();
    }
}

void ConnectionFeed::resync()
{
    ++m_generation;
    setLoading(true);
    fetchPage(0, m_generation);
}

void ConnectionFeed::fetchPage(qint64 from, quint64 generation)
{
    m_link->request(QStringLiteral("session.connections"),
                    QJsonObject{{QStringLiteral("id"), m_id},
                                {QStringLiteral("from"), from},
                                {QStringLiteral("count"), PageSize}},
                    this, [this, from, generation](const IpcClient::Reply &r) {
                        if (generation != m_generation)
                            return;
                        if (!r.ok) {
                            setLoading(false);
                            // A session that has not stored a connection yet is no error.
                            if (r.errorCode != QLatin1String("not-found")
                                && r.errorCode != QLatin1String("disconnected"))
                                Q_EMIT failed(r.errorMessage);
                            return;
                        }
                        const QJsonArray page
                                = r.result.value(QLatin1String("connections")).toArray();
                        m_total = r.result.value(QLatin1String("total")).toInteger();
                        m_model->appendConnections(page);
                        const qint64 next = from + page.size();
                        if (!page.isEmpty() && next < m_total)
                            fetchPage(next, generation);
                        else
                            setLoading(false);
                    });
}

void ConnectionFeed::onEvent(const QJsonObject &event)
{
    if (m_id.isEmpty()
        || event.value(QLatin1String("stream")).toString() != QStringLiteral("session/") + m_id)
        return;
    const QString name = event.value(QLatin1String("event")).toString();
    if (name == QLatin1String("connections")) {
        m_model->appendConnections(event.value(QLatin1String("data"))
                                           .toObject()
                                           .value(QLatin1String("ended"))
                                           .toArray());
    } else if (name == QLatin1String("mirror")) {
        m_model->setMirrorOutcomes(event.value(QLatin1String("data"))
                                           .toObject()
                                           .value(QLatin1String("ended"))
                                           .toArray());
    } else if (name == QLatin1String("events-lost")) {
        resync(); // the store has what the events missed
    }
}

void ConnectionFeed::setLoading(bool loading)
{
    if (m_loading == loading)
        return;
    m_loading = loading;
    Q_EMIT loadingChanged(loading);
}

} // namespace podtap
