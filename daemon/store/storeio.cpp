#include "storeio.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStringBuilder>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace podtap {

QString StoreIo::errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

QString StoreIo::nowIso()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

int StoreIo::createPrivateFile(const QString &path, bool exclusive, QString *error)
{
    const QByteArray native = QFile::encodeName(path);
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
    if (exclusive)
        flags |= O_EXCL;
    int fd;
    do {
        fd = ::open(native.constData(), flags, 0600);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        if (error)
            *error = QStringLiteral("cannot create ") % path % QStringLiteral(": ")
                     % errnoText(errno);
        return -1;
    }
    // The umask only clears bits; fchmod makes the mode exact (0600 even under umask 0 or 0277).
    if (::fchmod(fd, 0600) != 0) {
        const int e = errno;
        ::close(fd);
        if (error)
            *error = QStringLiteral("cannot make ") % path % QStringLiteral(" private: ")
                     % errnoText(e);
        return -1;
    }
    return fd;
}

bool StoreIo::makePrivateDirectory(const QString &path, QString *error)
{
    const QString clean = QDir::cleanPath(QDir(path).absolutePath());
    const QFileInfo info(clean);
    if (!info.exists()) {
        const QString parent = info.absolutePath();
        if (parent != clean && !QFileInfo::exists(parent) && !makePrivateDirectory(parent, error))
            return false;
        if (::mkdir(QFile::encodeName(clean).constData(), 0700) != 0 && errno != EEXIST) {
            if (error)
                *error = QStringLiteral("cannot create folder ") % clean % QStringLiteral(": ")
                         % errnoText(errno);
            return false;
        }
    }
    if (::chmod(QFile::encodeName(clean).constData(), 0700) != 0) {
        if (error)
            *error = QStringLiteral("cannot make folder ") % clean % QStringLiteral(" private: ")
                     % errnoText(errno);
        return false;
    }
    return true;
}

bool StoreIo::writeAll(int fd, const char *data, qint64 size, qint64 *written)
{
    qint64 done = 0;
    bool ok = true;
    while (done < size) {
        const ssize_t n = ::write(fd, data + done, size_t(size - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC; // a regular file that accepts nothing is full
            ok = false;
            break;
        }
        done += n;
    }
    if (written)
        *written = done;
    return ok;
}

bool StoreIo::pwriteAll(int fd, const char *data, qint64 size, qint64 offset)
{
    qint64 done = 0;
    while (done < size) {
        const ssize_t n = ::pwrite(fd, data + done, size_t(size - done), off_t(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC;
            return false;
        }
        done += n;
    }
    return true;
}

qint64 StoreIo::preadFull(int fd, char *data, qint64 size, qint64 offset)
{
    qint64 done = 0;
    while (done < size) {
        const ssize_t n = ::pread(fd, data + done, size_t(size - done), off_t(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        done += n;
    }
    return done;
}

bool StoreIo::syncDirectory(const QString &dir, QString *error)
{
    const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        const int e = errno;
        if (fd >= 0)
            ::close(fd);
        if (error)
            *error = QStringLiteral("cannot sync folder ") % dir % QStringLiteral(": ")
                     % errnoText(e);
        return false;
    }
    ::close(fd);
    return true;
}

bool StoreIo::writeFileAtomically(const QString &path, const QByteArray &data, bool durable,
                                  QString *error)
{
    const QFileInfo info(path);
    const QString temp
            = info.absolutePath() % QStringLiteral("/.") % info.fileName() % QStringLiteral(".tmp");
    const int fd = createPrivateFile(temp, false, error);
    if (fd < 0)
        return false;
    int err = 0;
    if (::ftruncate(fd, 0) != 0 || !writeAll(fd, data.constData(), data.size())
        || (durable && ::fsync(fd) != 0)) {
        err = errno;
    }
    ::close(fd);
    if (!err
        && ::rename(QFile::encodeName(temp).constData(), QFile::encodeName(path).constData())
                   != 0) {
        err = errno;
    }
    if (err) {
        if (error)
            *error = QStringLiteral("cannot write ") % path % QStringLiteral(": ") % errnoText(err);
        ::unlink(QFile::encodeName(temp).constData());
        return false;
    }
    return !durable || syncDirectory(info.absolutePath(), error);
}

} // namespace podtap
