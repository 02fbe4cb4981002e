#include "extcapcommand.h"
#include "ipc/sessionsubscriberequest.h"

#include "ipc/daemonlauncher.h"
#include "ipc/ipcclient.h"
#include "kube/kubeconfig.h"
#include "kube/podinfo.h"
#include "kube/tapprofile.h"
#include "kubeclicontext.h"
#include "mirrorcommand.h"
#include "readerwatch.h"
#include "unixsignalwatcher.h"
#include "version.h"

#include <QCommandLineParser>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>

#include <csignal>
#include <cstdio>
#include <cstdlib>

namespace podtap {

namespace {

// Wireshark waits for the reload button's answer: a slow cluster must not freeze its dialog.
constexpr int ReloadTimeoutMs = 8000;

// Option values go between braces: a brace in a context or pod name would end them early.
QString clean(QString s)
{
    return s.remove(QLatin1Char('{')).remove(QLatin1Char('}'));
}

struct Options
{
    // Wireshark's.
    QCommandLineOption interfaces{QStringLiteral("extcap-interfaces")};
    QCommandLineOption version{QStringLiteral("extcap-version"), {}, QStringLiteral("V")};
    QCommandLineOption interface {
        QStringLiteral("extcap-interface"), {}, QStringLiteral("I")
    };
    QCommandLineOption dlts{QStringLiteral("extcap-dlts")};
    QCommandLineOption config{QStringLiteral("extcap-config")};
    QCommandLineOption reload{QStringLiteral("extcap-reload-option"), {}, QStringLiteral("O")};
    QCommandLineOption capture{QStringLiteral("capture")};
    QCommandLineOption fifo{QStringLiteral("fifo"), {}, QStringLiteral("PATH")};
    QCommandLineOption filter{QStringLiteral("extcap-capture-filter"), {}, QStringLiteral("F")};
    QCommandLineOption controlIn{QStringLiteral("extcap-control-in"), {}, QStringLiteral("P")};
    QCommandLineOption controlOut{QStringLiteral("extcap-control-out"), {}, QStringLiteral("P")};
    QCommandLineOption debug{QStringLiteral("debug")};
    QCommandLineOption debugFile{QStringLiteral("debug-file"), {}, QStringLiteral("F")};
    // Ours (--extcap-config lists them).
    QCommandLineOption context{QStringLiteral("context"), {}, QStringLiteral("C")};
    QCommandLineOption ns{QStringLiteral("namespace"), {}, QStringLiteral("NS")};
    QCommandLineOption target{QStringLiteral("target"), {}, QStringLiteral("T")};
    QCommandLineOption port{QStringLiteral("port"), {}, QStringLiteral("N")};
    QCommandLineOption profile{QStringLiteral("tap-profile"), {}, QStringLiteral("P")};
    QCommandLineOption duration{QStringLiteral("duration"), {}, QStringLiteral("S")};
    QCommandLineOption production{QStringLiteral("yes-i-mean-production")};
    QCommandLineOption session{QStringLiteral("session"), {}, QStringLiteral("ID")};

    void addTo(QCommandLineParser &p) const
    {
        p.addOptions({interfaces, version, interface, dlts,       config,   reload,     capture,
                      fifo,       filter,  controlIn, controlOut, debug,    debugFile,  context,
                      ns,         target,  port,      profile,    duration, production, session});
    }
};

} // namespace

int ExtcapCommand::run(const QStringList &arguments, FILE *out, FILE *err)
{
    QCommandLineParser p;
    const Options o;
    o.addTo(p);
    if (!p.parse(QStringList{QStringLiteral("podtap-extcap")} + arguments)) {
        std::fprintf(err, "podtap-extcap: %s\n", qPrintable(p.errorText()));
        return 1;
    }
    if (p.isSet(o.interfaces))
        return interfaces(out);
    if (p.value(o.interface) != QLatin1String(Interface)) {
        std::fprintf(err,
                     "podtap-extcap: no such interface '%s' (this extcap has one: %s); "
                     "Wireshark calls it with --extcap-interfaces first\n",
                     qPrintable(p.value(o.interface)), Interface);
        return 1;
    }
    if (p.isSet(o.dlts))
        return dlts(out);
    if (p.isSet(o.config))
        return config(arguments, p.value(o.reload), out);
    if (p.isSet(o.capture))
        return capture(arguments, out, err);
    std::fprintf(err, "podtap-extcap: nothing to do (expected --extcap-dlts, --extcap-config or "
                      "--capture)\n");
    return 1;
}

int ExtcapCommand::interfaces(FILE *out)
{
    std::fprintf(out,
                 "extcap {version=%s}\n"
                 "interface {value=%s}{display=Kubernetes pod (podtap: NET_RAW-only tap, nothing "
                 "installed)}\n",
                 versionString(), Interface);
    return 0;
}

int ExtcapCommand::dlts(FILE *out)
{
    // What `tcpdump -i any` writes in the tap; the pcapng names each pod's link type itself.
    std::fprintf(out, "dlt {number=276}{name=LINUX_SLL2}{display=Linux cooked v2 (tcpdump -i any "
                      "in the pod's tap)}\n");
    return 0;
}

int ExtcapCommand::config(const QStringList &arguments, const QString &reloadOption, FILE *out)
{
    QCommandLineParser p;
    const Options o;
    o.addTo(p);
    p.parse(QStringList{QStringLiteral("podtap-extcap")} + arguments);

    // Targets come from the cluster, so only on the reload button: Wireshark reads the
    // configuration whenever it opens the dialog and must not wait for a cluster then.
    if (reloadOption == QLatin1String("target")) {
        QCommandLineParser kp;
        KubeCliContext kube;
        kube.addOptions(kp);
        QStringList kargs{QStringLiteral("podtap-extcap")};
        if (!p.value(o.context).isEmpty())
            kargs << QStringLiteral("--context") << p.value(o.context);
        if (!p.value(o.ns).isEmpty())
            kargs << QStringLiteral("-n") << p.value(o.ns);
        kp.parse(kargs);
        FILE *quiet = std::fopen("/dev/null", "w");
        const bool opened = kube.open(kp, quiet ? quiet : stderr);
        if (quiet)
            std::fclose(quiet);
        if (!opened)
            return 0; // the user types the target instead
        for (const char *kind : {"deployments", "statefulsets"}) {
            const auto r
                    = kube.api()->requestAndWait("GET",
                                                 QStringLiteral("/apis/apps/v1/namespaces/%1/%2")
                                                         .arg(kube.ns(), QLatin1String(kind)),
                                                 {}, {}, {}, ReloadTimeoutMs);
            for (const QJsonValue v : r.json.value(QLatin1String("items")).toArray()) {
                const QString name
                        = QString::fromLatin1(kind).chopped(1) + QLatin1Char('/')
                          + v[QLatin1String("metadata")][QLatin1String("name")].toString();
                std::fprintf(out, "value {arg=2}{value=%s}{display=%s}\n", qPrintable(clean(name)),
                             qPrintable(clean(name)));
            }
        }
        const auto pods = kube.api()->requestAndWait(
                "GET", QStringLiteral("/api/v1/namespaces/%1/pods").arg(kube.ns()), {}, {}, {},
                ReloadTimeoutMs);
        for (const QJsonValue v : pods.json.value(QLatin1String("items")).toArray()) {
            const PodInfo pod = PodInfo::fromJson(v.toObject());
            std::fprintf(out, "value {arg=2}{value=pod/%s}{display=pod/%s (%s)}\n",
                         qPrintable(clean(pod.name)), qPrintable(clean(pod.name)),
                         qPrintable(clean(pod.phase)));
        }
        return 0;
    }

    std::fprintf(out, "arg {number=0}{call=--context}{display=Context}{type=selector}"
                      "{tooltip=A context of your kubeconfig ($KUBECONFIG or ~/.kube/config)}"
                      "{group=Target}\n");
    const auto kubeconfig = Kubeconfig::loadDefault();
    if (kubeconfig) {
        for (const KubeContext &c : kubeconfig->contexts())
            std::fprintf(out, "value {arg=0}{value=%s}{display=%s}%s\n", qPrintable(clean(c.name)),
                         qPrintable(clean(c.name)),
                         c.name == kubeconfig->currentContext() ? "{default=true}" : "");
    }
    std::fprintf(out,
                 "arg {number=1}{call=--namespace}{display=Namespace}{type=string}"
                 "{tooltip=Empty: the context's namespace}{group=Target}\n"
                 "arg {number=2}{call=--target}{display=Pod or workload}{type=selector}"
                 "{tooltip=pod/NAME, deployment/NAME, statefulset/NAME or a Service; every pod "
                 "of a workload is tapped and becomes an interface of the capture}"
                 "{reload=true}{placeholder=Load from the cluster}{group=Target}\n"
                 "arg {number=3}{call=--port}{display=Port}{type=unsigned}{range=1,65535}"
                 "{tooltip=The pod's TCP port (a Service port is mapped to its "
                 "target port)}{group=Target}\n"
                 "arg {number=4}{call=--tap-profile}{display=Tap profile}{type=selector}"
                 "{tooltip=How the tap holds NET_RAW, its only capability}{group=Tap}\n");
    for (const TapProfile t : {TapProfile::Default, TapProfile::Baseline, TapProfile::NonRoot})
        std::fprintf(out, "value {arg=4}{value=%s}{display=%s}%s\n", qPrintable(tapProfileName(t)),
                     qPrintable(clean(tapProfileTradeOff(t))),
                     t == TapProfile::Default ? "{default=true}" : "");
    std::fprintf(out, "arg {number=5}{call=--duration}{display=Stop after (seconds, 0: when "
                      "stopped)}{type=unsigned}{default=0}{group=Capture}\n"
                      "arg {number=6}{call=--yes-i-mean-production}{display=Tap a context the "
                      "context guard protects}{type=boolflag}{group=Capture}\n"
                      "arg {number=7}{call=--session}{display=Or a running session}"
                      "{type=string}{tooltip=The ID of a session podtapd runs (podtap sessions): "
                      "its live capture instead of a new session; it goes on when Wireshark "
                      "stops}{group=Target}\n");
    return 0;
}

int ExtcapCommand::capture(const QStringList &arguments, FILE *out, FILE *err)
{
    QCommandLineParser p;
    const Options o;
    o.addTo(p);
    p.parse(QStringList{QStringLiteral("podtap-extcap")} + arguments);
    // Wireshark (tshark 4.0 at least) waits for the FIFO to be opened before it looks at an
    // extcap that ended: held open here from the start, every refusal below reaches it as
    // "Error by extcap pipe: <our stderr>" instead of a capture that never ends.
    QFile fifo(p.value(o.fifo));
    if (!fifo.fileName().isEmpty() && !fifo.open(QIODevice::WriteOnly | QIODevice::Unbuffered)) {
        std::fprintf(err, "podtap-extcap: cannot open the FIFO %s: %s\n",
                     qPrintable(fifo.fileName()), qPrintable(fifo.errorString()));
        return 1;
    }
    if (!p.value(o.filter).trimmed().isEmpty()) {
        std::fprintf(err,
                     "podtap-extcap: capture filters are not supported: the tap captures tcp port "
                     "N of the pod with a filter podtap builds itself (spec: a tap runs only "
                     "validated commands). Leave the capture filter empty and use a display "
                     "filter.\n");
        return 1;
    }
    // Wireshark closing the FIFO must reach us as a failed write, not kill us.
    std::signal(SIGPIPE, SIG_IGN);
    if (!p.value(o.session).isEmpty() && fifo.isOpen())
        return follow(p.value(o.session), &fifo, err);
    if (p.value(o.fifo).isEmpty() || p.value(o.target).isEmpty() || p.value(o.port).isEmpty()) {
        std::fprintf(err, "podtap-extcap: a capture needs --target and --port (set Pod or "
                          "workload and Port in the interface's options), or --session\n");
        return 1;
    }
    // A closed FIFO stops the session cleanly (its stored capture kept).
    QStringList args{p.value(o.target),        QStringLiteral("--port"),
                     p.value(o.port),          QStringLiteral("-w"),
                     p.value(o.fifo),          QStringLiteral("--format"),
                     QStringLiteral("pcapng"), QStringLiteral("--stop-when-reader-leaves")};
    if (!p.value(o.context).isEmpty())
        args << QStringLiteral("--context") << p.value(o.context);
    if (!p.value(o.ns).isEmpty())
        args << QStringLiteral("-n") << p.value(o.ns);
    if (!p.value(o.profile).isEmpty())
        args << QStringLiteral("--tap-profile") << p.value(o.profile);
    // Passed on as written: `podtap capture` refuses a malformed one instead of reading 0.
    if (const QString d = p.value(o.duration).trimmed(); !d.isEmpty() && d != QLatin1String("0"))
        args << QStringLiteral("--duration") << d;
    if (p.isSet(o.production))
        args << QStringLiteral("--yes-i-mean-production");
    // Wireshark treats anything on an extcap's stderr as an error ("Error by extcap pipe")
    // and ends the capture: the session's progress is kept and shown only if it fails.
    char *said = nullptr;
    std::size_t saidSize = 0;
    FILE *progress = open_memstream(&said, &saidSize);
    const int rc = MirrorCommand::runCapture(args, out, progress ? progress : err);
    if (progress) {
        std::fclose(progress);
        if (rc != 0)
            std::fwrite(said, 1, saidSize, err);
        std::free(said);
    }
    return rc;
}

int ExtcapCommand::follow(const QString &sessionId, QFile *fifo, FILE *err)
{
    IpcClient client;
    client.connectToDaemon(DaemonLauncher::socketPath(), QStringLiteral("podtap-extcap"));
    if (!client.waitForReady(3000)) {
        std::fprintf(err, "podtap-extcap: podtapd is not running (no answer on %s)\n",
                     qPrintable(DaemonLauncher::socketPath()));
        return 2;
    }
    // The section header comes with the reply: hold it until the handlers exist.
    client.holdEvents();
    SessionSubscribeRequest subscription = SessionSubscribeRequest::session(sessionId);
    subscription.pcap = true;
    subscription.pcapFormat = QStringLiteral("pcapng");
    subscription.skipEvents = QStringList{QStringLiteral("http")};
    const auto subscribed
            = client.requestAndWait(QStringLiteral("session.subscribe"), subscription.toJson());
    if (!subscribed.ok) {
        std::fprintf(err, "podtap-extcap: session %s: %s\n", qPrintable(sessionId),
                     qPrintable(subscribed.errorMessage));
        return 3;
    }
    QEventLoop loop;
    int rc = -1;
    const QString stream = QStringLiteral("session/") + sessionId;
    QObject::connect(&client, &IpcClient::binary, &loop, [&](quint32, const QByteArray &blocks) {
        if (rc < 0 && fifo->write(blocks) != blocks.size()) {
            rc = 0; // Wireshark stopped reading: the session goes on
            loop.quit();
        }
    });
    QObject::connect(&client, &IpcClient::event, &loop, [&](const QJsonObject &e) {
        if (e.value(QLatin1String("stream")).toString() == stream
            && e.value(QLatin1String("event")).toString() == QLatin1String("finished")) {
            rc = 0;
            loop.quit();
        }
    });
    QObject::connect(&client, &IpcClient::disconnected, &loop, [&] {
        std::fprintf(err, "podtap-extcap: lost the connection to podtapd\n");
        rc = 2;
        loop.quit();
    });
    UnixSignalWatcher signals({SIGINT, SIGTERM});
    QObject::connect(&signals, &UnixSignalWatcher::received, &loop, [&] {
        rc = 0;
        loop.quit();
    });
    // Wireshark stopped while the pod is quiet: no write would tell.
    ReaderWatch reader(fifo->handle());
    QObject::connect(&reader, &ReaderWatch::gone, &loop, [&] {
        rc = 0;
        loop.quit();
    });
    client.releaseEvents();
    if (rc < 0)
        loop.exec();
    fifo->flush();
    if (client.isReady())
        client.requestAndWait(QStringLiteral("session.unsubscribe"),
                              SessionSubscribeRequest::session(sessionId).toJson(), 2000);
    return rc;
}

} // namespace podtap
