// RequestTableModel, its filter proxy, the diff view and the route strip, offscreen: the model
// contract (QAbstractItemModelTester on model and proxy), exchanges and verdicts merged by
// (connection id, index) in any order (a verdict before or after its exchange, pages
// overlapping live events), the 75 ms batching (one insertion per batch), the row cap, the
// display, the verdict/text filter, and what the diff view says (and does not claim).
#include "requestdiffview.h"
#include "requestfiltermodel.h"
#include "requestspane.h"
#include "requesttablemodel.h"

#include <QAbstractItemModelTester>
#include <QIcon>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>
#include <QTextBrowser>

using namespace Qt::StringLiterals;
using podtap::RequestDiffView;
using podtap::RequestFilterModel;
using podtap::RequestTableModel;

namespace {
QJsonObject exchange(qint64 id, qint64 index)
{
    return {{u"id"_s, id},
            {u"index"_s, index},
            {u"method"_s, index % 2 ? u"POST"_s : u"GET"_s},
            {u"target"_s, u"/api/items/%1"_s.arg(id * 100 + index)},
            {u"route"_s, index % 2 ? u"POST /api/items/{id}"_s : u"GET /api/items/{id}"_s},
            {u"tsNs"_s, 1700000000000000000LL + id * 1000000 + index},
            {u"requestBytes"_s, 0},
            {u"status"_s, 200},
            {u"responseBytes"_s, 42},
            {u"latencyUs"_s, 1500.0},
            {u"contentType"_s, u"application/json"_s}};
}

QJsonObject verdict(qint64 id, qint64 index, const QString &kind)
{
    QJsonObject v{{u"id"_s, id},
                  {u"index"_s, index},
                  {u"verdict"_s, kind},
                  {u"method"_s, u"GET"_s},
                  {u"target"_s, u"/api/items/%1"_s.arg(id * 100 + index)},
                  {u"route"_s, u"GET /api/items/{id}"_s},
                  {u"podStatus"_s, 200},
                  {u"podLatencyUs"_s, 1500.0}};
    if (!kind.startsWith(u"local-")) {
        v[u"localStatus"_s] = kind == u"status" ? 503 : 200;
        v[u"localLatencyUs"_s] = 900.0;
    } else {
        v[u"localStatus"_s] = 0;
        v[u"detail"_s] = u"no local answer within 5 s"_s;
    }
    if (kind == u"headers")
        v[u"headers"_s] = QJsonArray{u"x-version"_s, u"cache-control"_s};
    if (kind == u"body")
        v[u"body"_s] = QJsonArray{u"$.price"_s, u"$.tags[1]"_s};
    return v;
}

// One step of a merge scenario: "x1:0" an http event's exchange, "v1:0=same" a compared
// event's verdict, "p1:0" / "p1:0=body" a session.requests row (joined), "|" a batch end.
void apply(RequestTableModel &model, const QString &step)
{
    if (step == u"|") {
        model.flush();
        return;
    }
    const QString key = step.mid(1).section(u'=', 0, 0);
    const QString kind = step.section(u'=', 1);
    const qint64 id = key.section(u':', 0, 0).toLongLong();
    const qint64 index = key.section(u':', 1).toLongLong();
    if (step.startsWith(u'x')) {
        model.addExchanges({exchange(id, index)});
    } else if (step.startsWith(u'v')) {
        model.addVerdicts({verdict(id, index, kind)});
    } else {
        QJsonObject row = exchange(id, index);
        if (!kind.isEmpty()) {
            QJsonObject c = verdict(id, index, kind);
            c.remove(u"id"_s);
            c.remove(u"index"_s);
            row[u"compare"_s] = c;
        }
        model.addRequests({row});
    }
}

QStringList rowsOf(const RequestTableModel &model)
{
    QStringList out;
    for (int r = 0; r < model.rowCount(); ++r)
        out << u"%1:%2=%3"_s.arg(model.connectionId(r))
                        .arg(model.index(r, 0).data(RequestTableModel::ExchangeIndexRole).toInt())
                        .arg(model.verdictOf(r));
    return out;
}
} // namespace

class TestRequestTableModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void merge_data();
    void merge();
    void batchesInserts();
    void capRemovesOldestBlock();
    void display();
    void filter_data();
    void filter();
    void diffView();
    void routeStrip();
};

void TestRequestTableModel::merge_data()
{
    QTest::addColumn<QStringList>("steps");
    QTest::addColumn<QStringList>("expected");
    QTest::addRow("verdict after exchange")
            << QStringList{u"x1:0"_s, u"|"_s, u"v1:0=same"_s, u"|"_s} << QStringList{u"1:0=same"_s};
    QTest::addRow("verdict before exchange")
            << QStringList{u"v1:0=body"_s, u"|"_s, u"x1:0"_s, u"|"_s} << QStringList{u"1:0=body"_s};
    QTest::addRow("verdict before exchange, one batch")
            << QStringList{u"v1:0=status"_s, u"x1:0"_s, u"|"_s} << QStringList{u"1:0=status"_s};
    QTest::addRow("page then live duplicates")
            << QStringList{u"p1:0=same"_s, u"p1:1"_s,         u"|"_s, u"x1:1"_s,
                           u"x1:2"_s,      u"v1:1=headers"_s, u"|"_s}
            << QStringList{u"1:0=same"_s, u"1:1=headers"_s, u"1:2="_s};
    QTest::addRow("live then overlapping page")
            << QStringList{u"x1:0"_s,      u"x1:1"_s, u"|"_s, u"p1:0"_s,
                           u"p1:1=same"_s, u"p1:2"_s, u"|"_s}
            << QStringList{u"1:0="_s, u"1:1=same"_s, u"1:2="_s};
    QTest::addRow("live verdict while paging")
            << QStringList{u"v2:0=body"_s, u"|"_s, u"p1:0=same"_s, u"p2:0"_s, u"|"_s}
            << QStringList{u"1:0=same"_s, u"2:0=body"_s};
    QTest::addRow("verdict without a stored exchange")
            << QStringList{u"p3:0=local-timeout"_s, u"|"_s} << QStringList{u"3:0=local-timeout"_s};
    QTest::addRow("same index, other connection")
            << QStringList{u"x1:0"_s, u"x2:0"_s, u"v2:0=same"_s, u"|"_s}
            << QStringList{u"1:0="_s, u"2:0=same"_s};
    QTest::addRow("unmatched verdict shows no row")
            << QStringList{u"v5:0=same"_s, u"x1:0"_s, u"|"_s} << QStringList{u"1:0="_s};
}

void TestRequestTableModel::merge()
{
    QFETCH(QStringList, steps);
    QFETCH(QStringList, expected);
    RequestTableModel model;
    RequestFilterModel proxy(&model);
    QAbstractItemModelTester t1(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester t2(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    for (const QString &step : steps)
        apply(model, step);
    QCOMPARE(rowsOf(model), expected);
    QCOMPARE(proxy.rowCount(), expected.size());
}

void TestRequestTableModel::batchesInserts()
{
    RequestTableModel model;
    QAbstractItemModelTester t(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    for (int i = 0; i < 50; ++i)
        model.addExchanges({exchange(1, i)});
    QCOMPARE(model.rowCount(), 0); // nothing before the batch ends
    QTRY_COMPARE(model.rowCount(), 50);
    QCOMPARE(inserted.size(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 0);
    QCOMPARE(inserted.at(0).at(2).toInt(), 49); // the last row is inclusive
    for (int i = 0; i < 50; ++i)
        model.addVerdicts({verdict(1, i, u"same"_s)});
    QTRY_COMPARE(changed.size(), 1); // one signal for the batch's verdicts
    QCOMPARE(model.verdictOf(49), u"same"_s);
    QVERIFY(model.hasVerdicts());
}

void TestRequestTableModel::capRemovesOldestBlock()
{
    RequestTableModel model;
    QAbstractItemModelTester t(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setMaxRows(100);
    for (int b = 0; b < 10; ++b) {
        QJsonArray page;
        for (int i = 0; i < 30; ++i)
            page.append(exchange(1, b * 30 + i));
        model.addExchanges(page);
        model.addVerdicts({verdict(1, b * 30, u"body"_s)});
        model.flush();
        QVERIFY(model.rowCount() <= 100);
    }
    QCOMPARE(model.droppedRows() + model.rowCount(), 300);
    QCOMPARE(
            model.index(model.rowCount() - 1, 0).data(RequestTableModel::ExchangeIndexRole).toInt(),
            299);
    QCOMPARE(model.index(0, 0).data(RequestTableModel::ExchangeIndexRole).toInt(),
             int(model.droppedRows()));
    // One batch larger than the cap keeps its newest rows.
    model.clear();
    QJsonArray big;
    for (int i = 0; i < 250; ++i)
        big.append(exchange(2, i));
    model.addExchanges(big);
    QCOMPARE(model.flush(), 100);
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.index(0, 0).data(RequestTableModel::ExchangeIndexRole).toInt(), 150);
}

void TestRequestTableModel::display()
{
    RequestTableModel model;
    QAbstractItemModelTester t(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.addExchanges({exchange(1, 0), exchange(1, 1), exchange(1, 2)});
    model.addVerdicts({verdict(1, 0, u"status"_s), verdict(1, 1, u"local-timeout"_s)});
    model.flush();
    QCOMPARE(model.columnCount(), int(RequestTableModel::ColumnCount));
    const auto text = [&](int row, int column) {
        return model.index(row, column).data().toString();
    };
    QCOMPARE(text(0, RequestTableModel::Method), u"GET"_s);
    QCOMPARE(text(0, RequestTableModel::Path), u"/api/items/100"_s);
    QCOMPARE(text(0, RequestTableModel::PodStatus), u"200"_s);
    QCOMPARE(text(0, RequestTableModel::LocalStatus), u"503"_s);
    QCOMPARE(text(0, RequestTableModel::PodLatency), u"1.50 ms"_s);
    QCOMPARE(text(0, RequestTableModel::LocalLatency), u"900 µs"_s);
    QCOMPARE(text(0, RequestTableModel::Verdict), u"status differs"_s);
    QCOMPARE(text(0, RequestTableModel::Route), u"GET /api/items/{id}"_s);
    QCOMPARE(text(1, RequestTableModel::LocalStatus), u"timeout"_s);
    QCOMPARE(text(1, RequestTableModel::Verdict), u"local timeout"_s);
    QCOMPARE(model.index(1, RequestTableModel::Verdict).data(Qt::ToolTipRole).toString(),
             u"no local answer within 5 s"_s);
    QCOMPARE(text(2, RequestTableModel::LocalStatus), QString()); // not compared
    QCOMPARE(text(2, RequestTableModel::Verdict), QString());
    QVERIFY(!text(0, RequestTableModel::Time).isEmpty());
    const QVariant icon = model.index(0, RequestTableModel::Verdict).data(Qt::DecorationRole);
    QVERIFY(icon.canConvert<QIcon>() && !icon.value<QIcon>().isNull());
    QCOMPARE(model.index(0, RequestTableModel::Verdict)
                     .data(Qt::ForegroundRole)
                     .value<QBrush>()
                     .color(),
             RequestTableModel::verdictColor(u"status"_s));
    QCOMPARE(model.index(0, RequestTableModel::PodLatency)
                     .data(RequestTableModel::SortRole)
                     .toDouble(),
             1500.0);
    const QJsonObject request = model.requestAt(0);
    QCOMPARE(request.value(u"status").toInt(), 200);
    QCOMPARE(request.value(u"compare").toObject().value(u"localStatus").toInt(), 503);
}

void TestRequestTableModel::filter_data()
{
    QTest::addColumn<QString>("verdict");
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("rows");
    QTest::addRow("all") << QString() << QString() << 6;
    QTest::addRow("differ") << u"differ"_s << QString() << 3;
    QTest::addRow("same") << u"same"_s << QString() << 1;
    QTest::addRow("local") << u"local"_s << QString() << 1;
    QTest::addRow("not compared") << u"none"_s << QString() << 1;
    QTest::addRow("text: path") << QString() << u"items/102"_s << 1;
    QTest::addRow("text: method") << QString() << u"post"_s << 3;
    QTest::addRow("text: local status") << QString() << u"503"_s << 1;
    QTest::addRow("text: verdict") << QString() << u"body diff"_s << 1;
    QTest::addRow("differ and text") << u"differ"_s << u"POST"_s << 2;
}

void TestRequestTableModel::filter()
{
    QFETCH(QString, verdict);
    QFETCH(QString, text);
    QFETCH(int, rows);
    RequestTableModel model;
    RequestFilterModel proxy(&model);
    QAbstractItemModelTester t(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QJsonArray x;
    for (int i = 0; i < 6; ++i)
        x.append(exchange(1, i));
    model.addExchanges(x);
    model.addVerdicts({::verdict(1, 0, u"same"_s), ::verdict(1, 1, u"status"_s),
                       ::verdict(1, 2, u"body"_s), ::verdict(1, 3, u"headers"_s),
                       ::verdict(1, 4, u"local-error"_s)});
    model.flush();
    proxy.setVerdictFilter(verdict);
    proxy.setTextFilter(text);
    QCOMPARE(proxy.rowCount(), rows);
    // Sorting by a raw value through the proxy.
    proxy.sort(RequestTableModel::LocalStatus, Qt::DescendingOrder);
    if (verdict.isEmpty() && text.isEmpty())
        QCOMPARE(proxy.index(0, RequestTableModel::LocalStatus).data().toString(), u"503"_s);
}

void TestRequestTableModel::diffView()
{
    RequestDiffView view;
    QVERIFY(!view.followButton()->isEnabled());
    QJsonObject request = exchange(7, 1);
    QJsonObject c = verdict(7, 1, u"headers"_s);
    c[u"body"_s] = QJsonArray{u"$.price"_s};
    c[u"bodyValues"_s] = QJsonArray{
            QJsonObject{{u"path"_s, u"$.price"_s}, {u"pod"_s, u"12.5"_s}, {u"local"_s, u"13"_s}}};
    c[u"headerValues"_s]
            = QJsonObject{{u"cache-control"_s, QJsonObject{{u"pod"_s, u"max-age=60"_s}}}};
    c[u"verdict"_s] = u"body"_s;
    request[u"compare"_s] = c;
    view.setRequest(request);
    const QString pod = view.podPane()->toPlainText();
    const QString local = view.localPane()->toPlainText();
    QVERIFY2(pod.contains(u"HTTP/1.x 200"_s), qPrintable(pod));
    QVERIFY2(local.contains(u"HTTP/1.x 200"_s), qPrintable(local));
    for (const QString &side : {pod, local}) {
        QVERIFY2(side.contains(u"x-version"_s) && side.contains(u"cache-control"_s),
                 qPrintable(side));
        QVERIFY2(side.contains(u"$.price"_s), qPrintable(side));
    }
    // Each side shows its own value of what differed; a header on one side only is absent.
    QVERIFY2(pod.contains(u"$.price = 12.5"_s) && local.contains(u"$.price = 13"_s),
             qPrintable(pod + local));
    QVERIFY2(pod.contains(u"cache-control: max-age=60"_s), qPrintable(pod));
    QVERIFY2(local.contains(u"cache-control: (absent)"_s), qPrintable(local));
    // Differing header names are highlighted (on both sides).
    QVERIFY(RequestDiffView::podHtml(request).contains(u"background:#ffd7d5"_s));
    QVERIFY(view.findChild<QLabel *>(u"diffNote"_s)->text().contains(u"what differed"_s));
    QSignalSpy follow(&view, &RequestDiffView::followStreamRequested);
    view.followButton()->click();
    QCOMPARE(follow.size(), 1);
    QCOMPARE(follow.at(0).at(0).toLongLong(), 7);

    // A local timeout: the right side says so, with the daemon's detail.
    request[u"compare"_s] = verdict(7, 1, u"local-timeout"_s);
    QVERIFY(RequestDiffView::localHtml(request).contains(u"local timeout"_s));
    QVERIFY(RequestDiffView::localHtml(request).contains(u"no local answer within 5 s"_s));
    QVERIFY(!RequestDiffView::localHtml(request).contains(u"HTTP/1.x"_s));
    // Not compared: only the pod side.
    request.remove(u"compare"_s);
    QVERIFY(RequestDiffView::localHtml(request).contains(u"Not compared"_s));
    QVERIFY(RequestDiffView::verdictSummary(request).startsWith(u"Not compared"_s));
    view.setRequest({});
    QVERIFY(view.podPane()->toPlainText().isEmpty());
}

void TestRequestTableModel::routeStrip()
{
    QCOMPARE(podtap::RequestsPane::routeSummaryHtml({}), QString());
    const QJsonObject compare{
            {u"compared"_s, 10},
            {u"same"_s, 7},
            {u"body"_s, 2},
            {u"localTimeouts"_s, 1},
            {u"routes"_s,
             QJsonObject{{u"GET /a"_s, QJsonObject{{u"compared"_s, 6}, {u"same"_s, 6}}},
                         {u"GET /b/{id}"_s, QJsonObject{{u"compared"_s, 4},
                                                        {u"same"_s, 1},
                                                        {u"body"_s, 2},
                                                        {u"localTimeouts"_s, 1}}}}}};
    const QString html = podtap::RequestsPane::routeSummaryHtml(compare);
    QVERIFY2(html.contains(u"Compared 10"_s), qPrintable(html));
    QVERIFY2(html.contains(u"7 same"_s) && html.contains(u"2 differ"_s), qPrintable(html));
    // The route that differs comes first.
    QVERIFY2(html.indexOf(u"GET /b/{id}"_s) < html.indexOf(u"GET /a"_s), qPrintable(html));
    QVERIFY(podtap::RequestsPane::routeSummaryHtml(compare, 1).contains(u"and 1 more routes"_s));
}

QTEST_MAIN(TestRequestTableModel)
#include "tst_requesttablemodel.moc"
