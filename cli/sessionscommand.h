#pragma once

#include <QStringList>

#include <cstdio>

namespace podtap {

class SessionsCommand
{
public:
    static int run(const QStringList &arguments, FILE *out, FILE *err);
};

} // namespace podtap
