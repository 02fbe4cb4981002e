#include "capturestore.h"

#include "metafile.h"
#include "storedsession.h"
#include "storeio.h"
#include "storelog.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStringBuilder>

#include <algorithm>
#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>

namespace podtap {

QString CaptureStore::defaultRoot()
{
    QString state = qEnvironmentVariable("XDG_STATE_HOME");
    // The XDG base directory spec: a relative path is invalid and must be ignored.
    if (state.isEmpty() || QDir::isRelativePath(state))
        state = QDir::homePath() % QStringLiteral("/.local/state");
    return QDir::cleanPath(state % QStringLiteral("/podtap/captures"));
}

CaptureStore::CaptureStore(const QString &root)
    : m_root(QDir::cleanPath(QDir(root).absolutePath()))
{}

bool CaptureStore::isValidId(const QString &id)
{
    return !id.isEmpty() && !id.contains(QLatin1Char('/')) && !id.startsWith(QLatin1Char('.'))
           && id.size() <= 200;
}

QString CaptureStore::sessionDir(const QString &id) const
{
    return m_root % QLatin1Char('/') % id;
}

Result<bool> CaptureStore::open()
{
    const QByteArray native = QFile::encodeName(m_root);
    struct stat st;
    if (::lstat(native.constData(), &st) != 0) {
        if (errno != ENOENT)
            return Result<bool>::failure(QStringLiteral("cannot use the capture store ") % m_root
                                         % QStringLiteral(": ") % StoreIo::errnoText(errno));
        QString error;
        if (!StoreIo::makePrivateDirectory(m_root, &error))
            return Result<bool>::failure(error);
        if (::lstat(native.constData(), &st) != 0)
            return Result<bool>::failure(QStringLiteral("cannot use the capture store ") % m_root
                                         % QStringLiteral(": ") % StoreIo::errnoText(errno));
    }
    if (S_ISLNK(st.st_mode))
        return Result<bool>::failure(
                QStringLiteral("the capture store ") % m_root
                % QStringLiteral(" is a symbolic link; podtap keeps captures only in a real "
                                 "folder it owns. Remove the link or set XDG_STATE_HOME"));
    if (!S_ISDIR(st.st_mode))
        return Result<bool>::failure(QStringLiteral("the capture store ") % m_root
                                     % QStringLiteral(" exists but is not a folder; move it away"));
    if (st.st_uid != ::geteuid())
        return Result<bool>::failure(
                QStringLiteral("the capture store ") % m_root
                % QStringLiteral(" belongs to uid %1, not to you (uid %2): podtap will not keep "
                                 "your captures where another user can read or replace them. "
                                 "Remove it or fix its owner")
                          .arg(st.st_uid)
                          .arg(::geteuid()));
    if ((st.st_mode & 07777) != 0700) {
        qCWarning(lcStore) << "capture store" << m_root << "had mode"
                           << QString::number(st.st_mode & 07777, 8) << "- making it 0700";
        if (::chmod(native.constData(), 0700) != 0)
            return Result<bool>::failure(QStringLiteral("cannot make the capture store ") % m_root
                                         % QStringLiteral(" private: ")
                                         % StoreIo::errnoText(errno));
    }
    return true;
}

QList<QJsonObject> CaptureStore::list(const QSet<QString> &liveIds) const
{
    QList<QJsonObject> out;
    const QStringList ids = QDir(m_root).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &id : ids) {
        if (!isValidId(id))
            continue;
        const QString dir = sessionDir(id);
        if (!QFileInfo::exists(dir % QStringLiteral("/meta.json")))
            continue; // not a session (or one whose create() never got that far)
        const auto session = StoredSession::open(dir);
        if (!session) {
            out << QJsonObject{{QStringLiteral("id"), id},
                               {QStringLiteral("state"), QStringLiteral("damaged")},
                               {QStringLiteral("error"), session.error()}};
            continue;
        }
        QJsonObject meta = session->meta();
        meta.insert(QStringLiteral("id"), id);
        const auto files = session->spoolFiles();
        const quint64 first = files.isEmpty() ? 0 : files.constFirst().firstPacket;
        const quint64 count
                = files.isEmpty() ? 0 : files.constLast().firstPacket + files.constLast().packets;
        meta.insert(QStringLiteral("packets"), qint64(count));
        meta.insert(QStringLiteral("storedPackets"), qint64(count - std::min(first, count)));
        meta.insert(QStringLiteral("firstPacket"), qint64(first));
        meta.insert(QStringLiteral("files"), qint64(files.size()));
        // Everything the session keeps on disk (captures, indexes, jsonl, meta): what
        // removing it frees, what retention counts.
        meta.insert(QStringLiteral("diskBytes"), diskBytes(id));
        if (!meta.contains(QStringLiteral("ended")) && !liveIds.contains(id)) {
            meta.insert(QStringLiteral("lastState"), meta.value(QStringLiteral("state")));
            meta.insert(QStringLiteral("state"), QStringLiteral("interrupted"));
        }
        out << meta;
    }
    std::sort(out.begin(), out.end(), [](const QJsonObject &a, const QJsonObject &b) {
        const QString sa = a.value(QStringLiteral("started")).toString();
        const QString sb = b.value(QStringLiteral("started")).toString();
        return sa != sb ? sa < sb
                        : a.value(QStringLiteral("id")).toString()
                                  < b.value(QStringLiteral("id")).toString();
    });
    return out;
}

qint64 CaptureStore::diskBytes(const QString &id) const
{
    if (!isValidId(id))
        return 0;
    qint64 total = 0;
    for (const QFileInfo &f : QDir(sessionDir(id)).entryInfoList(QDir::Files | QDir::Hidden))
        total += f.size();
    return total;
}

Result<bool> CaptureStore::remove(const QString &id)
{
    if (!isValidId(id))
        return Result<bool>::failure(QStringLiteral("\"") % id
                                     % QStringLiteral("\" is not a capture session id"));
    const QString dir = sessionDir(id);
    if (!QFileInfo(dir).isDir())
        return Result<bool>::failure(QStringLiteral("no stored capture \"") % id
                                     % QStringLiteral("\" in ") % m_root);
    if (!QDir(dir).removeRecursively())
        return Result<bool>::failure(QStringLiteral("cannot remove every file of ") % dir
                                     % QStringLiteral("; check its permissions"));
    return true;
}

} // namespace podtap
