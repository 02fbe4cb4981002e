#pragma once

#include <QStringList>

#include <cstdint>
#include <cstdio>

namespace podtap {

struct InspectOptions
{
    QString file; // "-" reads standard input
    quint16 port = 0;
    QString filter;
    bool json = false;
    // Feed the engine in chunks of this size; 0 picks random sizes (1 B … 64 KiB) the way
    // a network delivers them. Results must not depend on it.
    std::size_t chunkSize = 65536;
    quint32 seed = 1;
};

// `podtap inspect FILE`: reads a capture through the same engine the daemon uses and
// prints every TCP connection with the SHA-256 of each direction's reassembled bytes.
class InspectCommand
{
public:
    enum ExitCode { Ok = 0, UsageOrIoError = 1, MalformedInput = 2 };

    // Parses the arguments after "inspect"; prints usage to `err` on failure.
    static int run(const QStringList &arguments, FILE *out, FILE *err);
    static int run(const InspectOptions &options, FILE *out, FILE *err);
};

} // namespace podtap
