#include "retentioncommand.h"

#include "daemonconnection.h"
#include "retentionpolicy.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>

namespace podtap {

int RetentionCommand::run(const QStringList &arguments, FILE *out, FILE *err)
{
    QCommandLineParser p;
    DaemonConnection daemon;
    daemon.addOptions(p);
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("JSON output."));
    const QCommandLineOption quotaOpt(QStringLiteral("quota"),
                                      QStringLiteral("Total store size, e.g. 10G, or off."),
                                      QStringLiteral("SIZE"));
    const QCommandLineOption ageOpt(QStringLiteral("max-age"),
                                    QStringLiteral("Age of a stopped session, e.g. 7d, or off."),
                                    QStringLiteral("DURATION"));
    p.addOptions({jsonOpt, quotaOpt, ageOpt});
    QStringList args = arguments;
    args.prepend(QStringLiteral("podtap retention"));
    if (!p.parse(args) || !p.positionalArguments().isEmpty()) {
        std::fprintf(err, "usage: podtap retention [--quota SIZE] [--max-age DURATION] [--json]\n");
        return 1;
    }
    // Checked here too, so a typo is refused before any daemon is asked (never read as 0).
    QJsonObject params;
    if (p.isSet(quotaOpt)) {
        const auto q = RetentionPolicy::parseSize(p.value(quotaOpt));
        if (!q) {
            std::fprintf(err, "podtap retention: --quota: %s\n", qPrintable(q.error()));
            return 1;
        }
        params.insert(QStringLiteral("quotaBytes"), q.value());
    }
    if (p.isSet(ageOpt)) {
        const auto a = RetentionPolicy::parseDuration(p.value(ageOpt));
        if (!a) {
            std::fprintf(err, "podtap retention: --max-age: %s\n", qPrintable(a.error()));
            return 1;
        }
        params.insert(QStringLiteral("maxAgeSecs"), a.value());
    }
    auto client = daemon.open(p, err);
    if (!client)
        return DaemonConnection::ExitNoDaemon;
    const auto r = client->requestAndWait(QStringLiteral("store.retention"), params, 60000);
    if (!r.ok) {
        std::fprintf(err, "podtap retention: %s\n", qPrintable(r.errorMessage));
        return 1;
    }
    if (p.isSet(jsonOpt)) {
        const QByteArray doc = QJsonDocument(r.result).toJson(QJsonDocument::Indented);
        std::fwrite(doc.constData(), 1, std::size_t(doc.size()), out);
        return 0;
    }
    const QJsonObject policy = r.result.value(QLatin1String("retention")).toObject();
    std::fprintf(out, "store %s: %s used, quota %s, stopped sessions kept %s\n",
                 qPrintable(r.result.value(QLatin1String("store")).toString()),
                 qPrintable(RetentionPolicy::usageText(
                         r.result.value(QLatin1String("diskBytes")).toInteger())),
                 qPrintable(policy.value(QLatin1String("quota")).toString()),
                 qPrintable(policy.value(QLatin1String("maxAge")).toString() == QLatin1String("off")
                                    ? QStringLiteral("for ever")
                                    : QStringLiteral("for ")
                                              + policy.value(QLatin1String("maxAge")).toString()));
    for (const QJsonValue v : r.result.value(QLatin1String("removed")).toArray())
        std::fprintf(out, "removed session %s: %s\n",
                     qPrintable(v.toObject().value(QLatin1String("id")).toString()),
                     qPrintable(v.toObject().value(QLatin1String("reason")).toString()));
    return 0;
}

} // namespace podtap
