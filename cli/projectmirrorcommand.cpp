#include "projectmirrorcommand.h"

#include "daemonconnection.h"
#include "ipc/sessionreply.h"
#include "ipc/sessionstoprequest.h"
#include "project/projectconfigparser.h"
#include "sessionrunner.h"
#include "unixsignalwatcher.h"

#include <QCommandLineParser>
#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

#include <csignal>
#include <functional>

namespace podtap {

namespace {
struct Running
{
    QString id;
    QString label; // "web 8080→18080"
    QString state;
    bool capturing = false;
    bool finished = false;
    bool preflightFailed = false;
    QJsonObject final;
};

bool hasOption(const QStringList &args, const QString &name)
{
    for (const QString &a : args)
        if (a == name || a.startsWith(name + QLatin1Char('=')))
            return true;
    return false;
}
} // namespace

bool ProjectMirrorCommand::handles(const QStringList &arguments)
{
    if (hasOption(arguments, QStringLiteral("--list"))
        || hasOption(arguments, QStringLiteral("--config")))
        return true;
    if (hasOption(arguments, QStringLiteral("--port"))
        || hasOption(arguments, QStringLiteral("--to")))
        return false;
    // A bare word (no '/', no option) with neither --port nor --to: a mirror's name.
    return !arguments.isEmpty() && !arguments.constFirst().startsWith(QLatin1Char('-'))
           && ProjectConfigParser::isMirrorName(arguments.constFirst());
}

int ProjectMirrorCommand::run(const QStringList &arguments, FILE *out, FILE *err)
{
    QCommandLineParser p;
    DaemonConnection daemon;
    daemon.addOptions(p);
    const QCommandLineOption configOpt(QStringLiteral("config"),
                                       QStringLiteral("Project config (default: .podtap.yaml "
                                                      "here or in a parent folder)."),
                                       QStringLiteral("FILE"));
    const QCommandLineOption listOpt(QStringLiteral("list"),
                                     QStringLiteral("List the project's mirrors."));
    const QCommandLineOption kubeconfigOpt(QStringLiteral("kubeconfig"),
                                           QStringLiteral("Use only this kubeconfig file."),
                                           QStringLiteral("FILE"));
    const QCommandLineOption detachOpt(QStringLiteral("detach"),
                                       QStringLiteral("Leave the sessions running in podtapd."));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("JSON output."));
    const QCommandLineOption verboseOpt(QStringLiteral("verbose"),
                                        QStringLiteral("Every mirrored connection's outcome."));
    const QCommandLineOption confirmOpt(QStringLiteral("yes-i-mean-production"),
                                        QStringLiteral("Tap a context the context guard "
                                                       "protects."));
    p.addOptions({configOpt, listOpt, kubeconfigOpt, detachOpt, jsonOpt, verboseOpt, confirmOpt});
    QStringList args = arguments;
    args.prepend(QStringLiteral("podtap mirror"));
    const bool parsed = p.parse(args);
    const bool list = parsed && p.isSet(listOpt);
    if (!parsed
        || (list ? !p.positionalArguments().isEmpty() : p.positionalArguments().size() != 1)) {
        std::fprintf(err, "usage: podtap mirror NAME [--config FILE] [--detach] [--json] "
                          "[--verbose] [--yes-i-mean-production]\n"
                          "       podtap mirror --list [--config FILE] [--json]\n");
        if (!p.errorText().isEmpty())
            std::fprintf(err, "podtap mirror: %s\n", qPrintable(p.errorText()));
        return 1;
    }
    const QString file = p.isSet(configOpt) ? p.value(configOpt)
                                            : ProjectConfigParser::find(QDir::currentPath());
    if (file.isEmpty()) {
        std::fprintf(err,
                     "podtap mirror: no %s in %s or a parent folder (give one with --config "
                     "FILE; docs/project-config.md)\n",
                     ProjectConfigParser::FileName, qPrintable(QDir::currentPath()));
        return 1;
    }
    const auto config = ProjectConfigParser::load(file);
    if (!config) {
        std::fprintf(err, "%s\n", qPrintable(config.error()));
        return 1;
    }
    if (list) {
        if (p.isSet(jsonOpt)) {
            QJsonArray mirrors;
            for (const ProjectConfig::Mirror &m : config->mirrors) {
                QJsonArray sessions;
                for (int i = 0; i < m.ports.size(); ++i)
                    sessions.append(m.sessionRequest(i).toJson());
                mirrors.append(QJsonObject{{QStringLiteral("name"), m.name},
                                           {QStringLiteral("description"), m.description},
                                           {QStringLiteral("sessions"), sessions}});
            }
            const QByteArray doc = QJsonDocument(QJsonObject{{QStringLiteral("file"), file},
                                                             {QStringLiteral("mirrors"), mirrors}})
                                           .toJson(QJsonDocument::Indented);
            std::fwrite(doc.constData(), 1, std::size_t(doc.size()), out);
        } else {
            for (const ProjectConfig::Mirror &m : config->mirrors)
                std::fprintf(out, "%-16s %s%s%s\n", qPrintable(m.name), qPrintable(m.summary()),
                             m.description.isEmpty() ? "" : "  # ", qPrintable(m.description));
        }
        return 0;
    }
    const QString name = p.positionalArguments().constFirst();
    const ProjectConfig::Mirror *mirror = config->find(name);
    if (!mirror) {
        const QString guess = ProjectConfigParser::closest(name, config->names());
        std::fprintf(err, "podtap mirror: %s has no mirror '%s'%s%s (it has: %s)\n",
                     qPrintable(file), qPrintable(name), guess.isEmpty() ? "" : "; did you mean ",
                     qPrintable(guess), qPrintable(config->names().join(QStringLiteral(", "))));
        return 1;
    }

    // The client side of every session: this terminal's kubeconfig and environment (exec
    // credential plugins run in the daemon but must see them), as `podtap mirror TARGET`.
    const QStringList kubeconfig
            = p.isSet(kubeconfigOpt)
                      ? QStringList{QFileInfo(p.value(kubeconfigOpt)).absoluteFilePath()}
                      : SessionStartRequest::kubeconfigFromEnvironment();
    const QMap<QString, QString> environment = SessionStartRequest::processEnvironment();

    auto client = daemon.open(p, err);
    if (!client)
        return DaemonConnection::ExitNoDaemon;
    // The project's store retention (store: in .podtap.yaml) applies before its sessions start.
    if (!config->storeRetention.isEmpty()) {
        const auto set
                = client->requestAndWait(QStringLiteral("store.retention"), config->storeRetention);
        if (!set.ok) {
            std::fprintf(err, "podtap: %s: store: %s\n", qPrintable(file),
                         qPrintable(set.errorMessage));
            return 1;
        }
    }
    const bool detach = p.isSet(detachOpt);
    QList<Running> sessions;
    QEventLoop loop;
    QObject guard;
    int rc = -1;
    bool stopping = false; // no further session is started
    auto stopAll = [&] {
        stopping = true;
        for (const Running &r : std::as_const(sessions))
            if (!r.finished)
                client->request(QStringLiteral("session.stop"), SessionStopRequest{r.id}.toJson(),
                                &guard, [](const IpcClient::Reply &) {});
    };
    auto check = [&] {
        bool allFinished = true, allCapturing = sessions.size() == mirror->ports.size();
        for (const Running &r : std::as_const(sessions)) {
            allFinished = allFinished && r.finished;
            allCapturing = allCapturing && r.capturing && !r.finished;
        }
        if ((allFinished && (stopping || sessions.size() == mirror->ports.size()))
            || (detach && allCapturing))
            loop.quit();
    };
    // One session at a time: the next starts once the previous one captures, so that it reuses
    // the tap just added instead of racing it (ephemeral containers can never be removed).
    std::function<void()> startNext = [&] {
        const int i = int(sessions.size());
        if (stopping || i >= mirror->ports.size())
            return;
        SessionStartRequest request = mirror->sessionRequest(i);
        request.kubeconfig = kubeconfig;
        request.environment = environment;
        request.confirmProtected = p.isSet(confirmOpt);
        request.subscribe = true;
        request.skipEvents = QStringList{QStringLiteral("http"), QStringLiteral("connections")};
        request.stopWithClient = !detach;
        const ProjectConfig::PortMapping &m = mirror->ports.at(i);
        const QString label = QStringLiteral("%1 %2→%3").arg(name).arg(m.remote).arg(m.local);
        client->holdEvents(); // its events may come with the reply, before it is listed
        const auto started
                = client->requestAndWait(QStringLiteral("session.start"), request.toJson());
        if (!started.ok) {
            std::fprintf(err, "podtap: %s: %s\n", qPrintable(label),
                         qPrintable(started.errorMessage));
            rc = started.errorCode == QLatin1String("timeout") ? 2 : 1;
            stopAll(); // all or nothing
            client->releaseEvents();
            check();
            return;
        }
        QString malformed;
        const SessionReply reply = SessionReply::fromJson(started.result, &malformed);
        if (!reply.session || !malformed.isEmpty()) {
            std::fprintf(
                    err, "podtap: %s: podtapd's answer is not understood: %s\n", qPrintable(label),
                    qPrintable(malformed.isEmpty() ? QStringLiteral("no session") : malformed));
            rc = 1;
            stopAll();
            client->releaseEvents();
            check();
            return;
        }
        const SessionSummary &s = *reply.session;
        Running r;
        r.id = s.id;
        r.label = label;
        sessions << r;
        std::fprintf(err, "podtap: session %s (%s): %s\n", qPrintable(r.id), qPrintable(label),
                     qPrintable(s.title));
        if (s.isProtected)
            std::fprintf(err,
                         "podtap: *** PROTECTED CONTEXT %s: session %s taps a context the "
                         "context guard protects ***\n",
                         qPrintable(s.context), qPrintable(r.id));
        client->releaseEvents();
    };
    auto indexOf = [&](const QString &stream) {
        for (int i = 0; i < sessions.size(); ++i)
            if (stream == QStringLiteral("session/") + sessions.at(i).id)
                return i;
        return -1;
    };
    QObject::connect(client.get(), &IpcClient::event, &guard, [&](const QJsonObject &e) {
        const int i = indexOf(e.value(QLatin1String("stream")).toString());
        if (i < 0)
            return;
        Running &r = sessions[i];
        const QString event = e.value(QLatin1String("event")).toString();
        const QJsonObject data = e.value(QLatin1String("data")).toObject();
        const QString message = data.value(QLatin1String("message")).toString();
        if (event == QLatin1String("progress")) {
            std::fprintf(err, "podtap: [%s] %s\n", qPrintable(r.label), qPrintable(message));
        } else if (event == QLatin1String("warning") || event == QLatin1String("events-lost")) {
            std::fprintf(err, "podtap: [%s] warning: %s\n", qPrintable(r.label),
                         qPrintable(message));
        } else if (event == QLatin1String("preflight")) {
            r.preflightFailed = r.preflightFailed || !data.value(QLatin1String("passed")).toBool();
        } else if (event == QLatin1String("state")) {
            const QString state = data.value(QLatin1String("state")).toString();
            if (state == r.state)
                return;
            r.state = state;
            if (state == QLatin1String("capturing") && !r.capturing) {
                r.capturing = true;
                std::fprintf(err, "podtap: session %s capturing (%s)%s\n", qPrintable(r.id),
                             qPrintable(r.label), detach ? "" : "; Ctrl-C stops every session");
                // Not from inside this handler: starting one appends to `sessions`.
                QTimer::singleShot(0, &guard, [&startNext] { startNext(); });
            }
        } else if (event == QLatin1String("mirror") && p.isSet(verboseOpt)) {
            for (const QJsonValue c : data.value(QLatin1String("ended")).toArray())
                std::fprintf(err, "podtap: [%s] mirrored connection %lld: %lld bytes, %s\n",
                             qPrintable(r.label), c[QLatin1String("id")].toInteger(),
                             c[QLatin1String("bytesMirrored")].toInteger(),
                             qPrintable(c[QLatin1String("outcome")].toString()));
        } else if (event == QLatin1String("finished")) {
            r.finished = true;
            r.final = data;
            // One session that ended ends the whole mirror: a half mirror is not what was asked.
            stopAll();
        }
        check();
    });
    QObject::connect(client.get(), &IpcClient::disconnected, &guard, [&] {
        std::fprintf(err, "podtap: lost the connection to podtapd (podtap sessions)\n");
        rc = 2;
        loop.quit();
    });
    UnixSignalWatcher signals({SIGINT, SIGTERM, SIGHUP});
    QObject::connect(&signals, &UnixSignalWatcher::received, &guard, [&] {
        std::fprintf(err, "podtap: stopping %lld sessions (the taps stay; tcpdump is stopped)\n",
                     qint64(sessions.size()));
        stopAll();
        check();
    });
    QTimer::singleShot(0, &guard, [&startNext] { startNext(); });
    loop.exec();
    if (rc == 2 || (rc == 1 && sessions.isEmpty()))
        return rc;
    if (detach) {
        bool allCapturing = true;
        for (const Running &r : std::as_const(sessions)) {
            allCapturing = allCapturing && r.capturing && !r.finished;
            std::fprintf(out, "%s\n", qPrintable(r.id));
        }
        if (allCapturing) {
            std::fprintf(err, "podtap: the sessions run in podtapd; `podtap stop ID` ends each\n");
            return 0;
        }
        for (const Running &r : std::as_const(sessions))
            if (!r.finished)
                client->requestAndWait(QStringLiteral("session.stop"),
                                       SessionStopRequest{r.id}.toJson());
        return std::max(rc, 5);
    }
    // Exit codes as SessionRunner's, the worst session (or a refused start) deciding.
    const int startRc = rc;
    rc = 0;
    QJsonArray finals;
    for (const Running &r : std::as_const(sessions)) {
        finals.append(r.final);
        if (r.final.value(QLatin1String("state")).toString() == QLatin1String("failed")) {
            std::fprintf(err, "podtap: session %s (%s) failed: %s\n", qPrintable(r.id),
                         qPrintable(r.label),
                         qPrintable(r.final.value(QLatin1String("reason")).toString()));
            rc = std::max(rc, r.preflightFailed ? 4 : r.capturing ? 6 : 5);
        }
        if (!p.isSet(jsonOpt))
            SessionRunner::printSummary(r.final, err);
    }
    if (p.isSet(jsonOpt)) {
        const QByteArray doc = QJsonDocument(QJsonObject{{QStringLiteral("mirror"), name},
                                                         {QStringLiteral("sessions"), finals}})
                                       .toJson(QJsonDocument::Indented);
        std::fwrite(doc.constData(), 1, std::size_t(doc.size()), out);
    }
    return std::max(rc, startRc);
}

} // namespace podtap
