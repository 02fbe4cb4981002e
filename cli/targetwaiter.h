#pragma once

#include "kube/kubeapiclient.h"
#include "kube/targetresolver.h"

#include <cstdio>

namespace podtap {

// Resolves a TARGET argument synchronously for the CLI, printing notes and errors.
class TargetWaiter
{
public:
    static std::optional<ResolvedTarget> resolve(KubeApiClient *api, const QString &text,
                                                 const QString &ns, int port, FILE *err);
};

} // namespace podtap
