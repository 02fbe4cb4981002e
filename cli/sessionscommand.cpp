#include "sessionscommand.h"

#include "daemonconnection.h"
#include "mirror/mirrorrequeststext.h"
#include "retentionpolicy.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>

namespace podtap {

int SessionsCommand::run(const QStringList &arguments, FILE *out, FILE *err)
{
    QCommandLineParser p;
    DaemonConnection daemon;
    daemon.addOptions(p);
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("JSON output."));
    p.addOption(jsonOpt);
    QStringList args = arguments;
    args.prepend(QStringLiteral("podtap sessions"));
    if (!p.parse(args) || !p.positionalArguments().isEmpty()) {
        std::fprintf(err, "usage: podtap sessions [--json]\n");
        return 1;
    }
    auto client = daemon.open(p, err);
    if (!client)
        return DaemonConnection::ExitNoDaemon;
    const auto r = client->requestAndWait(QStringLiteral("session.list"));
    if (!r.ok) {
        std::fprintf(err, "podtap: %s\n", qPrintable(r.errorMessage));
        return 1;
    }
    if (p.isSet(jsonOpt)) {
        const QByteArray doc = QJsonDocument(r.result).toJson(QJsonDocument::Indented);
        std::fwrite(doc.constData(), 1, std::size_t(doc.size()), out);
        return 0;
    }
    QJsonArray all = r.result.value(QLatin1String("sessions")).toArray();
    for (const QJsonValue v : r.result.value(QLatin1String("stored")).toArray())
        all.append(v);
    if (all.isEmpty()) {
        std::fprintf(out, "no sessions (start one with `podtap mirror` or `podtap capture`)\n");
        return 0;
    }
    std::fprintf(out, "%-5s %-16s %-12s %10s %12s %7s %7s  %s\n", "ID", "STATE", "STARTED",
                 "PACKETS", "BYTES", "CONNS", "DISK", "TARGET");
    for (const QJsonValue v : std::as_const(all)) {
        const QJsonObject s = v.toObject();
        QString mirror;
        const QJsonObject m = s.value(QLatin1String("mirror")).toObject();
        if (m.value(QLatin1String("enabled")).toBool())
            mirror = QStringLiteral(" → ") + m.value(QLatin1String("to")).toString();
        if (const qint64 seen = m.value(QLatin1String("requestsSeen")).toInteger(); seen > 0) {
            const qint64 lost = m.value(QLatin1String("requestsLost")).toInteger();
            mirror += QStringLiteral(" (%1/%2 requests mirrored%3)")
                              .arg(m.value(QLatin1String("requestsMirrored")).toInteger())
                              .arg(seen)
                              .arg(lost > 0 ? QStringLiteral(", %1%2 lost")
                                                      .arg(m.value(QLatin1String(
                                                                           "requestsLostAtLeast"))
                                                                           .toBool()
                                                                   ? QStringLiteral("≥")
                                                                   : QString())
                                                      .arg(lost)
                                            : QString());
        }
        if (const QString t = MirrorRequestsText::tls(m); !t.isEmpty())
            mirror += QStringLiteral("; ") + t;
        if (const QString h2 = MirrorRequestsText::http2(m); !h2.isEmpty())
            mirror += QStringLiteral("; ") + h2;
        // Disk use: what the store holds for it (a live session's grows; "-" when none).
        const QJsonValue disk = s.value(QLatin1String("diskBytes"));
        std::fprintf(out, "%-5s %-16s %-12s %10lld %12lld %7lld %7s  %s%s\n",
                     qPrintable(s.value(QLatin1String("id")).toString()),
                     qPrintable(s.value(QLatin1String("state")).toString()),
                     qPrintable(s.value(QLatin1String("started")).toString().mid(5, 11)),
                     s.value(QLatin1String("packets")).toInteger(),
                     s.value(QLatin1String("bytes")).toInteger(),
                     s.value(QLatin1String("connections")).toInteger(),
                     qPrintable(disk.isDouble() ? RetentionPolicy::usageText(disk.toInteger())
                                                : QStringLiteral("-")),
                     qPrintable(s.value(QLatin1String("title")).toString()), qPrintable(mirror));
    }
    return 0;
}

} // namespace podtap
