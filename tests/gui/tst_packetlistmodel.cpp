// The windowed packet list (PacketListModel) over a source that answers like session.rows
// but computes its rows, so 10 M packets cost nothing to hold: the count comes first, rows
// only when asked for (placeholders meanwhile), one repaint's wishes are fetched together
// and bounded, the cache stays small, new packets are one insertion per poll, a rotated
// store resets the list, failures are reported. The real daemon's session.rows is checked
// in tst_packetviews.
#include "packetlistmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace Qt::StringLiterals;
using podtap::PacketListModel;

namespace {
// A stored session made of arithmetic: packet n has time 1e18 + n µs, connection n / 10 + 1,
// direction n % 2, SYN on every tenth packet. Filters work on the same rule.
struct FakeStore
{
    qint64 first = 0;
    qint64 total = 10'000'000;
    bool fail = false;
    bool running = true;
    int answered = 0;
    QList<PacketListModel::Query> queries;

    bool matches(const PacketListModel::Filter &f, qint64 n) const
    {
        return (f.direction < 0 || n % 2 == f.direction) && (f.flags == 0 || n % 10 == 0);
    }
    PacketListModel::Fetcher fetcher()
    {
        return [this](const PacketListModel::Query &q, QObject *context,
                      PacketListModel::Done done) {
            queries << q;
            // Answered later, as the daemon would.
            QTimer::singleShot(0, context, [this, q, done] {
                ++answered;
                if (fail) {
                    done(podtap::Result<PacketListModel::Page>::failure(u"store unreadable"_s));
                    return;
                }
                PacketListModel::Page p;
                p.first = first;
                p.offset = q.offset;
                p.running = running;
                // Only the unfiltered and the "direction" filter are needed here: each keeps
                // every other packet, so row r is packet first + 2r + direction.
                const bool halved = q.filter.direction >= 0;
                p.total = halved ? total / 2 : total;
                for (qint64 r = q.offset; r < std::min(p.total, q.offset + q.count); ++r) {
                    const qint64 n = first + (halved ? 2 * r + q.filter.direction : r);
                    PacketListModel::Row row;
                    row.number = n;
                    row.tsNs = 1'000'000'000'000'000'000ll + n * 1000;
                    row.connection = n / 10 + 1;
                    row.direction = quint8(n % 2);
                    row.flags = n % 10 == 0 ? 0x02 : 0x10;
                    row.length = quint32(60 + n % 1000);
                    row.info = u"info %1"_s.arg(n);
                    p.rows.push_back(row);
                }
                done(p);
            });
        };
    }
};
} // namespace

class TestPacketListModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void countFirstRowsOnDemand();
    void coalescedBoundedFetches();
    void liveGrowthIsOneInsertion();
    void rotationResets();
    void filterAndFailure();
    void viewScrollsTenMillion();
};

void TestPacketListModel::countFirstRowsOnDemand()
{
    // The tester walks every row: 10 M rows are left to viewScrollsTenMillion.
    FakeStore store;
    store.total = 200'000;
    PacketListModel model(nullptr);
    model.setFetcher(store.fetcher());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy counted(&model, &PacketListModel::counted);
    model.setSource(u"1"_s, {});
    QVERIFY(model.isLoading());
    QCOMPARE(model.rowCount(), 0);
    QTRY_COMPARE(counted.size(), 1);
    QCOMPARE(model.rowCount(), 200'000);
    QCOMPARE(counted.at(0).at(0).toLongLong(), 200'000);
    // The first answer also carried the first page.
    QCOMPARE(model.index(5, PacketListModel::Number).data().toString(), u"5"_s);
    QCOMPARE(model.index(5, PacketListModel::Info).data().toString(), u"info 5"_s);
    QCOMPARE(model.index(10, PacketListModel::Flags).data().toString(), u"S"_s);
    QCOMPARE(model.index(11, PacketListModel::Direction).data().toString(), u"← pod"_s);
    // A row far away: a placeholder, then its page, announced with dataChanged.
    const int far = 154'321;
    const QModelIndex idx = model.index(far, PacketListModel::Info);
    QCOMPARE(idx.data().toString(), u"…"_s);
    QCOMPARE(idx.data(PacketListModel::LoadedRole).toBool(), false);
    QCOMPARE(idx.data(PacketListModel::PacketNumberRole).toLongLong(), -1);
    QCOMPARE(model.packetNumber(far), -1);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QTRY_VERIFY(model.rowAt(far));
    QCOMPARE(idx.data().toString(), u"info %1"_s.arg(far));
    QCOMPARE(model.packetNumber(far), far);
    QVERIFY(!changed.isEmpty());
    const QModelIndex top = changed.constLast().at(0).toModelIndex();
    const QModelIndex bottom = changed.constLast().at(1).toModelIndex();
    QCOMPARE(top.row(), far / PacketListModel::PageSize * PacketListModel::PageSize);
    QCOMPARE(bottom.row(), top.row() + PacketListModel::PageSize - 1);
    QCOMPARE(store.queries.constLast().offset, qint64(top.row()));
    QCOMPARE(store.queries.constLast().count, PacketListModel::PageSize);
    QCOMPARE(model.timeOf(far), 1'000'000'000'000'000'000ll + far * 1000ll);
}

void TestPacketListModel::coalescedBoundedFetches()
{
    FakeStore store;
    PacketListModel model(nullptr);
    model.setFetcher(store.fetcher());
    model.setSource(u"1"_s, {});
    QTRY_VERIFY(model.isCounted());
    const int before = model.requestsSent();
    // A fast scroll touches a thousand pages in one event loop pass: only the latest few are
    // fetched, the newest first.
    for (int p = 0; p < 1000; ++p)
        model.index(p * 9973, PacketListModel::Info).data();
    QCOMPARE(model.requestsSent(), before); // nothing sent from inside data()
    QTRY_VERIFY(!model.isLoading());
    const int sent = model.requestsSent() - before;
    QVERIFY2(sent <= PacketListModel::MaxWanted, qPrintable(QString::number(sent)));
    QVERIFY(sent >= 1);
    QCOMPARE(store.queries.at(before).offset,
             qint64(999 * 9973) / PacketListModel::PageSize * PacketListModel::PageSize);
    QVERIFY(model.rowAt(999 * 9973));
    QVERIFY(!model.rowAt(0 * 9973 + PacketListModel::PageSize * 2));
    // The cache stays bounded however much is visited.
    for (int p = 0; p < 200; ++p) {
        model.fetchRow(p * 50000);
        QTRY_VERIFY(model.rowAt(p * 50000));
    }
    QVERIFY(model.cachedPages() <= PacketListModel::MaxPages);
    QVERIFY(model.cachedPages() >= PacketListModel::MaxPages / 2);
    // The most recently used page survived.
    QVERIFY(model.rowAt(199 * 50000));
}

void TestPacketListModel::liveGrowthIsOneInsertion()
{
    FakeStore store;
    store.total = 1000;
    PacketListModel model(nullptr);
    model.setFetcher(store.fetcher());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setSource(u"1"_s, {}, true);
    QTRY_COMPARE(model.rowCount(), 1000);
    model.fetchRow(999);
    QTRY_VERIFY(model.rowAt(999));
    QVERIFY(!model.rowAt(1000));
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    store.total = 51'000; // 50,000 packets in one poll interval
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 51'000, 3000);
    QCOMPARE(inserted.size(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 1000);
    QCOMPARE(inserted.at(0).at(2).toInt(), 50'999);
    // The page cut at the old end was dropped and announced: it is fetched whole again.
    QVERIFY(!changed.isEmpty());
    model.fetchRow(1000);
    QTRY_VERIFY(model.rowAt(1000));
    QCOMPARE(model.packetNumber(1000), 1000);
    // The session ended: the next poll says so and polling stops.
    QVERIFY(model.isLive());
    store.running = false;
    QTRY_VERIFY_WITH_TIMEOUT(!model.isLive(), 3000);
    model.setLive(true);
    QVERIFY(model.isLive());
    // Not live: no more polling.
    model.setLive(false);
    const int sent = model.requestsSent();
    store.total = 60'000;
    QTest::qWait(PacketListModel::PollMs * 2 + 100);
    QCOMPARE(model.requestsSent(), sent);
    QCOMPARE(model.rowCount(), 51'000);
    model.refresh();
    QTRY_COMPARE(model.rowCount(), 60'000);
}

void TestPacketListModel::rotationResets()
{
    FakeStore store;
    store.total = 5000;
    PacketListModel model(nullptr);
    model.setFetcher(store.fetcher());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setSource(u"1"_s, {});
    QTRY_COMPARE(model.rowCount(), 5000);
    QCOMPARE(model.packetNumber(0), 0);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    store.first = 2000; // the oldest spool file was removed
    store.total = 4000;
    model.refresh();
    QTRY_COMPARE(reset.size(), 1);
    QCOMPARE(model.rowCount(), 4000);
    model.fetchRow(0);
    QTRY_VERIFY(model.rowAt(0));
    QCOMPARE(model.packetNumber(0), 2000);
}

void TestPacketListModel::filterAndFailure()
{
    FakeStore store;
    store.total = 100'000;
    PacketListModel model(nullptr);
    model.setFetcher(store.fetcher());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    PacketListModel::Filter f;
    f.direction = 1;
    model.setSource(u"1"_s, f);
    QTRY_COMPARE(model.rowCount(), 50'000);
    QCOMPARE(store.queries.constLast().filter.direction, 1);
    QCOMPARE(model.index(3, PacketListModel::Direction).data().toString(), u"← pod"_s);
    QCOMPARE(model.packetNumber(3), 7);
    // A new source drops the old one's answers.
    store.fail = true;
    QSignalSpy failed(&model, &PacketListModel::failed);
    model.setSource(u"2"_s, {});
    QTRY_COMPARE(failed.size(), 1);
    QCOMPARE(failed.at(0).at(0).toString(), u"store unreadable"_s);
    QVERIFY(model.isCounted());
    QCOMPARE(model.rowCount(), 0);
    // No daemon at all: said, not hung.
    PacketListModel orphan(nullptr);
    QSignalSpy orphanFailed(&orphan, &PacketListModel::failed);
    orphan.setSource(u"1"_s, {});
    QTRY_COMPARE(orphanFailed.size(), 1);
    QVERIFY(orphanFailed.at(0).at(0).toString().contains(u"daemon"_s));
    QVERIFY(!orphan.isLoading());
    // Empty session id: nothing asked.
    model.setSource(QString(), {});
    QVERIFY(!model.isLoading());
    QCOMPARE(model.rowCount(), 0);
}

void TestPacketListModel::viewScrollsTenMillion()
{
    FakeStore store;
    PacketListModel model(nullptr);
    model.setFetcher(store.fetcher());
    QTableView view;
    view.setModel(&model);
    view.resize(800, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    model.setSource(u"1"_s, {});
    QTRY_COMPARE(model.rowCount(), 10'000'000);
    // The view asks for what it shows; jumping to the end loads only that.
    view.scrollToBottom();
    QTRY_VERIFY(model.rowAt(9'999'999));
    QCOMPARE(model.index(9'999'999, PacketListModel::Number).data().toString(), u"9999999"_s);
    QVERIFY(model.cachedPages() <= 3);
    view.scrollTo(model.index(5'000'000, 0));
    QTRY_VERIFY(model.rowAt(5'000'000));
}

QTEST_MAIN(TestPacketListModel)
#include "tst_packetlistmodel.moc"
