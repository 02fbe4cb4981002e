// Issue 17, part 1, the desktop side: the connections table of a running session against a
// real podtapd capturing kubesim's demo pod orders-0, whose trafficgen client keeps its
// keep-alive connection open for the whole run. ConnectionFeed follows the session as the main
// window does; the open connection appears as a row within 2 s of the first packet and is then
// updated in place (QAbstractItemModelTester watches the model; no row is removed, inserted
// again or reset for an update) with counters that only grow.
#include "connectionfeed.h"
#include "connectiontablemodel.h"
#include "daemonlink.h"
#include "livedaemonfixture.h"
#include "screenshot.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using podtap::ConnectionTableModel;

class TestLiveConnectionsView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();
    void openRowsUpdateInPlace();

private:
    LiveDaemonFixture m_fixture;
};

void TestLiveConnectionsView::initTestCase()
{
    if (const QString why = LiveDaemonFixture::skipReason(); !why.isEmpty())
        QSKIP(qPrintable(why));
    QString error;
    QVERIFY2(m_fixture.start(QStringLiteral(SRCDIR "/../kubesim/scenarios/demo.yaml"), &error),
             qPrintable(error));
}

void TestLiveConnectionsView::cleanup()
{
    m_fixture.noteFailure();
}

void TestLiveConnectionsView::cleanupTestCase()
{
    m_fixture.finish();
}

void TestLiveConnectionsView::openRowsUpdateInPlace()
{
    const std::unique_ptr<podtap::DaemonLink> link = m_fixture.makeLink();
    link->start();
    QTRY_VERIFY(link->isConnected());
    const auto started = LiveDaemonFixture::call(
            link.get(), u"session.start"_s,
            QJsonObject{{u"kubeconfig"_s, QJsonArray{m_fixture.kubesim().kubeconfig()}},
                        {u"namespace"_s, u"shop"_s},
                        {u"target"_s, u"orders-0"_s},
                        {u"port"_s, 9090}});
    QVERIFY2(started.ok, qPrintable(started.errorMessage));
    const QString id = started.result.value(u"session"_s).toObject().value(u"id"_s).toString();
    QVERIFY(!id.isEmpty());

    ConnectionTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    podtap::ConnectionFeed feed(link.get(), &model);
    feed.setSession(id, true);

    auto packets = [&] {
        const auto r
                = LiveDaemonFixture::call(link.get(), u"session.get"_s, QJsonObject{{u"id"_s, id}});
        return r.result.value(u"session"_s).toObject().value(u"packets"_s).toInteger();
    };
    QTRY_VERIFY_WITH_TIMEOUT(packets() > 0, 60000);
    QElapsedTimer sinceCapture;
    sinceCapture.start();
    QTRY_VERIFY_WITH_TIMEOUT(model.rowCount() > 0, 10000);
    const qint64 firstRowMs = sinceCapture.elapsed();
    qInfo("first row %lld ms after the first packet", firstRowMs);
    // The 2 s: events go out every 500 ms, and the first one follows the first packet.
    QVERIFY2(firstRowMs < 2000, qPrintable(u"first row after %1 ms"_s.arg(firstRowMs)));
    QVERIFY(model.index(0, ConnectionTableModel::State).data().toString().contains(u"(open)"_s));
    const qint64 connectionId = model.connectionId(0);

    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    QSignalSpy layout(&model, &QAbstractItemModel::layoutChanged);
    int updatesOfRow = 0;
    connect(&model, &QAbstractItemModel::dataChanged, this,
            [&](const QModelIndex &from, const QModelIndex &to) {
                for (int r = from.row(); r <= to.row(); ++r)
                    updatesOfRow += model.connectionId(r) == connectionId ? 1 : 0;
            });
    auto rowOf = [&] {
        for (int r = 0; r < model.rowCount(); ++r)
            if (model.connectionId(r) == connectionId)
                return r;
        return -1;
    };
    auto packetsOf = [&] {
        return model.index(rowOf(), ConnectionTableModel::Packets)
                .data(ConnectionTableModel::SortRole)
                .toLongLong();
    };
    const qint64 before = packetsOf();
    const int rowsBefore = model.rowCount();
    // 20 requests a second: 4 s bring about three progress updates (one a second at most).
    QList<qint64> seen{before};
    QElapsedTimer window;
    window.start();
    while (window.elapsed() < 4000) {
        QTest::qWait(250);
        QVERIFY2(rowOf() >= 0, "the open connection's row went away");
        if (packetsOf() != seen.constLast())
            seen << packetsOf();
    }
    QVERIFY2(updatesOfRow >= 2,
             qPrintable(u"the open row was updated %1 times in 4 s"_s.arg(updatesOfRow)));
    QVERIFY2(seen.size() >= 3, "the open row's packet count did not keep growing");
    QVERIFY(std::is_sorted(seen.cbegin(), seen.cend()));
    QCOMPARE(model.rowCount(), rowsBefore); // demo's one client: no new connection
    QCOMPARE(removed.count(), 0);
    QCOMPARE(reset.count(), 0);
    QCOMPARE(layout.count(), 0); // unsorted: an update moves no row
    QVERIFY(model.index(rowOf(), ConnectionTableModel::State)
                    .data()
                    .toString()
                    .contains(u"(open)"_s));

    // The open row as the connections table shows it, for the README (scripts/screenshots).
    {
        QTableView view;
        view.setModel(&model);
        view.verticalHeader()->hide();
        view.resize(1280, 110);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QTest::qWait(1200); // one more progress update, drawn
        const QString shot = podtap::test::saveScreenshot(&view, u"live-connections"_s);
        QVERIFY(!shot.isEmpty());
        qInfo("screenshot: %s", qPrintable(shot));
    }

    // Stopped: the same row ends in place.
    const auto stopped
            = LiveDaemonFixture::call(link.get(), u"session.stop"_s, QJsonObject{{u"id"_s, id}});
    QVERIFY2(stopped.ok, qPrintable(stopped.errorMessage));
    QTRY_VERIFY_WITH_TIMEOUT(!model.index(rowOf(), ConnectionTableModel::State)
                                      .data()
                                      .toString()
                                      .contains(u"(open)"_s),
                             20000);
    QCOMPARE(removed.count(), 0);
    QVERIFY(packetsOf() >= seen.constLast());
}

QTEST_MAIN(TestLiveConnectionsView)
#include "tst_liveconnectionsview.moc"
