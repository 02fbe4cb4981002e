// The Requests tab end to end: a real podtapd taps kubesim's REST pod (trafficgen, prod
// variant) with the mirror comparing each request against a local trafficgen (local
// variant); trafficgen's REST client talks to the pod. Checks session.requests through the
// IPC (every exchange, each joined with its verdict, filters), the live tab (rows and
// verdicts as events arrive, the route strip), the diff view and its "Follow stream", the
// HTTP columns of the connections table, and the stored session paged back after the stop.
// Screenshots: requests.png (the window on the Requests tab), request-diff.png.
#include "connectiontablemodel.h"
#include "daemonlink.h"
#include "followstreamview.h"
#include "livedaemonfixture.h"
#include "mainwindow.h"
#include "packetpane.h"
#include "requestdiffview.h"
#include "requestfeed.h"
#include "requestfiltermodel.h"
#include "requestspane.h"
#include "requesttablemodel.h"
#include "screenshot.h"
#include "sessioncontroller.h"
#include "sessionlistmodel.h"

#include "../e2e/support/trafficgencommand.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QPushButton>
#include <QRegularExpression>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

#include <memory>
#include <unistd.h>

using namespace Qt::StringLiterals;
using podtap::IpcClient;
using podtap::RequestTableModel;

namespace {
constexpr int Connections = 6;
constexpr int RequestsPerConnection = 10;
constexpr int Requests = Connections * RequestsPerConnection;
} // namespace

class TestRequestsView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();
    void liveRequestsTab();
    void storedSession();

private:
    IpcClient::Reply call(const QString &method, const QJsonObject &params);
    QJsonObject summary();

    LiveDaemonFixture m_fixture;
    std::unique_ptr<podtap::DaemonLink> m_link;
    QProcess m_local;
    quint16 m_localPort = 0;
    QString m_session;
};

void TestRequestsView::initTestCase()
{
    if (const QString why = LiveDaemonFixture::skipReason(); !why.isEmpty())
        QSKIP(qPrintable(why));
    QString error;
    QVERIFY2(m_fixture.start(QStringLiteral(SRCDIR "/scenarios/rest.yaml"), &error),
             qPrintable(error));
    m_link = m_fixture.makeLink();
    m_link->start();
    QTRY_VERIFY(m_link->isConnected());

    // The local build the mirror compares against.
    m_local.setStandardErrorFile(m_fixture.filePath(u"local.stderr"_s));
    m_localPort = TrafficgenCommand::serve(&m_local, {u"--listen"_s, u"127.0.0.1:0"_s, u"--mode"_s,
                                                      u"rest"_s, u"--variant"_s, u"local"_s});
    QVERIFY(m_localPort > 0);
}

void TestRequestsView::cleanup()
{
    m_fixture.noteFailure();
}

void TestRequestsView::cleanupTestCase()
{
    m_local.terminate();
    m_local.waitForFinished(3000);
    m_link.reset();
    m_fixture.finish();
}

IpcClient::Reply TestRequestsView::call(const QString &method, const QJsonObject &params)
{
    return LiveDaemonFixture::call(m_link.get(), method, params);
}

QJsonObject TestRequestsView::summary()
{
    return call(u"session.get"_s, {{u"id"_s, m_session}}).result.value(u"session"_s).toObject();
}

void TestRequestsView::liveRequestsTab()
{
    podtap::SessionListModel sessions(m_link.get());
    podtap::SessionController controller(m_link.get());
    QTRY_VERIFY(sessions.isLoaded());
    podtap::MainWindow window(m_link.get(), &sessions, &controller);
    window.resize(1400, 1000);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    podtap::RequestsPane *pane = window.requestsPane();
    QVERIFY(pane);
    RequestTableModel *model = pane->model();
    QAbstractItemModelTester t1(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester t2(pane->filter(),
                                QAbstractItemModelTester::FailureReportingMode::QtTest);

    // A mirror session comparing with the local build (as `podtap mirror … --compare`).
    podtap::SessionController::StartRequest request;
    request.kubeconfig = {m_fixture.kubesim().kubeconfig()};
    request.context = u"tapper"_s;
    request.ns = u"shop"_s;
    request.target = u"api"_s;
    request.port = 8080;
    request.mirrorPort = m_localPort;
    podtap::SessionStartRequest start = podtap::SessionController::startRequest(request);
    start.mirror.compare = true;
    const auto started = call(u"session.start"_s, start.toJson());
    QVERIFY2(started.ok, qPrintable(started.errorMessage));
    m_session = started.result.value(u"session").toObject().value(u"id").toString();
    QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const QString state = summary().value(u"state").toString();
                return state == u"capturing"_s || state == u"failed"_s;
            }(),
            90000);
    const QJsonObject s = summary();
    QCOMPARE(s.value(u"state").toString(), u"capturing"_s);
    const QString podIp = s.value(u"pods").toArray().at(0).toObject().value(u"ip").toString();
    QTRY_VERIFY(sessions.rowOf(m_session) >= 0);
    window.selectSession(m_session);
    window.detailTabs()->setCurrentWidget(pane);
    QCOMPARE(pane->feed()->sessionId(), m_session);

    QProcess client;
    client.setProcessChannelMode(QProcess::MergedChannels);
    client.start(u"ip"_s, TrafficgenCommand::clientInNetns(
                                  m_fixture.kubesim().netns(u"c1"_s),
                                  {u"--mode"_s, u"rest"_s, u"--connect"_s, podIp + u":8080"_s,
                                   u"--connections"_s, QString::number(Connections),
                                   u"--concurrency"_s, u"2"_s, u"--requests-per-conn"_s,
                                   QString::number(RequestsPerConnection), u"--seed"_s, u"7"_s}));
    QVERIFY(client.waitForFinished(60000));
    QVERIFY2(client.exitCode() == 0, client.readAll().constData());

    // Every exchange arrives live, each with its verdict.
    QTRY_VERIFY_WITH_TIMEOUT(
            summary().value(u"compare").toObject().value(u"compared").toInt() >= Requests, 30000);
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), Requests, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (int r = 0; r < model->rowCount(); ++r)
                    if (model->verdictOf(r).isEmpty())
                        return false;
                return true;
            }(),
            10000);

    // session.requests agrees: the same exchanges, joined with the same verdicts.
    const auto page = call(u"session.requests"_s, {{u"id"_s, m_session}, {u"limit"_s, 1000}});
    QVERIFY2(page.ok, qPrintable(page.errorMessage));
    QCOMPARE(page.result.value(u"total").toInt(), Requests);
    QVERIFY(page.result.value(u"end").toBool());
    QHash<QString, QString> verdicts;
    for (const QJsonValue v : page.result.value(u"requests").toArray()) {
        const QJsonObject o = v.toObject();
        QVERIFY2(o.contains(u"compare"), qPrintable(QString::fromUtf8(QJsonDocument(o).toJson())));
        verdicts.insert(
                u"%1:%2"_s.arg(o.value(u"id").toInteger()).arg(o.value(u"index").toInteger()),
                o.value(u"compare").toObject().value(u"verdict").toString());
    }
    for (int r = 0; r < model->rowCount(); ++r)
        QCOMPARE(model->verdictOf(r),
                 verdicts.value(u"%1:%2"_s.arg(model->connectionId(r))
                                        .arg(model->index(r, 0)
                                                     .data(RequestTableModel::ExchangeIndexRole)
                                                     .toInt())));
    const qint64 firstConnection = model->connectionId(0);
    const auto one = call(u"session.requests"_s,
                          {{u"id"_s, m_session}, {u"connection"_s, firstConnection}});
    QCOMPARE(one.result.value(u"total").toInt(), RequestsPerConnection);
    const auto differ = call(u"session.requests"_s,
                             {{u"id"_s, m_session}, {u"verdict"_s, u"differ"_s}, {u"limit"_s, 0}});
    int differing = 0;
    for (const QString &v : std::as_const(verdicts))
        differing += RequestTableModel::verdictGroup(v) == u"differ" ? 1 : 0;
    QCOMPARE(differ.result.value(u"total").toInt(), differing);

    // The route strip shows the session's comparison counts.
    QTRY_VERIFY(pane->routeStrip()->isVisible());
    QVERIFY2(pane->routeStrip()->text().contains(u"Compared %1"_s.arg(Requests)),
             qPrintable(pane->routeStrip()->text()));

    // The connections table has the HTTP columns, with each connection's requests.
    QTRY_COMPARE_WITH_TIMEOUT(window.connectionModel()->rowCount(), Connections, 20000);
    QVERIFY(window.connectionModel()->hasHttp());
    QTableView *connections = window.findChild<QTableView *>(u"connectionsView"_s);
    QVERIFY(!connections->isColumnHidden(podtap::ConnectionTableModel::HttpRequests));
    for (int r = 0; r < Connections; ++r)
        QCOMPARE(window.connectionModel()
                         ->index(r, podtap::ConnectionTableModel::HttpRequests)
                         .data()
                         .toString(),
                 QString::number(RequestsPerConnection));

    // Select a differing request (else any): the diff view shows both sides.
    int row = 0;
    for (int r = 0; r < model->rowCount(); ++r)
        if (RequestTableModel::verdictGroup(model->verdictOf(r)) == u"differ") {
            row = r;
            break;
        }
    QTableView *view = pane->view();
    view->selectRow(pane->filter()->mapFromSource(model->index(row, 0)).row());
    podtap::RequestDiffView *diff = pane->diffView();
    QTRY_COMPARE(diff->request().value(u"id").toInteger(), model->connectionId(row));
    QVERIFY(diff->podPane()->toPlainText().contains(u"Pod (captured)"_s));
    QVERIFY(diff->localPane()->toPlainText().contains(u"Local (mirrored)"_s));
    QVERIFY(!podtap::test::saveScreenshot(&window, u"requests"_s).isEmpty());
    QVERIFY(!podtap::test::saveScreenshot(diff, u"request-diff"_s).isEmpty());

    // The verdict filter narrows the table.
    pane->verdictFilter()->setCurrentIndex(pane->verdictFilter()->findData(u"differ"_s));
    QCOMPARE(pane->filter()->rowCount(), differing);
    pane->verdictFilter()->setCurrentIndex(0);

    // Follow stream: the pod side's bytes, in the packet pane.
    diff->followButton()->click();
    podtap::PacketPane *packets = window.packetPane();
    QCOMPARE(packets->tabs()->currentIndex(), int(podtap::PacketPane::StreamTab));
    QTRY_VERIFY_WITH_TIMEOUT(packets->streamView()->toPlainText().contains(u"HTTP/1.1"_s), 15000);
    QCOMPARE(packets->streamView()->stream().value(u"connection").toInteger(),
             model->connectionId(row));

    const auto stopped = call(u"session.stop"_s, {{u"id"_s, m_session}});
    QVERIFY2(stopped.ok, qPrintable(stopped.errorMessage));
}

void TestRequestsView::storedSession()
{
    if (m_session.isEmpty())
        QSKIP("no session (liveRequestsTab failed)");
    // A late viewer of a stored session: everything pages in from the store.
    podtap::RequestTableModel model;
    QAbstractItemModelTester t(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    podtap::RequestFeed feed(m_link.get(), &model);
    feed.setSession(m_session, false);
    QTRY_VERIFY(!feed.isLoading());
    QTRY_COMPARE(model.rowCount(), Requests);
    for (int r = 0; r < model.rowCount(); ++r)
        QVERIFY(!model.verdictOf(r).isEmpty());
    QVERIFY(model.hasVerdicts());
}

QTEST_MAIN(TestRequestsView)
#include "tst_requestsview.moc"
