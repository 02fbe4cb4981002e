#include "connectionscommand.h"

#include "daemonconnection.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>

namespace podtap {

namespace {
constexpr int PageSize = 10000; // the daemon's maximum

QJsonObject directionOut(const QJsonObject &d)
{
    return QJsonObject{
            {QStringLiteral("packets"), d.value(QLatin1String("packets")).toInteger()},
            {QStringLiteral("bytes"), d.value(QLatin1String("bytes")).toInteger()},
            {QStringLiteral("gap_bytes"), d.value(QLatin1String("gapBytes")).toInteger()}};
}
} // namespace

int ConnectionsCommand::run(const QStringList &arguments, FILE *out, FILE *err)
{
    QCommandLineParser p;
    DaemonConnection daemon;
    daemon.addOptions(p);
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("JSON output."));
    const QCommandLineOption openOpt(QStringLiteral("open"),
                                     QStringLiteral("Only the connections still open."));
    p.addOption(jsonOpt);
    p.addOption(openOpt);
    QStringList args = arguments;
    args.prepend(QStringLiteral("podtap connections"));
    if (!p.parse(args) || p.positionalArguments().size() != 1) {
        std::fprintf(err, "usage: podtap connections SESSION [--open] [--json]\n");
        return 1;
    }
    auto client = daemon.open(p, err, false);
    if (!client)
        return DaemonConnection::ExitNoDaemon;
    const QString sid = p.positionalArguments().constFirst();
    QJsonArray list;
    for (qint64 from = 0;;) {
        const auto r
                = client->requestAndWait(QStringLiteral("session.connections"),
                                         QJsonObject{{QStringLiteral("id"), sid},
                                                     {QStringLiteral("open"), p.isSet(openOpt)},
                                                     {QStringLiteral("from"), from},
                                                     {QStringLiteral("count"), PageSize}});
        if (!r.ok) {
            std::fprintf(err, "podtap connections: %s\n", qPrintable(r.errorMessage));
            return r.errorCode == QLatin1String("not-found") ? 3 : 1;
        }
        const QJsonArray page = r.result.value(QLatin1String("connections")).toArray();
        for (const QJsonValue v : page) {
            const QJsonObject c = v.toObject();
            // The daemon filters; an older one does not know "open" and sends all.
            if (p.isSet(openOpt) && !c.value(QLatin1String("open")).toBool())
                continue;
            QJsonObject o{
                    {QStringLiteral("id"), c.value(QLatin1String("id")).toInteger()},
                    {QStringLiteral("client"), c.value(QLatin1String("client"))},
                    {QStringLiteral("server"), c.value(QLatin1String("server"))},
                    {QStringLiteral("state"), c.value(QLatin1String("state"))},
                    {QStringLiteral("open"), c.value(QLatin1String("open")).toBool()},
                    {QStringLiteral("c2s"), directionOut(c.value(QLatin1String("c2s")).toObject())},
                    {QStringLiteral("s2c"),
                     directionOut(c.value(QLatin1String("s2c")).toObject())}};
            list.append(o);
        }
        from += page.size();
        // A running session's open connections can close between pages: a page may repeat
        // or skip one; that is the live view's nature, the store is the record.
        if (page.isEmpty() || from >= r.result.value(QLatin1String("total")).toInteger())
            break;
    }
    if (p.isSet(jsonOpt)) {
        const QByteArray doc = QJsonDocument(QJsonObject{{QStringLiteral("connections"), list}})
                                       .toJson(QJsonDocument::Indented);
        std::fwrite(doc.constData(), 1, std::size_t(doc.size()), out);
        return 0;
    }
    if (list.isEmpty()) {
        std::fprintf(out,
                     p.isSet(openOpt) ? "no open connections in session %s\n"
                                      : "no connections in session %s\n",
                     qPrintable(sid));
        return 0;
    }
    std::fprintf(out, "%-14s %-5s %-12s %-22s %-22s %9s %12s %9s %12s %10s\n", "ID", "OPEN",
                 "STATE", "CLIENT", "SERVER", "C2S PKTS", "C2S BYTES", "S2C PKTS", "S2C BYTES",
                 "GAP BYTES");
    for (const QJsonValue v : std::as_const(list)) {
        const QJsonObject c = v.toObject();
        const QJsonObject in = c.value(QLatin1String("c2s")).toObject();
        const QJsonObject o = c.value(QLatin1String("s2c")).toObject();
        auto n = [](const QJsonObject &d, const char *key) {
            return d.value(QLatin1String(key)).toInteger();
        };
        std::fprintf(out, "%-14lld %-5s %-12s %-22s %-22s %9lld %12lld %9lld %12lld %10lld\n",
                     n(c, "id"), c.value(QLatin1String("open")).toBool() ? "yes" : "no",
                     qPrintable(c.value(QLatin1String("state")).toString()),
                     qPrintable(c.value(QLatin1String("client")).toString()),
                     qPrintable(c.value(QLatin1String("server")).toString()), n(in, "packets"),
                     n(in, "bytes"), n(o, "packets"), n(o, "bytes"),
                     n(in, "gap_bytes") + n(o, "gap_bytes"));
    }
    return 0;
}

} // namespace podtap
