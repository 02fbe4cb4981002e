#include "requestfeed.h"

#include "daemonlink.h"
#include "requesttablemodel.h"

#include <QJsonArray>

namespace podtap {

RequestFeed::RequestFeed(DaemonLink *link, RequestTableModel *model, QObject *parent)
    : QObject(parent)
    , m_link(link)
    , m_model(model)
{
    connect(m_link, &DaemonLink::event, this, &RequestFeed::onEvent);
    // A stored session is not subscribed: page it again after a reconnect.
    connect(m_link, &DaemonLink::connected, this, [this] {
        if (!m_id.isEmpty() && !m_live)
            resync();
    });
}

RequestFeed::~RequestFeed()
{
    if (m_live && !m_id.isEmpty())
        m_link->unsubscribe(subscription(), this);
}

QJsonObject RequestFeed::subscription() const
{
    return QJsonObject{{QStringLiteral("id"), m_id}};
}

void RequestFeed::setSession(const QString &id, bool live)
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

void RequestFeed::resync()
{
    ++m_generation;
    setLoading(true);
    fetchPage(0, m_generation);
}

void RequestFeed::fetchPage(qint64 offset, quint64 generation)
{
    m_link->request(QStringLiteral("session.requests"),
                    QJsonObject{{QStringLiteral("id"), m_id},
                                {QStringLiteral("offset"), offset},
                                {QStringLiteral("limit"), PageSize}},
                    this, [this, generation](const IpcClient::Reply &r) {
                        if (generation != m_generation)
                            return;
                        if (!r.ok) {
                            setLoading(false);
                            // An older daemon, or no store yet: no requests, no error.
                            if (r.errorCode != QLatin1String("not-found")
                                && r.errorCode != QLatin1String("disconnected")
                                && r.errorCode != QLatin1String("unknown-method"))
                                Q_EMIT failed(r.errorMessage);
                            return;
                        }
                        m_total = r.result.value(QLatin1String("total")).toInteger();
                        m_model->addRequests(r.result.value(QLatin1String("requests")).toArray());
                        const qint64 next = r.result.value(QLatin1String("next")).toInteger();
                        if (!r.result.value(QLatin1String("end")).toBool(true))
                            fetchPage(next, generation);
                        else
                            setLoading(false);
                    });
}

void RequestFeed::onEvent(const QJsonObject &event)
{
    if (m_id.isEmpty()
        || event.value(QLatin1String("stream")).toString() != QStringLiteral("session/") + m_id)
        return;
    const QString name = event.value(QLatin1String("event")).toString();
    const QJsonObject data = event.value(QLatin1String("data")).toObject();
    if (name == QLatin1String("http"))
        m_model->addExchanges(data.value(QLatin1String("exchanges")).toArray());
    else if (name == QLatin1String("compared"))
        m_model->addVerdicts(data.value(QLatin1String("verdicts")).toArray());
    else if (name == QLatin1String("events-lost"))
        resync(); // the store has what the events missed
}

void RequestFeed::setLoading(bool loading)
{
    if (m_loading == loading)
        return;
    m_loading = loading;
    Q_EMIT loadingChanged(loading);
}

} // namespace podtap
