#include "units.h"

#include <limits>

namespace podtap {

namespace {
using Wide = __int128;
constexpr Wide MaxValue = std::numeric_limits<qint64>::max();
constexpr int MaxFractionDigits = 18;

// A decimal number at the start of `s` ("12", "1.5"): its whole part, fraction digits and
// their count. Returns the characters read (0: no number). `*overflow` when the whole part
// alone exceeds qint64.
struct Decimal
{
    Wide whole = 0;
    Wide fraction = 0;
    Wide fractionScale = 1; // 10^digits kept
    bool overflow = false;
};

qsizetype readDecimal(QStringView s, Decimal *d)
{
    qsizetype i = 0;
    while (i < s.size() && s[i].isDigit() && s[i].unicode() < 128) {
        d->whole = d->whole * 10 + (s[i].unicode() - '0');
        if (d->whole > MaxValue) {
            d->overflow = true;
            d->whole = MaxValue + 1; // keeps the value bounded while the digits run on
        }
        ++i;
    }
    if (i == 0)
        return 0;
    if (i < s.size() && s[i] == QLatin1Char('.')) {
        qsizetype j = i + 1;
        int kept = 0;
        while (j < s.size() && s[j].isDigit() && s[j].unicode() < 128) {
            if (kept < MaxFractionDigits) {
                d->fraction = d->fraction * 10 + (s[j].unicode() - '0');
                d->fractionScale *= 10;
                ++kept;
            }
            ++j;
        }
        if (j == i + 1)
            return 0; // "5." is not a number
        i = j;
    }
    return i;
}

// value × unit, rounded down; -1 when it does not fit in qint64.
Wide scaled(const Decimal &d, Wide unit, bool *exact)
{
    if (d.overflow)
        return -1;
    const Wide whole = d.whole * unit;
    const Wide part = d.fraction * unit;
    *exact = part % d.fractionScale == 0;
    const Wide v = whole + part / d.fractionScale;
    return v > MaxValue ? -1 : v;
}

Wide sizeUnit(QStringView unit)
{
    // "", "B", "K", "KB", "Ki", "KiB" … any case.
    QString u = unit.toString().toUpper();
    if (u.endsWith(QLatin1Char('B')))
        u.chop(1);
    if (u.endsWith(QLatin1Char('I'))) {
        u.chop(1);
        if (u.isEmpty())
            return 0; // "5iB"
    }
    if (u.isEmpty())
        return 1;
    if (u.size() != 1)
        return 0;
    static const QString powers = QStringLiteral("KMGTPE");
    const qsizetype power = powers.indexOf(u.at(0));
    return power < 0 ? 0 : Wide(1) << (10 * (power + 1));
}

Wide durationUnit(QStringView unit)
{
    const QString u = unit.toString().toLower();
    if (u == QLatin1String("ms"))
        return 1;
    if (u == QLatin1String("s"))
        return 1000;
    if (u == QLatin1String("m"))
        return 60 * 1000;
    if (u == QLatin1String("h"))
        return 3600 * 1000;
    if (u == QLatin1String("d"))
        return Wide(86400) * 1000;
    if (u == QLatin1String("w"))
        return Wide(7) * 86400 * 1000;
    return 0;
}

bool isUnitLetter(QChar c)
{
    return c.unicode() < 128 && c.isLetter();
}
} // namespace

QString Units::sizeError(const QString &text)
{
    return QStringLiteral("invalid size '%1': expected a number with an optional unit (k, M, G, "
                          "…)")
            .arg(text);
}

QString Units::durationError(const QString &text, BareNumber bare)
{
    const QString units = QStringLiteral("ms, s, m for minutes, h, d, w");
    switch (bare) {
    case BareNumber::Seconds:
        return QStringLiteral("invalid duration '%1': expected seconds or a number with a unit "
                              "(%2), such as 90s, 5m or 1h30m")
                .arg(text, units);
    case BareNumber::Milliseconds:
        return QStringLiteral("invalid duration '%1': expected milliseconds or a number with a "
                              "unit (%2), such as 250ms, 90s or 1h30m")
                .arg(text, units);
    case BareNumber::Refused:
        break;
    }
    return QStringLiteral("invalid duration '%1': expected a number with a unit (%2), such as "
                          "90s, 5m or 1h30m")
            .arg(text, units);
}

Result<qint64> Units::parseSize(const QString &text)
{
    const QStringView t = QStringView(text).trimmed();
    Decimal d;
    const qsizetype n = readDecimal(t, &d);
    if (n == 0)
        return Result<qint64>::failure(sizeError(text));
    const QStringView unitText = t.mid(n).trimmed();
    const Wide unit = sizeUnit(unitText);
    if (unit == 0)
        return Result<qint64>::failure(sizeError(text));
    bool exact = true;
    const Wide bytes = scaled(d, unit, &exact);
    if (bytes < 0)
        return Result<qint64>::failure(
                QStringLiteral("invalid size '%1': more than the largest size, 8E").arg(text));
    if (unit == 1 && !exact)
        return Result<qint64>::failure(
                QStringLiteral("invalid size '%1': not a whole number of bytes").arg(text));
    return qint64(bytes);
}

Result<qint64> Units::parseDuration(const QString &text, BareNumber bare)
{
    const QStringView t = QStringView(text).trimmed();
    if (t.isEmpty())
        return Result<qint64>::failure(durationError(text, bare));
    Wide total = 0;
    Wide lastUnit = 0; // parts go from the largest unit down, each unit once
    qsizetype i = 0;
    while (i < t.size()) {
        Decimal d;
        const qsizetype n = readDecimal(t.mid(i), &d);
        if (n == 0)
            return Result<qint64>::failure(durationError(text, bare));
        i += n;
        qsizetype u = i;
        while (u < t.size() && isUnitLetter(t[u]))
            ++u;
        Wide unit = 0;
        if (u == i) {
            // A bare number: only alone, and only where the caller gives it a meaning.
            if (i != t.size() || lastUnit != 0 || bare == BareNumber::Refused)
                return Result<qint64>::failure(durationError(text, bare));
            unit = bare == BareNumber::Seconds ? 1000 : 1;
        } else {
            unit = durationUnit(t.mid(i, u - i));
            if (unit == 0 || (lastUnit != 0 && unit >= lastUnit))
                return Result<qint64>::failure(durationError(text, bare));
        }
        i = u;
        lastUnit = unit;
        bool exact = true;
        const Wide ms = scaled(d, unit, &exact);
        if (ms < 0 || total + ms > MaxValue)
            return Result<qint64>::failure(
                    QStringLiteral("invalid duration '%1': longer than any duration podtap can "
                                   "keep")
                            .arg(text));
        total += ms;
    }
    return qint64(total);
}

Result<qint64> Units::parseSeconds(const QString &text)
{
    Result<qint64> ms = parseDuration(text, BareNumber::Seconds);
    if (!ms)
        return ms;
    if (ms.value() % 1000 != 0)
        return Result<qint64>::failure(
                QStringLiteral("invalid duration '%1': podtap counts this in whole seconds")
                        .arg(text));
    return ms.value() / 1000;
}

QString Units::bytesText(qint64 bytes)
{
    if (bytes < 0)
        return QStringLiteral("-");
    if (bytes < 1024)
        return QStringLiteral("%1 B").arg(bytes);
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = double(bytes) / 1024.0;
    int u = 0;
    while (v >= 1024.0 && u < 5) {
        v /= 1024.0;
        ++u;
    }
    return QStringLiteral("%1 %2").arg(v, 0, 'f', v < 10 ? 1 : 0).arg(QLatin1String(units[u]));
}

QString Units::latencyText(double micros)
{
    if (micros < 0)
        return QStringLiteral("-");
    if (micros < 1000)
        return QStringLiteral("%1 µs").arg(qint64(micros));
    if (micros < 1e6)
        return QStringLiteral("%1 ms").arg(micros / 1e3, 0, 'f', micros < 1e4 ? 2 : 1);
    if (micros < 60e6)
        return QStringLiteral("%1 s").arg(micros / 1e6, 0, 'f', 2);
    const qint64 secs = qint64(micros / 1e6);
    return QStringLiteral("%1 min %2 s").arg(secs / 60).arg(secs % 60, 2, 10, QLatin1Char('0'));
}

} // namespace podtap
