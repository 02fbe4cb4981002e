#include "requestspane.h"

#include "displayformat.h"
#include "placeholderstack.h"
#include "requestdiffview.h"
#include "requestfeed.h"
#include "requestfiltermodel.h"
#include "requesttablemodel.h"
#include "tablesetup.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace podtap {

RequestsPane::RequestsPane(DaemonLink *link, QWidget *parent)
    : QWidget(parent)
    , m_model(new RequestTableModel(this))
    , m_filter(new RequestFilterModel(m_model, this))
    , m_feed(new RequestFeed(link, m_model, this))
    , m_view(new QTableView)
    , m_stack(new PlaceholderStack(m_view))
    , m_diff(new RequestDiffView)
    , m_routes(new QLabel)
    , m_count(new QLabel)
    , m_verdicts(new QComboBox)
    , m_methods(new QComboBox)
    , m_text(new QLineEdit)
{
    m_view->setObjectName(QStringLiteral("requestsView"));
    m_view->setModel(m_filter);
    TableSetup::apply(m_view);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setColumnWidth(RequestTableModel::Time, 100);
    m_view->setColumnWidth(RequestTableModel::Protocol, 70);
    m_view->setColumnWidth(RequestTableModel::Method, 190); // room for a gRPC service/method
    m_view->setColumnWidth(RequestTableModel::Path, 240);
    m_view->setColumnWidth(RequestTableModel::PodStatus, 150); // "200 · NOT_FOUND (5)"
    m_view->setColumnWidth(RequestTableModel::LocalStatus, 150);
    m_view->setColumnWidth(RequestTableModel::Verdict, 120);
    m_stack->setObjectName(QStringLiteral("requestsPlaceholder"));
    m_diff->setObjectName(QStringLiteral("requestDiff"));
    m_routes->setObjectName(QStringLiteral("routeSummary"));
    m_routes->setTextFormat(Qt::RichText);
    m_routes->setWordWrap(true);
    m_routes->hide();
    m_count->setObjectName(QStringLiteral("requestCount"));

    m_verdicts->setObjectName(QStringLiteral("verdictFilter"));
    m_verdicts->addItem(QStringLiteral("All requests"), QString());
    m_verdicts->addItem(QStringLiteral("Differ"), QStringLiteral("differ"));
    m_verdicts->addItem(QStringLiteral("Same"), QStringLiteral("same"));
    m_verdicts->addItem(QStringLiteral("Local error/timeout"), QStringLiteral("local"));
    m_verdicts->addItem(QStringLiteral("Not comparable"), QStringLiteral("other"));
    m_verdicts->addItem(QStringLiteral("Not compared"), QStringLiteral("none"));
    connect(m_verdicts, &QComboBox::currentIndexChanged, m_filter,
            [this] { m_filter->setVerdictFilter(m_verdicts->currentData().toString()); });
    m_methods->setObjectName(QStringLiteral("methodFilter"));
    m_methods->setToolTip(QStringLiteral("Only one HTTP method or gRPC call"));
    m_methods->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_methods->addItem(QStringLiteral("All methods"), QString());
    connect(m_methods, &QComboBox::currentIndexChanged, m_filter,
            [this] { m_filter->setMethodFilter(m_methods->currentData().toString()); });
    connect(m_model, &RequestTableModel::methodsChanged, this, &RequestsPane::updateMethods);
    connect(m_model, &QAbstractItemModel::modelReset, this, &RequestsPane::updateMethods);
    m_text->setObjectName(QStringLiteral("requestFilter"));
    m_text->setPlaceholderText(
            QStringLiteral("Filter by path, method, gRPC call, route, status or verdict"));
    m_text->setClearButtonEnabled(true);
    connect(m_text, &QLineEdit::textChanged, m_filter, &RequestFilterModel::setTextFilter);

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_count);
    bar->addStretch(1);
    bar->addWidget(m_verdicts);
    bar->addWidget(m_methods);
    bar->addWidget(m_text, 2);
    auto *top = new QWidget;
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(m_routes);
    topLayout->addLayout(bar);
    topLayout->addWidget(m_stack, 1);
    auto *split = new QSplitter(Qt::Vertical);
    split->addWidget(top);
    split->addWidget(m_diff);
    // The diff needs room for both sides' headers and values: about as tall as the table.
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);

    connect(m_filter, &QAbstractItemModel::rowsInserted, this, &RequestsPane::updateCount);
    connect(m_filter, &QAbstractItemModel::rowsRemoved, this, &RequestsPane::updateCount);
    connect(m_filter, &QAbstractItemModel::modelReset, this, &RequestsPane::updateCount);
    connect(m_filter, &QAbstractItemModel::layoutChanged, this, &RequestsPane::updateCount);
    connect(m_feed, &RequestFeed::loadingChanged, this, &RequestsPane::updateCount);
    connect(m_feed, &RequestFeed::failed, this, &RequestsPane::failed);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &RequestsPane::onCurrentChanged);
    // A verdict arriving for the shown request refreshes the diff.
    connect(m_model, &QAbstractItemModel::dataChanged, this, [this] {
        const QModelIndex current = m_view->selectionModel()->currentIndex();
        if (current.isValid())
            onCurrentChanged();
    });
    connect(m_diff, &RequestDiffView::followStreamRequested, this,
            &RequestsPane::followStreamRequested);
    updateCount();
}

void RequestsPane::setSession(const QString &id, bool live)
{
    if (id == m_session && live == m_live)
        return;
    m_session = id;
    m_live = live;
    m_text->clear();
    m_diff->setRequest({});
    m_routes->hide();
    m_feed->setSession(id, live);
    updateCount();
}

void RequestsPane::setSummary(const QJsonObject &summary)
{
    const QString html = routeSummaryHtml(summary.value(QLatin1String("compare")).toObject());
    m_routes->setText(html);
    m_routes->setVisible(!html.isEmpty());
}

QString RequestsPane::routeSummaryHtml(const QJsonObject &compare, int maxRoutes)
{
    const auto differ = [](const QJsonObject &c) {
        return c.value(QLatin1String("status")).toInteger()
               + c.value(QLatin1String("body")).toInteger()
               + c.value(QLatin1String("headers")).toInteger();
    };
    const auto local = [](const QJsonObject &c) {
        return c.value(QLatin1String("localErrors")).toInteger()
               + c.value(QLatin1String("localTimeouts")).toInteger();
    };
    const qint64 compared = compare.value(QLatin1String("compared")).toInteger();
    if (compared <= 0)
        return {};
    const QString same = QStringLiteral("<span style=\"color:#2e7d32\">%1 same</span>");
    const QString differs = QStringLiteral("<span style=\"color:#c62828\">%1 differ</span>");
    QString html
            = QStringLiteral("<b>Compared %1</b>: ").arg(DisplayFormat::count(compared))
              + same.arg(DisplayFormat::count(compare.value(QLatin1String("same")).toInteger()))
              + QStringLiteral(", ") + differs.arg(DisplayFormat::count(differ(compare)));
    if (local(compare) > 0)
        html += QStringLiteral(", <span style=\"color:#e65100\">%1 local errors/timeouts</span>")
                        .arg(DisplayFormat::count(local(compare)));
    // The routes that differ most first.
    const QJsonObject routes = compare.value(QLatin1String("routes")).toObject();
    QList<QPair<QString, QJsonObject>> list;
    for (auto it = routes.begin(); it != routes.end(); ++it)
        list.append({it.key(), it.value().toObject()});
    std::stable_sort(list.begin(), list.end(), [&](const auto &a, const auto &b) {
        const qint64 da = differ(a.second) + local(a.second);
        const qint64 db = differ(b.second) + local(b.second);
        if (da != db)
            return da > db;
        return a.second.value(QLatin1String("compared")).toInteger()
               > b.second.value(QLatin1String("compared")).toInteger();
    });
    html += QStringLiteral("<table cellspacing=\"0\" cellpadding=\"1\">");
    for (qsizetype i = 0; i < list.size() && i < maxRoutes; ++i) {
        const QJsonObject &c = list.at(i).second;
        html += QStringLiteral("<tr><td><code>%1</code>&nbsp;&nbsp;</td><td>%2 compared, ")
                        .arg(list.at(i).first.toHtmlEscaped(),
                             DisplayFormat::count(c.value(QLatin1String("compared")).toInteger()))
                + same.arg(DisplayFormat::count(c.value(QLatin1String("same")).toInteger()))
                + QStringLiteral(", ") + differs.arg(DisplayFormat::count(differ(c)));
        if (local(c) > 0)
            html += QStringLiteral(", %1 local errors").arg(DisplayFormat::count(local(c)));
        html += QStringLiteral("</td></tr>");
    }
    html += QStringLiteral("</table>");
    if (list.size() > maxRoutes)
        html += QStringLiteral("and %1 more routes").arg(list.size() - maxRoutes);
    return html;
}

void RequestsPane::updateMethods()
{
    // The choice stays while the list grows; a method that is gone resets it to all.
    const QString current = m_methods->currentData().toString();
    const QSignalBlocker block(m_methods);
    m_methods->clear();
    m_methods->addItem(QStringLiteral("All methods"), QString());
    const QStringList methods = m_model->methods();
    for (const QString &m : methods)
        m_methods->addItem(m.contains(QLatin1Char('/')) ? QStringLiteral("gRPC ") + m : m, m);
    const int at = m_methods->findData(current);
    m_methods->setCurrentIndex(std::max(at, 0));
    if (at < 0)
        m_filter->setMethodFilter({});
}

void RequestsPane::updateCount()
{
    const int all = m_model->rowCount();
    const int shown = m_filter->rowCount();
    m_count->setText(
            all == shown ? QStringLiteral("%1 requests").arg(DisplayFormat::count(all))
                         : QStringLiteral("%1 of %2 requests shown")
                                   .arg(DisplayFormat::count(shown), DisplayFormat::count(all)));
    if (m_session.isEmpty())
        m_stack->showMessage(QStringLiteral("No session selected"),
                             QStringLiteral("Select a session above to see its HTTP requests."));
    else if (all > 0)
        m_stack->showContent();
    else if (m_feed->isLoading())
        m_stack->showMessage(QStringLiteral("Loading requests…"), QString());
    else
        m_stack->showMessage(
                QStringLiteral("No HTTP requests"),
                m_live ? QStringLiteral("HTTP/1.x, HTTP/2 and gRPC requests to the tapped port "
                                        "appear here as their answers complete.")
                       : QStringLiteral("This session saw no HTTP request (or its daemon "
                                        "predates request tracking)."));
}

void RequestsPane::onCurrentChanged()
{
    const QModelIndex current = m_view->selectionModel()->currentIndex();
    m_diff->setRequest(current.isValid() ? m_model->requestAt(m_filter->mapToSource(current).row())
                                         : QJsonObject());
}

} // namespace podtap
