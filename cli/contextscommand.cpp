#include "contextscommand.h"

#include "kube/kubeconfig.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace podtap {

int ContextsCommand::run(const QStringList &arguments, FILE *out, FILE *err)
{
    QCommandLineParser p;
    const QCommandLineOption kubeconfigOpt(QStringLiteral("kubeconfig"),
                                           QStringLiteral("Use only this kubeconfig file."),
                                           QStringLiteral("FILE"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("JSON output."));
    p.addOptions({kubeconfigOpt, jsonOpt});
    QStringList args = arguments;
    args.prepend(QStringLiteral("podtap contexts"));
    if (!p.parse(args) || !p.positionalArguments().isEmpty()) {
        std::fprintf(err,
                     "podtap contexts: %s\nusage: podtap contexts [--kubeconfig FILE] [--json]\n",
                     qPrintable(p.errorText().isEmpty() ? QStringLiteral("unexpected argument")
                                                        : p.errorText()));
        return 1;
    }
    const auto config = p.isSet(kubeconfigOpt) ? Kubeconfig::loadFile(p.value(kubeconfigOpt))
                                               : Kubeconfig::loadDefault();
    if (!config) {
        std::fprintf(err, "podtap contexts: %s\n", qPrintable(config.error()));
        return 1;
    }
    for (const QString &w : config->warnings())
        std::fprintf(err, "podtap contexts: warning: %s\n", qPrintable(w));

    if (p.isSet(jsonOpt)) {
        QJsonArray list;
        for (const KubeContext &c : config->contexts()) {
            const auto cluster = config->cluster(c.cluster);
            QJsonObject o;
            o[QLatin1String("name")] = c.name;
            o[QLatin1String("cluster")] = c.cluster;
            o[QLatin1String("server")] = cluster ? cluster->server : QString();
            o[QLatin1String("user")] = c.user;
            o[QLatin1String("namespace")] = c.ns;
            list.append(o);
        }
        QJsonObject root;
        root[QLatin1String("current")] = config->currentContext();
        root[QLatin1String("contexts")] = list;
        const QByteArray doc = QJsonDocument(root).toJson(QJsonDocument::Indented);
        std::fwrite(doc.constData(), 1, std::size_t(doc.size()), out);
        return 0;
    }
    if (config->contexts().isEmpty()) {
        std::fprintf(out, "no contexts (kubeconfig: %s)\n",
                     qPrintable(config->files().join(QStringLiteral(", "))));
        return 0;
    }
    std::fprintf(out, "   %-30s %-40s %-20s %s\n", "NAME", "SERVER", "USER", "NAMESPACE");
    for (const KubeContext &c : config->contexts()) {
        const auto cluster = config->cluster(c.cluster);
        std::fprintf(out, "%s  %-30s %-40s %-20s %s\n",
                     c.name == config->currentContext() ? "*" : " ", qPrintable(c.name),
                     qPrintable(cluster ? cluster->server : QStringLiteral("(missing cluster)")),
                     qPrintable(c.user), qPrintable(c.ns));
    }
    return 0;
}

} // namespace podtap
