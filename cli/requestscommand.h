#pragma once

#include <QJsonObject>
#include <QStringList>

#include <cstdio>

namespace podtap {

// `podtap requests SESSION [--json] [--method M] [--verdict V] [--route R] [--limit N]`: a
// session's HTTP exchanges (HTTP/1.x, HTTP/2 and gRPC alike) with their shadow-comparison
// verdicts, through podtapd's session.requests, every page until the end.
class RequestsCommand
{
public:
    static int run(const QStringList &arguments, FILE *out, FILE *err);
    // The names --verdict takes: the verdicts, "none" (not compared) and "differ".
    static QStringList verdictNames();
    // One exchange as a line of the human output (no newline).
    static QString line(const QJsonObject &exchange);
};

} // namespace podtap
