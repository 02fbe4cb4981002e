#include "sessionspool.h"

#include "jsonlineswriter.h"

#include "metafile.h"
#include "sessionlayout.h"
#include "spoolfile.h"
#include "storeio.h"
#include "storelog.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QStringBuilder>

#include <algorithm>
#include <cerrno>
#include <unistd.h>

namespace podtap {

namespace {
constexpr int MetaIntervalMs = 1000;

std::int64_t nowNs()
{
    return QDateTime::currentMSecsSinceEpoch() * 1000000;
}

QString isoFromNs(std::int64_t ns)
{
    return QDateTime::fromMSecsSinceEpoch(ns / 1000000, Qt::UTC).toString(Qt::ISODateWithMs);
}
} // namespace

SessionSpool::SessionSpool(QObject *parent)
    : QObject(parent)
{
    m_timer.setInterval(FlushIntervalMs);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &SessionSpool::flush);
}

SessionSpool::~SessionSpool()
{
    if (m_open)
        close(QStringLiteral("closed"));
}

Result<bool> SessionSpool::create(const QString &sessionDir, const QJsonObject &meta,
                                  const Limits &limits, const PcapWriter::Options &writerOptions)
{
    if (m_open)
        return Result<bool>::failure(QStringLiteral("this spool is already writing ") % m_dir);
    m_dir = QDir(sessionDir).absolutePath();
    if (QFileInfo::exists(m_dir % QLatin1Char('/') % SessionLayout::metaFile()))
        return Result<bool>::failure(m_dir
                                     % QStringLiteral(" already holds a capture session; "
                                                      "choose another session id"));
    QString error;
    if (!StoreIo::makePrivateDirectory(m_dir, &error))
        return Result<bool>::failure(error);

    m_limits = limits;
    m_options = writerOptions;
    m_options.format = PcapWriter::Format::Pcapng;
    m_meta = meta;
    const auto setDefault = [this](const QString &key, const QJsonValue &value) {
        if (!m_meta.contains(key))
            m_meta.insert(key, value);
    };
    setDefault(QStringLiteral("id"), QFileInfo(m_dir).fileName());
    setDefault(QStringLiteral("state"), QStringLiteral("capturing"));
    setDefault(QStringLiteral("started"), StoreIo::nowIso());
    m_meta.insert(QStringLiteral("storeVersion"), 1);
    m_meta.insert(QStringLiteral("spool"),
                  QJsonObject{
                          {QStringLiteral("format"), QStringLiteral("pcapng")},
                          {QStringLiteral("linkType"), m_options.linkType},
                          {QStringLiteral("snapLength"), qint64(m_options.snapLength)},
                          {QStringLiteral("interfaceName"), m_options.interfaceName},
                          {QStringLiteral("interfaceDescription"), m_options.interfaceDescription},
                          {QStringLiteral("sectionComment"), m_options.sectionComment},
                  });
    m_meta.insert(QStringLiteral("limits"),
                  QJsonObject{
                          {QStringLiteral("maxTotalBytes"), m_limits.maxTotalBytes},
                          {QStringLiteral("maxFileBytes"), m_limits.maxFileBytes},
                          {QStringLiteral("maxAgeSeconds"), m_limits.maxAgeSeconds},
                  });

    m_packets = m_bytes = m_rotatedOut = m_firstPacket = m_metaPackets = 0;
    m_closed.clear();
    m_closedBytes = 0;
    m_failed = false;
    m_error.clear();
    m_metaFile = std::make_unique<MetaFile>(m_dir);
    m_metaDirty = true;
    // meta.json first: after a crash at any later point the folder is a listable session.
    if (!m_metaFile->write(m_meta, true, &error))
        return Result<bool>::failure(error);
    m_connectionsFd = StoreIo::createPrivateFile(
            m_dir % QLatin1Char('/') % SessionLayout::connectionsFile(), true, &error);
    m_file = std::make_unique<SpoolFile>(m_dir, 1, 0, m_options);
    if (m_connectionsFd < 0 || !m_file->open(&error)) {
        m_file.reset();
        if (m_connectionsFd >= 0)
            ::close(m_connectionsFd);
        m_connectionsFd = -1;
        m_metaFile->releaseSpare();
        return Result<bool>::failure(error);
    }
    m_open = true;
    m_sinceFlush.start();
    m_sinceMeta.start();
    m_fileAge.start();
    m_timer.start();
    qCDebug(lcStore) << "spooling to" << m_dir;
    return true;
}

qint64 SessionSpool::fileLimit() const
{
    qint64 limit = m_limits.maxFileBytes > 0 ? m_limits.maxFileBytes : Limits().maxFileBytes;
    if (m_limits.maxTotalBytes > 0)
        limit = std::min(limit, m_limits.maxTotalBytes / 4);
    return std::max(limit, MinFileBytes);
}

bool SessionSpool::ageRotationDue() const
{
    if (m_limits.maxAgeSeconds <= 0)
        return false;
    return m_fileAge.elapsed() >= std::max<qint64>(1000, m_limits.maxAgeSeconds * 1000 / 4);
}

bool SessionSpool::append(const RawPacket &packet, std::uint64_t connectionId,
                          std::uint8_t direction, std::uint8_t tcpFlags)
{
    if (!m_open || m_failed)
        return false;
    if (m_file->packets() > 0
        && (m_file->captureBytes() + SpoolFile::recordSize(packet) > fileLimit()
            || !m_file->acceptsLinkType(packet.linkType) || ageRotationDue())
        && !rotate()) {
        return false;
    }
    m_file->append(packet, connectionId, direction, tcpFlags);
    ++m_packets;
    m_bytes += packet.caplen;
    m_lastPacketNs = std::max(m_lastPacketNs, packet.tsNs);
    // Under load the timer may not get its turn: the 100 ms bound is kept from here too.
    if (m_file->bufferedBytes() >= FlushBytes || m_sinceFlush.elapsed() >= FlushIntervalMs)
        flush();
    return !m_failed;
}

void SessionSpool::appendConnection(const QJsonObject &connection)
{
    if (!m_open || m_failed)
        return;
    m_connections.append(QJsonDocument(connection).toJson(QJsonDocument::Compact));
    m_connections.append('\n');
    // The end of a capture summarises every tracked connection at once: write out by
    // size too, so that burst never piles up in memory (measured: +130 MB at 200k).
    if (m_connections.size() >= ConnectionsFlushBytes)
        writeConnections();
}

void SessionSpool::appendHttp(const QJsonObject &exchange)
{
    appendTo(m_http, SessionLayout::httpFile(), exchange);
}

void SessionSpool::appendCompare(const QJsonObject &verdict)
{
    appendTo(m_compare, SessionLayout::compareFile(), verdict);
}

void SessionSpool::appendTo(std::unique_ptr<JsonLinesWriter> &writer, const QString &name,
                            const QJsonObject &record)
{
    if (!m_open || m_failed)
        return;
    if (!writer)
        writer = std::make_unique<JsonLinesWriter>(m_dir + QLatin1Char('/') + name);
    QString error;
    if (!writer->append(record, &error))
        fail(error);
}

void SessionSpool::updateMeta(const QJsonObject &fields)
{
    for (auto it = fields.begin(); it != fields.end(); ++it)
        m_meta.insert(it.key(), it.value());
    m_metaDirty = true;
}

void SessionSpool::flush()
{
    if (!m_open || m_failed)
        return;
    QString error;
    if (!m_file->flush(&error)) {
        fail(error);
        return;
    }
    if (!writeConnections())
        return;
    for (auto *w : {m_http.get(), m_compare.get()}) {
        if (w && !w->flush(&error)) {
            fail(error);
            return;
        }
    }
    m_sinceFlush.restart();
    if (m_file->packets() > 0 && ageRotationDue() && !rotate())
        return;
    enforceLimits();
    if (m_metaDirty || (m_packets != m_metaPackets && m_sinceMeta.elapsed() >= MetaIntervalMs))
        writeMeta(false);
}

bool SessionSpool::writeConnections()
{
    if (m_connections.isEmpty())
        return true;
    if (!StoreIo::writeAll(m_connectionsFd, m_connections.constData(), m_connections.size())) {
        const int err = errno;
        const QString path = m_dir % QLatin1Char('/') % SessionLayout::connectionsFile();
        fail((err == ENOSPC || err == EDQUOT ? QStringLiteral("disk full while writing ")
                                             : QStringLiteral("cannot write "))
             % path % QStringLiteral(": ") % StoreIo::errnoText(err));
        return false;
    }
    m_connections.resize(0);
    return true;
}

bool SessionSpool::rotate()
{
    if (m_file->number() >= SessionLayout::MaxFileNumber) {
        fail(m_dir
             % QStringLiteral(" reached %1 spool files; start a new capture session")
                       .arg(SessionLayout::MaxFileNumber));
        return false;
    }
    QString error;
    const quint64 next = m_file->firstPacket() + m_file->packets();
    if (!m_file->close(false, &error)) {
        fail(error);
        return false;
    }
    ClosedFile closed;
    closed.number = m_file->number();
    closed.firstPacket = m_file->firstPacket();
    closed.packets = m_file->packets();
    closed.bytes = m_file->captureBytes() + m_file->indexBytes();
    closed.newestTsNs = m_file->newestTsNs();
    m_closed.push_back(closed);
    m_closedBytes += closed.bytes;

    auto file = std::make_unique<SpoolFile>(m_dir, closed.number + 1, next, m_options);
    if (!file->open(&error)) {
        fail(error);
        return false;
    }
    m_file = std::move(file);
    m_fileAge.restart();
    m_metaDirty = true;
    enforceLimits();
    return true;
}

void SessionSpool::enforceLimits()
{
    if (m_limits.maxTotalBytes > 0) {
        while (!m_closed.empty()
               && m_closedBytes + m_file->captureBytes() + m_file->indexBytes()
                          > m_limits.maxTotalBytes) {
            deleteOldest();
        }
    }
    if (m_limits.maxAgeSeconds > 0) {
        // Oldest first only: global packet numbers on disk stay contiguous.
        const std::int64_t cutoff = nowNs() - m_limits.maxAgeSeconds * 1000000000;
        while (!m_closed.empty() && m_closed.front().newestTsNs < cutoff)
            deleteOldest();
    }
}

void SessionSpool::deleteOldest()
{
    const ClosedFile oldest = m_closed.front();
    m_closed.pop_front();
    // Index first: a reader that still finds an index also finds its capture file.
    for (const QString &name :
         {SessionLayout::indexFile(oldest.number), SessionLayout::captureFile(oldest.number)}) {
        const QString path = m_dir % QLatin1Char('/') % name;
        if (::unlink(QFile::encodeName(path).constData()) != 0 && errno != ENOENT)
            qCWarning(lcStore) << "cannot delete" << path << StoreIo::errnoText(errno);
    }
    m_closedBytes -= oldest.bytes;
    m_rotatedOut += oldest.packets;
    m_firstPacket = m_closed.empty() ? m_file->firstPacket() : m_closed.front().firstPacket;
    m_metaDirty = true;
    qCDebug(lcStore) << "rotated out" << SessionLayout::captureFile(oldest.number) << "with"
                     << oldest.packets << "packets";
}

qint64 SessionSpool::diskBytes() const
{
    return m_closedBytes + (m_file ? m_file->captureBytes() + m_file->indexBytes() : 0);
}

void SessionSpool::writeMeta(bool durable)
{
    QJsonObject meta = m_meta;
    meta.insert(QStringLiteral("packets"), qint64(m_packets));
    meta.insert(QStringLiteral("bytes"), qint64(m_bytes));
    meta.insert(QStringLiteral("firstPacket"), qint64(m_firstPacket));
    meta.insert(QStringLiteral("rotatedOutPackets"), qint64(m_rotatedOut));
    meta.insert(QStringLiteral("files"), qint64(m_closed.size() + (m_file ? 1 : 0)));
    meta.insert(QStringLiteral("diskBytes"), diskBytes());
    if (m_lastPacketNs > 0)
        meta.insert(QStringLiteral("lastPacket"), isoFromNs(m_lastPacketNs));
    meta.insert(QStringLiteral("updated"), StoreIo::nowIso());
    QString error;
    if (!m_metaFile->write(meta, durable, &error)) {
        qCWarning(lcStore).noquote() << error;
        // A full disk stops the session wherever it shows first (the final, durable rewrite
        // at close has its preallocated spare and must not fail the session it closes).
        if (!durable
            && (error.contains(StoreIo::errnoText(ENOSPC))
                || error.contains(StoreIo::errnoText(EDQUOT)))) {
            fail(QStringLiteral("disk full while writing ") % m_dir % QLatin1Char('/')
                 % SessionLayout::metaFile() % QStringLiteral(": ") % error);
            return;
        }
    }
    m_metaDirty = false;
    m_metaPackets = m_packets;
    m_sinceMeta.restart();
}

void SessionSpool::fail(const QString &why)
{
    if (m_failed)
        return;
    m_failed = true;
    m_error = why;
    if (m_file)
        m_packets -= std::min(m_packets, m_file->lostPackets());
    m_connections = QByteArray();
    m_timer.stop();
    m_meta.insert(QStringLiteral("error"), why);
    m_metaDirty = true;
    qCWarning(lcStore).noquote() << why;
    Q_EMIT failed(why);
}

void SessionSpool::close(const QString &finalState)
{
    if (!m_open)
        return;
    flush();
    m_timer.stop();
    QString error;
    if (!m_file->close(true, &error) && !m_failed) {
        m_error = error;
        qCWarning(lcStore).noquote() << error;
    }
    if (m_connectionsFd >= 0) {
        ::fsync(m_connectionsFd);
        ::close(m_connectionsFd);
        m_connectionsFd = -1;
    }
    for (auto *w : {m_http.get(), m_compare.get()}) {
        if (w)
            w->close();
    }
    m_meta.insert(QStringLiteral("state"), finalState);
    m_meta.insert(QStringLiteral("ended"), StoreIo::nowIso());
    writeMeta(true);
    m_metaFile->releaseSpare();
    m_open = false;
    qCDebug(lcStore) << "closed" << m_dir << "as" << finalState << "with" << m_packets << "packets";
}

} // namespace podtap
