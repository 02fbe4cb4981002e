#include "retentionpolicy.h"

#include "units.h"

#include <algorithm>
#include <cmath>

namespace podtap {

namespace {
bool isOff(const QString &t)
{
    return t == QLatin1String("0") || t.compare(QLatin1String("off"), Qt::CaseInsensitive) == 0
           || t.compare(QLatin1String("none"), Qt::CaseInsensitive) == 0;
}

QString trimNumber(double v)
{
    return QString::number(v, 'g', 4);
}
} // namespace

Result<qint64> RetentionPolicy::parseSize(const QString &text)
{
    const QString t = text.trimmed();
    if (isOff(t))
        return qint64(0);
    Result<qint64> bytes = Units::parseSize(text);
    if (!bytes)
        return Result<qint64>::failure(bytes.error() + QStringLiteral(", or off for no limit"));
    if (bytes.value() < 1) // 0 would mean "no limit": say so instead
        return Result<qint64>::failure(
                QStringLiteral("'%1' is less than one byte: write off for no limit").arg(text));
    return bytes;
}

Result<qint64> RetentionPolicy::parseDuration(const QString &text)
{
    const QString t = text.trimmed();
    if (isOff(t))
        return qint64(0);
    // A bare number is refused: minutes and months are both "m" elsewhere, so the unit is
    // always written.
    const Result<qint64> ms = Units::parseDuration(text);
    if (!ms)
        return Result<qint64>::failure(ms.error() + QStringLiteral(", or off for no limit"));
    if (ms.value() < 1000)
        return Result<qint64>::failure(
                QStringLiteral("'%1' is less than a second: write off for no limit").arg(text));
    return ms.value() / 1000;
}

QString RetentionPolicy::sizeText(qint64 bytes)
{
    if (bytes <= 0)
        return QStringLiteral("off");
    static const char *const units[] = {"", "K", "M", "G", "T"};
    double v = double(bytes);
    int i = 0;
    while (v >= 1024 && i < 4) {
        v /= 1024;
        ++i;
    }
    return trimNumber(v) + QLatin1String(units[i]);
}

QString RetentionPolicy::usageText(qint64 bytes)
{
    return bytes <= 0 ? QStringLiteral("0") : sizeText(bytes);
}

QString RetentionPolicy::durationText(qint64 secs)
{
    if (secs <= 0)
        return QStringLiteral("off");
    if (secs % 86400 == 0)
        return QString::number(secs / 86400) + QLatin1Char('d');
    if (secs % 3600 == 0)
        return QString::number(secs / 3600) + QLatin1Char('h');
    if (secs % 60 == 0)
        return QString::number(secs / 60) + QLatin1Char('m');
    return QString::number(secs) + QLatin1Char('s');
}

QJsonObject RetentionPolicy::toJson() const
{
    return QJsonObject{{QStringLiteral("quotaBytes"), quotaBytes},
                       {QStringLiteral("maxAgeSecs"), maxAgeSecs},
                       {QStringLiteral("quota"), sizeText(quotaBytes)},
                       {QStringLiteral("maxAge"), durationText(maxAgeSecs)}};
}

Result<RetentionPolicy> RetentionPolicy::updated(const QJsonObject &json) const
{
    RetentionPolicy p = *this;
    auto read = [&json](const char *number, const char *text, auto parse, qint64 *out) -> QString {
        const QJsonValue n = json.value(QLatin1String(number));
        const QJsonValue t = json.value(QLatin1String(text));
        if (n.isDouble()) {
            if (n.toDouble() < 0 || n.toDouble() != std::floor(n.toDouble()))
                return QStringLiteral("%1 must be a whole number ≥ 0").arg(QLatin1String(number));
            *out = n.toInteger();
        } else if (!n.isUndefined()) {
            return QStringLiteral("%1 must be a number").arg(QLatin1String(number));
        } else if (t.isString()) {
            const Result<qint64> r = parse(t.toString());
            if (!r)
                return r.error();
            *out = r.value();
        } else if (!t.isUndefined()) {
            return QStringLiteral("%1 must be a text such as \"10G\" or \"7d\"")
                    .arg(QLatin1String(text));
        }
        return {};
    };
    QString error = read("quotaBytes", "quota", &RetentionPolicy::parseSize, &p.quotaBytes);
    if (error.isEmpty())
        error = read("maxAgeSecs", "maxAge", &RetentionPolicy::parseDuration, &p.maxAgeSecs);
    if (!error.isEmpty())
        return Result<RetentionPolicy>::failure(error);
    return p;
}

QList<RetentionPolicy::Removal> RetentionPolicy::select(QList<Candidate> sessions,
                                                        const QDateTime &now) const
{
    // Oldest first: by end (a session that stopped long ago goes before one that just did),
    // then by start, then by id.
    std::sort(sessions.begin(), sessions.end(), [](const Candidate &a, const Candidate &b) {
        const QDateTime ka = a.ended.isValid() ? a.ended : a.started;
        const QDateTime kb = b.ended.isValid() ? b.ended : b.started;
        if (ka != kb)
            return ka < kb;
        return a.id < b.id;
    });
    QList<Removal> out;
    qint64 total = 0;
    for (const Candidate &c : std::as_const(sessions))
        total += c.diskBytes;
    QSet<QString> chosen;
    if (maxAgeSecs > 0) {
        const QDateTime limit = now.addSecs(-maxAgeSecs);
        for (const Candidate &c : std::as_const(sessions)) {
            const QDateTime when = c.ended.isValid() ? c.ended : c.started;
            if (c.running || !when.isValid() || when >= limit)
                continue;
            out.append({c.id,
                        QStringLiteral("stopped more than %1 ago").arg(durationText(maxAgeSecs)),
                        c.diskBytes});
            chosen.insert(c.id);
            total -= c.diskBytes;
        }
    }
    if (quotaBytes > 0) {
        for (const Candidate &c : std::as_const(sessions)) {
            if (total <= quotaBytes)
                break;
            if (c.running || chosen.contains(c.id))
                continue;
            out.append({c.id,
                        QStringLiteral("the store was over its %1 quota").arg(sizeText(quotaBytes)),
                        c.diskBytes});
            chosen.insert(c.id);
            total -= c.diskBytes;
        }
    }
    return out;
}

} // namespace podtap
