#pragma once

#include <QStringList>

#include <cstdio>

namespace podtap {

class RetentionCommand
{
public:
    static int run(const QStringList &arguments, FILE *out, FILE *err);
};

} // namespace podtap
