#include "packetrows.h"

#include "capture/packetinfo.h"
#include "sessionlayout.h"
#include "spoolfilereader.h"

#include <QHash>
#include <QJsonArray>
#include <QStringBuilder>

#include <algorithm>
#include <memory>

namespace podtap {

namespace {
constexpr int ScanChunk = 65536;
}

bool PacketRows::Filter::isEmpty() const
{
    return connections.isEmpty() && direction < 0 && flags == 0
           && fromNs == std::numeric_limits<qint64>::min()
           && toNs == std::numeric_limits<qint64>::max();
}

bool PacketRows::Filter::matches(const PacketIndexEntry &e) const
{
    return e.tsNs >= fromNs && e.tsNs <= toNs && (direction < 0 || e.direction == direction)
           && (flags == 0 || (e.tcpFlags & flags) != 0)
           && (connections.isEmpty() || connections.contains(e.connectionId));
}

QString PacketRows::Filter::key() const
{
    QList<quint64> ids(connections.cbegin(), connections.cend());
    std::sort(ids.begin(), ids.end());
    QString k = QString::number(direction) % QLatin1Char('/') % QString::number(flags)
                % QLatin1Char('/') % QString::number(fromNs) % QLatin1Char('/')
                % QString::number(toNs) % QLatin1Char('/');
    for (const quint64 id : std::as_const(ids))
        k += QString::number(id) % QLatin1Char(',');
    return k;
}

Result<PacketRows::Filter> PacketRows::Filter::fromParams(const QJsonObject &params)
{
    Filter f;
    const QJsonValue c = params.value(QLatin1String("connection"));
    for (const QJsonValue v : c.isArray() ? c.toArray() : QJsonArray{c}) {
        if (v.isUndefined() || v.isNull())
            continue;
        if (!v.isDouble() || v.toInteger(-1) < 0)
            return Result<Filter>::failure(
                    QStringLiteral("connection must be a connection id or a list of them"));
        f.connections.insert(quint64(v.toInteger()));
    }
    const QJsonValue d = params.value(QLatin1String("direction"));
    if (!d.isUndefined() && !d.isNull()) {
        const qint64 dir = d.toInteger(-1);
        if (!d.isDouble()
            || (dir != PacketIndexEntry::ClientToServer && dir != PacketIndexEntry::ServerToClient))
            return Result<Filter>::failure(
                    QStringLiteral("direction must be 0 (client → server) or 1 (server → client)"));
        f.direction = int(dir);
    }
    const QJsonValue fl = params.value(QLatin1String("flags"));
    if (!fl.isUndefined() && !fl.isNull()) {
        const qint64 mask = fl.toInteger(-1);
        if (!fl.isDouble() || mask < 0 || mask > 255)
            return Result<Filter>::failure(
                    QStringLiteral("flags must be a TCP flag mask from 0 to 255"));
        f.flags = quint8(mask);
    }
    if (params.contains(QLatin1String("fromNs")))
        f.fromNs = params.value(QLatin1String("fromNs")).toInteger();
    if (params.contains(QLatin1String("toNs")))
        f.toNs = params.value(QLatin1String("toNs")).toInteger();
    if (f.fromNs > f.toNs)
        return Result<Filter>::failure(
                QStringLiteral("fromNs (%1) is after toNs (%2)").arg(f.fromNs).arg(f.toNs));
    return f;
}

PacketRows::PacketRows(const Filter &filter)
    : m_filter(filter)
{}

quint64 PacketRows::scannedTo() const
{
    std::lock_guard lock(m_mutex);
    return m_scannedTo;
}

void PacketRows::extend(const StoredSession &session)
{
    const quint64 first = session.firstPacket();
    const quint64 total = session.packetCount();
    // Rotated-out packets leave the view.
    const auto kept = std::lower_bound(m_numbers.begin(), m_numbers.end(), first);
    m_numbers.erase(m_numbers.begin(), kept);
    quint64 at = std::max(m_scannedTo, first);
    while (at < total) {
        const int n = int(std::min<quint64>(total - at, ScanChunk));
        const QList<PacketIndexEntry> chunk = session.entries(at, n);
        if (chunk.isEmpty())
            break; // damaged, or rotated out meanwhile: try again on the next call
        for (const PacketIndexEntry &e : chunk) {
            if (m_filter.matches(e))
                m_numbers.push_back(at);
            ++at;
        }
        if (chunk.size() < n)
            break;
    }
    m_scannedTo = at;
}

PacketRows::Page PacketRows::page(const StoredSession &session, quint64 offset, int count)
{
    Page p;
    p.first = session.firstPacket();
    p.offset = offset;
    if (m_filter.isEmpty()) {
        const quint64 total = session.packetCount();
        p.total = total - std::min(total, p.first);
        if (count <= 0 || offset >= p.total)
            return p;
        quint64 n = p.first + offset;
        for (const PacketIndexEntry &e : session.entries(n, count))
            p.rows.append({n++, e});
        return p;
    }
    std::lock_guard lock(m_mutex);
    extend(session);
    p.total = m_numbers.size();
    const quint64 end = std::min<quint64>(p.total, offset + quint64(std::max(count, 0)));
    // Matches close together are read as one run of the index, far apart ones one by one.
    constexpr quint64 MaxRun = 4096;
    for (quint64 r = offset; r < end;) {
        const quint64 runStart = m_numbers[size_t(r)];
        quint64 last = r;
        while (last + 1 < end && m_numbers[size_t(last + 1)] - runStart < MaxRun)
            ++last;
        const QList<PacketIndexEntry> run
                = session.entries(runStart, int(m_numbers[size_t(last)] - runStart + 1));
        for (; r <= last; ++r) {
            const quint64 at = m_numbers[size_t(r)] - runStart;
            if (at < quint64(run.size()))
                p.rows.append({m_numbers[size_t(r)], run.at(qsizetype(at))});
        }
    }
    return p;
}

QStringList PacketRows::info(const StoredSession &session, const QList<PacketIndexEntry> &entries)
{
    QHash<int, QList<int>> linkTypes; // spool file number → link type by interface id
    for (const StoredSession::SpoolFileInfo &f : session.spoolFiles())
        linkTypes.insert(f.number, f.linkTypes);
    QHash<int, std::shared_ptr<SpoolFileReader>> readers;
    QStringList out;
    out.reserve(entries.size());
    for (const PacketIndexEntry &e : entries) {
        auto &reader = readers[e.fileNumber];
        QString error;
        if (!reader) {
            reader = std::make_shared<SpoolFileReader>();
            reader->open(session.directory() % QLatin1Char('/')
                                 % SessionLayout::captureFile(e.fileNumber),
                         &error);
        }
        RawPacket p;
        std::uint32_t iface = 0;
        if (!reader->isOpen() || !reader->readPacket(e.fileOffset, &p, &iface, &error)) {
            out << QStringLiteral("(bytes not readable: %1)").arg(error);
            continue;
        }
        const QList<int> types = linkTypes.value(e.fileNumber);
        p.linkType = iface < std::uint32_t(types.size()) ? types.at(qsizetype(iface)) : -1;
        out << PacketInfo::describe(p);
    }
    return out;
}

} // namespace podtap
