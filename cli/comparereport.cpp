#include "comparereport.h"
#include "privatefile.h"

#include <QFile>
#include <QHash>
#include <QJsonDocument>

namespace podtap {

namespace {
const char *const Kinds[]
        = {"same", "status", "body", "headers", "local-error", "local-timeout", "not-comparable"};
// The counts object uses camelCase keys for the same verdicts.
QString countKey(const QString &verdict)
{
    if (verdict == QLatin1String("local-error"))
        return QStringLiteral("localErrors");
    if (verdict == QLatin1String("local-timeout"))
        return QStringLiteral("localTimeouts");
    if (verdict == QLatin1String("not-comparable"))
        return QStringLiteral("notComparable");
    return verdict;
}
} // namespace

void CompareReport::add(const QJsonArray &verdicts)
{
    for (const QJsonValue v : verdicts) {
        const QJsonObject r = v.toObject();
        const QString verdict = r.value(QLatin1String("verdict")).toString();
        Route &route = m_routes[r.value(QLatin1String("route")).toString()];
        ++route.verdicts[verdict];
        ++m_totals[verdict];
        ++m_total;
        if (verdict != QLatin1String("same") && route.examples.size() < ExamplesPerRoute)
            route.examples.append(r);
    }
}

QString CompareReport::example(const QJsonObject &e)
{
    // "GET /users/7: body $.address.zip "0150" → "9999"" – what differed, with values.
    QStringList what;
    const int pod = e.value(QLatin1String("podStatus")).toInt();
    const int local = e.value(QLatin1String("localStatus")).toInt();
    if (pod != local && local > 0)
        what << QStringLiteral("status %1 → %2").arg(pod).arg(local);
    const QJsonObject headerValues = e.value(QLatin1String("headerValues")).toObject();
    auto side = [](const QJsonObject &pair, const char *key) {
        const QJsonValue v = pair.value(QLatin1String(key));
        return v.isUndefined() ? QStringLiteral("(absent)") : v.toString();
    };
    for (const QJsonValue h : e.value(QLatin1String("headers")).toArray()) {
        const QJsonObject pair = headerValues.value(h.toString()).toObject();
        what << (pair.isEmpty()
                         ? QStringLiteral("header ") + h.toString()
                         : QStringLiteral("header %1: %2 → %3")
                                   .arg(h.toString(), side(pair, "pod"), side(pair, "local")));
    }
    QHash<QString, QJsonObject> values;
    for (const QJsonValue v : e.value(QLatin1String("bodyValues")).toArray())
        values.insert(v[QLatin1String("path")].toString(), v.toObject());
    const QJsonArray paths = e.value(QLatin1String("body")).toArray();
    for (qsizetype i = 0; i < paths.size() && i < 3; ++i) {
        const QString path = paths.at(i).toString();
        what << (values.contains(path) && values.value(path).contains(QLatin1String("pod"))
                                 && values.value(path).contains(QLatin1String("local"))
                         ? QStringLiteral("body %1: %2 → %3")
                                   .arg(path, side(values.value(path), "pod"),
                                        side(values.value(path), "local"))
                         : QStringLiteral("body ") + path);
    }
    if (paths.size() > 3)
        what << QStringLiteral("%1 more body differences").arg(paths.size() - 3);
    const QString detail = e.value(QLatin1String("detail")).toString();
    if (!detail.isEmpty())
        what << detail;
    // HTTP/2: which stream (gRPC calls are named by their target, /pkg.Service/Method).
    const QString stream = e.contains(QLatin1String("stream"))
                                   ? QStringLiteral(" (h2 stream %1)")
                                             .arg(e.value(QLatin1String("stream")).toInteger())
                                   : QString();
    return e.value(QLatin1String("method")).toString() + QLatin1Char(' ')
           + e.value(QLatin1String("target")).toString() + stream + QStringLiteral(": ")
           + what.join(QStringLiteral("; "));
}

quint64 CompareReport::differing() const
{
    return m_total - m_totals.value(QStringLiteral("same"));
}

QString CompareReport::line(const QJsonObject &counts)
{
    QStringList parts;
    for (const char *k : Kinds) {
        const qint64 n = counts.value(countKey(QLatin1String(k))).toInteger();
        if (n > 0)
            parts << QStringLiteral("%1 %2").arg(n).arg(QLatin1String(k));
    }
    return QStringLiteral("compared %1: %2")
            .arg(counts.value(QLatin1String("compared")).toInteger())
            .arg(parts.isEmpty() ? QStringLiteral("nothing yet")
                                 : parts.join(QStringLiteral(", ")));
}

void CompareReport::printProgress(FILE *to, int intervalMs)
{
    if (m_sincePrint.isValid() && m_sincePrint.elapsed() < intervalMs)
        return;
    m_sincePrint.start();
    QJsonObject counts{{QStringLiteral("compared"), qint64(m_total)}};
    for (auto it = m_totals.begin(); it != m_totals.end(); ++it)
        counts[countKey(it.key())] = qint64(it.value());
    std::fprintf(to, "podtap: %s\n", qPrintable(line(counts)));
}

void CompareReport::printSummary(FILE *to) const
{
    QJsonObject counts = m_daemon;
    if (counts.isEmpty()) {
        counts[QLatin1String("compared")] = qint64(m_total);
        for (auto it = m_totals.begin(); it != m_totals.end(); ++it)
            counts[countKey(it.key())] = qint64(it.value());
    }
    std::fprintf(to, "  %s\n", qPrintable(line(counts)));
    bool header = false;
    for (auto it = m_routes.begin(); it != m_routes.end(); ++it) {
        const Route &r = it.value();
        quint64 total = 0;
        for (const quint64 n : r.verdicts)
            total += n;
        const quint64 same = r.verdicts.value(QStringLiteral("same"));
        if (same == total)
            continue;
        if (!header) {
            std::fprintf(to, "  routes that differ:\n");
            header = true;
        }
        QStringList kinds;
        for (auto k = r.verdicts.begin(); k != r.verdicts.end(); ++k) {
            if (k.key() != QLatin1String("same"))
                kinds << QStringLiteral("%1 %2").arg(k.value()).arg(k.key());
        }
        std::fprintf(to, "    %-40s %llu of %llu differ (%s)\n", qPrintable(it.key()),
                     static_cast<unsigned long long>(total - same),
                     static_cast<unsigned long long>(total),
                     qPrintable(kinds.join(QStringLiteral(", "))));
        if (!r.examples.isEmpty())
            std::fprintf(to, "      e.g. %s\n", qPrintable(example(r.examples.first().toObject())));
    }
}

QJsonObject CompareReport::toJson(const QJsonObject &context) const
{
    QJsonObject totals{{QStringLiteral("compared"), qint64(m_total)}};
    for (auto it = m_totals.begin(); it != m_totals.end(); ++it)
        totals[countKey(it.key())] = qint64(it.value());
    QJsonObject routes;
    for (auto it = m_routes.begin(); it != m_routes.end(); ++it) {
        QJsonObject verdicts;
        for (auto k = it.value().verdicts.begin(); k != it.value().verdicts.end(); ++k)
            verdicts[k.key()] = qint64(k.value());
        QJsonObject r{{QStringLiteral("verdicts"), verdicts}};
        if (!it.value().examples.isEmpty())
            r[QLatin1String("examples")] = it.value().examples;
        routes[it.key()] = r;
    }
    QJsonObject o = context;
    o[QLatin1String("totals")] = totals;
    if (!m_daemon.isEmpty())
        o[QLatin1String("daemonTotals")] = m_daemon;
    o[QLatin1String("routes")] = routes;
    return o;
}

bool CompareReport::write(const QString &path, const QJsonObject &context, QString *error) const
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    PrivateFile::restrict(f);
    const QByteArray doc = QJsonDocument(toJson(context)).toJson(QJsonDocument::Indented);
    if (f.write(doc) != doc.size() || !f.flush()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

} // namespace podtap
