#include "clidispatcher.h"

#include "capturetocommand.h"
#include "connectionscommand.h"
#include "contextscommand.h"
#include "exportcommand.h"
#include "inspectcommand.h"
#include "mirrorcommand.h"
#include "podscommand.h"
#include "preflightcommand.h"
#include "rbaccommand.h"
#include "replaycommand.h"
#include "requestscommand.h"
#include "retentioncommand.h"
#include "rmcommand.h"
#include "sessionscommand.h"
#include "statuscommand.h"
#include "stopcommand.h"
#include "version.h"

namespace podtap {

namespace {

struct Command
{
    const char *name;
    const char *synopsis; // after "podtap NAME "
    const char *summary;
    int (*run)(const QStringList &, FILE *, FILE *);
};

constexpr Command Commands[] = {
        {"inspect", "FILE [--port N] [--filter BPF] [--json] [--chunk-size N]",
         "print every TCP connection in a pcap/pcapng file (- = stdin)", &InspectCommand::run},
        {"contexts", "[--kubeconfig FILE] [--json]",
         "list the kubeconfig contexts (KUBECONFIG merged like kubectl)", &ContextsCommand::run},
        {"pods", "[--kubeconfig F] [--context C] [-n NS] [--json]",
         "pods with phase, readiness, TCP ports and any podtap tap", &PodsCommand::run},
        {"preflight",
         "TARGET [--port N] [--image IMG] [--tap-profile default|nonroot|baseline] [--json]\n"
         "        [--context C] [-n NS]",
         "what the cluster allows, checked before anything is touched (exit 4: a check failed)",
         &PreflightCommand::run},
        {"rbac",
         "(-n NS | --cluster) [--pod NAME]... [--user U | --group G] [--workloads]\n"
         "        [--name ROLE]",
         "print the Role (or ClusterRole) and binding podtap needs, as YAML for kubectl apply "
         "(asks no cluster)",
         &RbacCommand::run},
        {"mirror",
         "TARGET --port N --to [HOST:]PORT [--join-midstream] [--one-pod] [--detach]\n"
         "        [--duration S] [--verbose] [--json] [--image IMG] [--tap-profile P]\n"
         "        [--context C] [-n NS] [--yes-i-mean-production]\n"
         "        [--compare] [--report FILE] [--ignore-header H]… [--proto-descriptor FILE]\n"
         "        [--http-method M]… [--http-path REGEX] [--http-header 'NAME: REGEX']…\n"
         "    or: mirror NAME [--config FILE] [--detach] [--json]   (a mirror of .podtap.yaml)\n"
         "    or: mirror --list [--config FILE] [--json]",
         "copy the pod's inbound traffic to a local port, connection by connection (a podtapd "
         "session; one per port of a project mirror)",
         &MirrorCommand::runMirror},
        {"capture",
         "TARGET --port N [-w FILE|- [--format pcap|pcapng]] [--duration S] [--detach]\n"
         "        [--image IMG] [--context C] [-n NS] [--max-bytes MIB] [--max-age S] [--one-pod]\n"
         "        [--json] [--direct]\n"
         "        [--tap-profile default|nonroot|baseline]  (nonroot: uid 65532, needs --image)\n"
         "        [--yes-i-mean-production]  (a context the context guard protects)\n"
         "        TARGET: [context/]namespace/pod, pod/X, deployment/X, statefulset/X, service/X",
         "tap the pod (NET_RAW only) in a stored podtapd session; -w also streams its pcap; "
         "--direct -w: in this process, no daemon",
         &CaptureToCommand::run},
        {"sessions", "[--json]", "running and stored sessions of podtapd", &SessionsCommand::run},
        {"connections", "SESSION [--open] [--json]",
         "a session's connections: ended ones from the store, open ones with live counters",
         &ConnectionsCommand::run},
        {"requests", "SESSION [--json] [--method M] [--verdict V,…] [--route R] [--limit N]",
         "a session's HTTP/1.x, HTTP/2 and gRPC exchanges with their comparison verdicts "
         "(V: same, status, body, headers, local-error, local-timeout, not-comparable, differ, "
         "none)",
         &RequestsCommand::run},
        {"stop", "SESSION [--json]",
         "stop a session (tcpdump stops, the tap stays, the store closes)", &StopCommand::run},
        {"rm", "SESSION… | --all-stopped [--json]",
         "remove stored sessions and their files (never a running one)", &RmCommand::run},
        {"retention", "[--quota SIZE] [--max-age DURATION] [--json]",
         "show or set how much the capture store keeps (default 2G and 7d; the oldest "
         "stopped sessions go first)",
         &RetentionCommand::run},
        {"export",
         "SESSION -o FILE [--format pcap|pcapng] [--filter BPF] [--connections ID,…]\n"
         "        [--from T] [--until T] [--json]",
         "write a stored session (or part of it) as pcap/pcapng; all or nothing",
         &ExportCommand::run},
        {"replay",
         "SESSION|FILE --to [HOST:]PORT [--speed X | --max] [--port N] [--join-midstream]\n"
         "        [--connections ID|ADDR:PORT,…] [--json]\n"
         "        [--http [--rate RPS] [--percent P] [--concurrency N] [--header 'NAME: VALUE']…\n"
         "        [--keep-auth] [--compare] [--report FILE] [--ignore-header H]…\n"
         "        [--proto-descriptor FILE]]",
         "send a capture's inbound connections to a local port; --http: its requests, rate-"
         "controlled, answers compared with the recorded ones (exit 5: local errors)",
         &ReplayCommand::run},
        {"status", "[--json] [--socket PATH]", "is podtapd running (exit 3 when it is not)",
         &StatusCommand::run},
};

} // namespace

void CliDispatcher::printUsage(FILE *to)
{
    std::fprintf(
            to, "usage: podtap COMMAND [options]   (podtap COMMAND --help for one)\n\ncommands:\n");
    for (const Command &c : Commands)
        std::fprintf(to, "  %s %s\n        %s\n", c.name, c.synopsis, c.summary);
    std::fprintf(to, "  --version   print the version\n"
                     "  --help      print this help\n");
}

int CliDispatcher::run(const QStringList &arguments, FILE *out, FILE *err)
{
    if (arguments.isEmpty()) {
        printUsage(err);
        return 1;
    }
    const QString &command = arguments.constFirst();
    if (command == QLatin1String("--version") || command == QLatin1String("version")) {
        std::fprintf(out, "podtap %s\n", versionString());
        return 0;
    }
    if (command == QLatin1String("--help") || command == QLatin1String("-h")
        || command == QLatin1String("help")) {
        printUsage(out);
        return 0;
    }
    for (const Command &c : Commands) {
        if (command != QLatin1String(c.name))
            continue;
        const QStringList rest = arguments.mid(1);
        if (rest.contains(QLatin1String("--help")) || rest.contains(QLatin1String("-h"))) {
            std::fprintf(out, "usage: podtap %s %s\n%s\n", c.name, c.synopsis, c.summary);
            return 0;
        }
        return c.run(rest, out, err);
    }
    std::fprintf(err, "podtap: unknown command '%s'\n", qPrintable(command));
    printUsage(err);
    return 1;
}

} // namespace podtap
