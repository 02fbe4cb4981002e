#pragma once

#include <QHostAddress>
#include <QStringList>

#include <cstdio>

namespace podtap {

// `podtap replay SESSION|FILE --to [HOST:]PORT [--speed X | --max] [--port N] [--join-midstream]`:
// a stored session's or a file's inbound connections to a local port, run by podtapd.
class ReplayCommand
{
public:
    static int run(const QStringList &arguments, FILE *out, FILE *err);
    // "8080", "127.0.0.1:8080", "[::1]:8080" → host and port; loopback unless spelled out.
    static bool parseTarget(const QString &text, QHostAddress *host, quint16 *port, QString *error);
};

} // namespace podtap
