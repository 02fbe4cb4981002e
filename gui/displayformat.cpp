#include "displayformat.h"

#include <QDateTime>
#include <QLocale>

namespace podtap {

QString DisplayFormat::count(qint64 n)
{
    return QLocale::system().toString(n);
}

QString DisplayFormat::bytes(qint64 n)
{
    if (n < 1024)
        return QString::number(n) + QStringLiteral(" B");
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = double(n);
    int unit = -1;
    while (v >= 1024.0 && unit < 3) {
        v /= 1024.0;
        ++unit;
    }
    return QString::number(v, 'f',
                           v < 10    ? 2
                           : v < 100 ? 1
                                     : 0)
           + QLatin1Char(' ') + QLatin1String(units[unit]);
}

QString DisplayFormat::duration(qint64 ns)
{
    if (ns < 0)
        ns = 0;
    if (ns < 1000000)
        return QString::number(ns / 1000) + QStringLiteral(" µs");
    if (ns < 1000000000)
        return QString::number(double(ns) / 1e6, 'f', ns < 10000000 ? 2 : 1)
               + QStringLiteral(" ms");
    if (ns < 60 * qint64(1000000000))
        return QString::number(double(ns) / 1e9, 'f', 2) + QStringLiteral(" s");
    const qint64 s = ns / 1000000000;
    if (s < 3600)
        return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s / 60) % 60, 2, 10, QLatin1Char('0'));
}

QString DisplayFormat::timeOfDay(qint64 epochNs)
{
    if (epochNs <= 0)
        return {};
    return QDateTime::fromMSecsSinceEpoch(epochNs / 1000000)
            .toString(QStringLiteral("HH:mm:ss.zzz"));
}

QString DisplayFormat::dateTime(const QString &iso)
{
    const QDateTime t = QDateTime::fromString(iso, Qt::ISODateWithMs);
    return t.isValid() ? t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) : iso;
}

} // namespace podtap
