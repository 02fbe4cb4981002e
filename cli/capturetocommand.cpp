#include "capturetocommand.h"
#include "auditlog.h"
#include "privatefile.h"

#include "capture/pcapstreamreader.h"
#include "capture/pcapwriter.h"
#include "guard/contextguard.h"
#include "kube/capturecommand.h"
#include "kube/capturestreamaccounting.h"
#include "kube/preflight.h"
#include "kube/tapcapture.h"
#include "kube/tapinjector.h"
#include "kube/tapspec.h"
#include "kubeclicontext.h"
#include "mirrorcommand.h"
#include "portnumber.h"
#include "targetwaiter.h"
#include "units.h"
#include "unixsignalwatcher.h"

#include <QEventLoop>

#include <QFile>
#include <QJsonObject>
#include <QSaveFile>
#include <QScopeGuard>
#include <QTimer>
#include <algorithm>

#include <csignal>
#include <limits>

namespace podtap {

int CaptureToCommand::run(const QStringList &arguments, FILE *out, FILE *err)
{
    // A capture is a podtapd session (stored; -w streams its pcap). --direct runs the same
    // tap and engine in this process instead, without a daemon or a store.
    if (!arguments.contains(QLatin1String("--direct")))
        return MirrorCommand::runCapture(arguments, out, err);
    QStringList rest = arguments;
    rest.removeAll(QStringLiteral("--direct"));
    const bool confirmedProtected = rest.removeAll(QStringLiteral("--yes-i-mean-production")) > 0;

    QCommandLineParser p;
    KubeCliContext kube;
    kube.addOptions(p);
    const QCommandLineOption portOpt(QStringLiteral("port"),
                                     QStringLiteral("Port to tap (1-65535)."), QStringLiteral("N"));
    const QCommandLineOption writeOpt(QStringList{QStringLiteral("w"), QStringLiteral("write")},
                                      QStringLiteral("pcap output file, - for stdout."),
                                      QStringLiteral("FILE"));
    const QCommandLineOption imageOpt(QStringLiteral("image"), QStringLiteral("Tap image."),
                                      QStringLiteral("IMAGE"));
    const QCommandLineOption profileOpt = KubeCliContext::tapProfileOption();
    const QCommandLineOption durationOpt(
            QStringLiteral("duration"),
            QStringLiteral("Stop after this long: seconds, or with a unit (90s, 5m, 1h30m)."),
            QStringLiteral("DURATION"));
    const QCommandLineOption snapOpt(QStringLiteral("snaplen"),
                                     QStringLiteral("Bytes kept per packet."), QStringLiteral("N"));
    // How long a silent exec stream (no pong) may last before it is declared dead and
    // restarted; hidden because only tests and very odd networks need to shorten it.
    QCommandLineOption stallOpt(QStringLiteral("stall-timeout"),
                                QStringLiteral("Declare the exec stream dead after S s without "
                                               "an answer to pings (default 60)."),
                                QStringLiteral("S"));
    stallOpt.setFlags(QCommandLineOption::HiddenFromHelp);
    p.addOptions({portOpt, writeOpt, imageOpt, profileOpt, durationOpt, snapOpt, stallOpt});
    QStringList args = rest;
    args.prepend(QStringLiteral("podtap capture"));
    const bool parsed = p.parse(args);
    // Durations take units; a typo is refused (exit 2), never read as 0.
    Result<qint64> stall = qint64(60); // seconds, client-go's rule
    if (parsed && p.isSet(stallOpt))
        stall = Units::parseSeconds(p.value(stallOpt));
    Result<qint64> durationMs = qint64(0);
    if (parsed && p.isSet(durationOpt))
        durationMs = Units::parseDuration(p.value(durationOpt), Units::BareNumber::Seconds);
    if (durationMs && durationMs.value() > std::numeric_limits<int>::max())
        durationMs = Result<qint64>::failure(
                QStringLiteral("'%1' is longer than the longest capture, 24 days")
                        .arg(p.value(durationOpt)));
    if (!stall || !durationMs) {
        std::fprintf(err, "podtap capture: %s: %s\n", !stall ? "--stall-timeout" : "--duration",
                     qPrintable(!stall ? stall.error() : durationMs.error()));
        return 1;
    }
    const qint64 stallSeconds = stall.value();
    if (!parsed || p.positionalArguments().size() != 1 || !p.isSet(portOpt) || !p.isSet(writeOpt)
        || stallSeconds < 1) {
        std::fprintf(err, "usage: podtap capture --direct TARGET --port N -w FILE|- [--image IMG] "
                          "[--tap-profile default|nonroot|baseline] [--duration DURATION] "
                          "[--stall-timeout S] [--context C] [-n NS]\n");
        return 1;
    }
    const auto profile = KubeCliContext::tapProfile(p, profileOpt, "capture", err);
    if (!profile)
        return 1;
    CaptureCommand::Options co;
    const Result<quint16> port = PortNumber::parse(p.value(portOpt));
    if (!port) {
        std::fprintf(err, "podtap capture: --port: %s\n", qPrintable(port.error()));
        return 1;
    }
    co.port = port.value();
    if (p.isSet(snapOpt)) { // "64k" too; "64x" is refused, not read as 0 (the default)
        const Result<qint64> snap = Units::parseSize(p.value(snapOpt));
        if (!snap) {
            std::fprintf(err, "podtap capture: --snaplen: %s\n", qPrintable(snap.error()));
            return 1;
        }
        co.snapLength = int(std::min<qint64>(snap.value(), std::numeric_limits<int>::max()));
    }
    auto argv = CaptureCommand::argv(co); // validated before any request is made
    if (!argv) {
        std::fprintf(err, "podtap capture: %s\n", qPrintable(argv.error()));
        return 1;
    }
    if (!kube.open(p, err))
        return 1;
    // The context guard, as podtapd applies it to sessions (no daemon here to ask).
    const QString context = kube.api()->access().contextName();
    const ContextGuard guard = ContextGuard::load();
    const bool isProtected = guard.isProtected(context);
    // The nonroot profile has no default image: preflight's image item explains what it needs.
    const QString image = p.isSet(imageOpt) || *profile == TapProfile::NonRoot
                                  ? p.value(imageOpt)
                                  : QLatin1String(TapSpec::DefaultImage);
    // The audit trail podtapd keeps for its sessions (same file, same fields): cluster
    // actions are recorded whichever way they were taken. "session" says it ran here.
    AuditLog auditLog;
    const QString targetName = p.positionalArguments().constFirst();
    QString auditNamespace = kube.ns();
    const int requestedPort = co.port;
    auto audit = [&](const QString &event, QJsonObject e) {
        e[QLatin1String("session")] = QStringLiteral("direct");
        e[QLatin1String("context")] = context;
        e[QLatin1String("namespace")] = auditNamespace;
        e[QLatin1String("target")] = targetName;
        e[QLatin1String("port")] = requestedPort;
        e[QLatin1String("image")] = image;
        e[QLatin1String("profile")] = tapProfileName(*profile);
        e[QLatin1String("protected")] = isProtected;
        if (isProtected)
            e[QLatin1String("confirmed")] = confirmedProtected;
        auditLog.append(event, e);
    };
    if (isProtected && !confirmedProtected) {
        audit(QStringLiteral("refused"),
              QJsonObject{{QStringLiteral("outcome"),
                           QStringLiteral("refused: protected context not confirmed")}});
        std::fprintf(err,
                     "podtap capture: context '%s' is protected (it matches '%s' in %s): nothing "
                     "was touched. Add --yes-i-mean-production to tap it anyway.\n",
                     qPrintable(context), qPrintable(guard.matchingPattern(context)),
                     qPrintable(guard.file()));
        return 1;
    }
    if (isProtected)
        std::fprintf(err, "podtap: *** PROTECTED CONTEXT %s ***\n", qPrintable(context));
    audit(QStringLiteral("capture-start"),
          QJsonObject{{QStringLiteral("outcome"), QStringLiteral("started")}});
    // Every way out from here ends the audited capture, as a podtapd session's end does.
    QString stopOutcome = QStringLiteral("failed");
    quint64 packets = 0;
    const auto auditStop = qScopeGuard([&] {
        audit(QStringLiteral("capture-stop"),
              QJsonObject{{QStringLiteral("outcome"),
                           QStringLiteral("%1 (%2 packets)").arg(stopOutcome).arg(packets)}});
    });
    const auto target = TargetWaiter::resolve(kube.api(), targetName, kube.ns(), co.port, err);
    if (!target) {
        stopOutcome = QStringLiteral("failed: %1 was not resolved").arg(targetName);
        return 1;
    }
    auditNamespace = target->pod.ns;
    if (target->port > 0 && target->port != co.port) {
        // A Service port maps to the pods' targetPort: capture what the pod really sees.
        std::fprintf(err, "podtap: service port %d is pod port %d\n", co.port, target->port);
        co.port = target->port;
        argv = CaptureCommand::argv(co);
    }

    QEventLoop loop;
    int rc = 0;
    auto finish = [&](int code) {
        rc = code;
        loop.quit();
    };

    // Preflight first: explain refusals before anything is touched.
    std::optional<PreflightReport> report;
    Preflight::run(kube.api(), target->pod, image, *profile, &loop, [&](const PreflightReport &r) {
        report = r;
        loop.quit();
    });
    loop.exec();
    if (!report->passed()) {
        std::fprintf(err,
                     "podtap capture: preflight failed; nothing was changed in the cluster.\n%s",
                     qPrintable(report->toText()));
        stopOutcome = QStringLiteral("failed: preflight failed; nothing was changed in the "
                                     "cluster.");
        return 4;
    }
    for (const auto &i : report->items)
        if (i.status == PreflightItem::Status::Warn)
            std::fprintf(err, "podtap: warning: %s: %s\n", qPrintable(i.title), qPrintable(i.why));

    // Output: one pcap stream, records re-serialised so a reconnect never leaves a second
    // file header in the middle.
    const QString path = p.value(writeOpt);
    QFile stdoutFile;
    QFile file;
    QIODevice *device = nullptr;
    if (path == QLatin1String("-")) {
        if (!stdoutFile.open(stdout, QIODevice::WriteOnly | QIODevice::Unbuffered)) {
            std::fprintf(err, "podtap capture: cannot write to stdout\n");
            stopOutcome = QStringLiteral("failed: cannot write to stdout");
            return 1;
        }
        device = &stdoutFile;
    } else {
        file.setFileName(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            std::fprintf(err, "podtap capture: cannot write %s: %s\n", qPrintable(path),
                         qPrintable(file.errorString()));
            stopOutcome = QStringLiteral("failed: cannot write %1").arg(path);
            return 1;
        }
        PrivateFile::restrict(file);
        device = &file;
    }
    std::unique_ptr<PcapWriter> writer;
    PcapStreamReader reader;
    auto startWriter = [&](int linkType) {
        PcapWriter::Options wo;
        wo.format = PcapWriter::Format::Pcap;
        wo.linkType = linkType;
        wo.snapLength = std::uint32_t(reader.snapLength() > 0 ? reader.snapLength()
                                                              : CaptureCommand::DefaultSnapLength);
        writer = std::make_unique<PcapWriter>(device, wo);
        writer->begin();
    };
    CaptureStreamAccounting account; // the same books as podtapd's pipeline keeps
    reader.setPacketCallback([&](const RawPacket &pkt) {
        account.packetArrived(pkt);
        if (!writer) {
            startWriter(pkt.linkType);
        } else if (pkt.linkType != reader.linkType()) {
            return;
        }
        writer->write(pkt);
        // Packet-buffered like tcpdump -U, so a live reader (Wireshark) sees packets at once.
        writer->flush();
        ++packets;
    });

    TapInjector injector(kube.api());
    TapCapture capture(kube.api());
    capture.setStallTimeout(
            int(std::min<qint64>(stallSeconds * 1000, std::numeric_limits<int>::max())));
    capture.setTap(*profile, target->pod.nodeName, report->nodeRuntime);
    QObject::connect(&injector, &TapInjector::progress, &loop,
                     [&](const QString &m) { std::fprintf(err, "podtap: %s\n", qPrintable(m)); });
    QObject::connect(&injector, &TapInjector::failed, &loop, [&](const QString &m) {
        std::fprintf(err, "podtap capture: %s\n", qPrintable(m));
        audit(QStringLiteral("inject-failed"),
              QJsonObject{{QStringLiteral("pod"), target->pod.name},
                          {QStringLiteral("outcome"), m}});
        stopOutcome = QStringLiteral("failed: ") + m.section(QLatin1Char('\n'), 0, 0);
        finish(5);
    });
    QObject::connect(&injector, &TapInjector::ready, &loop, [&](const QString &tap, bool reused) {
        std::fprintf(err, "podtap: %s tap %s in %s/%s; capturing tcp port %d\n",
                     reused ? "reusing" : "started", qPrintable(tap), qPrintable(target->pod.ns),
                     qPrintable(target->pod.name), co.port);
        audit(reused ? QStringLiteral("reuse") : QStringLiteral("inject"),
              QJsonObject{{QStringLiteral("pod"), target->pod.name},
                          {QStringLiteral("tap"), tap},
                          {QStringLiteral("outcome"),
                           reused ? QStringLiteral("running tap reused")
                                  : QStringLiteral("tap added and running")}});
        capture.start(target->pod.ns, target->pod.name, tap, argv.value());
    });
    QObject::connect(&capture, &TapCapture::streamStarted, &loop, [&](int attempt) {
        if (attempt > 0)
            reader.beginStream();
        account.beginStream();
    });
    QObject::connect(&capture, &TapCapture::pcapData, &loop, [&](const QByteArray &b) {
        account.bytesArrived(b.size());
        reader.feed(reinterpret_cast<const std::uint8_t *>(b.constData()), std::size_t(b.size()));
    });
    QObject::connect(&capture, &TapCapture::warning, &loop, [&](const QString &m) {
        std::fprintf(err, "podtap: warning: %s\n", qPrintable(m));
    });
    QObject::connect(&capture, &TapCapture::countsReported, &loop,
                     [&](const CaptureCommand::Counts &c) {
                         if (const qint64 unread = account.streamEnded(c).unread; unread > 0)
                             std::fprintf(err,
                                          "podtap: warning: %lld packets were still in the tap's "
                                          "capture buffer when tcpdump stopped: those bytes are "
                                          "missing\n",
                                          static_cast<long long>(unread));
                     });
    QObject::connect(&capture, &TapCapture::statusLine, &loop,
                     [&](const QString &l) { std::fprintf(err, "%s\n", qPrintable(l)); });
    QObject::connect(&capture, &TapCapture::stopped, &loop, [&](bool ok, const QString &why) {
        if (!ok)
            std::fprintf(err, "podtap capture: %s\n", qPrintable(why));
        stopOutcome = ok ? QStringLiteral("stopped") : QStringLiteral("failed");
        if (!why.isEmpty())
            stopOutcome += QStringLiteral(": ") + why.section(QLatin1Char('\n'), 0, 0);
        finish(ok ? 0 : 6);
    });

    // Ctrl-C / SIGTERM: stop tcpdump in the tap, keep the tap, close the file cleanly.
    UnixSignalWatcher signals({SIGINT, SIGTERM});
    QObject::connect(&signals, &UnixSignalWatcher::received, &loop, [&] {
        std::fprintf(err, "podtap: stopping (the tap stays in the pod; tcpdump is stopped)\n");
        capture.stop();
        stopOutcome = QStringLiteral("stopped");
        QTimer::singleShot(15000, &loop, [&] { finish(0); });
    });
    if (p.isSet(durationOpt))
        QTimer::singleShot(int(durationMs.value()), &loop, [&] { capture.stop(); });

    injector.setProfile(*profile);
    injector.start(target->pod, image);
    loop.exec();
    // A last stream that never sent a byte (stalled, cut at once) is not a damaged one.
    if (account.streamHasBytes())
        reader.endOfStream();
    // No packet at all still leaves a valid, empty capture (tcpdump -i any's link type).
    if (!writer)
        startWriter(reader.linkType() > 0 ? reader.linkType() : PcapWriter::Options().linkType);
    writer->flush();
    std::fprintf(err, "podtap: %llu packets written%s\n", static_cast<unsigned long long>(packets),
                 reader.errors().empty() ? "" : " (the stream had damaged records, see above)");
    for (const auto &e : reader.errors())
        std::fprintf(err, "podtap: stream %u at byte %llu: %s\n", e.streamId,
                     static_cast<unsigned long long>(e.streamOffset), e.message.c_str());
    // Summed over the streams, as the daemon's session summary sums its pods.
    const qint64 captured = account.tcpdumpCaptured();
    const qint64 received = qint64(account.received());
    if (account.everyStreamCounted() && captured > received)
        std::fprintf(err,
                     "podtap: warning: tcpdump wrote %lld packets but only %lld arrived: %lld "
                     "were lost on the way\n",
                     static_cast<long long>(captured), static_cast<long long>(received),
                     static_cast<long long>(captured - received));
    else if (!account.everyStreamCounted())
        std::fprintf(err, "podtap: note: a capture stream ended without tcpdump's counts, so "
                          "losses at its end cannot be ruled out\n");
    return rc;
}

} // namespace podtap
