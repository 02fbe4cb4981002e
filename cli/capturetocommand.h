#pragma once

#include <QStringList>

#include <cstdio>

namespace podtap {

// `podtap capture TARGET --port N -w FILE|-`: preflight, tap (reused when running), the
// validated tcpdump over exec, and one continuous pcap file (or stdout, for
// `| wireshark -k -i -`). Reconnects are stitched as separate streams, never mid-record.
// Ctrl-C stops tcpdump in the tap and removes nothing from the cluster.
class CaptureToCommand
{
public:
    static int run(const QStringList &arguments, FILE *out, FILE *err);
};

} // namespace podtap
