#pragma once

#include <QStringList>

class QFile;

#include <cstdio>

namespace podtap {

// Wireshark's extcap protocol (man 4 extcap) for podtap-extcap, which the package installs in
// Wireshark's global extcap folder: one interface, "podtap", whose options pick a context,
// namespace, target, port, tap profile and duration. A capture is an ordinary podtapd
// session (preflight, context guard, audit log, loss accounting) written to Wireshark's FIFO
// as pcapng: one interface per pod, the losses as interface statistics when it ends.
class ExtcapCommand
{
public:
    static constexpr const char *Interface = "podtap";
    static int run(const QStringList &arguments, FILE *out, FILE *err);

private:
    static int interfaces(FILE *out);
    static int dlts(FILE *out);
    // `reloadOption` set: only that option's values (Wireshark's reload button).
    static int config(const QStringList &arguments, const QString &reloadOption, FILE *out);
    static int capture(const QStringList &arguments, FILE *out, FILE *err);
    // --session ID: a running session's live capture (the GUI's "Open live in Wireshark");
    // the session goes on when Wireshark stops.
    static int follow(const QString &sessionId, QFile *fifo, FILE *err);
};

} // namespace podtap
