#include "exportcommand.h"

#include "daemonconnection.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

namespace podtap {

namespace {
// "2026-11-23T10:15:00Z" or nanoseconds since the epoch.
bool parseTime(const QString &text, qint64 *ns)
{
    bool ok = false;
    const qint64 n = text.toLongLong(&ok);
    if (ok) {
        *ns = n;
        return true;
    }
    const QDateTime t = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!t.isValid())
        return false;
    *ns = t.toMSecsSinceEpoch() * 1000000;
    return true;
}
} // namespace

int ExportCommand::run(const QStringList &arguments, FILE *out, FILE *err)
{
    QCommandLineParser p;
    DaemonConnection daemon;
    daemon.addOptions(p);
    const QCommandLineOption outOpt({QStringLiteral("o"), QStringLiteral("output")},
                                    QStringLiteral("Output file."), QStringLiteral("FILE"));
    const QCommandLineOption formatOpt(QStringLiteral("format"), QStringLiteral("pcap or pcapng."),
                                       QStringLiteral("F"));
    const QCommandLineOption filterOpt(QStringLiteral("filter"), QStringLiteral("BPF filter."),
                                       QStringLiteral("BPF"));
    const QCommandLineOption connOpt(QStringLiteral("connections"),
                                     QStringLiteral("Connection ids, comma separated."),
                                     QStringLiteral("IDS"));
    const QCommandLineOption fromOpt(QStringLiteral("from"),
                                     QStringLiteral("Start time (ISO 8601 or ns)."),
                                     QStringLiteral("T"));
    const QCommandLineOption untilOpt(QStringLiteral("until"),
                                      QStringLiteral("End time (ISO 8601 or ns)."),
                                      QStringLiteral("T"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("JSON output."));
    p.addOptions({outOpt, formatOpt, filterOpt, connOpt, fromOpt, untilOpt, jsonOpt});
    QStringList args = arguments;
    args.prepend(QStringLiteral("podtap export"));
    if (!p.parse(args) || p.positionalArguments().size() != 1 || !p.isSet(outOpt)) {
        std::fprintf(err, "usage: podtap export SESSION -o FILE [--format pcap|pcapng] [--filter "
                          "BPF] [--connections ID,…] [--from T] [--until T] [--json]\n");
        return 1;
    }
    const QString path = QFileInfo(p.value(outOpt)).absoluteFilePath();
    QString format = p.value(formatOpt);
    if (format.isEmpty())
        format = path.endsWith(QLatin1String(".pcap")) ? QStringLiteral("pcap")
                                                       : QStringLiteral("pcapng");
    QJsonObject params{{QStringLiteral("id"), p.positionalArguments().constFirst()},
                       {QStringLiteral("path"), path},
                       {QStringLiteral("format"), format},
                       {QStringLiteral("filter"), p.value(filterOpt)}};
    if (p.isSet(connOpt)) {
        QJsonArray ids;
        for (const QString &s : p.value(connOpt).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            bool ok = false;
            ids.append(s.trimmed().toLongLong(&ok));
            if (!ok) {
                std::fprintf(err, "podtap export: '%s' is not a connection id\n", qPrintable(s));
                return 1;
            }
        }
        params[QLatin1String("connections")] = ids;
    }
    for (const auto &[opt, key] : {std::pair{&fromOpt, "fromNs"}, std::pair{&untilOpt, "toNs"}}) {
        if (!p.isSet(*opt))
            continue;
        qint64 ns = 0;
        if (!parseTime(p.value(*opt), &ns)) {
            std::fprintf(err,
                         "podtap export: '%s' is not a time (ISO 8601 or ns since the epoch)\n",
                         qPrintable(p.value(*opt)));
            return 1;
        }
        params[QLatin1String(key)] = ns;
    }
    auto client = daemon.open(p, err);
    if (!client)
        return DaemonConnection::ExitNoDaemon;
    const auto r = client->requestAndWait(QStringLiteral("session.export"), params, 600000);
    if (!r.ok) {
        std::fprintf(err, "podtap export: %s\n", qPrintable(r.errorMessage));
        return r.errorCode == QLatin1String("not-found") ? 3 : 1;
    }
    if (p.isSet(jsonOpt)) {
        const QByteArray doc = QJsonDocument(r.result).toJson(QJsonDocument::Indented);
        std::fwrite(doc.constData(), 1, std::size_t(doc.size()), out);
    } else {
        std::fprintf(out, "%lld packets (%lld bytes) written to %s\n",
                     r.result.value(QLatin1String("packets")).toInteger(),
                     r.result.value(QLatin1String("bytes")).toInteger(),
                     qPrintable(r.result.value(QLatin1String("path")).toString()));
    }
    return 0;
}

} // namespace podtap
