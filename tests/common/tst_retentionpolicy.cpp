// The store's retention: sizes and durations with units (refused, never read as 0, when
// malformed) and which stopped sessions go first.
#include "retentionpolicy.h"

#include <QJsonObject>
#include <QTest>

using namespace podtap;

class TestRetentionPolicy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sizes_data();
    void sizes();
    void durations_data();
    void durations();
    void textsRoundTrip();
    void jsonUpdate();
    void ageRemovesOnlyOldStopped();
    void quotaRemovesOldestStoppedFirst();
    void runningNeverRemoved();
    void noLimits();
};

void TestRetentionPolicy::sizes_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("bytes"); // -1: refused
    QTest::addRow("bytes") << "123" << qint64(123);
    QTest::addRow("K") << "4K" << qint64(4096);
    QTest::addRow("M") << "500M" << qint64(500) * 1024 * 1024;
    QTest::addRow("G") << "10G" << (qint64(10) << 30);
    QTest::addRow("GiB") << "2GiB" << (qint64(2) << 30);
    QTest::addRow("GB") << "2gb" << (qint64(2) << 30);
    QTest::addRow("fraction") << "1.5G" << (qint64(3) << 29);
    QTest::addRow("T") << "1T" << (qint64(1) << 40);
    QTest::addRow("off") << "off" << qint64(0);
    QTest::addRow("zero") << "0" << qint64(0);
    QTest::addRow("spaces") << " 7 M " << qint64(7) * 1024 * 1024;
    QTest::addRow("empty") << "" << qint64(-1);
    QTest::addRow("unit only") << "G" << qint64(-1);
    QTest::addRow("bad unit") << "10X" << qint64(-1);
    QTest::addRow("negative") << "-5G" << qint64(-1);
    QTest::addRow("words") << "lots" << qint64(-1);
    QTest::addRow("iB without unit") << "5iB" << qint64(-1);
    QTest::addRow("below a byte") << "0.1" << qint64(-1);
    QTest::addRow("huge") << "99999999T" << qint64(-1);
}

void TestRetentionPolicy::sizes()
{
    QFETCH(QString, text);
    QFETCH(qint64, bytes);
    const auto r = RetentionPolicy::parseSize(text);
    if (bytes < 0) {
        QVERIFY2(!r, qPrintable(text));
        // The message quotes what was refused.
        QVERIFY2(r.error().contains(QLatin1Char('\'') + text + QLatin1Char('\'')),
                 qPrintable(r.error()));
    } else {
        QVERIFY2(r, qPrintable(r.error()));
        QCOMPARE(r.value(), bytes);
    }
}

void TestRetentionPolicy::durations_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("secs"); // -1: refused
    QTest::addRow("seconds") << "30s" << qint64(30);
    QTest::addRow("minutes") << "5m" << qint64(300);
    QTest::addRow("hours") << "12h" << qint64(12 * 3600);
    QTest::addRow("days") << "7d" << qint64(7 * 86400);
    QTest::addRow("weeks") << "2w" << qint64(14 * 86400);
    QTest::addRow("fraction") << "1.5h" << qint64(5400);
    QTest::addRow("upper") << "3D" << qint64(3 * 86400);
    QTest::addRow("off") << "off" << qint64(0);
    QTest::addRow("bare number") << "7" << qint64(-1);
    QTest::addRow("empty") << "" << qint64(-1);
    QTest::addRow("months") << "1mo" << qint64(-1);
    QTest::addRow("negative") << "-1d" << qint64(-1);
    QTest::addRow("below a second") << "0.1s" << qint64(-1);
}

void TestRetentionPolicy::durations()
{
    QFETCH(QString, text);
    QFETCH(qint64, secs);
    const auto r = RetentionPolicy::parseDuration(text);
    if (secs < 0) {
        QVERIFY2(!r, qPrintable(text));
        QVERIFY(!r.error().isEmpty());
    } else {
        QVERIFY2(r, qPrintable(r.error()));
        QCOMPARE(r.value(), secs);
    }
}

void TestRetentionPolicy::textsRoundTrip()
{
    for (const char *t : {"2G", "300M", "1.5G", "7K", "off"})
        QCOMPARE(RetentionPolicy::sizeText(RetentionPolicy::parseSize(QLatin1String(t)).value()),
                 QLatin1String(t));
    for (const char *t : {"7d", "90m", "12h", "14d", "45s", "off"})
        QCOMPARE(RetentionPolicy::durationText(
                         RetentionPolicy::parseDuration(QLatin1String(t)).value()),
                 QLatin1String(t));
    const RetentionPolicy defaults;
    QCOMPARE(defaults.toJson().value(QLatin1String("quota")).toString(), QStringLiteral("2G"));
    QCOMPARE(defaults.toJson().value(QLatin1String("maxAge")).toString(), QStringLiteral("7d"));
}

void TestRetentionPolicy::jsonUpdate()
{
    const RetentionPolicy defaults;
    auto p = defaults.updated(QJsonObject{{QStringLiteral("quota"), QStringLiteral("10G")}});
    QVERIFY2(p, qPrintable(p.error()));
    QCOMPARE(p->quotaBytes, qint64(10) << 30);
    QCOMPARE(p->maxAgeSecs, RetentionPolicy::DefaultMaxAgeSecs);
    p = defaults.updated(QJsonObject{{QStringLiteral("maxAgeSecs"), 60}});
    QVERIFY(p);
    QCOMPARE(p->maxAgeSecs, qint64(60));
    QVERIFY(!defaults.updated(QJsonObject{{QStringLiteral("quota"), QStringLiteral("big")}}));
    QVERIFY(!defaults.updated(QJsonObject{{QStringLiteral("maxAge"), 7}}));
    QVERIFY(!defaults.updated(QJsonObject{{QStringLiteral("quotaBytes"), -1}}));
    QVERIFY(!defaults.updated(QJsonObject{{QStringLiteral("maxAgeSecs"), QStringLiteral("7d")}}));
}

namespace {
const QDateTime Now = QDateTime(QDate(2026, 12, 6), QTime(12, 0), Qt::UTC);

RetentionPolicy::Candidate stopped(const char *id, int endedDaysAgo, qint64 bytes)
{
    RetentionPolicy::Candidate c;
    c.id = QLatin1String(id);
    c.ended = Now.addDays(-endedDaysAgo);
    c.started = c.ended.addSecs(-60);
    c.diskBytes = bytes;
    return c;
}

QStringList ids(const QList<RetentionPolicy::Removal> &r)
{
    QStringList out;
    for (const auto &x : r)
        out << x.id;
    return out;
}
} // namespace

void TestRetentionPolicy::ageRemovesOnlyOldStopped()
{
    RetentionPolicy p;
    p.quotaBytes = 0;
    p.maxAgeSecs = 7 * 86400;
    const auto r = p.select(
            {stopped("3", 1, 10), stopped("1", 30, 10), stopped("2", 8, 10), stopped("4", 6, 10)},
            Now);
    QCOMPARE(ids(r), (QStringList{QStringLiteral("1"), QStringLiteral("2")}));
    QVERIFY2(r.constFirst().reason.contains(QLatin1String("7d")), qPrintable(r.first().reason));
}

void TestRetentionPolicy::quotaRemovesOldestStoppedFirst()
{
    RetentionPolicy p;
    p.maxAgeSecs = 0;
    p.quotaBytes = 250;
    // 400 bytes in all: the two oldest go (300 → 200 ≤ 250 after the second).
    const auto r = p.select({stopped("a", 1, 100), stopped("b", 3, 100), stopped("c", 2, 100),
                             stopped("d", 0, 100)},
                            Now);
    QCOMPARE(ids(r), (QStringList{QStringLiteral("b"), QStringLiteral("c")}));
    QVERIFY2(r.constFirst().reason.contains(QLatin1String("quota")), qPrintable(r.first().reason));
    // Exactly at the quota: nothing goes.
    p.quotaBytes = 400;
    QVERIFY(p.select({stopped("a", 1, 100), stopped("b", 3, 300)}, Now).isEmpty());
}

void TestRetentionPolicy::runningNeverRemoved()
{
    RetentionPolicy p;
    p.quotaBytes = 100;
    p.maxAgeSecs = 86400;
    RetentionPolicy::Candidate running;
    running.id = QStringLiteral("live");
    running.started = Now.addDays(-30); // old and big, but still capturing
    running.diskBytes = 1000;
    running.running = true;
    const auto r = p.select({running, stopped("old", 2, 10), stopped("new", 0, 10)}, Now);
    // The running one counts towards the quota, so every stopped session goes, but it stays.
    QCOMPARE(ids(r), (QStringList{QStringLiteral("old"), QStringLiteral("new")}));
}

void TestRetentionPolicy::noLimits()
{
    RetentionPolicy p;
    p.quotaBytes = 0;
    p.maxAgeSecs = 0;
    QVERIFY(p.select({stopped("a", 400, qint64(1) << 40)}, Now).isEmpty());
}

QTEST_GUILESS_MAIN(TestRetentionPolicy)
#include "tst_retentionpolicy.moc"
