#pragma once

#include <QStringList>

#include <cstdio>

namespace podtap {

// `podtap pods [--context C] [-n NS] [--json]`: pods with phase, readiness and TCP ports.
class PodsCommand
{
public:
    static int run(const QStringList &arguments, FILE *out, FILE *err);
};

} // namespace podtap
