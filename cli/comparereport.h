#pragma once

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QMap>
#include <QString>

#include <cstdio>

namespace podtap {

// What `podtap mirror --compare` and `podtap replay --compare` print and write: verdicts
// counted per route as "compared" events arrive, a live one-line summary, a table of the
// routes that differ at the end, and a JSON report (totals, routes, examples of each
// difference).
class CompareReport
{
public:
    static constexpr int ExamplesPerRoute = 5;

    // A batch of verdict records (docs/ipc.md, "compared").
    void add(const QJsonArray &verdicts);
    // The daemon's own totals (session summary "compare", or replay "done"): authoritative
    // when events were lost on the way.
    void setAuthoritative(const QJsonObject &compare) { m_daemon = compare; }

    // At most every `intervalMs`, one line on `to` ("compared 1200: 1180 same, …").
    void printProgress(FILE *to, int intervalMs = 2000);
    void printSummary(FILE *to) const;
    QJsonObject toJson(const QJsonObject &context) const;
    // Writes toJson() to `path` (0600); false with `error`.
    bool write(const QString &path, const QJsonObject &context, QString *error) const;

    quint64 compared() const { return m_total; }
    quint64 differing() const;
    static QString line(const QJsonObject &counts);
    // One verdict record as a line: what differed, with the pod's and the build's values.
    static QString example(const QJsonObject &verdict);

private:
    struct Route
    {
        QMap<QString, quint64> verdicts; // verdict → count
        QJsonArray examples;             // the first differing records
    };
    QMap<QString, Route> m_routes;
    QMap<QString, quint64> m_totals;
    quint64 m_total = 0;
    QJsonObject m_daemon;
    QElapsedTimer m_sincePrint;
};

} // namespace podtap
