#pragma once

#include <QAbstractTableModel>
#include <QColor>
#include <QHash>
#include <QIcon>
#include <QJsonArray>
#include <QJsonObject>
#include <QSet>
#include <QStringList>
#include <QTimer>

#include <vector>

namespace podtap {

// The HTTP requests of one session (HTTP/1.x, HTTP/2 and gRPC calls alike): the "http" events'
// exchanges, the "compared" events' verdicts (mirror --compare) and session.requests pages (both
// joined), merged by (connection id, exchange index). A verdict may come before or after its
// exchange; it is kept by key and shown once the row exists. Built like ConnectionTableModel: thin
// records, display strings made in data(), incoming rows collected and inserted with one
// beginInsertRows per 75 ms (or flush()), duplicates dropped, the oldest block removed
// beyond maxRows.
class RequestTableModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        Time,
        Protocol, // HTTP/1.1, h2 or gRPC
        Method,   // a gRPC call's "pkg.Service/Method"
        Path,
        PodStatus,
        LocalStatus,
        PodLatency,
        LocalLatency,
        Verdict,
        Route,
        ColumnCount
    };
    Q_ENUM(Column)
    enum Role {
        SortRole = Qt::UserRole + 1, // raw values
        ConnectionIdRole,
        ExchangeIndexRole,
        VerdictRole,    // the verdict's name ("same", "body", …), empty when not compared
        ProtocolRole,   // "HTTP/1.1", "h2" or "gRPC"
        GrpcStatusRole, // the pod's grpc-status (-1: not a gRPC call, or none seen)
    };
    static constexpr int BatchIntervalMs = 75;

    explicit RequestTableModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Queue records; they show after the next batch (flush()).
    void addExchanges(const QJsonArray &exchanges); // "http" events
    void addVerdicts(const QJsonArray &verdicts);   // "compared" events
    void addRequests(const QJsonArray &requests);   // session.requests pages
    // Inserts what is queued now (one insertion) and refreshes the verdict columns once;
    // returns the number of rows added.
    int flush();
    void clear();
    void setMaxRows(int maxRows) { m_maxRows = std::max(1, maxRows); }
    int maxRows() const { return m_maxRows; }
    qint64 droppedRows() const { return m_dropped; }
    bool hasVerdicts() const { return !m_verdicts.isEmpty(); }

    qint64 connectionId(int row) const;
    // The row as session.requests gives it: the exchange's fields plus `compare` (verdict).
    QJsonObject requestAt(int row) const;
    QString verdictOf(int row) const;
    bool matches(int row, const QString &text) const;
    // As session.requests' `method`: an HTTP method in any case, a gRPC call's
    // "pkg.Service/Method" or just "Method"; empty matches all.
    bool methodMatches(int row, const QString &method) const;
    // The methods seen so far, HTTP ones first then gRPC calls, each sorted.
    QStringList methods() const;
    bool lessThan(int leftRow, int rightRow, int column) const;

    // "body differs", "local timeout", …; empty for "".
    static QString verdictText(const QString &verdict);
    // Green for same, red for a difference, orange for a local failure, grey otherwise.
    static QColor verdictColor(const QString &verdict);
    // "same" | "differ" (status, body, headers) | "local" (error, timeout) | "other".
    static QString verdictGroup(const QString &verdict);
    // "200", or for a gRPC call "200 · NOT_FOUND (5)" (grpcStatus < 0: "200 · no grpc-status").
    static QString statusText(int httpStatus, bool grpc, int grpcStatus);

Q_SIGNALS:
    // methods() grew.
    void methodsChanged();

private:
    using Key = QPair<qint64, qint64>; // connection id, exchange index
    struct Record
    {
        qint64 id = 0;
        qint64 index = 0;
        qint64 tsNs = 0; // 0: not known (a verdict without its stored exchange)
        qint64 responseBytes = -1;
        float latencyUs = -1; // pod; -1: no answer
        qint16 status = 0;    // pod; 0: no answer
        quint16 method = 0;   // into m_strings
        quint16 route = 0;    // into m_strings
        quint16 contentType = 0;
        quint16 incomplete = 0; // "request: …" / "response: …", into m_strings
        bool exchange = false;  // from an exchange record (not only a verdict)
        quint8 protocol = 0;    // 0 HTTP/1.1, 1 h2, 2 gRPC
        qint16 grpcStatus = -1;
        quint16 grpcMethod = 0; // "pkg.Service/Method", into m_strings
        qint32 stream = 0;      // the HTTP/2 stream
        QString target;
        QJsonObject grpc; // a gRPC call's messages (GrpcCall JSON): for the diff view
    };
    struct VerdictInfo
    {
        quint16 kind = 0; // into m_strings
        qint16 podStatus = 0;
        qint16 localStatus = 0;
        qint16 podGrpcStatus = -1;
        qint16 localGrpcStatus = -1;
        float podLatencyUs = -1;
        float localLatencyUs = -1;
        QJsonObject record; // headers, body, detail: for the diff view
    };

    quint16 intern(const QString &s);
    void queue(Record &&r);
    void setVerdict(const QJsonObject &v);
    Record fromExchange(const QJsonObject &x);
    const VerdictInfo *verdictFor(const Record &r) const;
    int podStatus(const Record &r) const;
    double podLatency(const Record &r) const;
    QString localStatusText(const Record &r) const;
    QString methodLabel(const Record &r) const;
    bool less(const Record &a, const Record &b, int column) const;
    QVariant sortValue(const Record &r, int column) const;
    QIcon verdictIcon(const QColor &color) const;

    std::vector<Record> m_records;
    std::vector<Record> m_pending;
    QSet<Key> m_keys; // rows and pending rows
    QHash<Key, VerdictInfo> m_verdicts;
    bool m_verdictsChanged = false;
    QStringList m_strings{QString()};
    QHash<QString, quint16> m_stringIndex{{QString(), 0}};
    QSet<quint16> m_methods; // method labels seen (into m_strings)
    mutable QHash<QRgb, QIcon> m_icons;
    QTimer m_batch;
    int m_maxRows = 200000;
    qint64 m_dropped = 0;
};

} // namespace podtap
