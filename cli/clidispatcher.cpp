#include "clidispatcher.h"

#include "capturetocommand.h"
#include "contextscommand.h"
#include "inspectcommand.h"
#include "podscommand.h"
#include "preflightcommand.h"
#include "replaycommand.h"
#include "statuscommand.h"
#include "version.h"

namespace podtap {

void CliDispatcher::printUsage(FILE *to)
{
    std::fprintf(
            to, "usage: podtap COMMAND [options]\n"
                "\n"
                "commands:\n"
                "  inspect FILE [--port N] [--filter BPF] [--json]\n"
                "        print every TCP connection in a pcap/pcapng file (- = stdin)\n"
                "  contexts [--kubeconfig FILE] [--json]\n"
                "        list the kubeconfig contexts (KUBECONFIG merged like kubectl)\n"
                "  pods [--context C] [-n NS] [--json]\n"
                "        pods with phase, readiness, TCP ports and any podtap tap\n"
                "  preflight TARGET [--port N] [--image IMG] [--json]\n"
                "        what the cluster allows, checked before anything is touched (exit 4: "
                "a check failed)\n"
                "  capture TARGET --port N -w FILE|- [--duration S] [--image IMG]\n"
                "        tap the pod (NET_RAW only) and write its traffic as pcap\n"
                "        TARGET: [context/]namespace/pod, pod/X, deployment/X, statefulset/X, "
                "service/X\n"
                "  replay FILE --to [HOST:]PORT [--speed X | --max] [--port N] [--join-midstream]\n"
                "        send the capture's inbound connections to a local port (exit 5: local "
                "errors)\n"
                "  status [--json]\n"
                "        is podtapd running (exit 3 when it is not)\n"
                "  --version   print the version\n"
                "  --help      print this help\n");
}

int CliDispatcher::run(const QStringList &arguments, FILE *out, FILE *err)
{
    if (arguments.isEmpty()) {
        printUsage(err);
        return 1;
    }
    const QString command = arguments.constFirst();
    if (command == QLatin1String("--version") || command == QLatin1String("version")) {
        std::fprintf(out, "podtap %s\n", versionString());
        return 0;
    }
    if (command == QLatin1String("--help") || command == QLatin1String("-h")
        || command == QLatin1String("help")) {
        printUsage(out);
        return 0;
    }
    if (command == QLatin1String("contexts"))
        return ContextsCommand::run(arguments.mid(1), out, err);
    if (command == QLatin1String("pods"))
        return PodsCommand::run(arguments.mid(1), out, err);
    if (command == QLatin1String("preflight"))
        return PreflightCommand::run(arguments.mid(1), out, err);
    if (command == QLatin1String("capture"))
        return CaptureToCommand::run(arguments.mid(1), out, err);
    if (command == QLatin1String("replay"))
        return ReplayCommand::run(arguments.mid(1), out, err);
    if (command == QLatin1String("status"))
        return StatusCommand::run(arguments.mid(1), out, err);
    if (command == QLatin1String("inspect"))
        return InspectCommand::run(arguments.mid(1), out, err);
    std::fprintf(err, "podtap: unknown command '%s'\n", qPrintable(command));
    printUsage(err);
    return 1;
}

} // namespace podtap
