#include "mirrorcommand.h"
#include "privatefile.h"

#include "daemonconnection.h"
#include "kubeclicontext.h"
#include "projectmirrorcommand.h"
#include "replaycommand.h"
#include "sessionrunner.h"
#include "units.h"

#include "http2/protodescriptorset.h"
#include "ipc/sessionstartrequest.h"
#include "portnumber.h"

#include <QCommandLineParser>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>

namespace podtap {

namespace {
// The kubeconfig as this terminal sees it, for the daemon to load the same files.
QStringList kubeconfigFiles(const QCommandLineParser &p, const QCommandLineOption &explicitFile)
{
    if (p.isSet(explicitFile))
        return {QFileInfo(p.value(explicitFile)).absoluteFilePath()};
    return SessionStartRequest::kubeconfigFromEnvironment();
}
} // namespace

int MirrorCommand::runMirror(const QStringList &arguments, FILE *out, FILE *err)
{
    // `podtap mirror NAME`: a mirror of the project's .podtap.yaml.
    if (ProjectMirrorCommand::handles(arguments))
        return ProjectMirrorCommand::run(arguments, out, err);
    return run(arguments, true, out, err);
}

int MirrorCommand::runCapture(const QStringList &arguments, FILE *out, FILE *err)
{
    return run(arguments, false, out, err);
}

int MirrorCommand::run(const QStringList &arguments, bool mirror, FILE *out, FILE *err)
{
    const char *name = mirror ? "mirror" : "capture";
    QCommandLineParser p;
    DaemonConnection daemon;
    daemon.addOptions(p);
    const QCommandLineOption kubeconfigOpt(QStringLiteral("kubeconfig"),
                                           QStringLiteral("Use only this kubeconfig file."),
                                           QStringLiteral("FILE"));
    const QCommandLineOption contextOpt(QStringLiteral("context"),
                                        QStringLiteral("kubeconfig context."), QStringLiteral("C"));
    const QCommandLineOption nsOpt({QStringLiteral("n"), QStringLiteral("namespace")},
                                   QStringLiteral("Namespace."), QStringLiteral("NS"));
    const QCommandLineOption portOpt(QStringLiteral("port"), QStringLiteral("Port to tap."),
                                     QStringLiteral("N"));
    const QCommandLineOption toOpt(QStringLiteral("to"),
                                   QStringLiteral("Local target [HOST:]PORT."),
                                   QStringLiteral("TARGET"));
    const QCommandLineOption midOpt(QStringLiteral("join-midstream"),
                                    QStringLiteral("Also mirror connections already open."));
    const QCommandLineOption onePodOpt(
            QStringLiteral("one-pod"),
            QStringLiteral("Workloads: tap only the most active pod (default: all, followed)."));
    const QCommandLineOption detachOpt(QStringLiteral("detach"),
                                       QStringLiteral("Leave the session running in podtapd."));
    const QCommandLineOption durationOpt(
            QStringLiteral("duration"),
            QStringLiteral("Stop after this long: seconds, or with a unit (90s, 5m, 1h30m)."),
            QStringLiteral("DURATION"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("JSON summary."));
    const QCommandLineOption verboseOpt(QStringLiteral("verbose"),
                                        QStringLiteral("Every mirrored connection's outcome."));
    const QCommandLineOption imageOpt(QStringLiteral("image"), QStringLiteral("Tap image."),
                                      QStringLiteral("IMAGE"));
    const QCommandLineOption maxBytesOpt(
            QStringLiteral("max-bytes"),
            QStringLiteral("Keep at most this much, oldest dropped: bytes, or with a unit (500M, "
                           "2G; powers of 1024)."),
            QStringLiteral("SIZE"));
    const QCommandLineOption maxAgeOpt(
            QStringLiteral("max-age"),
            QStringLiteral("Keep only the last seconds, or a duration with a unit (90s, 10m)."),
            QStringLiteral("DURATION"));
    QCommandLineOption stallOpt(QStringLiteral("stall-timeout"),
                                QStringLiteral("Declare the exec stream dead after this long."),
                                QStringLiteral("DURATION"));
    stallOpt.setFlags(QCommandLineOption::HiddenFromHelp);
    const QCommandLineOption profileOpt = KubeCliContext::tapProfileOption();
    p.addOption(profileOpt);
    // The context guard (podtapd refuses protected contexts without it).
    const QCommandLineOption confirmOpt(QStringLiteral("yes-i-mean-production"),
                                        QStringLiteral("Tap a context the context guard "
                                                       "protects (~/.config/podtap/guard.conf)."));
    p.addOption(confirmOpt);
    // HTTP (issue 8): shadow comparison and the mirror's request filter.
    const QCommandLineOption compareOpt(
            QStringLiteral("compare"),
            QStringLiteral("Compare each pod response with the local build's answer to the same "
                           "request."));
    const QCommandLineOption reportOpt(QStringLiteral("report"),
                                       QStringLiteral("Write the comparison as JSON to FILE."),
                                       QStringLiteral("FILE"));
    const QCommandLineOption ignoreOpt(
            QStringLiteral("ignore-header"),
            QStringLiteral("Also ignore this header when comparing (repeatable)."),
            QStringLiteral("NAME"));
    const QCommandLineOption protoOpt(
            QStringLiteral("proto-descriptor"),
            QStringLiteral("Name gRPC message fields in the comparison: a FileDescriptorSet "
                           "(protoc --descriptor_set_out=FILE --include_imports)."),
            QStringLiteral("FILE"));
    const QCommandLineOption methodOpt(
            QStringLiteral("http-method"),
            QStringLiteral("Mirror only connections whose first request has this method "
                           "(repeatable)."),
            QStringLiteral("M"));
    const QCommandLineOption pathOpt(
            QStringLiteral("http-path"),
            QStringLiteral("… whose first request's path matches this regex."),
            QStringLiteral("REGEX"));
    const QCommandLineOption headerOpt(
            QStringLiteral("http-header"),
            QStringLiteral("… whose first request has a header matching 'Name: REGEX' "
                           "(repeatable)."),
            QStringLiteral("H"));
    if (mirror)
        p.addOptions({compareOpt, reportOpt, ignoreOpt, protoOpt, methodOpt, pathOpt, headerOpt});
    p.addOptions({kubeconfigOpt, contextOpt, nsOpt, portOpt, midOpt, onePodOpt, detachOpt,
                  durationOpt, jsonOpt, verboseOpt, imageOpt, maxBytesOpt, maxAgeOpt, stallOpt});
    const QCommandLineOption writeOpt(QStringList{QStringLiteral("w"), QStringLiteral("write")},
                                      QStringLiteral("Also stream the pcap to FILE (- = stdout)."),
                                      QStringLiteral("FILE"));
    const QCommandLineOption formatOpt(
            QStringLiteral("format"),
            QStringLiteral("-w format: pcap (default) or pcapng (one interface per pod, losses "
                           "recorded as interface statistics)."),
            QStringLiteral("pcap|pcapng"), QStringLiteral("pcap"));
    // The Wireshark extcap's: when the reader of -w goes away, stop rather than store on.
    QCommandLineOption readerOpt(QStringLiteral("stop-when-reader-leaves"),
                                 QStringLiteral("Stop the session when -w cannot be written."));
    readerOpt.setFlags(QCommandLineOption::HiddenFromHelp);
    if (mirror)
        p.addOption(toOpt);
    else
        p.addOptions({writeOpt, formatOpt, readerOpt});
    QStringList args = arguments;
    args.prepend(QStringLiteral("podtap ") + QLatin1String(name));
    if (!p.parse(args) || p.positionalArguments().size() != 1 || !p.isSet(portOpt)
        || (mirror && !p.isSet(toOpt))) {
        std::fprintf(err,
                     "usage: podtap %s TARGET --port N%s [--join-midstream] [--one-pod] "
                     "[--detach] [--duration DURATION] [--max-bytes SIZE] [--max-age DURATION] "
                     "[--json] [--context C] [-n NS]\n",
                     name, mirror ? " --to [HOST:]PORT" : " [-w FILE|- [--format pcap|pcapng]]");
        if (!p.errorText().isEmpty())
            std::fprintf(err, "podtap %s: %s\n", name, qPrintable(p.errorText()));
        return 1;
    }
    SessionStartRequest request;
    request.kubeconfig = kubeconfigFiles(p, kubeconfigOpt);
    // Exec credential plugins run in the daemon but must see this terminal's environment.
    request.environment = SessionStartRequest::processEnvironment();
    request.context = p.value(contextOpt);
    request.ns = p.value(nsOpt);
    request.target = p.positionalArguments().constFirst();
    const Result<quint16> port = PortNumber::parse(p.value(portOpt));
    if (!port) {
        std::fprintf(err, "podtap %s: --port: %s\n", name, qPrintable(port.error()));
        return 1;
    }
    request.port = port.value();
    request.allPods = !p.isSet(onePodOpt);
    request.confirmProtected = p.isSet(confirmOpt);
    if (p.isSet(imageOpt))
        request.image = p.value(imageOpt);
    const auto profile = KubeCliContext::tapProfile(p, profileOpt, name, err);
    if (!profile)
        return 1;
    request.tapProfile = tapProfileName(*profile);
    // Sizes and durations take units; a typo is refused (exit 1), never sent as 0 (no limit).
    QString refused;
    auto value = [&](const QCommandLineOption &o, auto parse) -> qint64 {
        if (!p.isSet(o) || !refused.isEmpty())
            return 0;
        const Result<qint64> r = parse(p.value(o));
        if (!r)
            refused = QStringLiteral("--") + o.names().constLast() + QStringLiteral(": ")
                      + r.error();
        return r ? r.value() : 0;
    };
    const qint64 stallSeconds = value(stallOpt, &Units::parseSeconds);
    request.limits.durationSeconds = value(durationOpt, &Units::parseSeconds);
    request.limits.maxBytes = value(maxBytesOpt, &Units::parseSize);
    request.limits.maxAgeSeconds = value(maxAgeOpt, &Units::parseSeconds);
    if (!refused.isEmpty()) {
        std::fprintf(err, "podtap %s: %s\n", name, qPrintable(refused));
        return 1;
    }
    if (p.isSet(stallOpt))
        request.stallTimeoutSeconds = stallSeconds;
    if (mirror) {
        QHostAddress host;
        quint16 port = 0;
        QString error;
        if (!ReplayCommand::parseTarget(p.value(toOpt), &host, &port, &error)) {
            std::fprintf(err, "podtap mirror: %s\n", qPrintable(error));
            return 1;
        }
        request.mirror.host = host.toString();
        request.mirror.port = port;
        request.mirror.joinMidstream = p.isSet(midOpt);
        // A host typed by the user is an explicit choice; the default is loopback.
        request.mirror.allowRemote = p.value(toOpt).contains(QLatin1Char(':'));
        request.mirror.compare = p.isSet(compareOpt) || p.isSet(reportOpt);
        request.mirror.ignoreHeaders = p.values(ignoreOpt);
        if (p.isSet(protoOpt)) { // checked here, before the daemon is asked anything
            const auto bytes = ProtoDescriptorSet::readFileBytes(p.value(protoOpt));
            if (!bytes) {
                std::fprintf(err, "podtap mirror: --proto-descriptor: %s\n",
                             qPrintable(bytes.error()));
                return 1;
            }
            request.mirror.protoDescriptor = bytes.value();
        }
        QJsonObject filter;
        if (p.isSet(methodOpt)) {
            QStringList methods;
            for (const QString &m : p.values(methodOpt))
                methods << m.split(QLatin1Char(','), Qt::SkipEmptyParts);
            filter[QLatin1String("methods")] = QJsonArray::fromStringList(methods);
        }
        if (p.isSet(pathOpt))
            filter[QLatin1String("path")] = p.value(pathOpt);
        if (p.isSet(headerOpt)) {
            QJsonObject headers;
            for (const QString &h : p.values(headerOpt)) {
                const qsizetype colon = h.indexOf(QLatin1Char(':'));
                if (colon <= 0) {
                    std::fprintf(err,
                                 "podtap mirror: --http-header wants 'Name: REGEX' (got "
                                 "'%s')\n",
                                 qPrintable(h));
                    return 1;
                }
                headers[h.left(colon).trimmed()] = h.mid(colon + 1).trimmed();
            }
            filter[QLatin1String("headers")] = headers;
        }
        request.mirror.httpFilter = filter;
    }
    // -w: the session's live pcap, packet-buffered (a pipe into Wireshark sees it at once).
    QFile pcapFile;
    if (!mirror && p.value(formatOpt) != QLatin1String("pcap")
        && p.value(formatOpt) != QLatin1String("pcapng")) {
        std::fprintf(err, "podtap capture: --format is pcap or pcapng, not '%s'\n",
                     qPrintable(p.value(formatOpt)));
        return 1;
    }
    if (!mirror && p.isSet(writeOpt)) {
        if (p.isSet(detachOpt)) {
            std::fprintf(err, "podtap capture: -w streams to this terminal; it cannot --detach "
                              "(export the session later instead)\n");
            return 1;
        }
        const QString path = p.value(writeOpt);
        const bool ok
                = path == QLatin1String("-")
                          ? pcapFile.open(stdout, QIODevice::WriteOnly | QIODevice::Unbuffered)
                          : (pcapFile.setFileName(path),
                             pcapFile.open(QIODevice::WriteOnly | QIODevice::Truncate
                                           | QIODevice::Unbuffered));
        if (!ok) {
            std::fprintf(err, "podtap capture: cannot write %s: %s\n", qPrintable(path),
                         qPrintable(pcapFile.errorString()));
            return 1;
        }
        if (path != QLatin1String("-"))
            PrivateFile::restrict(pcapFile);
    }
    auto client = daemon.open(p, err);
    if (!client)
        return DaemonConnection::ExitNoDaemon;
    SessionRunner::Options o;
    o.pcapOut = pcapFile.isOpen() ? &pcapFile : nullptr;
    o.pcapng = !mirror && p.value(formatOpt) == QLatin1String("pcapng");
    o.stopWhenOutputFails = !mirror && p.isSet(readerOpt);
    o.detach = p.isSet(detachOpt);
    o.json = p.isSet(jsonOpt);
    o.verbose = p.isSet(verboseOpt);
    o.compare = mirror && (p.isSet(compareOpt) || p.isSet(reportOpt));
    o.reportPath = mirror ? p.value(reportOpt) : QString();
    return SessionRunner::run(*client, request, o, out, err);
}

} // namespace podtap
