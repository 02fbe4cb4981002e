#include "targetwaiter.h"

#include <QEventLoop>
#include <QTimer>

namespace podtap {

std::optional<ResolvedTarget> TargetWaiter::resolve(KubeApiClient *api, const QString &text,
                                                    const QString &ns, int port, FILE *err)
{
    const auto spec = TargetSpec::parse(text, ns);
    if (!spec) {
        std::fprintf(err, "podtap: %s\n", qPrintable(spec.error()));
        return std::nullopt;
    }
    std::optional<Result<ResolvedTarget>> result;
    QEventLoop loop;
    QObject guard;
    TargetResolver::resolve(api, spec.value(), port, &guard, [&](const Result<ResolvedTarget> &r) {
        result = r;
        loop.quit();
    });
    QTimer::singleShot(60000, &loop, &QEventLoop::quit);
    if (!result)
        loop.exec();
    if (!result) {
        std::fprintf(err, "podtap: resolving %s timed out\n", qPrintable(text));
        return std::nullopt;
    }
    if (!result->ok()) {
        std::fprintf(err, "podtap: %s\n", qPrintable(result->error()));
        return std::nullopt;
    }
    if (!result->value().note.isEmpty())
        std::fprintf(err, "podtap: %s\n", qPrintable(result->value().note));
    return result->value();
}

} // namespace podtap
