#include "stopcommand.h"
#include "ipc/sessionstoprequest.h"

#include "daemonconnection.h"
#include "sessionrunner.h"

#include <QCommandLineParser>
#include <QJsonDocument>

namespace podtap {

int StopCommand::run(const QStringList &arguments, FILE *out, FILE *err)
{
    QCommandLineParser p;
    DaemonConnection daemon;
    daemon.addOptions(p);
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("JSON output."));
    p.addOption(jsonOpt);
    QStringList args = arguments;
    args.prepend(QStringLiteral("podtap stop"));
    if (!p.parse(args) || p.positionalArguments().size() != 1) {
        std::fprintf(err, "usage: podtap stop SESSION [--json]\n");
        return 1;
    }
    auto client = daemon.open(p, err, false);
    if (!client)
        return DaemonConnection::ExitNoDaemon;
    const auto r = client->requestAndWait(
            QStringLiteral("session.stop"),
            SessionStopRequest{p.positionalArguments().constFirst()}.toJson(), 40000);
    if (!r.ok) {
        std::fprintf(err, "podtap stop: %s\n", qPrintable(r.errorMessage));
        return r.errorCode == QLatin1String("not-found") ? 3 : 1;
    }
    const QJsonObject s = r.result.value(QLatin1String("session")).toObject();
    if (p.isSet(jsonOpt)) {
        const QByteArray doc = QJsonDocument(s).toJson(QJsonDocument::Indented);
        std::fwrite(doc.constData(), 1, std::size_t(doc.size()), out);
    } else {
        SessionRunner::printSummary(s, out);
    }
    return 0;
}

} // namespace podtap
