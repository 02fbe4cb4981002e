#include "rmcommand.h"

#include "daemonconnection.h"
#include "retentionpolicy.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>

namespace podtap {

int RmCommand::run(const QStringList &arguments, FILE *out, FILE *err)
{
    QCommandLineParser p;
    DaemonConnection daemon;
    daemon.addOptions(p);
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("JSON output."));
    const QCommandLineOption allOpt(QStringLiteral("all-stopped"),
                                    QStringLiteral("Every stored session that is not running."));
    p.addOptions({jsonOpt, allOpt});
    QStringList args = arguments;
    args.prepend(QStringLiteral("podtap rm"));
    const bool parsed = p.parse(args);
    if (!parsed || p.positionalArguments().isEmpty() == !p.isSet(allOpt)) {
        if (!parsed)
            std::fprintf(err, "podtap rm: %s\n", qPrintable(p.errorText()));
        std::fprintf(err, "usage: podtap rm SESSION… | --all-stopped [--json]\n");
        return 1;
    }
    // Nothing to remove without a daemon that knows the store: do not start one for this.
    auto client = daemon.open(p, err, false);
    if (!client)
        return DaemonConnection::ExitNoDaemon;
    QJsonObject params;
    if (p.isSet(allOpt))
        params.insert(QStringLiteral("allStopped"), true);
    else
        params.insert(QStringLiteral("ids"), QJsonArray::fromStringList(p.positionalArguments()));
    const auto r = client->requestAndWait(QStringLiteral("session.delete"), params, 60000);
    if (!r.ok) {
        std::fprintf(err, "podtap rm: %s\n", qPrintable(r.errorMessage));
        return 1;
    }
    const QJsonArray removed = r.result.value(QLatin1String("removed")).toArray();
    const QJsonArray errors = r.result.value(QLatin1String("errors")).toArray();
    if (p.isSet(jsonOpt)) {
        const QByteArray doc = QJsonDocument(r.result).toJson(QJsonDocument::Indented);
        std::fwrite(doc.constData(), 1, std::size_t(doc.size()), out);
    } else {
        qint64 freed = 0;
        for (const QJsonValue v : removed) {
            const QJsonObject o = v.toObject();
            freed += o.value(QLatin1String("diskBytes")).toInteger();
            std::fprintf(out, "removed session %s (%s)\n",
                         qPrintable(o.value(QLatin1String("id")).toString()),
                         qPrintable(RetentionPolicy::usageText(
                                 o.value(QLatin1String("diskBytes")).toInteger())));
        }
        if (removed.isEmpty() && errors.isEmpty())
            std::fprintf(out, "no stopped sessions to remove\n");
        else if (removed.size() > 1)
            std::fprintf(out, "%lld sessions removed, %s freed\n", qlonglong(removed.size()),
                         qPrintable(RetentionPolicy::usageText(freed)));
    }
    for (const QJsonValue v : errors)
        std::fprintf(err, "podtap rm: %s\n",
                     qPrintable(v.toObject().value(QLatin1String("message")).toString()));
    // 3: a session was not found (as `podtap stop`), 1: one is still running.
    bool busy = false;
    for (const QJsonValue v : errors)
        busy = busy
               || v.toObject().value(QLatin1String("code")).toString() == QLatin1String("busy");
    return errors.isEmpty() ? 0 : busy ? 1 : 3;
}

} // namespace podtap
