#pragma once

#include <QStringList>

#include <cstdio>

namespace podtap {

// `podtap connections SESSION [--open] [--json]`: a session's connections from podtapd,
// the ended ones from its store and, while it runs, the open ones with live counters.
class ConnectionsCommand
{
public:
    static int run(const QStringList &arguments, FILE *out, FILE *err);
};

} // namespace podtap
