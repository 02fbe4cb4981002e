#pragma once

#include <QStringList>

#include <cstdio>

namespace podtap {

// `podtap rbac -n NS | --cluster [--pod NAME…] [--user U | --group G] [--workloads]`: prints
// the Role (or ClusterRole) and binding podtap needs, as YAML for `kubectl apply -f -`.
// Offline: asks no cluster. Exit 2 on bad arguments.
class RbacCommand
{
public:
    static int run(const QStringList &arguments, FILE *out, FILE *err);
};

} // namespace podtap
