// What `podtap mirror/replay --compare` prints and writes from the daemon's verdicts.
#include "comparereport.h"

#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap;
using namespace Qt::StringLiterals;

namespace {
QJsonObject verdict(const QString &route, const QString &kind, const QString &target)
{
    return QJsonObject{
            {u"route"_s, route},     {u"verdict"_s, kind},
            {u"method"_s, u"GET"_s}, {u"target"_s, target},
            {u"podStatus"_s, 200},   {u"localStatus"_s, kind == u"status"_s ? 500 : 200}};
}
} // namespace

class TestCompareReport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void examplesNameWhatDiffered_data();
    void examplesNameWhatDiffered();
    void countsRoutesAndReport();
};

void TestCompareReport::examplesNameWhatDiffered_data()
{
    QTest::addColumn<QJsonObject>("record");
    QTest::addColumn<QString>("line");
    QJsonObject h = verdict(u"GET /catalog"_s, u"headers"_s, u"/catalog?page=2"_s);
    h[u"headers"_s] = QJsonArray{u"cache-control"_s, u"x-new"_s};
    h[u"headerValues"_s]
            = QJsonObject{{u"cache-control"_s,
                           QJsonObject{{u"pod"_s, u"max-age=60"_s}, {u"local"_s, u"no-store"_s}}},
                          {u"x-new"_s, QJsonObject{{u"local"_s, u"1"_s}}}};
    QTest::addRow("headers with values")
            << h
            << u"GET /catalog?page=2: header cache-control: max-age=60 → no-store; header "
               "x-new: (absent) → 1"_s;
    QJsonObject b = verdict(u"GET /users/{n}"_s, u"body"_s, u"/users/7"_s);
    b[u"body"_s] = QJsonArray{u"$.a"_s, u"$.b"_s, u"$.c"_s, u"$.d"_s, u"$.e"_s};
    b[u"bodyValues"_s] = QJsonArray{QJsonObject{
            {u"path"_s, u"$.a"_s}, {u"pod"_s, u"\"0150\""_s}, {u"local"_s, u"\"9999\""_s}}};
    QTest::addRow("body paths, bounded")
            << b
            << u"GET /users/7: body $.a: \"0150\" → \"9999\"; body $.b; body $.c; 2 more body "
               "differences"_s;
    QJsonObject s = verdict(u"GET /invoices/{n}"_s, u"status"_s, u"/invoices/3"_s);
    QTest::addRow("status") << s << u"GET /invoices/3: status 200 → 500"_s;
    QJsonObject e = verdict(u"GET /x"_s, u"local-timeout"_s, u"/x"_s);
    e[u"localStatus"_s] = 0;
    e[u"detail"_s] = u"no local answer within 10 s"_s;
    QTest::addRow("timeout") << e << u"GET /x: no local answer within 10 s"_s;
}

void TestCompareReport::examplesNameWhatDiffered()
{
    QFETCH(QJsonObject, record);
    QFETCH(QString, line);
    QCOMPARE(CompareReport::example(record), line);
}

void TestCompareReport::countsRoutesAndReport()
{
    CompareReport r;
    QJsonArray batch;
    for (int i = 0; i < 10; ++i)
        batch.append(verdict(u"GET /a"_s, u"same"_s, u"/a"_s));
    for (int i = 0; i < 7; ++i)
        batch.append(verdict(u"GET /b/{n}"_s, u"status"_s, u"/b/%1"_s.arg(i)));
    r.add(batch);
    QCOMPARE(r.compared(), quint64(17));
    QCOMPARE(r.differing(), quint64(7));
    QTemporaryDir dir;
    const QString path = dir.filePath(u"report.json"_s);
    QString error;
    QVERIFY2(r.write(path, QJsonObject{{u"session"_s, u"4"_s}}, &error), qPrintable(error));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(int(f.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther)), 0);
    const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    QCOMPARE(o[u"session"_s].toString(), u"4"_s);
    QCOMPARE(o[u"totals"_s][u"compared"_s].toInt(), 17);
    QCOMPARE(o[u"totals"_s][u"status"_s].toInt(), 7);
    const QJsonObject b = o[u"routes"_s][u"GET /b/{n}"_s].toObject();
    QCOMPARE(b[u"verdicts"_s][u"status"_s].toInt(), 7);
    QCOMPARE(b[u"examples"_s].toArray().size(), CompareReport::ExamplesPerRoute);
    QVERIFY(!o[u"routes"_s][u"GET /a"_s].toObject().contains(u"examples"_s));
    // A path that cannot be written: an error, not a crash.
    QVERIFY(!r.write(dir.filePath(u"no/such/dir/r.json"_s), {}, &error));
    QVERIFY(error.contains(u"cannot write"_s));
}

QTEST_GUILESS_MAIN(TestCompareReport)
#include "tst_comparereport.moc"
