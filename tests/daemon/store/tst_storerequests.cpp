// session.requests' store side (StoreQueries::requests): http.jsonl joined with compare.jsonl
// by (connection id, exchange index), written by the real SessionSpool, then filtered by
// connection, verdict and route and paged.
#include "store/sessionspool.h"
#include "store/storedsession.h"
#include "store/storequeries.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap;
using namespace Qt::StringLiterals;

namespace {
QJsonObject exchange(qint64 id, qint64 index, const QString &method, const QString &target,
                     int status)
{
    return {{u"id"_s, id},
            {u"index"_s, index},
            {u"method"_s, method},
            {u"target"_s, target},
            {u"route"_s, QString(method + u' ' + target)},
            {u"tsNs"_s, 1000 * id + index},
            {u"requestBytes"_s, 0},
            {u"status"_s, status},
            {u"responseBytes"_s, 12},
            {u"latencyUs"_s, 250.5}};
}

QJsonObject verdict(qint64 id, qint64 index, const QString &kind, const QString &target)
{
    return {{u"id"_s, id},
            {u"index"_s, index},
            {u"verdict"_s, kind},
            {u"method"_s, u"GET"_s},
            {u"target"_s, target},
            {u"route"_s, QString(u"GET "_s + target)},
            {u"podStatus"_s, 200},
            {u"localStatus"_s, kind == u"status" ? 500 : 200},
            {u"podLatencyUs"_s, 250.5}};
}

QStringList keys(const QJsonArray &rows)
{
    QStringList out;
    for (const QJsonValue v : rows)
        out << u"%1:%2"_s.arg(v[u"id"].toInteger()).arg(v[u"index"].toInteger());
    return out;
}
} // namespace

class TestStoreRequests : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void query_data();
    void query();
    void joinedRecord();
    void badParams();
    void noHttpYet();

private:
    QTemporaryDir m_dir;
    QString m_session;
};

void TestStoreRequests::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_session = m_dir.filePath(u"1"_s);
    SessionSpool spool;
    const auto created = spool.create(m_session, {{u"target"_s, u"shop/web:8080"_s}}, {}, {});
    QVERIFY2(created, qPrintable(created.error()));
    // A verdict may be stored before its exchange's line (both are batched): order-free join.
    spool.appendCompare(verdict(2, 0, u"body"_s, u"/a"_s));
    spool.appendHttp(exchange(1, 0, u"GET"_s, u"/a"_s, 200));
    spool.appendHttp(exchange(1, 1, u"POST"_s, u"/b"_s, 500));
    spool.appendCompare(verdict(1, 0, u"same"_s, u"/a"_s));
    spool.appendHttp(exchange(2, 0, u"GET"_s, u"/a"_s, 200));
    spool.appendCompare(verdict(1, 1, u"status"_s, u"/b"_s));
    spool.appendHttp(exchange(2, 1, u"GET"_s, u"/c"_s, 404)); // not compared
    // Compared, but its exchange is not in http.jsonl (e.g. written before a crash).
    spool.appendCompare(verdict(3, 0, u"local-timeout"_s, u"/d"_s));
    spool.close(u"stopped"_s);
    // A line cut by a crash mid-write is not a request.
    QFile http(m_session + u"/http.jsonl"_s);
    QVERIFY(http.open(QIODevice::Append));
    http.write(R"({"id":9,"index":0,"method":"GET)");
}

void TestStoreRequests::query_data()
{
    QTest::addColumn<QJsonObject>("params");
    QTest::addColumn<QStringList>("expected");
    QTest::addColumn<int>("total");
    QTest::addColumn<bool>("end");

    const QStringList all{u"1:0"_s, u"1:1"_s, u"2:0"_s, u"2:1"_s, u"3:0"_s};
    QTest::addRow("all") << QJsonObject{} << all << 5 << true;
    QTest::addRow("first page") << QJsonObject{{u"limit"_s, 2}} << all.mid(0, 2) << 5 << false;
    QTest::addRow("middle page") << QJsonObject{{u"offset"_s, 1}, {u"limit"_s, 2}} << all.mid(1, 2)
                                 << 5 << false;
    QTest::addRow("last page") << QJsonObject{{u"offset"_s, 4}, {u"limit"_s, 10}} << all.mid(4) << 5
                               << true;
    QTest::addRow("past the end") << QJsonObject{{u"offset"_s, 9}} << QStringList() << 5 << true;
    QTest::addRow("connection") << QJsonObject{{u"connection"_s, 2}}
                                << QStringList{u"2:0"_s, u"2:1"_s} << 2 << true;
    QTest::addRow("same") << QJsonObject{{u"verdict"_s, u"same"_s}} << QStringList{u"1:0"_s} << 1
                          << true;
    QTest::addRow("differ") << QJsonObject{{u"verdict"_s, u"differ"_s}}
                            << QStringList{u"1:1"_s, u"2:0"_s} << 2 << true;
    QTest::addRow("not compared") << QJsonObject{{u"verdict"_s, u"none"_s}} << QStringList{u"2:1"_s}
                                  << 1 << true;
    QTest::addRow("orphan verdict") << QJsonObject{{u"verdict"_s, u"local-timeout"_s}}
                                    << QStringList{u"3:0"_s} << 1 << true;
    QTest::addRow("verdict list") << QJsonObject{{u"verdict"_s, QJsonArray{u"same"_s, u"none"_s}}}
                                  << QStringList{u"1:0"_s, u"2:1"_s} << 2 << true;
    QTest::addRow("route") << QJsonObject{{u"route"_s, u"GET /a"_s}}
                           << QStringList{u"1:0"_s, u"2:0"_s} << 2 << true;
    QTest::addRow("route and verdict")
            << QJsonObject{{u"route"_s, u"GET /a"_s}, {u"verdict"_s, u"differ"_s}}
            << QStringList{u"2:0"_s} << 1 << true;
    QTest::addRow("method, any case")
            << QJsonObject{{u"method"_s, u"post"_s}} << QStringList{u"1:1"_s} << 1 << true;
    QTest::addRow("method and verdict")
            << QJsonObject{{u"method"_s, u"GET"_s}, {u"verdict"_s, u"differ"_s}}
            << QStringList{u"2:0"_s} << 1 << true;
    QTest::addRow("unknown connection")
            << QJsonObject{{u"connection"_s, 77}} << QStringList() << 0 << true;
}

void TestStoreRequests::query()
{
    QFETCH(QJsonObject, params);
    QFETCH(QStringList, expected);
    QFETCH(int, total);
    QFETCH(bool, end);
    // The same parsing as SessionManager::requests.
    StoreQueries::RequestQuery q;
    q.offset = params.value(u"offset").toInteger(0);
    q.limit = params.value(u"limit").toInt(1000);
    q.connection = params.value(u"connection").toInteger(-1);
    const QJsonValue v = params.value(u"verdict");
    for (const QJsonValue name : v.isArray() ? v.toArray() : QJsonArray{v})
        if (!name.toString().isEmpty())
            q.verdicts.insert(name.toString());
    q.route = params.value(u"route").toString();
    q.method = params.value(u"method").toString();
    const auto session = StoredSession::open(m_session);
    QVERIFY2(session, qPrintable(session.error()));
    const auto r = StoreQueries::requests(session.value(), q);
    QVERIFY2(r, qPrintable(r.error()));
    QCOMPARE(keys(r->value(u"requests").toArray()), expected);
    QCOMPARE(r->value(u"total").toInt(), total);
    QCOMPARE(r->value(u"end").toBool(), end);
    QCOMPARE(r->value(u"next").toInteger(), std::min<qint64>(total, q.offset + expected.size()));
    QCOMPARE(r->value(u"compared").toInt(), 4);
}

void TestStoreRequests::joinedRecord()
{
    const auto session = StoredSession::open(m_session);
    QVERIFY(session);
    const auto r = StoreQueries::requests(session.value(), {});
    QVERIFY(r);
    const QJsonArray rows = r->value(u"requests").toArray();
    QCOMPARE(rows.size(), 5);
    const QJsonObject post = rows.at(1).toObject();
    QCOMPARE(post.value(u"method").toString(), u"POST"_s);
    QCOMPARE(post.value(u"status").toInt(), 500);
    QCOMPARE(post.value(u"latencyUs").toDouble(), 250.5);
    QCOMPARE(post.value(u"compare").toObject().value(u"verdict").toString(), u"status"_s);
    QCOMPARE(post.value(u"compare").toObject().value(u"localStatus").toInt(), 500);
    QVERIFY(!rows.at(3).toObject().contains(u"compare"));
    const QJsonObject orphan = rows.at(4).toObject();
    QCOMPARE(orphan.value(u"target").toString(), u"/d"_s);
    QVERIFY(!orphan.contains(u"status"));
    QCOMPARE(orphan.value(u"compare").toObject().value(u"verdict").toString(), u"local-timeout"_s);
}

void TestStoreRequests::badParams()
{
    const auto session = StoredSession::open(m_session);
    QVERIFY(session);
    StoreQueries::RequestQuery q;
    q.limit = StoreQueries::MaxRequestsPerPage + 1;
    const auto tooMany = StoreQueries::requests(session.value(), q);
    QVERIFY(!tooMany);
    QVERIFY2(tooMany.error().contains(u"limit must be 0 to 10000"_s), qPrintable(tooMany.error()));
    q = {};
    q.offset = -1;
    QVERIFY(!StoreQueries::requests(session.value(), q));
}

void TestStoreRequests::noHttpYet()
{
    // A session that has seen no HTTP has neither file: an empty answer, not an error.
    const QString dir = m_dir.filePath(u"2"_s);
    SessionSpool spool;
    QVERIFY(spool.create(dir, {{u"target"_s, u"shop/db:5432"_s}}, {}, {}));
    spool.flush();
    const auto session = StoredSession::open(dir);
    QVERIFY2(session, qPrintable(session.error()));
    const auto r = StoreQueries::requests(session.value(), {});
    QVERIFY2(r, qPrintable(r.error()));
    QCOMPARE(r->value(u"total").toInt(), 0);
    QVERIFY(r->value(u"end").toBool());
    QVERIFY(r->value(u"requests").toArray().isEmpty());
}

QTEST_GUILESS_MAIN(TestStoreRequests)
#include "tst_storerequests.moc"
