#include "preflightcommand.h"

#include "kube/preflight.h"
#include "kube/tapspec.h"
#include "kubeclicontext.h"
#include "portnumber.h"
#include "targetwaiter.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

namespace podtap {

int PreflightCommand::run(const QStringList &arguments, FILE *out, FILE *err)
{
    QCommandLineParser p;
    KubeCliContext kube;
    kube.addOptions(p);
    const QCommandLineOption portOpt(QStringLiteral("port"), QStringLiteral("Port to tap."),
                                     QStringLiteral("N"));
    const QCommandLineOption imageOpt(QStringLiteral("image"), QStringLiteral("Tap image."),
                                      QStringLiteral("IMAGE"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("JSON output."));
    const QCommandLineOption profileOpt = KubeCliContext::tapProfileOption();
    p.addOptions({portOpt, imageOpt, jsonOpt, profileOpt});
    QStringList args = arguments;
    args.prepend(QStringLiteral("podtap preflight"));
    if (!p.parse(args) || p.positionalArguments().size() != 1) {
        std::fprintf(err,
                     "usage: podtap preflight TARGET [--port N] [--image IMG] "
                     "[--tap-profile default|nonroot|baseline] [--json] [--context C] [-n NS]\n");
        return 1;
    }
    const auto profile = KubeCliContext::tapProfile(p, profileOpt, "preflight", err);
    if (!profile)
        return 1;
    // The nonroot profile has no default image: the image item explains what it needs.
    const QString image = p.isSet(imageOpt) || *profile == TapProfile::NonRoot
                                  ? p.value(imageOpt)
                                  : QLatin1String(TapSpec::DefaultImage);
    int port = 0; // none given: the target's first port
    if (p.isSet(portOpt)) {
        const Result<quint16> parsed = PortNumber::parse(p.value(portOpt));
        if (!parsed) {
            std::fprintf(err, "podtap preflight: --port: %s\n", qPrintable(parsed.error()));
            return 1;
        }
        port = parsed.value();
    }
    if (!kube.open(p, err))
        return 1;
    const auto target = TargetWaiter::resolve(kube.api(), p.positionalArguments().constFirst(),
                                              kube.ns(), port, err);
    if (!target)
        return 1;
    std::optional<PreflightReport> report;
    QEventLoop loop;
    QObject guard;
    Preflight::run(kube.api(), target->pod, image, *profile, &guard, [&](const PreflightReport &r) {
        report = r;
        loop.quit();
    });
    QTimer::singleShot(60000, &loop, &QEventLoop::quit);
    if (!report)
        loop.exec();
    if (!report) {
        std::fprintf(err, "podtap preflight: the cluster did not answer within 60 s\n");
        return 1;
    }
    if (p.isSet(jsonOpt)) {
        QJsonObject o;
        o[QLatin1String("pod")] = QString(target->pod.ns + QLatin1Char('/') + target->pod.name);
        o[QLatin1String("passed")] = report->passed();
        o[QLatin1String("items")] = report->toJson();
        const QByteArray doc = QJsonDocument(o).toJson();
        std::fwrite(doc.constData(), 1, std::size_t(doc.size()), out);
    } else {
        std::fprintf(out, "%s", qPrintable(report->toText()));
    }
    return report->passed() ? 0 : 4;
}

} // namespace podtap
