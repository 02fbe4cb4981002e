#include "requestscommand.h"

#include "daemonconnection.h"
#include "http/shadowcomparator.h"
#include "http2/grpcstatus.h"
#include "units.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>

namespace podtap {

namespace {
constexpr int DefaultPageSize = 1000;
constexpr int MaxPageSize = 10000; // the daemon's maximum

QString protocolName(const QJsonObject &x)
{
    if (x.contains(QLatin1String("grpc")))
        return QStringLiteral("gRPC");
    if (x.value(QLatin1String("protocol")).toString() == QLatin1String("h2"))
        return QStringLiteral("h2");
    // A verdict whose exchange is not stored has no protocol of its own to tell.
    return x.contains(QLatin1String("tsNs")) ? QStringLiteral("HTTP/1.1") : QStringLiteral("-");
}

QString statusText(const QJsonObject &x)
{
    QString s = x.contains(QLatin1String("status"))
                        ? QString::number(x.value(QLatin1String("status")).toInt())
                        : QStringLiteral("-");
    const QJsonObject grpc = x.value(QLatin1String("grpc")).toObject();
    if (grpc.contains(QLatin1String("status")))
        s += QLatin1Char(' ') + GrpcStatus::text(grpc.value(QLatin1String("status")).toInt());
    else if (!grpc.isEmpty() && x.contains(QLatin1String("status")))
        s += QStringLiteral(" no grpc-status");
    return s;
}

QString verdictText(const QJsonObject &x)
{
    if (!x.contains(QLatin1String("compare")))
        return QStringLiteral("-");
    const QJsonObject v = x.value(QLatin1String("compare")).toObject();
    const QString kind = v.value(QLatin1String("verdict")).toString();
    QStringList what;
    if (kind == QLatin1String("status")) {
        const int pod = v.value(QLatin1String("podGrpcStatus")).toInt(-1);
        const int local = v.value(QLatin1String("localGrpcStatus")).toInt(-1);
        if ((pod >= 0 || local >= 0) && pod != local)
            what << QStringLiteral("grpc-status %1 ≠ %2")
                            .arg(pod >= 0 ? GrpcStatus::name(pod) : QStringLiteral("none"),
                                 local >= 0 ? GrpcStatus::name(local) : QStringLiteral("none"));
        else
            what << QStringLiteral("%1 ≠ %2")
                            .arg(v.value(QLatin1String("podStatus")).toInt())
                            .arg(v.value(QLatin1String("localStatus")).toInt());
    }
    QStringList body;
    for (const QJsonValue p : v.value(QLatin1String("body")).toArray())
        body << p.toString();
    if (!body.isEmpty())
        what << QStringLiteral("body: ") + body.join(QStringLiteral(", "));
    QStringList headers;
    for (const QJsonValue h : v.value(QLatin1String("headers")).toArray())
        headers << h.toString();
    if (!headers.isEmpty())
        what << QStringLiteral("headers: ") + headers.join(QStringLiteral(", "));
    if (what.isEmpty() && kind != QLatin1String("same"))
        what << v.value(QLatin1String("detail")).toString();
    what.removeAll(QString());
    // "body $[0].price_cents", not "body body: $[0].price_cents": the verdict names its part.
    if (!what.isEmpty() && what.constFirst().startsWith(kind + QStringLiteral(": ")))
        what.first().remove(0, kind.size() + 2);
    return what.isEmpty() ? kind : kind + QLatin1Char(' ') + what.join(QStringLiteral("; "));
}
} // namespace

QStringList RequestsCommand::verdictNames()
{
    QStringList names;
    // Kind's values are 0…n-1; kindName() names each and is empty past the last.
    for (int k = 0; k < 256; ++k) {
        const QLatin1String name(ShadowComparator::kindName(ShadowComparator::Kind(k)));
        if (name.isEmpty())
            break;
        names << name;
    }
    names << QStringLiteral("differ") << QStringLiteral("none");
    return names;
}

QString RequestsCommand::line(const QJsonObject &x)
{
    const qint64 tsNs = x.value(QLatin1String("tsNs")).toInteger(-1);
    const QString time = tsNs >= 0 ? QDateTime::fromMSecsSinceEpoch(tsNs / 1000000, Qt::UTC)
                                             .toString(QStringLiteral("HH:mm:ss.zzz"))
                                   : QStringLiteral("-");
    const qint64 id = x.value(QLatin1String("id")).toInteger();
    const QString where = x.contains(QLatin1String("stream"))
                                  ? QStringLiteral("%1/s%2").arg(id).arg(
                                          x.value(QLatin1String("stream")).toInteger())
                                  : QStringLiteral("%1#%2").arg(id).arg(
                                          x.value(QLatin1String("index")).toInteger());
    const QJsonObject grpc = x.value(QLatin1String("grpc")).toObject();
    const QString call
            = grpc.isEmpty() ? x.value(QLatin1String("method")).toString() + QLatin1Char(' ')
                                       + x.value(QLatin1String("target")).toString()
                             : grpc.value(QLatin1String("service")).toString() + QLatin1Char('/')
                                       + grpc.value(QLatin1String("method")).toString();
    const double latency = x.contains(QLatin1String("latencyUs"))
                                   ? x.value(QLatin1String("latencyUs")).toDouble()
                                   : -1;
    const QString sizes
            = x.contains(QLatin1String("tsNs"))
                      ? Units::bytesText(x.value(QLatin1String("requestBytes")).toInteger())
                                + QStringLiteral(" → ")
                                + (x.contains(QLatin1String("responseBytes")) ? Units::bytesText(
                                           x.value(QLatin1String("responseBytes")).toInteger())
                                                                              : QStringLiteral("-"))
                      : QStringLiteral("-");
    return QStringLiteral("%1  %2  %3  %4  %5  %6  %7  %8")
            .arg(time, -12)
            .arg(where, -18)
            .arg(protocolName(x), -8)
            .arg(call, -36)
            .arg(statusText(x), -20)
            .arg(Units::latencyText(latency), 10)
            .arg(sizes, -20)
            .arg(verdictText(x));
}

int RequestsCommand::run(const QStringList &arguments, FILE *out, FILE *err)
{
    QCommandLineParser p;
    DaemonConnection daemon;
    daemon.addOptions(p);
    const QCommandLineOption jsonOpt(QStringLiteral("json"),
                                     QStringLiteral("One JSON object per line, as podtapd "
                                                    "sends them."));
    const QCommandLineOption methodOpt(QStringLiteral("method"),
                                       QStringLiteral("Only this HTTP method (any case) or gRPC "
                                                      "method (pkg.Service/Method or Method)."),
                                       QStringLiteral("M"));
    const QCommandLineOption verdictOpt(
            QStringLiteral("verdict"),
            QStringLiteral("Only these verdicts (comma-separated; none = not compared, differ = "
                           "status, body or headers)."),
            QStringLiteral("V"));
    const QCommandLineOption routeOpt(
            QStringLiteral("route"),
            QStringLiteral("Only this route template (\"GET /users/{id}\")."), QStringLiteral("R"));
    const QCommandLineOption limitOpt(QStringLiteral("limit"),
                                      QStringLiteral("At most N exchanges."), QStringLiteral("N"));
    const QCommandLineOption pageOpt(QStringLiteral("page-size"),
                                     QStringLiteral("Exchanges per request to podtapd (1-10000)."),
                                     QStringLiteral("N"), QString::number(DefaultPageSize));
    for (const auto *o : {&jsonOpt, &methodOpt, &verdictOpt, &routeOpt, &limitOpt, &pageOpt})
        p.addOption(*o);
    QStringList args = arguments;
    args.prepend(QStringLiteral("podtap requests"));
    const char *usage = "usage: podtap requests SESSION [--json] [--method M] [--verdict V] "
                        "[--route R] [--limit N]\n";
    if (!p.parse(args) || p.positionalArguments().size() != 1) {
        if (!p.errorText().isEmpty())
            std::fprintf(err, "podtap requests: %s\n", qPrintable(p.errorText()));
        std::fprintf(err, "%s", usage);
        return 1;
    }
    QJsonArray verdicts;
    if (p.isSet(verdictOpt)) {
        const QStringList known = verdictNames();
        for (const QString &name :
             p.value(verdictOpt).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            if (!known.contains(name.trimmed())) {
                std::fprintf(err, "podtap requests: unknown verdict \"%s\"; one of: %s\n",
                             qPrintable(name), qPrintable(known.join(QStringLiteral(", "))));
                return 1;
            }
            verdicts.append(name.trimmed());
        }
        if (verdicts.isEmpty()) {
            std::fprintf(err, "podtap requests: --verdict needs a name; one of: %s\n",
                         qPrintable(known.join(QStringLiteral(", "))));
            return 1;
        }
    }
    bool ok = true;
    const qint64 limit = p.isSet(limitOpt) ? p.value(limitOpt).toLongLong(&ok) : -1;
    if (!ok || (p.isSet(limitOpt) && limit < 1)) {
        std::fprintf(err,
                     "podtap requests: --limit must be a whole number of at least 1 (got %s)\n",
                     qPrintable(p.value(limitOpt)));
        return 1;
    }
    const int pageSize = p.value(pageOpt).toInt(&ok);
    if (!ok || pageSize < 1 || pageSize > MaxPageSize) {
        std::fprintf(err, "podtap requests: --page-size must be 1 to %d (got %s)\n", MaxPageSize,
                     qPrintable(p.value(pageOpt)));
        return 1;
    }
    // A stopped session is read from the store: a podtapd started on demand serves it too.
    auto client = daemon.open(p, err);
    if (!client)
        return DaemonConnection::ExitNoDaemon;
    const QString sid = p.positionalArguments().constFirst();
    QJsonObject params{{QStringLiteral("id"), sid}};
    if (!verdicts.isEmpty())
        params[QLatin1String("verdict")] = verdicts;
    if (p.isSet(methodOpt))
        params[QLatin1String("method")] = p.value(methodOpt);
    if (p.isSet(routeOpt))
        params[QLatin1String("route")] = p.value(routeOpt);

    const bool json = p.isSet(jsonOpt);
    QMap<QString, qint64> perVerdict;
    qint64 shown = 0;
    qint64 total = 0;
    bool header = false;
    for (qint64 offset = 0;;) {
        params[QLatin1String("offset")] = offset;
        params[QLatin1String("limit")]
                = int(limit < 0 ? pageSize : std::min<qint64>(pageSize, limit - shown));
        const auto r = client->requestAndWait(QStringLiteral("session.requests"), params);
        if (!r.ok) {
            std::fprintf(err, "podtap requests: %s\n", qPrintable(r.errorMessage));
            return r.errorCode == QLatin1String("not-found") ? 3 : 1;
        }
        total = r.result.value(QLatin1String("total")).toInteger();
        const QJsonArray page = r.result.value(QLatin1String("requests")).toArray();
        for (const QJsonValue v : page) {
            const QJsonObject x = v.toObject();
            ++shown;
            perVerdict[x.value(QLatin1String("compare"))
                               .toObject()
                               .value(QLatin1String("verdict"))
                               .toString(QStringLiteral("not compared"))]
                    += 1;
            if (json) {
                const QByteArray doc = QJsonDocument(x).toJson(QJsonDocument::Compact);
                std::fwrite(doc.constData(), 1, std::size_t(doc.size()), out);
                std::fputc('\n', out);
                continue;
            }
            if (!header) {
                std::fprintf(out, "%s\n",
                             qPrintable(QStringLiteral("%1  %2  %3  %4  %5  %6  %7  %8")
                                                .arg(QStringLiteral("TIME (UTC)"), -12)
                                                .arg(QStringLiteral("CONN/STREAM"), -18)
                                                .arg(QStringLiteral("PROTO"), -8)
                                                .arg(QStringLiteral("METHOD PATH"), -36)
                                                .arg(QStringLiteral("STATUS"), -20)
                                                .arg(QStringLiteral("LATENCY"), 10)
                                                .arg(QStringLiteral("REQ → RESP"), -20)
                                                .arg(QStringLiteral("VERDICT"))));
                header = true;
            }
            std::fprintf(out, "%s\n", qPrintable(line(x)));
        }
        const qint64 next = r.result.value(QLatin1String("next")).toInteger(offset);
        if (r.result.value(QLatin1String("end")).toBool() || page.isEmpty() || next <= offset
            || (limit >= 0 && shown >= limit))
            break;
        offset = next;
    }
    if (json)
        return 0;
    if (shown == 0) {
        std::fprintf(out, "no requests in session %s%s\n", qPrintable(sid),
                     params.size() > 3 ? " that match" : "");
        return 0;
    }
    QStringList counts;
    for (auto it = perVerdict.cbegin(); it != perVerdict.cend(); ++it)
        counts << QStringLiteral("%1 %2").arg(it.value()).arg(it.key());
    std::fprintf(out, "%lld of %lld requests: %s\n", shown, total,
                 qPrintable(counts.join(QStringLiteral(", "))));
    return 0;
}

} // namespace podtap
