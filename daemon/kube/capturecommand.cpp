#include "capturecommand.h"

#include <QHostAddress>
#include <QRegularExpression>

namespace podtap {

Result<QStringList> CaptureCommand::argv(const Options &o)
{
    if (o.port < 1 || o.port > 65535)
        return Result<QStringList>::failure(
                QStringLiteral("port must be a number from 1 to 65535 (got %1)").arg(o.port));
    if (o.snapLength < 0 || o.snapLength > 262144)
        return Result<QStringList>::failure(
                QStringLiteral("snap length must be 0-262144 (got %1)").arg(o.snapLength));
    // --immediate-mode: without it TPACKET_V3 hands packets over in blocks, up to 1 s late,
    // and a stopped tcpdump loses its last partial block (measured on this machine).
    QStringList a{QStringLiteral("tcpdump"),
                  QStringLiteral("-p"),
                  QStringLiteral("-i"),
                  QStringLiteral("any"),
                  QStringLiteral("--immediate-mode"),
                  QStringLiteral("-U"),
                  QStringLiteral("-w"),
                  QStringLiteral("-")};
    if (o.snapLength > 0)
        a << QStringLiteral("-s") << QString::number(o.snapLength);
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
    if (line.startsWith(QLatin1String("listening on ")))
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

bool CaptureCommand::parseCounts(const QString &line, qint64 *captured, qint64 *dropped)
{
    static const QRegularExpression re(
            QStringLiteral("^(\\d+) packets? (captured|dropped by kernel)"));
    const auto m = re.match(line.trimmed());
    if (!m.hasMatch())
        return false;
    const qint64 n = m.captured(1).toLongLong();
    if (m.captured(2) == QLatin1String("captured") && captured)
        *captured = n;
    else if (dropped)
        *dropped = n;
    return true;
}

} // namespace podtap
