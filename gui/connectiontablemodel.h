#pragma once

#include <QJsonObject>

#include <QAbstractTableModel>
#include <QHash>
#include <QJsonArray>
#include <QSet>
#include <QStringList>

#include <vector>

namespace podtap {

// The connections of one session, as podtapd reports them (session.connections pages and the
// session stream's batched "connections" events): open ones updated in place by id as their
// progress arrives, then ended. Built to stay fluid at 100,000
// rows and thousands of new rows a second: thin records, strings made only in data() for the
// rows a view paints, one beginInsertRows per batch, duplicates (a page overlapping events)
// dropped by id, and the oldest block removed beyond maxRows.
class ConnectionTableModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        Client,
        State,
        Start,
        Duration,
        BytesIn,  // client → pod
        BytesOut, // pod → client
        Packets,
        Retransmissions,
        Gaps,
        Mirror, // what the local port got: mirrored, local error, gap, …
        // From the summary's `http` (HTTP connections only); hidden while none is HTTP.
        HttpRequests,
        FirstRequest, // "GET /path"
        LastStatus,
        ColumnCount
    };
    Q_ENUM(Column)
    enum Role {
        SortRole = Qt::UserRole + 1, // raw values: numbers sort as numbers
        ConnectionIdRole,
    };

    explicit ConnectionTableModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Adds the connections not yet in the model, in one insertion; returns how many. When
    // sorted, they are appended and then merged into place with one layout change.
    int appendConnections(const QJsonArray &connections);
    // Adds the connections not yet in the model (as appendConnections) and updates the rows of
    // those already in it in place: one dataChanged per run of adjacent rows, no removal or
    // insertion; a sorted model whose order an update broke re-sorts with one layout change.
    // A row that has ended is never taken back to open by a late live record. Returns how
    // many rows were updated.
    int updateConnections(const QJsonArray &connections);
    // Keeps the rows sorted by `column` (raw values; stable, so ties stay in arrival order)
    // from now on, also as rows arrive; -1 = arrival order for new rows.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    int sortColumn() const { return m_sortColumn; }
    Qt::SortOrder sortOrder() const { return m_sortOrder; }
    // Mirror outcomes from the session's "mirror" events ({id, outcome, bytesMirrored,
    // responseBytes}); they may arrive before or after their connection's row.
    void setMirrorOutcomes(const QJsonArray &ended);
    // The short text the Mirror column shows for an outcome ("mirrored", "local error", …).
    static QString mirrorText(const QString &outcome);
    void clear();
    void setMaxRows(int maxRows) { m_maxRows = std::max(1, maxRows); }
    int maxRows() const { return m_maxRows; }
    // Rows removed from the top to stay within maxRows.
    qint64 droppedRows() const { return m_dropped; }
    // Whether any connection so far was HTTP (its summary has `http`): the HTTP columns show.
    bool hasHttp() const { return m_hasHttp; }
    static bool isHttpColumn(int column) { return column >= HttpRequests && column <= LastStatus; }

    qint64 connectionId(int row) const;
    bool contains(qint64 id) const { return m_ids.contains(id); }
    // For the filter: client address, state or close reason contains `text` (any case).
    bool matches(int row, const QString &text) const;
    // For the sort: compares the raw values, no QVariant or string built per comparison.
    bool lessThan(int leftRow, int rightRow, int column) const;

private:
    struct Record
    {
        qint64 id = 0;
        qint64 firstNs = 0;
        qint64 lastNs = 0;
        qint64 bytesIn = 0;
        qint64 bytesOut = 0;
        qint64 gapBytes = 0;
        qint64 packets = 0;
        quint32 retransmissions = 0;
        quint32 gaps = 0;
        quint16 state = 0;       // index into m_strings
        quint16 closeReason = 0; // index into m_strings
        bool midstream = false;
        bool open = false;      // still open: live counters, updated in place
        quint16 liveMirror = 0; // an open connection's mirror state (index into m_strings)
        bool http = false;
        quint32 httpRequests = 0;
        quint32 httpErrors = 0; // 5xx answers
        qint16 httpLastStatus = 0;
        QString client;
        QString httpFirst; // empty unless http
    };

    quint16 intern(const QString &s);
    bool less(const Record &a, const Record &b, int column) const;
    bool inOrder(const Record &a, const Record &b) const
    {
        return m_sortOrder == Qt::AscendingOrder ? less(a, b, m_sortColumn)
                                                 : less(b, a, m_sortColumn);
    }
    // Runs `reorder` on m_records inside one layout change, moving persistent indexes along.
    template<typename F>
    void relayout(F &&reorder);
    Record fromJson(const QJsonObject &c);
    QString stateText(const Record &r) const;
    struct MirrorOutcome
    {
        quint16 outcome = 0; // index into m_strings
        qint64 bytesMirrored = 0;
        qint64 responseBytes = 0;
        QJsonObject requests; // RequestFramer counts (HTTP/1.x), empty otherwise
    };
    QString mirrorOf(const Record &r) const;
    QString mirrorCell(const Record &r) const; // outcome and request counts

    // The row of a connection id; rebuilt (O(rows)) after rows moved or were removed.
    int rowOf(qint64 id);
    void invalidateRows() { m_rowOfValid = false; }

    std::vector<Record> m_records;
    QSet<qint64> m_ids;
    QHash<qint64, int> m_rowOf;
    bool m_rowOfValid = true;
    // By connection id, not row: rows move when sorted, outcomes can come first.
    QHash<qint64, MirrorOutcome> m_mirror;
    // State and close-reason texts repeat: one copy each.
    QStringList m_strings{QString()};
    QHash<QString, quint16> m_stringIndex{{QString(), 0}};
    int m_maxRows = 500000;
    int m_sortColumn = -1;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    qint64 m_dropped = 0;
    bool m_hasHttp = false;
};

} // namespace podtap
