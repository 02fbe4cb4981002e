#pragma once

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QTimer>

namespace podtap {

class DaemonLink;

// Every session podtapd knows: the ones it runs (and ran since it started) and the stored
// earlier runs. Loaded with session.list whenever the link (re)connects, kept live by the
// "sessions" stream (added, changed), by "stats" of the session streams the GUI follows, and
// by a daemon.status poll each second while a session runs (the "sessions" stream carries
// state changes only, and "removed" when a session's files were deleted). Disk: what the
// store holds for the session as session.list last said (live summaries do not carry it). Rows are
// sorted by session id; a row keeps its place when it changes, and the rows stay as they were while
// the daemon is away.
class SessionListModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        Id,
        Target,
        State,
        Packets,
        Connections,
        Mirror,
        Loss,
        Started,
        Disk,
        ColumnCount
    };
    enum Role {
        SessionIdRole = Qt::UserRole + 1,
        SummaryRole, // the daemon's summary (QJsonObject)
        RunningRole, // running in podtapd now: stop and mirror apply
        SortRole,    // raw numbers for sorting
    };
    Q_ENUM(Column)

    explicit SessionListModel(DaemonLink *link, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    int rowOf(const QString &id) const;
    QJsonObject summary(const QString &id) const;
    QJsonObject summaryAt(int row) const;
    bool isRunning(int row) const;
    QList<QJsonObject> runningSessions() const;
    // A snapshot arrived at least once (so "no rows" means "no sessions").
    bool isLoaded() const { return m_loaded; }

    static bool isFinalState(const QString &state);
    static bool isMirroring(const QJsonObject &summary);

    // What the daemon answers, applied; public so that a test can feed the model.
    void applySnapshot(const QJsonArray &inDaemon, const QJsonArray &stored);
    void applySummary(const QJsonObject &summary);
    // The session and its files are gone from the store (rm, GUI delete, retention).
    void applyRemoved(const QString &id);

public Q_SLOTS:
    void refresh();

Q_SIGNALS:
    void loaded();
    // A session that was running failed while we were watching (tray notification).
    void sessionFailed(const QString &id, const QString &title, const QString &reason);

private:
    struct Row
    {
        QString id;
        qint64 order = 0; // numeric id for sorting
        QJsonObject summary;
        bool inDaemon = false;
    };

    void onEvent(const QJsonObject &event);
    void poll();
    int insertPosition(qint64 order) const;
    void update(int row, const QJsonObject &summary, bool inDaemon);
    static Row makeRow(const QJsonObject &summary, bool inDaemon);

    DaemonLink *m_link;
    QList<Row> m_rows;
    QTimer m_pollTimer;
    bool m_loaded = false;
    bool m_listPending = false;
    bool m_pollPending = false;
};

} // namespace podtap
