#include "packetlistmodel.h"

#include "daemonlink.h"
#include "displayformat.h"

#include <QJsonObject>

namespace podtap {

namespace {
QString flagsText(quint8 f)
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
} // namespace

PacketListModel::PacketListModel(DaemonLink *link, QObject *parent)
    : QAbstractTableModel(parent)
    , m_link(link)
{}

int PacketListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_records.size());
}

int PacketListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PacketListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Record &r = m_records[size_t(index.row())];
    if (role == PacketNumberRole)
        return r.number;
    if (role == Qt::TextAlignmentRole)
        return index.column() == Number || index.column() == Length
                       ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                       : QVariant();
    if (role == SortRole) {
        switch (index.column()) {
        case Number:
            return r.number;
        case Time:
            return r.tsNs;
        case Direction:
            return int(r.direction);
        case Flags:
            return int(r.flags);
        case Length:
            return qint64(r.length);
        case Connection:
            return r.connection;
        }
        return {};
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Number:
        return QString::number(r.number);
    case Time:
        return DisplayFormat::timeOfDay(r.tsNs);
    case Direction:
        return r.direction == 0   ? QStringLiteral("→ pod")
               : r.direction == 1 ? QStringLiteral("← pod")
                                  : QStringLiteral("?");
    case Flags:
        return r.connection == 0 ? QString() : flagsText(r.flags);
    case Length:
        return QString::number(r.length);
    case Connection:
        return r.connection == 0 ? QString() : QString::number(r.connection);
    }
    return {};
}

QVariant PacketListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0
        || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    static const char *const names[]
            = {"No.", "Time", "Direction", "Flags", "Length", "Connection"};
    return QString::fromLatin1(names[section]);
}

bool PacketListModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && !m_end && !m_pending && m_link;
}

void PacketListModel::fetchMore(const QModelIndex &parent)
{
    if (!canFetchMore(parent))
        return;
    m_pending = true;
    QJsonObject params{{QStringLiteral("id"), m_session},
                       {QStringLiteral("from"), m_next},
                       {QStringLiteral("count"), PageSize}};
    const bool filtered = !m_filter.isEmpty();
    if (!m_filter.connections.isEmpty()) {
        QJsonArray ids;
        for (const qint64 c : m_filter.connections)
            ids.append(c);
        params[QLatin1String("connection")] = ids;
    }
    if (m_filter.fromNs != std::numeric_limits<qint64>::min())
        params[QLatin1String("fromNs")] = m_filter.fromNs;
    if (m_filter.toNs != std::numeric_limits<qint64>::max())
        params[QLatin1String("toNs")] = m_filter.toNs;
    const quint64 generation = m_generation;
    m_link->request(QStringLiteral("session.packets"), params, this,
                    [this, generation, filtered](const IpcClient::Reply &r) {
                        if (generation != m_generation)
                            return;
                        m_pending = false;
                        if (!r.ok) {
                            m_end = true;
                            Q_EMIT failed(r.errorMessage);
                            return;
                        }
                        const QJsonArray packets
                                = r.result.value(QLatin1String("packets")).toArray();
                        if (filtered) {
                            m_next = r.result.value(QLatin1String("next")).toInteger();
                            m_end = r.result.value(QLatin1String("end")).toBool(true);
                        } else {
                            const qint64 first = r.result.value(QLatin1String("first")).toInteger();
                            m_next = std::max(m_next, first) + packets.size();
                            m_end = packets.isEmpty()
                                    || m_next >= r.result.value(QLatin1String("total")).toInteger();
                        }
                        appendEntries(packets);
                        Q_EMIT pageLoaded(int(packets.size()));
                    });
}

void PacketListModel::setSource(const QString &sessionId, const Filter &filter)
{
    clear();
    m_session = sessionId;
    m_filter = filter;
    m_end = sessionId.isEmpty();
    if (!m_end)
        fetchMore({});
}

qint64 PacketListModel::packetNumber(int row) const
{
    return row >= 0 && size_t(row) < m_records.size() ? m_records[size_t(row)].number : -1;
}

qint64 PacketListModel::timeOf(int row) const
{
    return row >= 0 && size_t(row) < m_records.size() ? m_records[size_t(row)].tsNs : 0;
}

void PacketListModel::appendEntries(const QJsonArray &packets)
{
    if (packets.isEmpty())
        return;
    const int first = int(m_records.size());
    beginInsertRows({}, first, first + int(packets.size()) - 1);
    m_records.reserve(m_records.size() + size_t(packets.size()));
    for (const QJsonValue v : packets) {
        const QJsonObject p = v.toObject();
        Record r;
        r.number = p.value(QLatin1String("n")).toInteger();
        r.tsNs = p.value(QLatin1String("ts")).toInteger();
        r.connection = p.value(QLatin1String("connection")).toInteger();
        r.length = quint32(p.value(QLatin1String("length")).toInteger());
        r.direction = quint8(p.value(QLatin1String("direction")).toInt(255));
        r.flags = quint8(p.value(QLatin1String("flags")).toInt());
        m_records.push_back(r);
    }
    endInsertRows();
}

void PacketListModel::clear()
{
    ++m_generation;
    m_pending = false;
    m_next = 0;
    m_end = true;
    if (m_records.empty())
        return;
    beginResetModel();
    m_records.clear();
    endResetModel();
}

} // namespace podtap
