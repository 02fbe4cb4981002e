#include "capturecommand.h"

#include <QHostAddress>
#include <QRegularExpression>

#include <algorithm>

namespace podtap {

Result<QStringList> CaptureCommand::argv(const Options &o)
{
    if (o.port < 1 || o.port > 65535)
        return Result<QStringList>::failure(
                QStringLiteral("port must be a number from 1 to 65535 (got %1)").arg(o.port));
    if (o.snapLength < 0 || o.snapLength > 262144)
        return Result<QStringList>::failure(
                QStringLiteral("snap length must be 0-262144 (got %1)").arg(o.snapLength));
    // Ring sizing, measured on this machine (2,000 HTTP connections, 60k packets, two
    // busy CPUs): without --immediate-mode TPACKET_V3 hands packets over in blocks up to
    // 1 s late and a stopped tcpdump silently leaves its last block unread (200-450
    // packets "received by filter" but never captured). Immediate mode uses TPACKET_V2,
    // one ring slot per packet sized from the snap length: with tcpdump's default 262144
    // a 16 MiB ring has only 32 slots and the kernel dropped 5,300-7,400 packets; with
    // -s 65600 (the largest IPv4 packet, 65535, plus the 20-byte SLL2 header) a slot takes
    // 64 KiB, whatever the packet's size.
    // -B 65536 (64 MiB, 1,024 slots) rather than 16384 (256 slots), from
    // podtap-bench-mirror-load (issue 15): a SIGSTOPped tcpdump held 257 packets with 16 MiB
    // and about 1,070 with 64 MiB; at 16k-20k requests/s (32k-40k packets/s) 256 slots are
    // 6-8 ms, and on two busy cores tcpdump waits 1.2-1.7 s per 5 s for a CPU (schedstat)
    // while never blocking on its stdout pipe, so the kernel dropped 0-4,136 packets per
    // 5 s run (8 of 12 runs); with 64 MiB 1 of 12 runs dropped (570, at load 7). TPACKET_V3
    // (no --immediate-mode) dropped nothing and cost a third of the CPU, but delayed the
    // mirror by p50 110 ms, p99 730 ms at 2k requests/s (up to its 1 s block timeout at
    // low rates): immediate mode stays. The ring is kernel memory of the node while
    // tcpdump runs (packet_mmap pages are not charged to the pod's memory cgroup).
    QStringList a{QStringLiteral("tcpdump"),
                  QStringLiteral("-p"),
                  QStringLiteral("-i"),
                  QStringLiteral("any"),
                  QStringLiteral("--immediate-mode"),
                  QStringLiteral("-B"),
                  QStringLiteral("65536"),
                  QStringLiteral("-U"),
                  QStringLiteral("-w"),
                  QStringLiteral("-"),
                  QStringLiteral("-s"),
                  QString::number(o.snapLength > 0 ? o.snapLength : DefaultSnapLength)};
    a << QStringLiteral("tcp") << QStringLiteral("port") << QString::number(o.port);
    if (!o.hosts.isEmpty()) {
        QStringList terms;
        for (const QString &h : o.hosts) {
            QHostAddress addr;
            if (!addr.setAddress(h))
                return Result<QStringList>::failure(
                        QStringLiteral("host filter '%1' is not an IP address").arg(h));
            terms << QStringLiteral("host") << addr.toString();
        }
        a << QStringLiteral("and") << QStringLiteral("(");
        for (int i = 0; i < terms.size(); i += 2) {
            if (i > 0)
                a << QStringLiteral("or");
            a << terms[i] << terms[i + 1];
        }
        a << QStringLiteral(")");
    }
    return a;
}

CaptureCommand::StderrKind CaptureCommand::classify(const QString &line)
{
    // tcpdump prefixes its program name when writing a file (-w), as the tap always does.
    if (line.startsWith(QLatin1String("listening on "))
        || line.startsWith(QLatin1String("tcpdump: listening on ")))
        return StderrKind::Listening;
    if (line.contains(QLatin1String("Couldn't change to")))
        return StderrKind::PrivilegeDrop;
    if (line.contains(QLatin1String("Operation not permitted"))
        || line.contains(QLatin1String("You don't have permission")))
        return StderrKind::PermissionDenied;
    if (line.contains(QLatin1String("packets captured"))
        || line.contains(QLatin1String("packets received by filter"))
        || line.contains(QLatin1String("packets dropped by kernel")))
        return StderrKind::Counts;
    return StderrKind::Other;
}

bool CaptureCommand::parseCounts(const QString &line, Counts *counts)
{
    static const QRegularExpression re(
            QStringLiteral("^(\\d+) packets? (captured|received by filter|dropped by "
                           "kernel|dropped by interface)"));
    const auto m = re.match(line.trimmed());
    if (!m.hasMatch())
        return false;
    const qint64 n = m.captured(1).toLongLong();
    const QString what = m.captured(2);
    if (what == QLatin1String("captured"))
        counts->captured = n;
    else if (what == QLatin1String("received by filter"))
        counts->receivedByFilter = n;
    else if (what == QLatin1String("dropped by kernel"))
        counts->droppedByKernel = n;
    else
        counts->droppedByInterface = n;
    return true;
}

qint64 CaptureCommand::Counts::unread(qint64 loopbackCaptured) const
{
    if (captured < 0 || receivedByFilter < 0)
        return 0;
    return std::max<qint64>(0, receivedByFilter - captured - loopbackCaptured
                                       - std::max<qint64>(0, droppedByKernel));
}

} // namespace podtap
