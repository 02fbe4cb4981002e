#pragma once

#include <QStringList>

#include <cstdio>

namespace podtap {

// `podtap preflight TARGET [--port N] [--image IMG] [--json]`: the checklist; touches nothing.
// Exit 0 when every item passes, 4 when an item fails.
class PreflightCommand
{
public:
    static int run(const QStringList &arguments, FILE *out, FILE *err);
};

} // namespace podtap
