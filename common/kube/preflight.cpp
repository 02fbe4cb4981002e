#include "preflight.h"

#include "rbacgenerator.h"
#include "tapspec.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QUrlQuery>

#include <memory>
#include <optional>

namespace podtap {

const char *PreflightItem::statusName(Status s)
{
    switch (s) {
    case Status::Ok:
        return "ok";
    case Status::Warn:
        return "warn";
    case Status::Fail:
        return "fail";
    }
    return "?";
}

bool PreflightReport::passed() const
{
    for (const auto &i : items)
        if (i.status == PreflightItem::Status::Fail)
            return false;
    return true;
}

QJsonArray PreflightReport::toJson() const
{
    QJsonArray a;
    for (const auto &i : items) {
        QJsonObject o;
        o[QLatin1String("id")] = i.id;
        o[QLatin1String("title")] = i.title;
        o[QLatin1String("status")] = QLatin1String(PreflightItem::statusName(i.status));
        o[QLatin1String("why")] = i.why;
        if (!i.ask.isEmpty())
            o[QLatin1String("ask")] = i.ask;
        a.append(o);
    }
    return a;
}

QString PreflightReport::toText() const
{
    QString out;
    for (const auto &i : items) {
        const char *mark = i.status == PreflightItem::Status::Ok     ? "ok  "
                           : i.status == PreflightItem::Status::Warn ? "warn"
                                                                     : "FAIL";
        out += QStringLiteral("[%1] %2: %3\n").arg(QLatin1String(mark), i.title, i.why);
        if (!i.ask.isEmpty())
            out += QStringLiteral("       ask your cluster admin for: %1\n").arg(i.ask);
    }
    return out;
}

QList<Preflight::Verb> Preflight::contractVerbs()
{
    return {{QStringLiteral("get"), QStringLiteral("pods"), QString()},
            {QStringLiteral("list"), QStringLiteral("pods"), QString()},
            {QStringLiteral("watch"), QStringLiteral("pods"), QString()},
            {QStringLiteral("patch"), QStringLiteral("pods"),
             QStringLiteral("ephemeralcontainers")},
            {QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("exec")},
            {QStringLiteral("create"), QStringLiteral("pods"), QStringLiteral("exec")}};
}

PreflightItem Preflight::podSecurityItem(const QString &ns, const QString &level, bool readable,
                                         const QString &readError, TapProfile profile)
{
    PreflightItem i;
    i.id = QStringLiteral("podsecurity");
    i.title = QStringLiteral("Pod Security admission");
    if (!readable) {
        i.status = PreflightItem::Status::Warn;
        i.why = QStringLiteral(
                        "could not read namespace %1 to check its Pod Security level (%2); "
                        "the tap may be rejected if the namespace enforces baseline or restricted")
                        .arg(ns, readError);
        return i;
    }
    if (level.isEmpty() || level == QLatin1String("privileged")) {
        i.why = level.isEmpty()
                        ? QStringLiteral("namespace %1 has no enforce label: NET_RAW may be added "
                                         "(cluster-wide defaults may still apply)")
                                  .arg(ns)
                        : QStringLiteral(
                                  "namespace %1 enforces \"privileged\": NET_RAW may be added")
                                  .arg(ns);
        return i;
    }
    if (level == QLatin1String("baseline") && profile == TapProfile::Baseline) {
        // psa check_capabilities_baseline.go looks at capabilities.add only.
        i.why = QStringLiteral("namespace %1 enforces Pod Security \"baseline\", which restricts "
                               "only capabilities.add: the baseline-profile tap adds nothing and "
                               "keeps NET_RAW from the runtime's default set")
                        .arg(ns);
        return i;
    }
    i.status = PreflightItem::Status::Fail;
    if (level == QLatin1String("restricted")) {
        // psa check_capabilities_restricted.go: drop must contain ALL, add may hold only
        // NET_BIND_SERVICE; runAsNonRoot is required too.
        i.why = QStringLiteral(
                        "namespace %1 enforces Pod Security \"restricted\" (label "
                        "pod-security.kubernetes.io/enforce=restricted), which requires every "
                        "container to drop ALL capabilities and allows adding back only "
                        "NET_BIND_SERVICE: no container there can hold NET_RAW, so no tap can "
                        "capture (the default and nonroot profiles add NET_RAW, the baseline "
                        "profile keeps it by not dropping it; all three are refused)")
                        .arg(ns);
        i.ask = QStringLiteral("kubectl label namespace %1 "
                               "pod-security.kubernetes.io/enforce=baseline --overwrite (then "
                               "--tap-profile baseline), or "
                               "pod-security.kubernetes.io/enforce=privileged (any profile); or "
                               "tap a pod in another namespace")
                        .arg(ns);
        return i;
    }
    i.why = QStringLiteral(
                    "namespace %1 enforces Pod Security \"%2\" (label "
                    "pod-security.kubernetes.io/enforce=%2), "
                    "which rejects any container that adds NET_RAW; the %3-profile tap would be "
                    "refused")
                    .arg(ns, level, tapProfileName(profile));
    if (level == QLatin1String("baseline")) {
        i.why += QStringLiteral("; --tap-profile baseline adds nothing and would be admitted");
        i.ask = QStringLiteral("nothing: use --tap-profile baseline (NET_RAW then comes from the "
                               "runtime's default set: containerd or Docker nodes); or kubectl "
                               "label namespace %1 pod-security.kubernetes.io/enforce=privileged "
                               "--overwrite")
                        .arg(ns);
        return i;
    }
    i.ask = QStringLiteral("kubectl label namespace %1 "
                           "pod-security.kubernetes.io/enforce=privileged --overwrite "
                           "(or tap the pod in a namespace that allows NET_RAW)")
                    .arg(ns);
    return i;
}

PreflightItem Preflight::nodeRuntimeItem(const QString &node, const QString &runtimeVersion,
                                         const QString &readError)
{
    PreflightItem i;
    i.id = QStringLiteral("runtime");
    i.title = QStringLiteral("Node runtime (baseline profile)");
    const QString scheme = runtimeVersion.section(QStringLiteral("://"), 0, 0).toLower();
    if (!readError.isEmpty() || runtimeVersion.isEmpty()) {
        i.status = PreflightItem::Status::Warn;
        i.why = QStringLiteral("could not read node %1 (%2), so its container runtime is unknown: "
                               "the baseline tap holds NET_RAW only where the runtime grants it "
                               "by default (containerd, Docker; not CRI-O since 1.18)")
                        .arg(node, readError.isEmpty()
                                           ? QStringLiteral("no containerRuntimeVersion")
                                           : readError);
        return i;
    }
    if (scheme == QLatin1String("containerd") || scheme == QLatin1String("docker")) {
        i.why = QStringLiteral("node %1 runs %2, whose default capabilities include NET_RAW: the "
                               "baseline tap holds exactly NET_RAW")
                        .arg(node, runtimeVersion);
        return i;
    }
    i.status = PreflightItem::Status::Warn;
    if (scheme == QLatin1String("cri-o")) {
        // CRI-O 1.18 removed NET_RAW (with MKNOD, SYS_CHROOT, AUDIT_WRITE) from
        // default_capabilities (crio.conf; cri-o pkg/config DefaultCapabilities).
        i.why = QStringLiteral("node %1 runs %2: CRI-O's default capabilities have not included "
                               "NET_RAW since 1.18, so unless its crio.conf adds it the baseline "
                               "tap holds no capability and tcpdump will be refused")
                        .arg(node, runtimeVersion);
        i.ask = QStringLiteral("a namespace that allows adding NET_RAW (Pod Security privileged, "
                               "then the default profile), or NET_RAW in the node's CRI-O "
                               "default_capabilities");
        return i;
    }
    i.why = QStringLiteral("node %1 runs %2, whose default capabilities podtap does not know: the "
                           "baseline tap holds NET_RAW only if they include it")
                    .arg(node, runtimeVersion);
    return i;
}

std::optional<TapProfile> Preflight::alternativeProfile(TapProfile refused, bool byPodSecurity)
{
    if (byPodSecurity)
        return refused == TapProfile::Baseline ? std::nullopt
                                               : std::optional<TapProfile>(TapProfile::Baseline);
    return refused == TapProfile::NonRoot ? TapProfile::Default : TapProfile::NonRoot;
}

QString Preflight::useProfileAsk(TapProfile profile)
{
    switch (profile) {
    case TapProfile::NonRoot:
        return QStringLiteral("nothing: use --tap-profile nonroot --image IMAGE (an image whose "
                              "tcpdump has cap_net_raw+ep; docs/tap-contract.md, \"Profiles\")");
    case TapProfile::Baseline:
        return QStringLiteral("nothing: use --tap-profile baseline (it adds no capability; "
                              "NET_RAW comes from the runtime's default set, so the node must run "
                              "containerd or Docker; docs/tap-contract.md, \"Profiles\")");
    case TapProfile::Default:
        break;
    }
    return QStringLiteral("nothing: use --tap-profile default");
}

PreflightItem Preflight::imageItem(const QString &image, TapProfile profile)
{
    PreflightItem item;
    item.id = QStringLiteral("image");
    item.title = QStringLiteral("Tap image");
    QString why;
    if (profile == TapProfile::NonRoot
        && (image.isEmpty() || TapSpec::lacksFileCapabilities(image))) {
        // uid 65532 gets NET_RAW only through a file capability on tcpdump; netshoot's
        // tcpdump has none, so the tap would start and every capture would fail.
        item.status = PreflightItem::Status::Fail;
        item.why = QStringLiteral(
                           "the nonroot profile needs an image whose tcpdump carries the file "
                           "capability cap_net_raw+ep and whose user is not root%1; %2 has none, "
                           "so tcpdump would have no NET_RAW")
                           .arg(image.isEmpty() ? QStringLiteral(" (give it with --image)")
                                                : QString(),
                                image.isEmpty() ? QLatin1String(TapSpec::DefaultImage) : image);
        item.ask = QStringLiteral(
                "build one as in packaging/tap-image/Dockerfile.nonroot (docs/tap-contract.md, "
                "\"Profiles\"), push it, and pass --image REGISTRY/IMAGE@sha256:…");
        return item;
    }
    if (!TapSpec::isValidImage(image, &why)) {
        item.status = PreflightItem::Status::Fail;
        item.why = why;
    } else if (const QString w = TapSpec::imageWarning(image); !w.isEmpty()) {
        item.status = PreflightItem::Status::Warn;
        item.why = w;
    } else {
        item.why = image;
    }
    return item;
}

namespace {

// Admission webhooks (Kyverno, Gatekeeper, OPA) answer `admission webhook "NAME" denied the
// request: …` (apiserver webhookerrors.ToStatusErr; 400 unless the webhook set a code).
bool isAdmissionDenial(const KubeApiClient::Response &r)
{
    return r.status.message.contains(QLatin1String("admission webhook"))
           || r.status.isPodSecurity();
}

// A server-side dry run of the tap PATCH: admission runs, nothing is stored.
void dryRunTap(KubeApiClient *api, const PodInfo &pod, const QString &image, TapProfile profile,
               QObject *context, KubeApiClient::Callback callback)
{
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("dryRun"), QStringLiteral("All"));
    const QJsonObject c = TapSpec::container(
            TapSpec::randomName(), image.isEmpty() ? QLatin1String(TapSpec::DefaultImage) : image,
            profile);
    api->request("PATCH",
                 QStringLiteral("/api/v1/namespaces/%1/pods/%2/ephemeralcontainers")
                         .arg(pod.ns, pod.name),
                 q, TapSpec::strategicMergePatch(c), "application/strategic-merge-patch+json",
                 context, std::move(callback));
}

} // namespace

void Preflight::run(KubeApiClient *api, const PodInfo &pod, const QString &image,
                    TapProfile profile, QObject *context, Callback callback)
{
    struct State
    {
        PreflightReport report;
        QList<PreflightItem> rbac;
        // Answers that arrive in any order, listed in a fixed one.
        std::optional<PreflightItem> podSecurity, admission, runtime;
        int pending = 0;
        Callback done;
    };
    auto st = std::make_shared<State>();
    st->done = std::move(callback);

    // The pod itself.
    PreflightItem podItem;
    podItem.id = QStringLiteral("pod");
    podItem.title = QStringLiteral("Pod %1/%2").arg(pod.ns, pod.name);
    if (pod.phase != QLatin1String("Running") || pod.nodeName.isEmpty()) {
        podItem.status = PreflightItem::Status::Fail;
        podItem.why = QStringLiteral("the pod is %1%2: only a running pod on a node can be tapped")
                              .arg(pod.phase.isEmpty() ? QStringLiteral("in an unknown phase")
                                                       : pod.phase,
                                   pod.nodeName.isEmpty() ? QStringLiteral(" and not scheduled")
                                                          : QString());
    } else {
        podItem.why = QStringLiteral("running on %1, ready %2").arg(pod.nodeName, pod.readyText());
    }
    st->report.items << podItem;

    // A service-mesh sidecar takes inbound connections as TLS (RFC 8446) and forwards them
    // in plaintext over lo: podtap mirrors only the latter (MirrorSink, TlsDetector).
    if (!pod.meshSidecar.isEmpty()) {
        PreflightItem mesh;
        mesh.id = QStringLiteral("mesh");
        mesh.title = QStringLiteral("Service mesh");
        mesh.why = QStringLiteral("pod has a service-mesh sidecar (%1): inbound connections "
                                  "arrive as TLS on eth0 and are mirrored from the plaintext hop "
                                  "on lo")
                           .arg(pod.meshSidecar);
        st->report.items << mesh;
    }

    // An existing tap (ephemeral containers can never be removed: reuse, don't pile up).
    PreflightItem tapItem;
    tapItem.id = QStringLiteral("tap");
    tapItem.title = QStringLiteral("Existing tap");
    QList<PodInfo::SkippedTap> skipped;
    const auto tap = pod.reusableTap(image, profile, &skipped);
    if (tap) {
        const QString name = tap->value(QLatin1String("name")).toString();
        const auto status = pod.ephemeralStatus(name);
        if (status && status->state == ContainerStateInfo::State::Running) {
            st->report.existingTap = name;
            tapItem.why
                    = QStringLiteral("%1 is running and will be reused (nothing new is injected)")
                              .arg(name);
        } else {
            tapItem.status = PreflightItem::Status::Warn;
            tapItem.why
                    = QStringLiteral("%1 exists but is not running (%2); a new tap will be added")
                              .arg(name, status ? status->reason : QStringLiteral("no status"));
        }
    } else if (skipped.isEmpty()) {
        tapItem.why = QStringLiteral("none yet; one ephemeral container will be added (it cannot "
                                     "be removed, only the pod's deletion removes it)");
    } else {
        tapItem.why = QStringLiteral("no reusable tap: a new tap will be added");
    }
    for (const PodInfo::SkippedTap &s : std::as_const(skipped)) {
        tapItem.why += QStringLiteral("; not reused: %1 (%2)").arg(s.name, s.why);
        // Named like our tap, but with other rights: never run tcpdump in it, and say so.
        if (s.breaksContract)
            tapItem.status = PreflightItem::Status::Warn;
    }
    st->report.items << tapItem;

    // The image.
    const PreflightItem image_ = imageItem(image, profile);
    st->report.items << image_;

    auto finishOne = [st] {
        if (--st->pending > 0)
            return;
        for (const auto &i : {st->podSecurity, st->runtime, st->admission})
            if (i)
                st->report.items << *i;
        st->report.items << st->rbac;
        st->done(st->report);
    };

    const QList<Verb> verbs = contractVerbs();
    // A running tap of this profile is reused: nothing would be sent, nothing to admit.
    const bool dryRun
            = st->report.existingTap.isEmpty() && image_.status != PreflightItem::Status::Fail;
    // The baseline tap's NET_RAW comes from the node runtime's default set: say which it is.
    const bool readNode = profile == TapProfile::Baseline && !pod.nodeName.isEmpty();
    st->pending = int(verbs.size()) + 1 + (dryRun ? 1 : 0) + (readNode ? 1 : 0);
    if (!dryRun && !st->report.existingTap.isEmpty()) {
        PreflightItem a;
        a.id = QStringLiteral("admission");
        a.title = QStringLiteral("Admission (%1 profile)").arg(tapProfileName(profile));
        a.why = QStringLiteral("not checked: the running tap %1 is reused, nothing is sent")
                        .arg(st->report.existingTap);
        st->admission = a;
    }
    if (dryRun) {
        dryRunTap(
                api, pod, image, profile, context,
                [st, api, pod, image, profile, context,
                 finishOne](const KubeApiClient::Response &r) {
                    PreflightItem a;
                    a.id = QStringLiteral("admission");
                    a.title = QStringLiteral("Admission (%1 profile)").arg(tapProfileName(profile));
                    const QString how = QStringLiteral(
                            "a server-side dry run of the tap (dryRun=All: admission ran, "
                            "nothing was stored or changed)");
                    if (r.ok()) {
                        a.why = QStringLiteral("%1 admitted the %2-profile tap")
                                        .arg(how, tapProfileName(profile));
                        st->admission = a;
                        finishOne();
                        return;
                    }
                    if (!isAdmissionDenial(r)) {
                        // RBAC (its own item says what to ask for), or a server that does not
                        // know dryRun: no verdict either way.
                        a.status = PreflightItem::Status::Warn;
                        a.why = QStringLiteral("could not be checked by a dry run (%1)")
                                        .arg(r.errorText());
                        st->admission = a;
                        finishOne();
                        return;
                    }
                    a.status = PreflightItem::Status::Fail;
                    const QString level = r.status.podSecurityLevel();
                    a.why = r.status.isPodSecurity()
                                    ? QStringLiteral("%1: the %2-profile tap would be refused by "
                                                     "PodSecurity \"%3\": %4")
                                              .arg(how, tapProfileName(profile), level,
                                                   r.status.message)
                                    : QStringLiteral("%1: the %2-profile tap would be refused: %3")
                                              .arg(how, tapProfileName(profile), r.status.message);
                    const auto alternative = alternativeProfile(profile, r.status.isPodSecurity());
                    if (!alternative) {
                        // The baseline tap refused by Pod Security: "restricted" (or a pod
                        // that breaks baseline on its own); no profile can help.
                        a.ask = level == QLatin1String("restricted")
                                        ? podSecurityItem(pod.ns, level, true, {}, profile).ask
                                        : QStringLiteral("kubectl label namespace %1 "
                                                         "pod-security.kubernetes.io/"
                                                         "enforce=privileged --overwrite")
                                                  .arg(pod.ns);
                        st->admission = a;
                        finishOne();
                        return;
                    }
                    const TapProfile other = *alternative;
                    // Which profile would this namespace admit?
                    dryRunTap(api, pod, image, other, context,
                              [st, a, other, pod, finishOne](const KubeApiClient::Response &o) {
                                  PreflightItem item = a;
                                  if (o.ok()) {
                                      item.why += QStringLiteral("; the %1 profile would be "
                                                                 "admitted (dry run): "
                                                                 "--tap-profile %1")
                                                          .arg(tapProfileName(other));
                                      item.ask = useProfileAsk(other);
                                  } else {
                                      item.why += QStringLiteral("; the %1 profile would not be "
                                                                 "admitted either (%2)")
                                                          .arg(tapProfileName(other),
                                                               o.status.message.isEmpty()
                                                                       ? o.errorText()
                                                                       : o.status.message);
                                      const QString otherLevel = o.status.podSecurityLevel();
                                      item.ask
                                              = otherLevel == QLatin1String("restricted")
                                                        ? podSecurityItem(pod.ns, otherLevel, true,
                                                                          {}, other)
                                                                  .ask
                                                : o.status.isPodSecurity()
                                                        ? QStringLiteral(
                                                                  "kubectl label namespace %1 "
                                                                  "pod-security.kubernetes.io/"
                                                                  "enforce=privileged "
                                                                  "--overwrite (Pod Security "
                                                                  "forbids NET_RAW in every "
                                                                  "profile)")
                                                                  .arg(pod.ns)
                                                        : QStringLiteral("an exception for the tap "
                                                                         "(NET_RAW only) from the "
                                                                         "owners of the admission "
                                                                         "policy in namespace %1")
                                                                  .arg(pod.ns);
                                  }
                                  st->admission = item;
                                  finishOne();
                              });
                });
    }
    for (const Verb &v : verbs) {
        QJsonObject attrs;
        attrs[QLatin1String("namespace")] = pod.ns;
        attrs[QLatin1String("verb")] = v.verb;
        attrs[QLatin1String("group")] = QString();
        attrs[QLatin1String("resource")] = v.resource;
        if (!v.subresource.isEmpty())
            attrs[QLatin1String("subresource")] = v.subresource;
        // A list has no name. The tap's watch does: TapInjector watches with fieldSelector
        // metadata.name=POD, which the API server authorises as a request for that name
        // (apiserver requestinfo.go), so a Role limited by resourceNames allows it.
        if (v.verb != QLatin1String("list"))
            attrs[QLatin1String("name")] = pod.name;
        QJsonObject body;
        body[QLatin1String("kind")] = QStringLiteral("SelfSubjectAccessReview");
        body[QLatin1String("apiVersion")] = QStringLiteral("authorization.k8s.io/v1");
        body[QLatin1String("spec")] = QJsonObject{{QStringLiteral("resourceAttributes"), attrs}};
        const QString resource = v.subresource.isEmpty()
                                         ? v.resource
                                         : v.resource + QLatin1Char('/') + v.subresource;
        api->request(
                "POST", QStringLiteral("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"),
                {}, QJsonDocument(body).toJson(QJsonDocument::Compact), "application/json", context,
                [st, v, resource, pod, finishOne](const KubeApiClient::Response &r) {
                    PreflightItem i;
                    i.id = QStringLiteral("rbac.%1-%2")
                                   .arg(v.verb, QString(resource).replace(QLatin1Char('/'),
                                                                          QLatin1Char('-')));
                    i.title = QStringLiteral("RBAC: %1 %2").arg(v.verb, resource);
                    // The same rule `podtap rbac -n NS --pod POD` prints.
                    const auto gen = RbacGenerator::forPod(pod.ns, pod.name);
                    const QString rule
                            = gen ? gen->askFor(v.verb, v.resource, v.subresource) : QString();
                    if (!r.ok()) {
                        i.status = PreflightItem::Status::Warn;
                        i.why = QStringLiteral("could not check (%1)").arg(r.errorText());
                    } else if (r.json[QLatin1String("status")][QLatin1String("allowed")].toBool()) {
                        i.why = QStringLiteral("allowed");
                    } else {
                        i.status = PreflightItem::Status::Fail;
                        const QString reason
                                = r.json[QLatin1String("status")][QLatin1String("reason")]
                                          .toString();
                        i.why = QStringLiteral("not allowed in namespace %1%2")
                                        .arg(pod.ns, reason.isEmpty()
                                                             ? QString()
                                                             : QStringLiteral(" (") + reason
                                                                       + QLatin1Char(')'));
                        i.ask = rule;
                    }
                    st->rbac << i;
                    finishOne();
                });
    }
    if (readNode) {
        api->get(QStringLiteral("/api/v1/nodes/%1").arg(pod.nodeName), {}, context,
                 [st, pod, finishOne](const KubeApiClient::Response &r) {
                     const QString version
                             = r.json[QLatin1String("status")][QLatin1String("nodeInfo")]
                                     [QLatin1String("containerRuntimeVersion")]
                                             .toString();
                     if (r.ok())
                         st->report.nodeRuntime = version;
                     st->runtime = nodeRuntimeItem(pod.nodeName, r.ok() ? version : QString(),
                                                   r.ok() ? QString() : r.errorText());
                     finishOne();
                 });
    }
    api->get(QStringLiteral("/api/v1/namespaces/%1").arg(pod.ns), {}, context,
             [st, pod, profile, finishOne](const KubeApiClient::Response &r) {
                 const QString level = r.json[QLatin1String("metadata")][QLatin1String("labels")]
                                             [QLatin1String("pod-security.kubernetes.io/enforce")]
                                                     .toString();
                 PreflightItem item
                         = podSecurityItem(pod.ns, level, r.ok(), r.errorText(), profile);
                 if (r.httpCode == 403) {
                     if (const auto gen = RbacGenerator::forPod(pod.ns, pod.name))
                         item.ask
                                 = gen->askFor(QStringLiteral("get"), QStringLiteral("namespaces"));
                 }
                 st->podSecurity = item;
                 finishOne();
             });
}

} // namespace podtap
