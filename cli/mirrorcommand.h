#pragma once

#include <QStringList>

#include <cstdio>

namespace podtap {

// `podtap mirror TARGET --port N --to [HOST:]PORT` and `podtap capture TARGET --port N`
// (without -w): a session in podtapd, followed in the terminal (SessionRunner).
class MirrorCommand
{
public:
    static int runMirror(const QStringList &arguments, FILE *out, FILE *err);
    static int runCapture(const QStringList &arguments, FILE *out, FILE *err);

private:
    static int run(const QStringList &arguments, bool mirror, FILE *out, FILE *err);
};

} // namespace podtap
