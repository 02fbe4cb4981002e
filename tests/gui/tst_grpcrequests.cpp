// The Requests tab with HTTP/2 and gRPC: a stored session made from real traffic
// (GrpcShadowSession: a Python gRPC "pod" and a local build that differs on purpose, compared
// call by call by the real ShadowComparator, and HTTP/1.x from python3 -m http.server, all
// captured by tcpdump in network namespaces and decoded by HttpSink with HTTP/2 on), served
// by a real podtapd. Checks RequestTableModel's gRPC columns (protocol, service/method,
// HTTP status · grpc-status), the same rows from the live events, the method filter, the
// diff view (grpc-status on both sides, the messages' protobuf wire view, field-level
// differences), and the tab through DaemonLink + RequestFeed.
// Screenshot: requests-grpc.png (the Requests tab, a gRPC call's diff selected).
#include "daemonlink.h"
#include "daemonprocess.h"
#include "grpcshadowsession.h"
#include "protobufwirehtml.h"
#include "requestdiffview.h"
#include "requestfeed.h"
#include "requestfiltermodel.h"
#include "requestspane.h"
#include "requesttablemodel.h"
#include "screenshot.h"
#include "session/podtappipeline.h"
#include "store/storedsession.h"
#include "store/storequeries.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QJsonArray>
#include <QLabel>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

#include <memory>

using namespace Qt::StringLiterals;
using podtap::ProtobufWireHtml;
using podtap::RequestDiffView;
using podtap::RequestFilterModel;
using podtap::RequestTableModel;

namespace {
const QString Session = u"4301"_s;

QString text(const QAbstractItemModel &m, int row, int column)
{
    return m.index(row, column).data().toString();
}

// The row whose Method column and verdict are these (verdict "" = any).
int rowOf(const RequestTableModel &m, const QString &method, const QString &verdict = {})
{
    for (int r = 0; r < m.rowCount(); ++r)
        if (text(m, r, RequestTableModel::Method) == method
            && (verdict.isEmpty() || m.verdictOf(r) == verdict))
            return r;
    return -1;
}
} // namespace

class TestGrpcRequests : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void modelFromStore();
    void modelFromEvents();
    void filters_data();
    void filters();
    void diffView();
    void fieldDifferences();
    void largeCallsBounded();
    void pathLabels_data();
    void pathLabels();
    void requestsTab();

private:
    void fill(RequestTableModel &model) const;

    QTemporaryDir m_dir;
    GrpcShadowSession m_session;
    QJsonArray m_requests; // session.requests' page, from the store as podtapd reads it
    std::unique_ptr<DaemonProcess> m_daemon;
};

void TestGrpcRequests::initTestCase()
{
    if (const QString why = GrpcShadowSession::unavailable(); !why.isEmpty())
        QSKIP(qPrintable(why));
    QVERIFY(m_dir.isValid());
    const QString store = m_dir.filePath(u"store"_s);
    QVERIFY(QDir().mkpath(store));
    QString error;
    QVERIFY2(m_session.create(store, Session, m_dir.filePath(u"work"_s), &error),
             qPrintable(error));
    const auto stored = podtap::StoredSession::open(store + u'/' + Session);
    QVERIFY2(stored, qPrintable(stored.error()));
    const auto page = podtap::StoreQueries::requests(stored.value(), {});
    QVERIFY2(page, qPrintable(page.error()));
    m_requests = page.value().value(u"requests"_s).toArray();
    QCOMPARE(m_requests.size(), 7); // 4 gRPC calls (all compared), 3 HTTP/1.x requests
    m_daemon = std::make_unique<DaemonProcess>(m_dir.filePath(u"run/podtap/podtapd.sock"_s), store,
                                               m_dir.filePath(u"podtapd.log"_s));
}

void TestGrpcRequests::cleanupTestCase()
{
    m_daemon.reset();
}

void TestGrpcRequests::fill(RequestTableModel &model) const
{
    model.addRequests(m_requests);
    model.flush();
}

void TestGrpcRequests::modelFromStore()
{
    RequestTableModel model;
    QAbstractItemModelTester tester(&model);
    QSignalSpy methodsChanged(&model, &RequestTableModel::methodsChanged);
    fill(model);
    QCOMPARE(model.rowCount(), 7);
    QCOMPARE(methodsChanged.size(), 1);
    QCOMPARE(model.methods(),
             (QStringList{u"GET"_s, u"podtaptest.Greeter/CountUp"_s, u"podtaptest.Greeter/Fail"_s,
                          u"podtaptest.Greeter/SayHello"_s}));
    int grpc = 0;
    for (int r = 0; r < model.rowCount(); ++r) {
        const QString protocol = text(model, r, RequestTableModel::Protocol);
        QVERIFY2(protocol == u"gRPC"_s || protocol == u"HTTP/1.1"_s, qPrintable(protocol));
        if (protocol == u"gRPC"_s) {
            ++grpc;
            QVERIFY(text(model, r, RequestTableModel::Method).startsWith(u"podtaptest.Greeter/"_s));
            QVERIFY(text(model, r, RequestTableModel::Path).startsWith(u"/podtaptest.Greeter/"_s));
            QVERIFY(model.index(r, RequestTableModel::Path)
                            .data(Qt::ToolTipRole)
                            .toString()
                            .contains(u"HTTP/2 stream"_s));
            const QJsonObject x = model.requestAt(r);
            QCOMPARE(x[u"protocol"_s].toString(), u"h2"_s);
            QCOMPARE(x[u"grpc"_s][u"service"_s].toString(), u"podtaptest.Greeter"_s);
            QVERIFY(!x[u"compare"_s].toObject().isEmpty());
        }
    }
    QCOMPARE(grpc, 4);

    // The unary call: OK on both sides, its reply differs (detail.serial).
    const int unary = rowOf(model, u"podtaptest.Greeter/SayHello"_s, u"body"_s);
    QVERIFY(unary >= 0);
    QCOMPARE(text(model, unary, RequestTableModel::PodStatus), u"200 · OK (0)"_s);
    QCOMPARE(text(model, unary, RequestTableModel::LocalStatus), u"200 · OK (0)"_s);
    QCOMPARE(text(model, unary, RequestTableModel::Verdict), u"body differs"_s);
    QCOMPARE(model.index(unary, 0).data(RequestTableModel::GrpcStatusRole).toInt(), 0);
    // The failing call: NOT_FOUND from the pod, OK from the local build → status verdict.
    const int fail = rowOf(model, u"podtaptest.Greeter/Fail"_s);
    QCOMPARE(text(model, fail, RequestTableModel::PodStatus), u"200 · NOT_FOUND (5)"_s);
    QCOMPARE(text(model, fail, RequestTableModel::LocalStatus), u"200 · OK (0)"_s);
    QCOMPARE(text(model, fail, RequestTableModel::Verdict), u"status differs"_s);
    QCOMPARE(model.index(fail, RequestTableModel::PodStatus).data(Qt::ToolTipRole).toString(),
             u"grpc-message: no such greeter: ghost"_s);
    QCOMPARE(model.index(fail, RequestTableModel::PodStatus)
                     .data(Qt::ForegroundRole)
                     .value<QBrush>()
                     .color(),
             QColor(Qt::darkRed));
    QCOMPARE(text(model, rowOf(model, u"podtaptest.Greeter/CountUp"_s), RequestTableModel::Verdict),
             u"same"_s);
    // HTTP/1.x beside them, as before.
    int notFound = -1;
    for (int r = 0; r < model.rowCount(); ++r)
        if (text(model, r, RequestTableModel::Path) == u"/missing"_s)
            notFound = r;
    QVERIFY(notFound >= 0);
    QCOMPARE(text(model, notFound, RequestTableModel::Protocol), u"HTTP/1.1"_s);
    QCOMPARE(text(model, notFound, RequestTableModel::Method), u"GET"_s);
    QCOMPARE(text(model, notFound, RequestTableModel::PodStatus), u"404"_s);
    QCOMPARE(text(model, notFound, RequestTableModel::Verdict), QString());
}

void TestGrpcRequests::modelFromEvents()
{
    // The live path: "http" events' exchanges and "compared" events' verdicts, verdicts first.
    RequestTableModel live;
    live.addVerdicts(m_session.verdicts);
    live.addExchanges(m_session.exchanges);
    live.flush();
    RequestTableModel stored;
    fill(stored);
    QCOMPARE(live.rowCount(), stored.rowCount());
    for (int r = 0; r < live.rowCount(); ++r) {
        for (int c = 0; c < RequestTableModel::ColumnCount; ++c)
            QCOMPARE(text(live, r, c), text(stored, r, c));
        QCOMPARE(live.requestAt(r), stored.requestAt(r));
    }
}

void TestGrpcRequests::filters_data()
{
    QTest::addColumn<QString>("method");
    QTest::addColumn<QString>("verdict");
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("rows");
    QTest::addRow("all") << QString() << QString() << QString() << 7;
    QTest::addRow("gRPC method") << u"SayHello"_s << QString() << QString() << 2;
    QTest::addRow("gRPC service/method")
            << u"podtaptest.Greeter/Fail"_s << QString() << QString() << 1;
    QTest::addRow("other service") << u"x.Greeter/Fail"_s << QString() << QString() << 0;
    QTest::addRow("HTTP method, any case") << u"get"_s << QString() << QString() << 3;
    QTest::addRow("POST: the calls") << u"POST"_s << QString() << QString() << 4;
    QTest::addRow("method and verdict") << u"SayHello"_s << u"differ"_s << QString() << 1;
    QTest::addRow("differ") << QString() << u"differ"_s << QString() << 2;
    QTest::addRow("not compared") << QString() << u"none"_s << QString() << 3;
    QTest::addRow("text: grpc-status name") << QString() << QString() << u"not_found"_s << 1;
    QTest::addRow("text: protocol") << QString() << QString() << u"gRPC"_s << 4;
    QTest::addRow("text: call") << QString() << QString() << u"Greeter/Count"_s << 1;
}

void TestGrpcRequests::filters()
{
    QFETCH(QString, method);
    QFETCH(QString, verdict);
    QFETCH(QString, text);
    QFETCH(int, rows);
    RequestTableModel model;
    fill(model);
    RequestFilterModel proxy(&model);
    proxy.setMethodFilter(method);
    proxy.setVerdictFilter(verdict);
    proxy.setTextFilter(text);
    QCOMPARE(proxy.rowCount(), rows);
}

void TestGrpcRequests::diffView()
{
    RequestTableModel model;
    fill(model);
    RequestDiffView view;
    // The failing call: the pod's NOT_FOUND with its message, the local build's OK.
    view.setRequest(model.requestAt(rowOf(model, u"podtaptest.Greeter/Fail"_s)));
    const QString pod = RequestDiffView::podHtml(view.request());
    const QString local = RequestDiffView::localHtml(view.request());
    QVERIFY2(pod.contains(u"HTTP/2 200 · grpc-status NOT_FOUND (5)"_s), qPrintable(pod));
    QVERIFY2(pod.contains(u"grpc-message: no such greeter: ghost"_s), qPrintable(pod));
    QVERIFY2(local.contains(u"HTTP/2 200 · grpc-status OK (0)"_s), qPrintable(local));
    QVERIFY2(RequestDiffView::verdictSummary(view.request()).startsWith(u"Status differs"_s),
             qPrintable(RequestDiffView::verdictSummary(view.request())));
    QVERIFY(view.findChild<QLabel *>(u"requestTitle"_s)
                    ->text()
                    .contains(u"gRPC podtaptest.Greeter/Fail"_s));
    // Trailers-Only: the pod answered no message; the request message is shown.
    QVERIFY2(pod.contains(u"<b>Request messages</b>"_s) && pod.contains(u"1: \"ghost\""_s),
             qPrintable(pod));

    // The unary call: both messages in the protobuf wire view, nested field included.
    view.setRequest(model.requestAt(rowOf(model, u"podtaptest.Greeter/SayHello"_s, u"body"_s)));
    const QString unary = RequestDiffView::podHtml(view.request());
    QVERIFY2(unary.contains(u"1: \"podtap\""_s), qPrintable(unary)); // HelloRequest.name
    QVERIFY2(unary.contains(u"1: \"hello podtap\""_s), qPrintable(unary));
    // The differing field (detail.serial) is marked inside its nested message.
    QVERIFY2(
            unary.contains(
                    u"2 {\n  <span style=\"background:#ffd7d5; color:#8e1b12\">1: 4242</span>\n  2: \"unary\"\n}"_s),
            qPrintable(unary));
    QVERIFY2(view.podPane()->toPlainText().contains(u"1: 4242"_s),
             qPrintable(view.podPane()->toPlainText()));
    QVERIFY2(RequestDiffView::localHtml(view.request()).contains(u"messages are not stored"_s),
             qPrintable(RequestDiffView::localHtml(view.request())));

    // The server-streaming call: its three replies, in order.
    view.setRequest(model.requestAt(rowOf(model, u"podtaptest.Greeter/CountUp"_s)));
    const QString stream = RequestDiffView::podHtml(view.request());
    for (const char *reply : {"count 1", "count 2", "count 3"})
        QVERIFY2(stream.contains(QLatin1String(reply)), qPrintable(stream));
    QVERIFY(stream.contains(u"message 3 ·"_s));
}

void TestGrpcRequests::fieldDifferences()
{
    // The verdict the real field-level comparison of gRPC messages wrote (docs/ipc.md:
    // `body` paths "$[message].field.field", `bodyValues` per path) on the real unary call:
    // the differing field is marked in the wire view and its two values shown side by side.
    RequestTableModel model;
    fill(model);
    QJsonObject request
            = model.requestAt(rowOf(model, u"podtaptest.Greeter/SayHello"_s, u"body"_s));
    QJsonObject compare = request[u"compare"_s].toObject();
    QCOMPARE(compare[u"body"_s].toArray(), QJsonArray{u"$[0].2.1"_s});
    QCOMPARE(compare[u"bodyValues"_s].toArray().size(), 1);
    const QString pod = RequestDiffView::podHtml(request);
    const QString local = RequestDiffView::localHtml(request);
    QVERIFY2(pod.contains(u"<code>$[0].2.1</code> (message 1 › field 2 › field 1)"_s),
             qPrintable(pod));
    QVERIFY2(pod.contains(u">4242</code>"_s) && local.contains(u">4243</code>"_s),
             qPrintable(local));
    // In the wire view exactly the differing field is marked, not its neighbours.
    QVERIFY2(pod.contains(u"<span style=\"background:#ffd7d5; color:#8e1b12\">1: 4242</span>"_s),
             qPrintable(pod));
    QCOMPARE(pod.count(u"<span style=\"background:#ffd7d5"_s), 1);
    // The local build's messages, when a verdict carries them, get the same view and marks.
    QJsonObject localCall = request[u"grpc"_s].toObject();
    QJsonArray responses = localCall[u"responses"_s].toArray();
    QJsonObject reply = responses[0].toObject();
    QJsonArray fields = reply[u"fields"_s].toArray();
    QJsonObject detail = fields[1].toObject();
    QJsonArray nested = detail[u"message"_s].toArray();
    QJsonObject serial = nested[0].toObject();
    serial[u"value"_s] = u"4243"_s;
    nested[0] = serial;
    detail[u"message"_s] = nested;
    fields[1] = detail;
    reply[u"fields"_s] = fields;
    responses[0] = reply;
    localCall[u"responses"_s] = responses;
    compare[u"localGrpc"_s] = localCall;
    request[u"compare"_s] = compare;
    const QString withMessages = RequestDiffView::localHtml(request);
    QVERIFY2(withMessages.contains(
                     u"<span style=\"background:#ffd7d5; color:#8e1b12\">1: 4243</span>"_s),
             qPrintable(withMessages));
    QVERIFY(!withMessages.contains(u"not stored"_s));

    // With a descriptor set the comparator's paths use names, and the wire view's JSON carries
    // them ("name", ProtoDescriptorSet::annotate): the named path marks the same field.
    QJsonObject named = request[u"grpc"_s].toObject();
    QJsonArray namedResponses = named[u"responses"_s].toArray();
    QJsonObject namedReply = namedResponses[0].toObject();
    QJsonArray namedFields = namedReply[u"fields"_s].toArray();
    QJsonObject namedDetail = namedFields[1].toObject();
    namedDetail[u"name"_s] = u"detail"_s;
    QJsonArray namedNested = namedDetail[u"message"_s].toArray();
    QJsonObject namedSerial = namedNested[0].toObject();
    namedSerial[u"name"_s] = u"serial"_s;
    namedNested[0] = namedSerial;
    namedDetail[u"message"_s] = namedNested;
    namedFields[1] = namedDetail;
    namedReply[u"fields"_s] = namedFields;
    namedResponses[0] = namedReply;
    named[u"responses"_s] = namedResponses;
    const QString namedHtml = ProtobufWireHtml::messages(named[u"responses"_s].toArray(),
                                                         {u"$[0].detail.serial"_s});
    QVERIFY2(
            namedHtml.contains(
                    u"<span style=\"background:#ffd7d5; color:#8e1b12\">1 (serial): 4242</span>"_s),
            qPrintable(namedHtml));
    QCOMPARE(namedHtml.count(u"<span style="_s), 1);
}

void TestGrpcRequests::largeCallsBounded()
{
    // A streaming call with 40 replies of 2 KiB: as podtapd stores it (exchangeJson), 32
    // replies kept, 8 counted, and past 32 KiB of JSON only their lengths; the diff view says so.
    podtap::HttpExchange x;
    x.protocol = podtap::HttpExchange::Protocol::Http2;
    x.streamId = 1;
    x.request.method = "POST";
    x.request.target = "/podtaptest.Greeter/CountUp";
    x.hasResponse = true;
    x.response.status = 200;
    podtap::GrpcCall call;
    call.service = "podtaptest.Greeter";
    call.method = "CountUp";
    call.status = 0;
    for (int i = 0; i < 40; ++i) {
        podtap::GrpcCall::Message m;
        m.fromClient = false;
        const QByteArray text(2048, 'a');
        m.data = QByteArray("\x0a\x80\x10", 3) + text; // field 1, length 2048
        m.length = std::uint32_t(m.data.size());
        call.responses.push_back(m);
    }
    x.grpc = call;
    const QJsonObject o = podtap::PodTapPipeline::exchangeJson(x, 7);
    const QJsonObject grpc = o[u"grpc"_s].toObject();
    QCOMPARE(o[u"protocol"_s].toString(), u"h2"_s);
    QCOMPARE(grpc[u"responses"_s].toArray().size(), 32);
    QCOMPARE(grpc[u"responsesOmitted"_s].toInteger(), 8);
    QVERIFY(grpc[u"messagesOmitted"_s].toString().contains(u"32 KiB"_s));
    QCOMPARE(grpc[u"responses"_s][31][u"length"_s].toInteger(), 2051);
    QVERIFY(!grpc[u"responses"_s][0].toObject().contains(u"fields"_s));
    const QString html = RequestDiffView::podHtml(o);
    QVERIFY2(html.contains(u"8 more response messages not stored"_s), qPrintable(html));
    QVERIFY2(html.contains(u"Message contents not stored: the messages' wire view is larger"_s),
             qPrintable(html));
    QVERIFY(html.contains(u"(contents not stored)"_s));
    // A small call keeps its wire view whole.
    call.responses.resize(2);
    x.grpc = call;
    const QJsonObject small = podtap::PodTapPipeline::exchangeJson(x, 7)[u"grpc"_s].toObject();
    QVERIFY(!small.contains(u"messagesOmitted"_s) && !small.contains(u"responsesOmitted"_s));
    QCOMPARE(small[u"responses"_s][1][u"fields"_s][0][u"text"_s].toString().size(), 2048);
}

void TestGrpcRequests::pathLabels_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("label");
    QTest::addRow("nested") << u"$[0].2.1"_s << u"message 1 › field 2 › field 1"_s;
    QTest::addRow("message") << u"$[2]"_s << u"message 3"_s;
    QTest::addRow("repeated") << u"$[0].3[1].1"_s << u"message 1 › field 3 #2 › field 1"_s;
    QTest::addRow("named") << u"$[0].detail.note"_s << u"message 1 › detail › note"_s;
    QTest::addRow("named, repeated") << u"$[1].points[1].y"_s << u"message 2 › points #2 › y"_s;
    QTest::addRow("JSON path") << u"$.items[0].name"_s << u"$.items[0].name"_s;
    QTest::addRow("reason") << u"same size, different bytes"_s << u"same size, different bytes"_s;
}

void TestGrpcRequests::pathLabels()
{
    QFETCH(QString, path);
    QFETCH(QString, label);
    QCOMPARE(ProtobufWireHtml::pathLabel(path), label);
}

void TestGrpcRequests::requestsTab()
{
    // The tab as the app shows it: DaemonLink to a real podtapd, RequestFeed paging the stored
    // session through session.requests.
    QString error;
    QVERIFY2(m_daemon->start(&error), qPrintable(error));
    podtap::DaemonLink::Options options;
    options.socketPath = m_dir.filePath(u"run/podtap/podtapd.sock"_s);
    options.startDaemon = false;
    podtap::DaemonLink link(options);
    link.start();
    QTRY_COMPARE(link.state(), podtap::DaemonLink::State::Connected);
    podtap::RequestsPane pane(&link);
    pane.resize(1400, 900);
    pane.show();
    pane.setSession(Session, false);
    QTRY_COMPARE(pane.model()->rowCount(), 7);
    QTRY_COMPARE(pane.methodFilter()->count(), 5); // all + GET + 3 gRPC calls
    QCOMPARE(pane.methodFilter()->itemText(4), u"gRPC podtaptest.Greeter/SayHello"_s);
    pane.methodFilter()->setCurrentIndex(
            pane.methodFilter()->findData(u"podtaptest.Greeter/Fail"_s));
    QCOMPARE(pane.filter()->rowCount(), 1);
    pane.methodFilter()->setCurrentIndex(0);
    QCOMPARE(pane.filter()->rowCount(), 7);
    pane.view()->sortByColumn(RequestTableModel::Time, Qt::AscendingOrder);
    const int row = rowOf(*pane.model(), u"podtaptest.Greeter/SayHello"_s, u"body"_s);
    pane.view()->selectRow(pane.filter()->mapFromSource(pane.model()->index(row, 0)).row());
    QTRY_VERIFY(pane.diffView()->podPane()->toPlainText().contains(u"hello podtap"_s));
    QVERIFY(!podtap::test::saveScreenshot(&pane, u"requests-grpc"_s).isEmpty());
}

QTEST_MAIN(TestGrpcRequests)
#include "tst_grpcrequests.moc"
