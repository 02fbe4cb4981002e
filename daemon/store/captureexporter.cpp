#include "captureexporter.h"

#include "capture/packetfilter.h"
#include "indexfileheader.h"
#include "packetindexentry.h"
#include "spoolfilereader.h"
#include "storedsession.h"
#include "storeio.h"
#include "storelog.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QStringBuilder>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <map>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace podtap {

namespace {
constexpr qint64 ReadAhead = 1024 * 1024;
constexpr qsizetype OutputFlush = 1024 * 1024;
constexpr qint64 RecordsPerRead = 4096;
constexpr quint64 ProgressEvery = 16384;

using ExportResult = Result<CaptureExporter::Summary>;

// Removes temps of exports whose process is gone (killed midway); never someone else's file.
void removeStaleTemps(const QString &dir)
{
    const QStringList names = QDir(dir).entryList(
            {CaptureExporter::tempPrefix() % QStringLiteral("*.tmp")}, QDir::Files | QDir::Hidden);
    for (const QString &name : names) {
        const QStringView rest = QStringView(name).mid(CaptureExporter::tempPrefix().size());
        bool ok = false;
        const qint64 pid = rest.left(rest.indexOf(QLatin1Char('-'))).toLongLong(&ok);
        if (!ok || pid <= 0 || pid == qint64(::getpid()))
            continue;
        const QByteArray path = QFile::encodeName(dir % QLatin1Char('/') % name);
        struct stat st;
        if (::lstat(path.constData(), &st) != 0 || !S_ISREG(st.st_mode)
            || st.st_uid != ::geteuid()) {
            continue;
        }
        if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH) {
            qCDebug(lcStore) << "removing the temp of an interrupted export" << name;
            ::unlink(path.constData());
        }
    }
}

struct FileDescriptor
{
    int fd = -1;
    ~FileDescriptor()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

// The temp file of one export; removed unless committed.
struct TempOutput
{
    QString path;
    int fd = -1;
    bool committed = false;
    ~TempOutput()
    {
        if (fd >= 0)
            ::close(fd);
        if (!committed && !path.isEmpty())
            ::unlink(QFile::encodeName(path).constData());
    }
};

QString writeError(const QString &outPath, int err)
{
    return (err == ENOSPC || err == EDQUOT ? QStringLiteral("disk full while exporting to ")
                                           : QStringLiteral("cannot export to "))
           % outPath % QStringLiteral(": ") % StoreIo::errnoText(err)
           % QStringLiteral(" (nothing was written there)");
}
} // namespace

QString CaptureExporter::defaultComment(const StoredSession &session)
{
    const QJsonObject meta = session.meta();
    QString spoolComment = meta.value(QStringLiteral("spool"))
                                   .toObject()
                                   .value(QStringLiteral("sectionComment"))
                                   .toString();
    if (!spoolComment.isEmpty())
        return spoolComment;
    const auto text = [&meta](const char *key) {
        const QJsonValue v = meta.value(QLatin1String(key));
        return v.isDouble() ? QString::number(v.toInteger()) : v.toString();
    };
    QString pod = text("pod");
    if (!pod.isEmpty() && !text("namespace").isEmpty() && !pod.contains(QLatin1Char('/')))
        pod = text("namespace") % QLatin1Char('/') % pod;
    QStringList parts;
    if (!text("target").isEmpty())
        parts << text("target");
    if (!pod.isEmpty())
        parts << QStringLiteral("pod ") % pod;
    if (!text("port").isEmpty())
        parts << QStringLiteral("port ") % text("port");
    if (parts.isEmpty())
        parts << session.id();
    return QStringLiteral("podtap capture of ") % parts.join(QStringLiteral(", "));
}

Result<CaptureExporter::Summary> CaptureExporter::exportSession(const StoredSession &session,
                                                                const QString &outPath,
                                                                const Options &options)
{
    const QFileInfo out(QDir(outPath).absolutePath());
    const QString dir = out.absolutePath();
    if (!QFileInfo(dir).isDir())
        return ExportResult::failure(QStringLiteral("cannot export to ") % out.filePath()
                                     % QStringLiteral(": the folder ") % dir
                                     % QStringLiteral(" does not exist"));
    if (out.isDir())
        return ExportResult::failure(out.filePath()
                                     % QStringLiteral(" is a folder; give the export a file name"));

    const QList<StoredSession::SpoolFileInfo> files = session.spoolFiles();
    const QJsonObject spool = session.meta().value(QStringLiteral("spool")).toObject();
    PcapWriter::Options w;
    w.format = options.format;
    w.linkType = spool.value(QStringLiteral("linkType")).toInt(w.linkType);
    w.snapLength = std::uint32_t(
            spool.value(QStringLiteral("snapLength")).toInteger(qint64(w.snapLength)));
    w.interfaceName = spool.value(QStringLiteral("interfaceName")).toString(w.interfaceName);
    w.interfaceDescription = spool.value(QStringLiteral("interfaceDescription")).toString();
    w.sectionComment = options.comment.isEmpty() ? defaultComment(session) : options.comment;
    QList<int> linkTypes;
    for (const auto &f : files) {
        for (const int lt : f.linkTypes) {
            if (!linkTypes.contains(lt))
                linkTypes << lt;
        }
    }
    if (linkTypes.isEmpty())
        linkTypes << w.linkType;
    w.linkType = linkTypes.constFirst();
    if (options.format == PcapWriter::Format::Pcap && linkTypes.size() > 1) {
        QStringList names;
        for (const int lt : std::as_const(linkTypes))
            names << QString::number(lt);
        return ExportResult::failure(
                QStringLiteral("this capture holds several link types (")
                % names.join(QStringLiteral(", "))
                % QStringLiteral("); a pcap file holds one: export as pcapng"));
    }

    // Every link type's filter compiles before anything is written.
    std::map<int, std::unique_ptr<PacketFilter>> filters;
    const QString bpf = options.bpf.trimmed();
    if (!bpf.isEmpty()) {
        for (const int lt : std::as_const(linkTypes)) {
            auto filter = std::make_unique<PacketFilter>();
            std::string error;
            if (!filter->compile(bpf.toStdString(), lt, int(w.snapLength), &error))
                return ExportResult::failure(QStringLiteral("invalid BPF filter \"") % bpf
                                             % QStringLiteral("\": ")
                                             % QString::fromStdString(error));
            filters.emplace(lt, std::move(filter));
        }
    }

    removeStaleTemps(dir);
    TempOutput temp;
    temp.path = dir % QLatin1Char('/') % tempPrefix() % QString::number(::getpid())
                % QLatin1Char('-')
                % QString::number(QRandomGenerator::global()->generate(), 16)
                          .rightJustified(8, QLatin1Char('0'))
                % QStringLiteral(".tmp");
    QString error;
    temp.fd = StoreIo::createPrivateFile(temp.path, true, &error);
    if (temp.fd < 0)
        return ExportResult::failure(QStringLiteral("cannot export to ") % out.filePath()
                                     % QStringLiteral(": ") % error);

    Summary summary;
    summary.path = out.filePath();
    QByteArray buffer;
    buffer.reserve(OutputFlush + 64 * 1024);
    QHash<int, std::uint32_t> interfaces; // link type → output interface id
    if (options.format == PcapWriter::Format::Pcapng) {
        buffer.append(PcapWriter::pcapngSectionHeader(w));
        buffer.append(PcapWriter::pcapngInterface(w.linkType, w));
        interfaces.insert(w.linkType, 0);
    } else {
        buffer.append(PcapWriter::pcapHeader(w.linkType, w.snapLength));
    }
    const auto writeOut = [&]() {
        if (!StoreIo::writeAll(temp.fd, buffer.constData(), buffer.size()))
            return false;
        summary.bytes += quint64(buffer.size());
        buffer.resize(0);
        return true;
    };

    quint64 total = 0;
    for (const auto &f : files)
        total += f.packets;
    quint64 scanned = 0;
    QByteArray records;
    for (const auto &f : files) {
        // Both descriptors are opened before reading: a rotation deleting the files meanwhile
        // does not cut this export short.
        FileDescriptor index;
        index.fd = ::open(QFile::encodeName(f.indexPath).constData(), O_RDONLY | O_CLOEXEC);
        SpoolFileReader reader(ReadAhead);
        if (index.fd < 0 || !reader.open(f.capturePath, nullptr)) {
            scanned += f.packets; // rotated out since the listing
            continue;
        }
        for (quint64 at = 0; at < f.packets;) {
            const qint64 n = qint64(std::min<quint64>(f.packets - at, RecordsPerRead));
            records.resize(n * PacketIndexEntry::DiskSize);
            const qint64 got = StoreIo::preadFull(
                    index.fd, records.data(), records.size(),
                    IndexFileHeader::DiskSize + qint64(at) * PacketIndexEntry::DiskSize);
            if (got != records.size())
                return ExportResult::failure(QStringLiteral("cannot read ") % f.indexPath
                                             % QStringLiteral(": the index is shorter than "
                                                              "before the export started"));
            for (qint64 i = 0; i < n; ++i) {
                ++scanned;
                if (options.progress && scanned % ProgressEvery == 0
                    && !options.progress(scanned, total)) {
                    return ExportResult::failure(QStringLiteral("export to ") % out.filePath()
                                                 % QStringLiteral(" cancelled"));
                }
                const auto e = PacketIndexEntry::fromDisk(records.constData()
                                                          + i * PacketIndexEntry::DiskSize);
                if (e.tsNs < options.fromNs || e.tsNs > options.toNs)
                    continue;
                if (!options.connections.isEmpty() && !options.connections.contains(e.connectionId))
                    continue;
                RawPacket p;
                std::uint32_t iface = 0;
                if (!reader.readPacket(e.fileOffset, &p, &iface, &error))
                    return ExportResult::failure(QStringLiteral("cannot export: ") % error);
                p.linkType = f.linkTypes.value(qsizetype(iface), -1);
                if (p.linkType < 0)
                    return ExportResult::failure(
                            QStringLiteral("cannot export: ") % f.capturePath
                            % QStringLiteral(" uses an interface its index does not list"));
                if (!filters.empty() && !filters.at(p.linkType)->matches(p))
                    continue;
                if (options.format == PcapWriter::Format::Pcapng) {
                    auto it = interfaces.constFind(p.linkType);
                    if (it == interfaces.constEnd()) {
                        buffer.append(PcapWriter::pcapngInterface(p.linkType, w));
                        it = interfaces.insert(p.linkType, std::uint32_t(interfaces.size()));
                    }
                    PcapWriter::appendPcapngPacket(buffer, p, *it);
                } else {
                    PcapWriter::appendPcapRecord(buffer, p);
                }
                ++summary.packets;
                if (buffer.size() >= OutputFlush && !writeOut())
                    return ExportResult::failure(writeError(out.filePath(), errno));
            }
            at += quint64(n);
        }
    }
    if (!writeOut() || ::fsync(temp.fd) != 0)
        return ExportResult::failure(writeError(out.filePath(), errno));
    if (::close(temp.fd) != 0) {
        temp.fd = -1;
        return ExportResult::failure(writeError(out.filePath(), errno));
    }
    temp.fd = -1;
    if (::rename(QFile::encodeName(temp.path).constData(),
                 QFile::encodeName(out.filePath()).constData())
        != 0) {
        return ExportResult::failure(writeError(out.filePath(), errno));
    }
    temp.committed = true;
    if (!StoreIo::syncDirectory(dir, &error))
        qCWarning(lcStore).noquote() << error;
    qCDebug(lcStore) << "exported" << summary.packets << "packets to" << summary.path;
    return summary;
}

} // namespace podtap
