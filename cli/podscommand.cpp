#include "podscommand.h"

#include "kube/podinfo.h"
#include "kubeclicontext.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace podtap {

int PodsCommand::run(const QStringList &arguments, FILE *out, FILE *err)
{
    QCommandLineParser p;
    KubeCliContext kube;
    kube.addOptions(p);
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("JSON output."));
    p.addOption(jsonOpt);
    QStringList args = arguments;
    args.prepend(QStringLiteral("podtap pods"));
    if (!p.parse(args) || !p.positionalArguments().isEmpty()) {
        std::fprintf(err, "usage: podtap pods [--kubeconfig F] [--context C] [-n NS] [--json]\n");
        return 1;
    }
    if (!kube.open(p, err))
        return 1;
    const auto r = kube.api()->requestAndWait(
            "GET", QStringLiteral("/api/v1/namespaces/%1/pods").arg(kube.ns()));
    if (!r.ok()) {
        std::fprintf(err, "podtap pods: %s\n", qPrintable(r.errorText()));
        return 1;
    }
    QJsonArray list;
    QList<PodInfo> pods;
    for (const QJsonValue v : r.json.value(QLatin1String("items")).toArray())
        pods << PodInfo::fromJson(v.toObject());
    for (const PodInfo &pod : pods) {
        QJsonObject o;
        o[QLatin1String("namespace")] = pod.ns;
        o[QLatin1String("name")] = pod.name;
        o[QLatin1String("phase")] = pod.phase;
        o[QLatin1String("ready")] = pod.readyText();
        o[QLatin1String("node")] = pod.nodeName;
        o[QLatin1String("ip")] = pod.podIp;
        QJsonArray ports;
        for (const auto &c : pod.containers)
            for (const auto &cp : c.ports)
                if (cp.protocol == QLatin1String("TCP"))
                    ports.append(QJsonObject{{QStringLiteral("container"), c.name},
                                             {QStringLiteral("name"), cp.name},
                                             {QStringLiteral("port"), cp.port}});
        o[QLatin1String("ports")] = ports;
        o[QLatin1String("tap")] = pod.latestTap()
                                          ? pod.latestTap()->value(QLatin1String("name")).toString()
                                          : QString();
        list.append(o);
    }
    if (p.isSet(jsonOpt)) {
        const QByteArray doc = QJsonDocument(QJsonObject{{QStringLiteral("namespace"), kube.ns()},
                                                         {QStringLiteral("pods"), list}})
                                       .toJson();
        std::fwrite(doc.constData(), 1, std::size_t(doc.size()), out);
        return 0;
    }
    if (list.isEmpty()) {
        std::fprintf(out, "no pods in namespace %s\n", qPrintable(kube.ns()));
        return 0;
    }
    std::fprintf(out, "%-40s %-10s %-6s %-16s %-20s %s\n", "NAME", "PHASE", "READY", "IP",
                 "TCP PORTS", "TAP");
    for (const QJsonValue v : list) {
        QStringList ports;
        for (const QJsonValue pv : v[QLatin1String("ports")].toArray())
            ports << QString::number(pv[QLatin1String("port")].toInt());
        std::fprintf(out, "%-40s %-10s %-6s %-16s %-20s %s\n",
                     qPrintable(v[QLatin1String("name")].toString()),
                     qPrintable(v[QLatin1String("phase")].toString()),
                     qPrintable(v[QLatin1String("ready")].toString()),
                     qPrintable(v[QLatin1String("ip")].toString()),
                     qPrintable(ports.join(QLatin1Char(','))),
                     qPrintable(v[QLatin1String("tap")].toString()));
    }
    return 0;
}

} // namespace podtap
