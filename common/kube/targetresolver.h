#pragma once

#include "kubeapiclient.h"
#include "podinfo.h"

#include <functional>

namespace podtap {

// What the user named: `namespace/pod`, `context/namespace/pod`, or `KIND/NAME` with KIND
// one of pod, deployment (deploy), statefulset (sts), service (svc) in the context's
// namespace (or -n).
struct TargetSpec
{
    QString context;
    QString ns;
    QString kind = QStringLiteral("pod");
    QString name;

    static Result<TargetSpec> parse(const QString &text, const QString &defaultNamespace);
    QString toString() const;
};

struct ResolvedTarget
{
    PodInfo pod;
    int port = 0; // the pod-side port (a Service's targetPort resolved), 0 if not given
    QString note; // e.g. "deployment/web has 3 pods; tapping web-7d9 (the most active)"
    int candidates = 1;
    // Every pod the target selects, most active first (`pod` is the first); one for a pod.
    QList<PodInfo> pods;
};

// Resolves a target to one pod, as kubectl does for `exec deploy/x`: the selector's pods
// sorted by activity (assigned, running, ready, not deleting, fewer restarts, older).
class TargetResolver
{
public:
    using Callback = std::function<void(const Result<ResolvedTarget> &)>;
    static void resolve(KubeApiClient *api, const TargetSpec &target, int port, QObject *context,
                        const Callback &callback);
    // "app=web,tier in (a,b)" from a LabelSelector object or a plain map.
    static QString selectorString(const QJsonObject &selector);
    // kubectl's ActivePods order, most active first.
    static void sortMostActiveFirst(QList<PodInfo> &pods);
};

} // namespace podtap
