#include "metafile.h"

#include "sessionlayout.h"
#include "storeio.h"
#include "storelog.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QStringBuilder>

#include <fcntl.h>
#include <unistd.h>

namespace podtap {

namespace {
constexpr qint64 SpareSize = 16 * 1024;
}

MetaFile::MetaFile(const QString &sessionDir)
    : m_dir(sessionDir)
{}

MetaFile::~MetaFile()
{
    if (m_spareFd >= 0)
        ::close(m_spareFd);
}

bool MetaFile::write(const QJsonObject &meta, bool durable, QString *error)
{
    const QByteArray data = QJsonDocument(meta).toJson(QJsonDocument::Indented);
    const QString path = m_dir % QLatin1Char('/') % SessionLayout::metaFile();
    const QString spare = m_dir % QLatin1Char('/') % SessionLayout::metaSpareFile();
    if (m_spareFd >= 0 && data.size() <= SpareSize) {
        // Overwriting allocated blocks and shrinking need no free space.
        bool ok = StoreIo::pwriteAll(m_spareFd, data.constData(), data.size(), 0)
                  && ::ftruncate(m_spareFd, data.size()) == 0
                  && (!durable || ::fsync(m_spareFd) == 0);
        ::close(m_spareFd);
        m_spareFd = -1;
        ok = ok
             && ::rename(QFile::encodeName(spare).constData(), QFile::encodeName(path).constData())
                        == 0;
        if (ok) {
            if (durable && !StoreIo::syncDirectory(m_dir, error))
                return false;
            prepareSpare();
            return true;
        }
        qCDebug(lcStore) << "spare meta file unusable, writing a new one:"
                         << StoreIo::errnoText(errno);
    }
    const bool ok = StoreIo::writeFileAtomically(path, data, durable, error);
    prepareSpare();
    return ok;
}

void MetaFile::prepareSpare()
{
    if (m_spareFd >= 0)
        return;
    const QString spare = m_dir % QLatin1Char('/') % SessionLayout::metaSpareFile();
    const int fd = StoreIo::createPrivateFile(spare, false, nullptr);
    if (fd < 0)
        return;
    if (::fallocate(fd, 0, 0, SpareSize) != 0) {
        ::close(fd);
        ::unlink(QFile::encodeName(spare).constData());
        return;
    }
    m_spareFd = fd;
}

void MetaFile::releaseSpare()
{
    if (m_spareFd >= 0) {
        ::close(m_spareFd);
        m_spareFd = -1;
    }
    ::unlink(QFile::encodeName(m_dir % QLatin1Char('/') % SessionLayout::metaSpareFile())
                     .constData());
}

Result<QJsonObject> MetaFile::read(const QString &sessionDir)
{
    QFile f(sessionDir % QLatin1Char('/') % SessionLayout::metaFile());
    if (!f.open(QIODevice::ReadOnly))
        return Result<QJsonObject>::failure(
                sessionDir % QStringLiteral(" is not a podtap capture (") % f.fileName()
                % QStringLiteral(": ") % f.errorString() % QLatin1Char(')'));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &parseError);
    if (!doc.isObject())
        return Result<QJsonObject>::failure(f.fileName() % QStringLiteral(" is damaged (")
                                            % parseError.errorString()
                                            % QStringLiteral("); remove the session folder"));
    return doc.object();
}

} // namespace podtap
