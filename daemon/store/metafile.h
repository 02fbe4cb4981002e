#pragma once

#include "result.h"

#include <QJsonObject>
#include <QString>

namespace podtap {

// A session's meta.json, always replaced atomically (temp file + rename) so readers see the
// old or the new version, never a mix. The temp file is kept preallocated between writes:
// the last rewrite (state "failed", after the disk filled up) still lands on a full disk.
class MetaFile
{
public:
    explicit MetaFile(const QString &sessionDir);
    ~MetaFile(); // keeps the spare: a session's spool may still be writing
    MetaFile(const MetaFile &) = delete;
    MetaFile &operator=(const MetaFile &) = delete;

    // With `durable`, the data and the rename are fsynced.
    bool write(const QJsonObject &meta, bool durable, QString *error);
    // Removes the preallocated spare (the session is finished).
    void releaseSpare();

    static Result<QJsonObject> read(const QString &sessionDir);

private:
    void prepareSpare();

    QString m_dir;
    int m_spareFd = -1;
};

} // namespace podtap
