#include "statuscommand.h"

#include "ipc/daemonlauncher.h"
#include "ipc/ipcclient.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>

namespace podtap {

int StatusCommand::run(const QStringList &arguments, FILE *out, FILE *err)
{
    QCommandLineParser p;
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("JSON output."));
    // The same socket rules as every other command ($PODTAP_SOCKET first).
    const QCommandLineOption socketOpt(QStringLiteral("socket"), QStringLiteral("Daemon socket."),
                                       QStringLiteral("PATH"), DaemonLauncher::socketPath({}));
    p.addOptions({jsonOpt, socketOpt});
    QStringList args = arguments;
    args.prepend(QStringLiteral("podtap status"));
    if (!p.parse(args) || !p.positionalArguments().isEmpty()) {
        std::fprintf(err, "usage: podtap status [--json] [--socket PATH]\n");
        return 1;
    }
    IpcClient client;
    client.connectToDaemon(p.value(socketOpt), QStringLiteral("podtap-cli"));
    if (!client.waitForReady(5000)) {
        std::fprintf(
                err,
                "podtap: podtapd is not running (no answer on %s); start it with `podtapd &`\n",
                qPrintable(p.value(socketOpt)));
        return 3;
    }
    const auto reply = client.requestAndWait(QStringLiteral("daemon.status"));
    if (!reply.ok) {
        std::fprintf(err, "podtap: %s\n", qPrintable(reply.errorMessage));
        return 1;
    }
    if (p.isSet(jsonOpt)) {
        const QByteArray doc = QJsonDocument(reply.result).toJson(QJsonDocument::Indented);
        std::fwrite(doc.constData(), 1, std::size_t(doc.size()), out);
    } else {
        std::fprintf(out, "podtapd %s (pid %lld) on %s, %d client(s), %lld session(s)\n",
                     qPrintable(reply.result.value(QLatin1String("version")).toString()),
                     reply.result.value(QLatin1String("pid")).toInteger(),
                     qPrintable(reply.result.value(QLatin1String("socket")).toString()),
                     reply.result.value(QLatin1String("clients")).toInt(),
                     qint64(reply.result.value(QLatin1String("sessions")).toArray().size()));
    }
    return 0;
}

} // namespace podtap
