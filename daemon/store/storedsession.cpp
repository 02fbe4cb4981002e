#include "storedsession.h"

#include "metafile.h"
#include "sessionlayout.h"
#include "spoolfilereader.h"
#include "storeio.h"
#include "storelog.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QStringBuilder>

#include <algorithm>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace podtap {

namespace {
constexpr qint64 RecordsPerRead = 4096;

qint64 fileSize(const QString &path)
{
    struct stat st;
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return -1;
    return qint64(st.st_size);
}

QList<int> numbersOf(const QString &dir, const QString &pattern)
{
    QList<int> numbers;
    const QStringList names = QDir(dir).entryList({pattern}, QDir::Files | QDir::Hidden);
    for (const QString &name : names) {
        if (const int n = SessionLayout::fileNumber(name))
            numbers << n;
    }
    std::sort(numbers.begin(), numbers.end());
    return numbers;
}
} // namespace

Result<StoredSession> StoredSession::open(const QString &sessionDir)
{
    const QString dir = QDir(sessionDir).absolutePath();
    auto meta = MetaFile::read(dir);
    if (!meta)
        return Result<StoredSession>::failure(meta.error());
    StoredSession s;
    s.m_dir = dir;
    s.m_meta = meta.value();
    return s;
}

QJsonObject StoredSession::meta() const
{
    const auto now = MetaFile::read(m_dir);
    return now ? now.value() : m_meta;
}

QString StoredSession::id() const
{
    const QString id = m_meta.value(QStringLiteral("id")).toString();
    return id.isEmpty() ? QFileInfo(m_dir).fileName() : id;
}

bool StoredSession::header(int number, const QString &indexPath, bool reload,
                           IndexFileHeader *out) const
{
    if (!reload) {
        const auto it = m_headers.constFind(number);
        if (it != m_headers.constEnd()) {
            *out = *it;
            return true;
        }
    }
    const int fd = ::open(QFile::encodeName(indexPath).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char bytes[IndexFileHeader::DiskSize];
    const bool ok = StoreIo::preadFull(fd, bytes, sizeof bytes, 0) == qint64(sizeof bytes)
                    && IndexFileHeader::fromDisk(bytes, out)
                    && out->fileNumber == std::uint32_t(number);
    ::close(fd);
    if (ok)
        m_headers.insert(number, *out);
    return ok;
}

QList<StoredSession::SpoolFileInfo> StoredSession::spoolFiles() const
{
    QList<SpoolFileInfo> files;
    for (const int n : numbersOf(m_dir, QStringLiteral("capture-*.idx"))) {
        SpoolFileInfo f;
        f.number = n;
        f.indexPath = m_dir % QLatin1Char('/') % SessionLayout::indexFile(n);
        f.capturePath = m_dir % QLatin1Char('/') % SessionLayout::captureFile(n);
        const qint64 size = fileSize(f.indexPath);
        IndexFileHeader h;
        // A file shorter than its header is being created (or was, when the daemon died).
        if (size < IndexFileHeader::DiskSize || !header(n, f.indexPath, false, &h))
            continue;
        f.firstPacket = h.firstPacket;
        f.packets = quint64(size - IndexFileHeader::DiskSize) / PacketIndexEntry::DiskSize;
        f.linkTypes = h.linkTypes;
        files << f;
    }
    return files;
}

quint64 StoredSession::firstPacket() const
{
    const auto files = spoolFiles();
    return files.isEmpty() ? 0 : files.constFirst().firstPacket;
}

quint64 StoredSession::packetCount() const
{
    const auto files = spoolFiles();
    return files.isEmpty() ? 0 : files.constLast().firstPacket + files.constLast().packets;
}

QList<PacketIndexEntry> StoredSession::entries(quint64 from, int count) const
{
    QList<PacketIndexEntry> out;
    if (count <= 0)
        return out;
    const quint64 end = from + quint64(count);
    QByteArray buffer;
    for (const SpoolFileInfo &f : spoolFiles()) {
        const quint64 fileEnd = f.firstPacket + f.packets;
        if (fileEnd <= from || f.firstPacket >= end)
            continue;
        const int fd = ::open(QFile::encodeName(f.indexPath).constData(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue; // rotated out meanwhile
        quint64 at = std::max(from, f.firstPacket);
        const quint64 stop = std::min(end, fileEnd);
        if (out.isEmpty())
            out.reserve(qsizetype(std::min<quint64>(stop - at, 65536)));
        bool good = true;
        while (good && at < stop) {
            const qint64 n = qint64(std::min<quint64>(stop - at, RecordsPerRead));
            buffer.resize(n * PacketIndexEntry::DiskSize);
            const qint64 offset = IndexFileHeader::DiskSize
                                  + qint64(at - f.firstPacket) * PacketIndexEntry::DiskSize;
            const qint64 got = StoreIo::preadFull(fd, buffer.data(), buffer.size(), offset);
            const qint64 records = got < 0 ? 0 : got / PacketIndexEntry::DiskSize;
            for (qint64 i = 0; i < records; ++i) {
                const auto e = PacketIndexEntry::fromDisk(buffer.constData()
                                                          + i * PacketIndexEntry::DiskSize);
                if (e.fileNumber != f.number) {
                    qCWarning(lcStore)
                            << f.indexPath << "has a damaged record at" << (at + quint64(i));
                    good = false;
                    break;
                }
                out << e;
            }
            good = good && records == n;
            at += quint64(records);
        }
        ::close(fd);
        if (!good)
            break;
    }
    return out;
}

Result<QByteArray> StoredSession::packetData(const PacketIndexEntry &entry) const
{
    SpoolFileReader reader;
    QString error;
    RawPacket p;
    if (!reader.open(m_dir % QLatin1Char('/') % SessionLayout::captureFile(entry.fileNumber),
                     &error)
        || !reader.readPacket(entry.fileOffset, &p, nullptr, &error)) {
        return Result<QByteArray>::failure(error);
    }
    return QByteArray(reinterpret_cast<const char *>(p.data), qsizetype(p.caplen));
}

int StoredSession::linkTypeOf(const PacketIndexEntry &entry) const
{
    SpoolFileReader reader;
    RawPacket p;
    std::uint32_t iface = 0;
    if (!reader.open(m_dir % QLatin1Char('/') % SessionLayout::captureFile(entry.fileNumber),
                     nullptr)
        || !reader.readPacket(entry.fileOffset, &p, &iface, nullptr)) {
        return -1;
    }
    const QString indexPath = m_dir % QLatin1Char('/') % SessionLayout::indexFile(entry.fileNumber);
    IndexFileHeader h;
    if (!header(entry.fileNumber, indexPath, false, &h))
        return -1;
    // The table grows in place when a new link type appears: reload once if it is too short.
    if (iface >= std::uint32_t(h.linkTypes.size())
        && !header(entry.fileNumber, indexPath, true, &h)) {
        return -1;
    }
    return iface < std::uint32_t(h.linkTypes.size()) ? h.linkTypes.at(qsizetype(iface)) : -1;
}

QStringList StoredSession::files() const
{
    QStringList paths;
    for (const int n : numbersOf(m_dir, QStringLiteral("capture-*.pcapng")))
        paths << m_dir % QLatin1Char('/') % SessionLayout::captureFile(n);
    return paths;
}

QList<QJsonObject> StoredSession::connections() const
{
    QList<QJsonObject> out;
    QFile f(m_dir % QLatin1Char('/') % SessionLayout::connectionsFile());
    if (!f.open(QIODevice::ReadOnly))
        return out;
    while (!f.atEnd()) {
        const QByteArray line = f.readLine();
        if (!line.endsWith('\n'))
            break; // cut by a crash mid-write
        const QJsonDocument doc = QJsonDocument::fromJson(line);
        if (doc.isObject())
            out << doc.object();
    }
    return out;
}

qint64 StoredSession::diskBytes() const
{
    qint64 total = 0;
    const QStringList names = QDir(m_dir).entryList({QStringLiteral("capture-*")}, QDir::Files);
    for (const QString &name : names)
        total += std::max<qint64>(0, fileSize(m_dir % QLatin1Char('/') % name));
    return total;
}

} // namespace podtap
