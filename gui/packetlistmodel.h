#pragma once

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QList>
#include <QPointer>

#include <limits>
#include <vector>

namespace podtap {

class DaemonLink;

// The packets of one stored session (optionally of some connections, in a time range), paged
// from the daemon's index with session.packets as a view scrolls (fetchMore). Rows are thin
// records straight from the index, strings are made in data(). The index keeps time,
// direction, TCP flags and length but not sequence/ack numbers, so there are no seq/ack
// columns: they would cost reading every listed packet's bytes; the hex pane shows them.
class PacketListModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { Number, Time, Direction, Flags, Length, Connection, ColumnCount };
    Q_ENUM(Column)
    enum Role {
        SortRole = Qt::UserRole + 1,
        PacketNumberRole, // the session-wide packet number (session.packet's n)
    };
    struct Filter
    {
        QList<qint64> connections; // empty: every packet
        qint64 fromNs = std::numeric_limits<qint64>::min();
        qint64 toNs = std::numeric_limits<qint64>::max();
        bool isEmpty() const
        {
            return connections.isEmpty() && fromNs == std::numeric_limits<qint64>::min()
                   && toNs == std::numeric_limits<qint64>::max();
        }
    };
    static constexpr int PageSize = 2000;

    explicit PacketListModel(DaemonLink *link, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

    // Clears and lists `sessionId`'s packets matching `filter` (the first page is asked for).
    void setSource(const QString &sessionId, const Filter &filter);
    QString sessionId() const { return m_session; }
    const Filter &filter() const { return m_filter; }
    bool isLoading() const { return m_pending; }
    bool atEnd() const { return m_end; }
    qint64 packetNumber(int row) const;
    qint64 timeOf(int row) const;
    // Appends index entries as session.packets returns them, in one insertion.
    void appendEntries(const QJsonArray &packets);
    void clear();

Q_SIGNALS:
    void pageLoaded(int rows);
    void failed(const QString &message);

private:
    struct Record
    {
        qint64 number = 0;
        qint64 tsNs = 0;
        qint64 connection = 0;
        quint32 length = 0;
        quint8 direction = 255;
        quint8 flags = 0;
    };

    QPointer<DaemonLink> m_link;
    QString m_session;
    Filter m_filter;
    std::vector<Record> m_records;
    qint64 m_next = 0;
    bool m_end = true;
    bool m_pending = false;
    quint64 m_generation = 0; // answers for an earlier source are dropped
};

} // namespace podtap
