#include "packetlistmodel.h"

#include "daemonclient.h"
#include "daemonlink.h"
#include "displayformat.h"

#include <QJsonArray>
#include <QJsonObject>

#include <algorithm>

namespace podtap {

PacketListModel::PacketListModel(DaemonLink *link, QObject *parent)
    : QAbstractTableModel(parent)
    , m_link(link)
{
    m_fetchTimer.setSingleShot(true);
    m_fetchTimer.setInterval(0);
    connect(&m_fetchTimer, &QTimer::timeout, this, &PacketListModel::sendWanted);
    m_pollTimer.setInterval(PollMs);
    connect(&m_pollTimer, &QTimer::timeout, this, &PacketListModel::refresh);
    m_fetcher = [this](const Query &q, QObject *context, Done done) {
        defaultFetch(q, context, std::move(done));
    };
}

QString PacketListModel::flagsText(quint8 f)
{
    // RFC 9293 §3.1 control bits, in the order tcpdump prints them.
    static const struct
    {
        quint8 bit;
        char letter;
    } bits[] = {{0x02, 'S'}, {0x01, 'F'}, {0x04, 'R'}, {0x08, 'P'},
                {0x10, '.'}, {0x20, 'U'}, {0x40, 'E'}, {0x80, 'W'}};
    QString s;
    for (const auto &b : bits)
        if (f & b.bit)
            s += QLatin1Char(b.letter);
    return s;
}

QString PacketListModel::directionText(quint8 direction)
{
    return direction == 0   ? QStringLiteral("→ pod")
           : direction == 1 ? QStringLiteral("← pod")
                            : QStringLiteral("?");
}

int PacketListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(std::min<qint64>(m_total, std::numeric_limits<int>::max()));
}

int PacketListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const PacketListModel::Row *PacketListModel::rowAt(int row) const
{
    if (row < 0 || row >= m_total)
        return nullptr;
    const auto it = m_pages.find(row / PageSize);
    if (it == m_pages.end())
        return nullptr;
    const size_t at = size_t(row % PageSize);
    if (at >= it->rows.size())
        return nullptr;
    it->lastUse = ++m_useTick;
    return &it->rows[at];
}

QVariant PacketListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    if (role == Qt::TextAlignmentRole)
        return index.column() == Number || index.column() == Length
                       ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                       : QVariant();
    if (role != Qt::DisplayRole && role != SortRole && role != PacketNumberRole
        && role != LoadedRole && role != Qt::ToolTipRole)
        return {};
    const Row *r = rowAt(index.row());
    if (!r) {
        want(index.row() / PageSize);
        if (role == LoadedRole)
            return false;
        if (role == PacketNumberRole)
            return qint64(-1);
        return role == Qt::DisplayRole && index.column() == Info ? QStringLiteral("…") : QVariant();
    }
    switch (role) {
    case LoadedRole:
        return true;
    case PacketNumberRole:
        return r->number;
    case Qt::ToolTipRole:
        return index.column() == Info ? r->info : QVariant();
    case SortRole:
        switch (index.column()) {
        case Number:
            return r->number;
        case Time:
            return r->tsNs;
        case Direction:
            return int(r->direction);
        case Flags:
            return int(r->flags);
        case Length:
            return qint64(r->length);
        case Connection:
            return r->connection;
        case Info:
            return r->info;
        }
        return {};
    }
    switch (index.column()) {
    case Number:
        return QString::number(r->number);
    case Time:
        return DisplayFormat::timeOfDay(r->tsNs);
    case Direction:
        return directionText(r->direction);
    case Flags:
        return r->connection == 0 ? QString() : flagsText(r->flags);
    case Length:
        return QString::number(r->length);
    case Connection:
        return r->connection == 0 ? QString() : QString::number(r->connection);
    case Info:
        return r->info;
    }
    return {};
}

QVariant PacketListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0
        || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    static const char *const names[]
            = {"No.", "Time", "Direction", "Flags", "Length", "Connection", "Info"};
    return QString::fromLatin1(names[section]);
}

void PacketListModel::want(qint64 page) const
{
    if (m_loading.contains(page) || m_wanted.contains(page) || m_session.isEmpty())
        return;
    m_wanted.append(page);
    // A fast scroll wishes for many pages on its way: only the latest matter.
    while (m_wanted.size() > MaxWanted)
        m_wanted.removeFirst();
    if (!m_fetchTimer.isActive())
        m_fetchTimer.start();
}

void PacketListModel::fetchRow(int row)
{
    if (row >= 0 && row < m_total && !rowAt(row))
        want(row / PageSize);
}

void PacketListModel::sendWanted()
{
    // The newest wish first: it is what the view shows now.
    while (m_inFlight < MaxInFlight && !m_wanted.isEmpty()) {
        const qint64 page = m_wanted.takeLast();
        if (m_pages.contains(page) || page * PageSize >= m_total)
            continue;
        m_loading.append(page);
        fetch(page * PageSize, PageSize);
    }
}

void PacketListModel::refresh()
{
    if (m_session.isEmpty() || m_polling)
        return;
    m_polling = true;
    fetch(0, 0);
}

void PacketListModel::fetch(qint64 offset, int count)
{
    ++m_inFlight;
    ++m_requests;
    const quint64 generation = m_generation;
    const qint64 page = count > 0 ? offset / PageSize : -1;
    Query q{m_session, m_filter, offset, count};
    m_fetcher(q, this, [this, generation, page](const Result<Page> &answer) {
        onAnswer(answer, page, generation);
    });
}

void PacketListModel::onAnswer(const Result<Page> &answer, qint64 page, quint64 generation)
{
    if (generation != m_generation)
        return;
    --m_inFlight;
    if (page < 0)
        m_polling = false;
    else
        m_loading.removeOne(page);
    if (!answer) {
        // A page that failed is not asked for again until the view repaints that row.
        Q_EMIT failed(answer.error());
        if (!m_counted) {
            m_counted = true;
            Q_EMIT counted(0);
        }
        return;
    }
    const bool first = !m_counted;
    applyTotal(answer->first, answer->total);
    if (!answer->running)
        m_pollTimer.stop(); // the session ended: what is stored now is all there will be
    if (first) {
        m_counted = true;
        Q_EMIT counted(m_total);
    }
    if (page >= 0 && page * PageSize < m_total && !answer->rows.empty()) {
        CachedPage &c = m_pages[page];
        c.rows = answer->rows;
        c.lastUse = ++m_useTick;
        while (m_pages.size() > MaxPages) {
            auto oldest = m_pages.begin();
            for (auto it = m_pages.begin(); it != m_pages.end(); ++it)
                if (it->lastUse < oldest->lastUse)
                    oldest = it;
            m_pages.erase(oldest);
        }
        const int top = int(page * PageSize);
        const int bottom = std::min(rowCount() - 1, top + int(answer->rows.size()) - 1);
        if (bottom >= top)
            Q_EMIT dataChanged(index(top, 0), index(bottom, ColumnCount - 1));
        Q_EMIT pageLoaded(page * PageSize, int(answer->rows.size()));
    }
    if (!m_wanted.isEmpty())
        m_fetchTimer.start();
}

void PacketListModel::applyTotal(qint64 first, qint64 total)
{
    total = std::max<qint64>(0, total);
    if ((m_first >= 0 && first != m_first) || total < m_total) {
        // The store rotated: rows moved. Start over at the new extent.
        beginResetModel();
        m_pages.clear();
        m_wanted.clear();
        m_first = first;
        m_total = total;
        endResetModel();
        return;
    }
    m_first = first;
    if (total == m_total)
        return;
    const qint64 old = m_total;
    // The last page was cut at the old end: it holds more rows now.
    const qint64 tail = old > 0 ? (old - 1) / PageSize : -1;
    if (old % PageSize != 0)
        m_pages.remove(tail);
    beginInsertRows({}, int(old),
                    int(std::min<qint64>(total, std::numeric_limits<int>::max()) - 1));
    m_total = total;
    endInsertRows();
    if (old % PageSize != 0 && old > 0) {
        const int top = int(tail * PageSize);
        Q_EMIT dataChanged(index(top, 0), index(int(old) - 1, ColumnCount - 1));
    }
}

void PacketListModel::setSource(const QString &sessionId, const Filter &filter, bool live)
{
    clear();
    m_session = sessionId;
    m_filter = filter;
    m_counted = sessionId.isEmpty();
    setLive(live);
    if (!sessionId.isEmpty()) {
        m_loading.append(0);
        fetch(0, PageSize); // the count and the first page at once
    }
}

void PacketListModel::setLive(bool live)
{
    if (live && !m_session.isEmpty())
        m_pollTimer.start();
    else
        m_pollTimer.stop();
}

void PacketListModel::setFetcher(Fetcher fetcher)
{
    m_fetcher = std::move(fetcher);
}

qint64 PacketListModel::packetNumber(int row) const
{
    const Row *r = rowAt(row);
    return r ? r->number : -1;
}

qint64 PacketListModel::timeOf(int row) const
{
    const Row *r = rowAt(row);
    return r ? r->tsNs : 0;
}

void PacketListModel::clear()
{
    ++m_generation;
    m_inFlight = 0;
    m_polling = false;
    m_counted = true;
    m_first = -1;
    m_pollTimer.stop();
    m_fetchTimer.stop();
    m_wanted.clear();
    m_loading.clear();
    m_session.clear();
    if (m_total == 0 && m_pages.isEmpty())
        return;
    beginResetModel();
    m_pages.clear();
    m_total = 0;
    endResetModel();
}

void PacketListModel::defaultFetch(const Query &q, QObject *context, Done done)
{
    if (!m_link) {
        QTimer::singleShot(0, context, [done = std::move(done)] {
            done(Result<Page>::failure(QStringLiteral("not connected to the daemon")));
        });
        return;
    }
    QJsonObject params{{QStringLiteral("id"), q.session},
                       {QStringLiteral("offset"), q.offset},
                       {QStringLiteral("count"), q.count}};
    if (!q.filter.connections.isEmpty()) {
        QJsonArray ids;
        for (const qint64 c : q.filter.connections)
            ids.append(c);
        params[QLatin1String("connection")] = ids;
    }
    if (q.filter.direction >= 0)
        params[QLatin1String("direction")] = q.filter.direction;
    if (q.filter.flags != 0)
        params[QLatin1String("flags")] = int(q.filter.flags);
    if (q.filter.fromNs != std::numeric_limits<qint64>::min())
        params[QLatin1String("fromNs")] = q.filter.fromNs;
    if (q.filter.toNs != std::numeric_limits<qint64>::max())
        params[QLatin1String("toNs")] = q.filter.toNs;
    DaemonClient(m_link).sessionRows(
            params, context, [done = std::move(done)](const DaemonClient::JsonAnswer &r) {
                if (!r.ok()) {
                    done(Result<Page>::failure(r.error.message));
                    return;
                }
                Page p;
                p.first = r.value.value(QLatin1String("first")).toInteger();
                p.total = r.value.value(QLatin1String("total")).toInteger();
                p.offset = r.value.value(QLatin1String("offset")).toInteger();
                p.running = r.value.value(QLatin1String("running")).toBool();
                const QJsonArray rows = r.value.value(QLatin1String("rows")).toArray();
                p.rows.reserve(size_t(rows.size()));
                for (const QJsonValue v : rows) {
                    const QJsonObject o = v.toObject();
                    Row row;
                    row.number = o.value(QLatin1String("n")).toInteger();
                    row.tsNs = o.value(QLatin1String("ts")).toInteger();
                    row.connection = o.value(QLatin1String("connection")).toInteger();
                    row.length = quint32(o.value(QLatin1String("length")).toInteger());
                    row.direction = quint8(o.value(QLatin1String("direction")).toInt(255));
                    row.flags = quint8(o.value(QLatin1String("flags")).toInt());
                    row.info = o.value(QLatin1String("info")).toString();
                    p.rows.push_back(std::move(row));
                }
                done(p);
            });
}

} // namespace podtap
