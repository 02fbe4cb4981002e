#include "requestfeed.h"

#include "requesttablemodel.h"

#include <QJsonArray>

namespace podtap {

RequestFeed::RequestFeed(DaemonLink *link, RequestTableModel *model, QObject *parent)
    : PagedFeed(link, DaemonClient::Page::Requests, parent)
    , m_model(model)
{}

RequestFeed::~RequestFeed() = default;

void RequestFeed::clearModel()
{
    m_model->clear();
}

QJsonObject RequestFeed::pageParams(qint64 offset) const
{
    return QJsonObject{{QStringLiteral("offset"), offset}, {QStringLiteral("limit"), PageSize}};
}

qint64 RequestFeed::addPage(const QJsonObject &result, qint64)
{
    m_model->addRequests(result.value(QLatin1String("requests")).toArray());
    if (result.value(QLatin1String("end")).toBool(true))
        return -1;
    return result.value(QLatin1String("next")).toInteger();
}

void RequestFeed::onSessionEvent(const QString &name, const QJsonObject &data)
{
    if (name == QLatin1String("http"))
        m_model->addExchanges(data.value(QLatin1String("exchanges")).toArray());
    else if (name == QLatin1String("compared"))
        m_model->addVerdicts(data.value(QLatin1String("verdicts")).toArray());
}

bool RequestFeed::isQuietError(const QString &code) const
{
    // An older daemon, or no store yet: no requests, no error.
    return PagedFeed::isQuietError(code) || code == QLatin1String("unknown-method");
}

} // namespace podtap
