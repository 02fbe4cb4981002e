#pragma once

#include <QStringList>

#include <cstdio>

namespace podtap {

// `podtap mirror NAME [--config FILE]`: a named mirror of the project's `.podtap.yaml` (found
// in the current folder or a parent). One podtapd session per port mapping, followed
// together; Ctrl-C stops them all. `podtap mirror --list` lists the file's mirrors.
class ProjectMirrorCommand
{
public:
    // True when `arguments` (after "mirror") ask for a named mirror or --list rather than
    // `TARGET --port N --to PORT`.
    static bool handles(const QStringList &arguments);
    static int run(const QStringList &arguments, FILE *out, FILE *err);
};

} // namespace podtap
