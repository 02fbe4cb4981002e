#pragma once

#include "result.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <limits>
#include <vector>

namespace podtap {

class DaemonLink;

// The packets of one stored session (optionally filtered by connections, direction, TCP
// flags and time) as a windowed list: rowCount() is what the daemon's index holds, and rows
// are fetched by range (session.rows) only when a view asks for them. Pages live in a small
// LRU cache; the pages a repaint wants are collected and fetched together (the newest first,
// a few at a time), and a row not loaded yet shows a placeholder until its page arrives. New
// packets of a running session cost one beginInsertRows per poll, whatever their number, so
// the cost of a batch never grows with the list (Wireshark's packet list keeps every row; at
// 10 M packets this keeps at most MaxPages × PageSize).
class PacketListModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { Number, Time, Direction, Flags, Length, Connection, Info, ColumnCount };
    Q_ENUM(Column)
    enum Role {
        SortRole = Qt::UserRole + 1,
        PacketNumberRole, // the session-wide packet number (session.packet's n), -1 not loaded
        LoadedRole,       // false while the row's page is on its way
    };
    struct Filter
    {
        QList<qint64> connections; // empty: every packet
        int direction = -1;        // -1 any, 0 client → pod, 1 pod → client
        quint8 flags = 0;          // any of these TCP flags; 0 any
        qint64 fromNs = std::numeric_limits<qint64>::min();
        qint64 toNs = std::numeric_limits<qint64>::max();
        bool isEmpty() const
        {
            return connections.isEmpty() && direction < 0 && flags == 0
                   && fromNs == std::numeric_limits<qint64>::min()
                   && toNs == std::numeric_limits<qint64>::max();
        }
    };
    struct Row
    {
        qint64 number = 0;
        qint64 tsNs = 0;
        qint64 connection = 0;
        quint32 length = 0;
        quint8 direction = 255;
        quint8 flags = 0;
        QString info;
    };
    struct Query
    {
        QString session;
        Filter filter;
        qint64 offset = 0;
        int count = 0; // 0: only the totals
    };
    struct Page
    {
        qint64 first = 0; // the session's first stored packet (moves when the store rotates)
        qint64 total = 0; // rows in the list now
        qint64 offset = 0;
        bool running = true; // false: the session will not grow, a live list stops polling
        std::vector<Row> rows;
    };
    using Done = std::function<void(const Result<Page> &)>;
    // How a range is fetched; `done` is called later (never from inside the call) on the
    // UI thread unless `context` is gone. The default asks the daemon (session.rows).
    using Fetcher = std::function<void(const Query &query, QObject *context, Done done)>;

    static constexpr int PageSize = 256;
    static constexpr int MaxPages = 64;   // cached pages (16,384 rows)
    static constexpr int MaxInFlight = 3; // page requests at once
    static constexpr int MaxWanted = 8;   // pages waiting for a slot; older wishes are dropped
    static constexpr int PollMs = 500;    // a running session's growth

    explicit PacketListModel(DaemonLink *link, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Lists `sessionId`'s packets matching `filter`; `live` polls for new ones.
    void setSource(const QString &sessionId, const Filter &filter, bool live = false);
    void setLive(bool live);
    bool isLive() const { return m_pollTimer.isActive(); }
    void setFetcher(Fetcher fetcher);
    QString sessionId() const { return m_session; }
    const Filter &filter() const { return m_filter; }
    // Until the first answer (the count) and while pages are on their way.
    bool isLoading() const { return !m_counted || m_inFlight > 0 || !m_wanted.isEmpty(); }
    bool isCounted() const { return m_counted; }
    qint64 packetNumber(int row) const; // -1 while not loaded
    qint64 timeOf(int row) const;       // 0 while not loaded
    const Row *rowAt(int row) const;    // nullptr while not loaded (does not fetch)
    // Asks for the page holding `row` now (as a view's repaint would).
    void fetchRow(int row);
    // Asks the daemon how many rows there are now (what the live poll does).
    void refresh();
    void clear();
    int cachedPages() const { return int(m_pages.size()); }
    int requestsSent() const { return m_requests; }

    static QString flagsText(quint8 flags);
    static QString directionText(quint8 direction);

Q_SIGNALS:
    void counted(qint64 total); // the first answer for a source
    void pageLoaded(qint64 offset, int rows);
    void failed(const QString &message);

private:
    struct CachedPage
    {
        std::vector<Row> rows;
        quint64 lastUse = 0;
    };
    void want(qint64 page) const;
    void sendWanted();
    void fetch(qint64 offset, int count);
    void onAnswer(const Result<Page> &answer, qint64 page, quint64 generation);
    void applyTotal(qint64 first, qint64 total);
    void defaultFetch(const Query &query, QObject *context, Done done);

    QPointer<DaemonLink> m_link;
    Fetcher m_fetcher;
    QString m_session;
    Filter m_filter;
    qint64 m_total = 0;
    qint64 m_first = -1;
    bool m_counted = false;
    bool m_polling = false;
    int m_inFlight = 0;
    int m_requests = 0;
    quint64 m_generation = 0; // answers for an earlier source are dropped
    // The cache and wishes change in data(), which is const for the view.
    mutable QHash<qint64, CachedPage> m_pages;
    mutable QList<qint64> m_wanted; // newest last
    mutable QList<qint64> m_loading;
    mutable quint64 m_useTick = 0;
    mutable QTimer m_fetchTimer; // coalesces one repaint's wishes
    QTimer m_pollTimer;
};

} // namespace podtap
