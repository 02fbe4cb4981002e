// Sizes and durations with units: every flag and config key that takes one parses it here,
// so garbage, negatives, overflow and empty text must be refused with a message, never 0.
#include "portnumber.h"
#include "units.h"

#include <QTest>

#include <limits>

using namespace podtap;

class TestUnits : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sizes_data();
    void sizes();
    void durations_data();
    void durations();
    void bareDurations_data();
    void bareDurations();
    void wholeSeconds_data();
    void wholeSeconds();
    void sizeMessageNamesTheUnits();
    void ports_data();
    void ports();
    void readableText_data();
    void readableText();
};

namespace {
constexpr qint64 Refused = -1;
constexpr qint64 KiB = 1024;
constexpr qint64 MiB = KiB * 1024;
constexpr qint64 GiB = MiB * 1024;
constexpr qint64 Max = std::numeric_limits<qint64>::max();
} // namespace

void TestUnits::sizes_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("bytes");
    QTest::addRow("bytes") << "1024" << qint64(1024);
    QTest::addRow("zero") << "0" << qint64(0);
    QTest::addRow("B") << "77B" << qint64(77);
    QTest::addRow("k") << "64k" << 64 * KiB;
    QTest::addRow("K") << "64K" << 64 * KiB;
    QTest::addRow("KB") << "64KB" << 64 * KiB;
    QTest::addRow("Ki") << "64Ki" << 64 * KiB;
    QTest::addRow("KiB") << "64KiB" << 64 * KiB;
    QTest::addRow("M") << "512M" << 512 * MiB;
    QTest::addRow("Mi") << "512Mi" << 512 * MiB;
    QTest::addRow("MiB") << "512MiB" << 512 * MiB;
    QTest::addRow("mib lower") << "512mib" << 512 * MiB;
    QTest::addRow("G") << "10G" << 10 * GiB;
    QTest::addRow("Gi") << "10Gi" << 10 * GiB;
    QTest::addRow("GiB") << "10GiB" << 10 * GiB;
    QTest::addRow("T") << "3T" << 3 * GiB * KiB;
    QTest::addRow("P") << "1P" << GiB * MiB;
    QTest::addRow("E") << "7E" << 7 * GiB * GiB;
    QTest::addRow("fraction") << "1.5G" << 3 * GiB / 2;
    QTest::addRow("fraction rounded down") << "1.3K" << qint64(1331); // 1331.2
    QTest::addRow("space before unit") << "5 M" << 5 * MiB;
    QTest::addRow("surrounding spaces") << "  8k  " << 8 * KiB;
    QTest::addRow("largest") << "9223372036854775807" << Max;
    QTest::addRow("largest in units") << "8191P" << 8191 * GiB * MiB;
    QTest::addRow("leading zeros") << "007M" << 7 * MiB;
    // Refused.
    QTest::addRow("empty") << "" << Refused;
    QTest::addRow("spaces only") << "   " << Refused;
    QTest::addRow("unknown unit") << "10X" << Refused;
    QTest::addRow("unit only") << "G" << Refused;
    QTest::addRow("negative") << "-5M" << Refused;
    QTest::addRow("plus sign") << "+5M" << Refused;
    QTest::addRow("words") << "lots" << Refused;
    QTest::addRow("two units") << "5MG" << Refused;
    QTest::addRow("i without unit") << "5iB" << Refused;
    QTest::addRow("trailing garbage") << "5M!" << Refused;
    QTest::addRow("two numbers") << "5 5" << Refused;
    QTest::addRow("dot without digits") << "5.M" << Refused;
    QTest::addRow("leading dot") << ".5M" << Refused;
    QTest::addRow("hex") << "0x10" << Refused;
    QTest::addRow("exponent") << "1e6" << Refused;
    QTest::addRow("fraction of a byte") << "1.5" << Refused;
    QTest::addRow("comma") << "1,5G" << Refused;
    QTest::addRow("overflow bytes") << "9223372036854775808" << Refused;
    QTest::addRow("overflow many digits") << "99999999999999999999999999999" << Refused;
    QTest::addRow("overflow E") << "8E" << Refused;
    QTest::addRow("overflow P") << "8192P" << Refused;
    QTest::addRow("just below 8E") << "7.999999999999999999E" << Max - 1;
    QTest::addRow("overflow fraction") << "8.0E" << Refused;
    QTest::addRow("overflow T") << "99999999T" << Refused;
    QTest::addRow("arabic digits") << QStringLiteral("\u0661\u0662M") << Refused;
}

void TestUnits::sizes()
{
    QFETCH(QString, text);
    QFETCH(qint64, bytes);
    const auto r = Units::parseSize(text);
    if (bytes == Refused) {
        QVERIFY2(!r, qPrintable(QStringLiteral("'%1' gave %2").arg(text).arg(r ? r.value() : 0)));
        QVERIFY2(r.error().startsWith(QStringLiteral("invalid size '") + text + QLatin1Char('\'')),
                 qPrintable(r.error()));
    } else {
        QVERIFY2(r, qPrintable(r.error()));
        QCOMPARE(r.value(), bytes);
    }
}

void TestUnits::durations_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("ms");
    QTest::addRow("ms") << "250ms" << qint64(250);
    QTest::addRow("s") << "90s" << qint64(90'000);
    QTest::addRow("m") << "5m" << qint64(300'000);
    QTest::addRow("h") << "2h" << qint64(7'200'000);
    QTest::addRow("d") << "7d" << qint64(7 * 86'400'000LL);
    QTest::addRow("w") << "2w" << qint64(14 * 86'400'000LL);
    QTest::addRow("upper") << "3H" << qint64(3 * 3'600'000LL);
    QTest::addRow("compound") << "1h30m" << qint64(5'400'000);
    QTest::addRow("compound three") << "2m30s500ms" << qint64(150'500);
    QTest::addRow("compound days") << "1d12h" << qint64(36 * 3'600'000LL);
    QTest::addRow("fraction") << "1.5h" << qint64(5'400'000);
    QTest::addRow("fraction of a second") << "0.25s" << qint64(250);
    QTest::addRow("zero") << "0s" << qint64(0);
    QTest::addRow("spaces around") << " 10s " << qint64(10'000);
    QTest::addRow("largest") << "9223372036854775807ms" << Max;
    // Refused.
    QTest::addRow("empty") << "" << Refused;
    QTest::addRow("bare number") << "5" << Refused;
    QTest::addRow("unknown unit") << "5y" << Refused;
    QTest::addRow("unit only") << "h" << Refused;
    QTest::addRow("negative") << "-5m" << Refused;
    QTest::addRow("garbage") << "soon" << Refused;
    QTest::addRow("trailing number") << "1h30" << Refused;
    QTest::addRow("smaller unit first") << "30m1h" << Refused;
    QTest::addRow("unit twice") << "1m1m" << Refused;
    QTest::addRow("space inside") << "1h 30m" << Refused;
    QTest::addRow("trailing garbage") << "5s!" << Refused;
    QTest::addRow("words as unit") << "5 minutes" << Refused;
    QTest::addRow("overflow ms") << "9223372036854775808ms" << Refused;
    QTest::addRow("overflow weeks") << "99999999999999w" << Refused;
    QTest::addRow("overflow sum") << "15250w9223372036854775807ms" << Refused;
    QTest::addRow("overflow digits") << "123456789012345678901234567890s" << Refused;
}

void TestUnits::durations()
{
    QFETCH(QString, text);
    QFETCH(qint64, ms);
    const auto r = Units::parseDuration(text);
    if (ms == Refused) {
        QVERIFY2(!r, qPrintable(QStringLiteral("'%1' gave %2").arg(text).arg(r ? r.value() : 0)));
        QVERIFY2(r.error().startsWith(QStringLiteral("invalid duration '") + text
                                      + QLatin1Char('\'')),
                 qPrintable(r.error()));
    } else {
        QVERIFY2(r, qPrintable(r.error()));
        QCOMPARE(r.value(), ms);
    }
}

void TestUnits::bareDurations_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("bare");
    QTest::addColumn<qint64>("ms");
    const int sec = int(Units::BareNumber::Seconds);
    const int milli = int(Units::BareNumber::Milliseconds);
    QTest::addRow("seconds") << "30" << sec << qint64(30'000);
    QTest::addRow("seconds fraction") << "1.5" << sec << qint64(1'500);
    QTest::addRow("milliseconds") << "30" << milli << qint64(30);
    QTest::addRow("unit still wins") << "2m" << sec << qint64(120'000);
    QTest::addRow("bare after a unit") << "1m30" << sec << Refused;
    QTest::addRow("negative seconds") << "-1" << sec << Refused;
    QTest::addRow("empty seconds") << "" << sec << Refused;
    QTest::addRow("overflow seconds") << "9223372036854776" << sec << Refused;
}

void TestUnits::bareDurations()
{
    QFETCH(QString, text);
    QFETCH(int, bare);
    QFETCH(qint64, ms);
    const auto r = Units::parseDuration(text, Units::BareNumber(bare));
    if (ms == Refused) {
        QVERIFY2(!r, qPrintable(text));
        QVERIFY2(r.error().contains(QLatin1Char('\'') + text + QLatin1Char('\'')),
                 qPrintable(r.error()));
    } else {
        QVERIFY2(r, qPrintable(r.error()));
        QCOMPARE(r.value(), ms);
    }
}

void TestUnits::wholeSeconds_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("secs");
    QTest::addRow("bare") << "5" << qint64(5);
    QTest::addRow("minutes") << "5m" << qint64(300);
    QTest::addRow("compound") << "1h30m" << qint64(5400);
    QTest::addRow("ms whole") << "2000ms" << qint64(2);
    QTest::addRow("zero") << "0" << qint64(0);
    QTest::addRow("ms not whole") << "1500ms" << Refused;
    QTest::addRow("fraction not whole") << "1.5" << Refused;
    QTest::addRow("garbage") << "5x" << Refused;
}

void TestUnits::wholeSeconds()
{
    QFETCH(QString, text);
    QFETCH(qint64, secs);
    const auto r = Units::parseSeconds(text);
    if (secs == Refused) {
        QVERIFY2(!r, qPrintable(text));
        QVERIFY2(r.error().startsWith(QStringLiteral("invalid duration '") + text
                                      + QLatin1Char('\'')),
                 qPrintable(r.error()));
    } else {
        QVERIFY2(r, qPrintable(r.error()));
        QCOMPARE(r.value(), secs);
    }
}

void TestUnits::sizeMessageNamesTheUnits()
{
    const auto r = Units::parseSize(QStringLiteral("10X"));
    QVERIFY(!r);
    QCOMPARE(r.error(),
             QStringLiteral("invalid size '10X': expected a number with an optional unit (k, M, "
                            "G, …)"));
}

void TestUnits::ports_data()
{
    // Ports are not units, but they are the other number every command takes: the same
    // rule, garbage is refused and never becomes 0 ("any port").
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("port");
    QTest::addRow("lowest") << "1" << 1;
    QTest::addRow("http") << "8080" << 8080;
    QTest::addRow("highest") << "65535" << 65535;
    QTest::addRow("spaces") << " 443 " << 443;
    QTest::addRow("zero") << "0" << -1;
    QTest::addRow("too big") << "65536" << -1;
    QTest::addRow("far too big") << "4294967377" << -1;
    QTest::addRow("suffix") << "80x" << -1;
    QTest::addRow("negative") << "-80" << -1;
    QTest::addRow("plus") << "+80" << -1;
    QTest::addRow("empty") << "" << -1;
    QTest::addRow("name") << "http" << -1;
}

void TestUnits::ports()
{
    QFETCH(QString, text);
    QFETCH(int, port);
    const auto r = PortNumber::parse(text);
    if (port < 0) {
        QVERIFY2(!r, qPrintable(text));
        QCOMPARE(r.error(),
                 QStringLiteral("invalid port '%1': expected a number from 1 to 65535").arg(text));
    } else {
        QVERIFY2(r, qPrintable(r.error()));
        QCOMPARE(int(r.value()), port);
    }
}

void TestUnits::readableText_data()
{
    QTest::addColumn<bool>("isSize");
    QTest::addColumn<double>("value");
    QTest::addColumn<QString>("text");
    QTest::addRow("bytes") << true << 512.0 << "512 B";
    QTest::addRow("KiB") << true << 1229.0 << "1.2 KiB";
    QTest::addRow("MiB") << true << 35651584.0 << "34 MiB";
    QTest::addRow("no size") << true << -1.0 << "-";
    QTest::addRow("µs") << false << 850.4 << "850 µs";
    QTest::addRow("ms") << false << 2520.0 << "2.52 ms";
    QTest::addRow("tens of ms") << false << 12345.0 << "12.3 ms";
    QTest::addRow("s") << false << 4560000.0 << "4.56 s";
    QTest::addRow("minutes") << false << 185e6 << "3 min 05 s";
    QTest::addRow("no latency") << false << -1.0 << "-";
}

void TestUnits::readableText()
{
    QFETCH(bool, isSize);
    QFETCH(double, value);
    QFETCH(QString, text);
    QCOMPARE(isSize ? Units::bytesText(qint64(value)) : Units::latencyText(value), text);
}

QTEST_GUILESS_MAIN(TestUnits)
#include "tst_units.moc"
