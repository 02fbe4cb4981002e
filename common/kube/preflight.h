#pragma once

#include "kubeapiclient.h"
#include "podinfo.h"

#include <QJsonArray>

#include <functional>

namespace podtap {

// Everything podtap checks before it touches a pod, as a checklist the GUI and CLI show
// as is: RBAC through SelfSubjectAccessReview for each verb of the tap contract, the
// namespace's Pod Security level, the pod's state, an existing tap, the image.
struct PreflightItem
{
    enum class Status { Ok, Warn, Fail };
    QString id; // rbac.patch-ephemeralcontainers, podsecurity, pod, tap, image, admission, mesh
    QString title;
    Status status = Status::Ok;
    QString why;
    QString ask; // what to ask a cluster admin for (e.g. the Role rule)

    static const char *statusName(Status s);
};

struct PreflightReport
{
    QList<PreflightItem> items;
    QString existingTap; // a running podtap tap to reuse, if any
    // The node's status.nodeInfo.containerRuntimeVersion ("containerd://1.7.13"), read for
    // the baseline profile only; empty when not read or not readable.
    QString nodeRuntime;

    bool passed() const;
    QJsonArray toJson() const;
    QString toText() const;
};

class Preflight
{
public:
    struct Verb
    {
        QString verb;
        QString resource;
        QString subresource;
    };
    // The verbs the tap contract needs (../shared/spec/tap.md).
    static QList<Verb> contractVerbs();

    using Callback = std::function<void(const PreflightReport &)>;
    static void run(KubeApiClient *api, const PodInfo &pod, const QString &image, QObject *context,
                    Callback callback)
    {
        run(api, pod, image, TapProfile::Default, context, std::move(callback));
    }
    // Also asks the cluster whether it would admit the tap of `profile`: a server-side dry
    // run of the ephemeral-container PATCH (dryRun=All runs admission, Pod Security and
    // webhooks such as Kyverno or Gatekeeper, and stores nothing). When admission refuses
    // it, the other profile is dry-run too, so the item says which profile the namespace
    // admits.
    static void run(KubeApiClient *api, const PodInfo &pod, const QString &image,
                    TapProfile profile, QObject *context, Callback callback);
    // The image item: syntax, pinning, and for the nonroot profile an image that can work.
    static PreflightItem imageItem(const QString &image, TapProfile profile);
    // What a Pod Security level means for the tap of `profile`.
    static PreflightItem podSecurityItem(const QString &ns, const QString &enforceLevel,
                                         bool readable, const QString &readError,
                                         TapProfile profile = TapProfile::Default);
    // What the node's container runtime means for the baseline profile, whose NET_RAW comes
    // from the runtime's default capabilities. `runtimeVersion` is
    // status.nodeInfo.containerRuntimeVersion; `readError` is set when the node could not be
    // read (a namespace-scoped user usually may not: nodes are cluster-scoped).
    static PreflightItem nodeRuntimeItem(const QString &node, const QString &runtimeVersion,
                                         const QString &readError);
    // The profile to dry-run when `profile` is refused: Pod Security "baseline" refuses `add:
    // [NET_RAW]`, which the baseline profile does not use; a webhook refusing root (Kyverno's
    // require-run-as-nonroot) admits the nonroot profile. None when nothing else can help.
    static std::optional<TapProfile> alternativeProfile(TapProfile refused, bool byPodSecurity);
    // The sentence and the `ask` of `podtap --tap-profile P` for a profile that was admitted.
    static QString useProfileAsk(TapProfile profile);
};

} // namespace podtap
