#pragma once

#include <QStringList>

#include <cstdio>

namespace podtap {

// Maps `podtap COMMAND …` to the command classes and prints the overall usage.
class CliDispatcher
{
public:
    static int run(const QStringList &arguments, FILE *out, FILE *err);
    static void printUsage(FILE *to);
};

} // namespace podtap
