#pragma once

#include <QByteArray>
#include <QString>

namespace podtap {

// Small POSIX file helpers for the store: private permissions whatever the umask, whole
// writes and reads despite EINTR and short counts, directory fsync, readable errno text.
class StoreIo
{
public:
    // Creates (or, with `exclusive` false, opens) `path` with mode 0600 enforced by fchmod.
    // Returns the descriptor or -1 with `error` set.
    static int createPrivateFile(const QString &path, bool exclusive, QString *error);
    // Creates `path` as a 0700 directory (parents too, each created one 0700); an existing
    // directory is accepted and chmod'ed 0700.
    static bool makePrivateDirectory(const QString &path, QString *error);
    // Writes everything or returns false with errno set; `written` gets the bytes that did
    // reach the file either way.
    static bool writeAll(int fd, const char *data, qint64 size, qint64 *written = nullptr);
    static bool pwriteAll(int fd, const char *data, qint64 size, qint64 offset);
    // Reads up to `size` bytes at `offset`; fewer only at end of file; -1 on error.
    static qint64 preadFull(int fd, char *data, qint64 size, qint64 offset);
    static bool syncDirectory(const QString &dir, QString *error);
    // Writes `data` to `path` through a temp file in the same folder and rename(); with
    // `durable`, fsyncs the temp file before and the folder after the rename.
    static bool writeFileAtomically(const QString &path, const QByteArray &data, bool durable,
                                    QString *error);
    static QString errnoText(int error);
    static QString nowIso();
};

} // namespace podtap
