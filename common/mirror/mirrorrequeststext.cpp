#include "mirrorrequeststext.h"

#include <QLocale>
#include <QStringList>

namespace podtap {

namespace {
QString n(qint64 v)
{
    return QLocale::c().toString(v);
}
} // namespace

QString MirrorRequestsText::lostText(const Counts &c)
{
    if (c.lost == 0 && c.bytesLost == 0)
        return QStringLiteral("none lost");
    return QStringLiteral("%1%2 lost to capture gaps (%3 bytes)")
            .arg(c.atLeast ? QStringLiteral("at least ") : QString(), n(c.lost), n(c.bytesLost));
}

QString MirrorRequestsText::details(const Counts &c)
{
    QString s = QStringLiteral("%1 mirrored, %2").arg(n(c.mirrored), lostText(c));
    if (c.resyncs > 0)
        s += QStringLiteral(", %1 %2").arg(n(c.resyncs), c.resyncs == 1
                                                                 ? QStringLiteral("resync")
                                                                 : QStringLiteral("resyncs"));
    if (c.fresh > 0)
        s += QStringLiteral(", %1 fresh local %2")
                     .arg(n(c.fresh), c.fresh == 1 ? QStringLiteral("connection")
                                                   : QStringLiteral("connections"));
    return s;
}

QString MirrorRequestsText::session(const QJsonObject &m)
{
    Counts c;
    c.seen = m.value(QLatin1String("requestsSeen")).toInteger();
    c.mirrored = m.value(QLatin1String("requestsMirrored")).toInteger();
    c.lost = m.value(QLatin1String("requestsLost")).toInteger();
    c.atLeast = m.value(QLatin1String("requestsLostAtLeast")).toBool();
    c.bytesLost = m.value(QLatin1String("bytesLost")).toInteger();
    c.resyncs = m.value(QLatin1String("resyncs")).toInteger();
    c.fresh = m.value(QLatin1String("freshConnections")).toInteger();
    if (c.seen == 0 && c.bytesLost == 0)
        return {};
    QString s = QStringLiteral("%1 HTTP requests: %2").arg(n(c.seen), details(c));
    if (const qint64 joined = m.value(QLatin1String("joined")).toInteger(); joined > 0)
        s += QStringLiteral("; %1 %2 joined mid-stream at the next request")
                     .arg(n(joined), joined == 1 ? QStringLiteral("connection")
                                                 : QStringLiteral("connections"));
    return s;
}

QString MirrorRequestsText::tls(const QJsonObject &m)
{
    const qint64 tls = m.value(QLatin1String("tlsNotMirrored")).toInteger();
    if (tls <= 0)
        return {};
    const QString what
            = tls == 1 ? QStringLiteral("TLS connection") : QStringLiteral("TLS connections");
    if (m.value(QLatin1String("localHops")).toInteger() > 0)
        return QStringLiteral("%1 %2 not mirrored; the plaintext hop on lo is").arg(n(tls), what);
    return QStringLiteral("%1 %2 not mirrored (encrypted; no plaintext hop on lo was captured: "
                          "tap the app's port behind the sidecar)")
            .arg(n(tls), what);
}

QString MirrorRequestsText::http2(const QJsonObject &m)
{
    const qint64 mirrored = m.value(QLatin1String("http2")).toInteger();
    const qint64 gaps = m.value(QLatin1String("http2Gaps")).toInteger();
    const qint64 joined = m.value(QLatin1String("http2Midstream")).toInteger();
    if (mirrored <= 0 && joined <= 0)
        return {};
    QStringList parts;
    if (mirrored > 0)
        parts << QStringLiteral("%1 HTTP/2 %2 mirrored byte for byte")
                         .arg(n(mirrored), mirrored == 1 ? QStringLiteral("connection")
                                                         : QStringLiteral("connections"));
    if (gaps > 0)
        parts << QStringLiteral("%1 ended by a capture gap (HTTP/2 cannot be resynchronised)")
                         .arg(n(gaps));
    if (joined > 0)
        parts << QStringLiteral("%1 HTTP/2 %2 open before the tap not mirrored (HTTP/2 cannot be "
                                "joined mid-stream)")
                         .arg(n(joined), joined == 1 ? QStringLiteral("connection")
                                                     : QStringLiteral("connections"));
    return parts.join(QStringLiteral("; "));
}

QString MirrorRequestsText::connectionShort(const QJsonObject &r)
{
    const qint64 seen = r.value(QLatin1String("seen")).toInteger();
    const qint64 mirrored = r.value(QLatin1String("mirrored")).toInteger();
    const qint64 lost = r.value(QLatin1String("lost")).toInteger();
    if (seen == 0)
        return {};
    if (lost == 0 && !r.value(QLatin1String("lostAtLeast")).toBool())
        return QStringLiteral("%1 requests").arg(n(mirrored));
    return QStringLiteral("%1 of %2 requests, %3%4 lost")
            .arg(n(mirrored), n(seen),
                 r.value(QLatin1String("lostAtLeast")).toBool() ? QStringLiteral("≥") : QString(),
                 n(lost));
}

QString MirrorRequestsText::connectionLong(const QJsonObject &r)
{
    Counts c;
    c.seen = r.value(QLatin1String("seen")).toInteger();
    c.mirrored = r.value(QLatin1String("mirrored")).toInteger();
    c.lost = r.value(QLatin1String("lost")).toInteger();
    c.atLeast = r.value(QLatin1String("lostAtLeast")).toBool();
    c.bytesLost = r.value(QLatin1String("bytesLost")).toInteger();
    c.resyncs = r.value(QLatin1String("resyncs")).toInteger();
    if (c.seen == 0)
        return {};
    return QStringLiteral("%1 requests seen, %2").arg(n(c.seen), details(c));
}

} // namespace podtap
