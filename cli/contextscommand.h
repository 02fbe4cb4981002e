#pragma once

#include <QStringList>

#include <cstdio>

namespace podtap {

// `podtap contexts [--kubeconfig FILE] [--json]`: the contexts of the merged kubeconfig.
class ContextsCommand
{
public:
    static int run(const QStringList &arguments, FILE *out, FILE *err);
};

} // namespace podtap
