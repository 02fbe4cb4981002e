#pragma once

#include "result.h"

#include <QJsonObject>
#include <QList>
#include <QSet>
#include <QString>

namespace podtap {

// The folder holding every stored session, one sub-folder per session id. Private to its
// owner: 0700, refused when it belongs to another uid. Sessions survive daemon restarts;
// list() reads them back from disk.
class CaptureStore
{
public:
    // $XDG_STATE_HOME/podtap/captures, or ~/.local/state/podtap/captures.
    static QString defaultRoot();

    explicit CaptureStore(const QString &root = defaultRoot());

    // Creates the root 0700 (missing parents 0700 too). An existing root owned by another uid
    // or reached through a symbolic link is refused; a too-open one is chmod'ed 0700.
    Result<bool> open();
    QString root() const { return m_root; }
    QString sessionDir(const QString &id) const;
    // Whether `id` can name a session folder: non-empty, no '/', not starting with '.'.
    static bool isValidId(const QString &id);

    // Every stored session's meta (id, state, started, ended, packets, bytes, target…), oldest
    // first, with what is on disk now: packets (session-wide count up to the last index
    // record), storedPackets (still on disk), firstPacket, diskBytes (every file of its folder),
    // files (spool files). A session that
    // never ended (no "ended") and whose id is not in `liveIds` is reported with state
    // "interrupted" (the daemon died); its last recorded state is in "lastState".
    QList<QJsonObject> list(const QSet<QString> &liveIds = {}) const;
    Result<bool> remove(const QString &id);
    // What session `id` holds on disk now: every file of its folder (0 when it has none).
    qint64 diskBytes(const QString &id) const;

private:
    QString m_root;
};

} // namespace podtap
