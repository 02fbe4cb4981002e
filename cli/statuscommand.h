#pragma once

#include <QStringList>

#include <cstdio>

namespace podtap {

// `podtap status [--json] [--socket PATH]`: is podtapd running, and what is it doing.
class StatusCommand
{
public:
    static int run(const QStringList &arguments, FILE *out, FILE *err);
};

} // namespace podtap
