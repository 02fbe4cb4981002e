#include "sessionconfig.h"

#include "http/httpfilter.h"
#include "kube/tapprofile.h"
#include "kube/targetresolver.h"
#include "mirror/mirrorsink.h"

#include <QJsonArray>

#include <limits>

namespace podtap {

Result<SessionConfig> SessionConfig::fromJson(const QJsonObject &json)
{
    QString error;
    const SessionStartRequest request = SessionStartRequest::fromJson(json, &error);
    if (!error.isEmpty())
        return Result<SessionConfig>::failure(error);
    return fromRequest(request);
}

Result<SessionConfig> SessionConfig::fromRequest(const SessionStartRequest &r)
{
    using R = Result<SessionConfig>;
    SessionConfig c;
    c.kubeconfigFiles = r.kubeconfig;
    c.environment = r.environment;
    c.context = r.context;
    c.ns = r.ns;
    c.target = r.target;
    c.port = r.port;
    c.image = r.image;
    c.tapProfile = r.tapProfile;
    c.confirmProtected = r.confirmProtected;
    c.allPods = r.allPods;
    c.maxPods = r.maxPods;
    c.stallTimeoutSeconds = r.stallTimeoutSeconds;
    c.mirrorHost = r.mirror.host;
    c.mirrorPort = r.mirror.port;
    c.joinMidstream = r.mirror.joinMidstream;
    c.allowRemoteMirror = r.mirror.allowRemote;
    c.httpFilter = r.mirror.httpFilter;
    c.compare = r.mirror.compare;
    c.ignoreHeaders = r.mirror.ignoreHeaders;
    if (!r.mirror.protoDescriptor.isEmpty()) {
        auto set = ProtoDescriptorSet::parse(r.mirror.protoDescriptor);
        if (!set)
            return R::failure(QStringLiteral("mirror.protoDescriptor: %1").arg(set.error()));
        c.protoDescriptors = std::make_shared<const ProtoDescriptorSet>(std::move(set.value()));
    }
    c.maxBytes = r.limits.maxBytes;
    c.maxAgeSeconds = r.limits.maxAgeSeconds;
    if (r.limits.durationSeconds > std::numeric_limits<int>::max())
        return R::failure(QStringLiteral("the duration is too long"));
    c.durationSeconds = int(r.limits.durationSeconds);

    if (c.target.isEmpty())
        return R::failure(QStringLiteral("a session needs a target (namespace/pod, "
                                         "deployment/NAME, service/NAME, …)"));
    if (const auto spec = TargetSpec::parse(c.target, c.ns); !spec)
        return R::failure(spec.error());
    else if (!spec->context.isEmpty()) {
        // "context/namespace/pod" names its context: it wins over none, and must agree with
        // one given separately (the guard and the cluster must see the same context).
        if (c.context.isEmpty())
            c.context = spec->context;
        else if (c.context != spec->context)
            return R::failure(QStringLiteral("the target names context '%1' but the session "
                                             "asks for context '%2'")
                                      .arg(spec->context, c.context));
    }
    if (c.port < 1 || c.port > 65535)
        return R::failure(QStringLiteral("the port to tap must be 1-65535 (got %1)").arg(c.port));
    if (c.mirrorPort < 0 || c.mirrorPort > 65535)
        return R::failure(QStringLiteral("the mirror port must be 1-65535"));
    if (c.mirrorPort > 0) {
        const QHostAddress host(c.mirrorHost == QLatin1String("localhost")
                                        ? QStringLiteral("127.0.0.1")
                                        : c.mirrorHost);
        if (host.isNull())
            return R::failure(QStringLiteral("the mirror host must be an IP address (got '%1')")
                                      .arg(c.mirrorHost));
        if (!MirrorSink::targetAllowed(host, c.allowRemoteMirror))
            return R::failure(QStringLiteral("refusing to mirror pod traffic to %1: not a loopback "
                                             "address (give the address explicitly to allow it)")
                                      .arg(c.mirrorHost));
    }
    if (!tapProfileFromName(c.tapProfile))
        return R::failure(QStringLiteral("unknown tap profile '%1' (%2)")
                                  .arg(c.tapProfile, tapProfileChoices()));
    if (const auto filter = HttpFilter::fromJson(c.httpFilter); !filter)
        return R::failure(filter.error());
    if (c.maxPods < 1 || c.maxPods > 256)
        return R::failure(QStringLiteral("maxPods must be 1-256"));
    if (c.stallTimeoutSeconds < 1)
        return R::failure(QStringLiteral("the stall timeout must be at least 1 s"));
    if (c.maxBytes < 0 || c.maxAgeSeconds < 0 || c.durationSeconds < 0)
        return R::failure(QStringLiteral("limits cannot be negative"));
    return c;
}

QJsonObject SessionConfig::toJson() const
{
    QJsonObject o;
    o[QLatin1String("kubeconfig")] = QJsonArray::fromStringList(kubeconfigFiles);
    o[QLatin1String("context")] = context;
    o[QLatin1String("namespace")] = ns;
    o[QLatin1String("target")] = target;
    o[QLatin1String("port")] = port;
    o[QLatin1String("image")] = image;
    o[QLatin1String("tapProfile")] = tapProfile;
    o[QLatin1String("confirmProtected")] = confirmProtected;
    o[QLatin1String("allPods")] = allPods;
    o[QLatin1String("maxPods")] = maxPods;
    o[QLatin1String("stallTimeout")] = stallTimeoutSeconds;
    o[QLatin1String("mirror")] = QJsonObject{
            {QStringLiteral("host"), mirrorHost},
            {QStringLiteral("port"), mirrorPort},
            {QStringLiteral("joinMidstream"), joinMidstream},
            {QStringLiteral("allowRemote"), allowRemoteMirror},
            {QStringLiteral("httpFilter"), httpFilter},
            {QStringLiteral("compare"), compare},
            {QStringLiteral("ignoreHeaders"), QJsonArray::fromStringList(ignoreHeaders)}};
    o[QLatin1String("limits")] = QJsonObject{{QStringLiteral("maxBytes"), maxBytes},
                                             {QStringLiteral("maxAgeSeconds"), maxAgeSeconds},
                                             {QStringLiteral("durationSeconds"), durationSeconds}};
    return o;
}

QString SessionConfig::title(const QString &resolvedNamespace) const
{
    static const QStringList kinds{QStringLiteral("pod"),         QStringLiteral("po"),
                                   QStringLiteral("deployment"),  QStringLiteral("deploy"),
                                   QStringLiteral("statefulset"), QStringLiteral("sts"),
                                   QStringLiteral("service"),     QStringLiteral("svc")};
    const QString space = ns.isEmpty() ? resolvedNamespace : ns;
    QString t = target + QLatin1Char(':') + QString::number(port);
    // "deployment/web" and bare pod names get their namespace; "shop/web" has it.
    const QStringList parts = target.split(QLatin1Char('/'));
    if (!space.isEmpty()
        && (parts.size() == 1 || (parts.size() == 2 && kinds.contains(parts.constFirst()))))
        t = space + QLatin1Char('/') + t;
    if (!context.isEmpty())
        t += QStringLiteral(" (context %1)").arg(context);
    return t;
}

} // namespace podtap
