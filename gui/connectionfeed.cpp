#include "connectionfeed.h"

#include "connectiontablemodel.h"

#include <QJsonArray>

namespace podtap {

ConnectionFeed::ConnectionFeed(DaemonLink *link, ConnectionTableModel *model, QObject *parent)
    : PagedFeed(link, DaemonClient::Page::Connections, parent)
    , m_model(model)
{}

ConnectionFeed::~ConnectionFeed() = default;

void ConnectionFeed::clearModel()
{
    m_model->clear();
}

QJsonObject ConnectionFeed::pageParams(qint64 from) const
{
    return QJsonObject{{QStringLiteral("from"), from}, {QStringLiteral("count"), PageSize}};
}

qint64 ConnectionFeed::addPage(const QJsonObject &result, qint64 from)
{
    const QJsonArray page = result.value(QLatin1String("connections")).toArray();
    // Open connections may already be rows (from events): updated in place.
    m_model->updateConnections(page);
    const qint64 next = from + page.size();
    return !page.isEmpty() && next < storedTotal() ? next : -1;
}

void ConnectionFeed::onSessionEvent(const QString &name, const QJsonObject &data)
{
    if (name == QLatin1String("connections")) {
        // New rows first, then their progress, then the ended: each row keyed by id.
        m_model->updateConnections(data.value(QLatin1String("opened")).toArray());
        m_model->updateConnections(data.value(QLatin1String("progress")).toArray());
        m_model->updateConnections(data.value(QLatin1String("ended")).toArray());
    } else if (name == QLatin1String("mirror"))
        m_model->setMirrorOutcomes(data.value(QLatin1String("ended")).toArray());
}

} // namespace podtap
