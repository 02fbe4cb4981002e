#include "connectiontablemodel.h"

#include "mirror/mirrorrequeststext.h"

#include "displayformat.h"

#include <QBrush>
#include <QJsonObject>

#include <algorithm>

namespace podtap {

ConnectionTableModel::ConnectionTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{}

int ConnectionTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_records.size());
}

int ConnectionTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

quint16 ConnectionTableModel::intern(const QString &s)
{
    const auto it = m_stringIndex.constFind(s);
    if (it != m_stringIndex.cend())
        return it.value();
    if (m_strings.size() >= 0xffff)
        return 0; // a hostile daemon's endless new states: shown blank, not grown without end
    const auto index = quint16(m_strings.size());
    m_strings << s;
    m_stringIndex.insert(s, index);
    return index;
}

ConnectionTableModel::Record ConnectionTableModel::fromJson(const QJsonObject &c)
{
    const QJsonObject in = c.value(QLatin1String("c2s")).toObject();
    const QJsonObject out = c.value(QLatin1String("s2c")).toObject();
    auto n = [](const QJsonObject &o, const char *key) {
        return o.value(QLatin1String(key)).toInteger();
    };
    Record r;
    r.id = n(c, "id");
    r.client = c.value(QLatin1String("client")).toString();
    r.state = intern(c.value(QLatin1String("state")).toString());
    r.closeReason = intern(c.value(QLatin1String("closeReason")).toString());
    r.midstream = c.value(QLatin1String("midstream")).toBool();
    r.open = c.value(QLatin1String("open")).toBool(); // absent (older daemons): ended
    if (r.open)
        r.liveMirror = intern(c.value(QLatin1String("mirror")).toString());
    r.firstNs = n(c, "firstNs");
    r.lastNs = n(c, "lastNs");
    r.bytesIn = n(in, "bytes");
    r.bytesOut = n(out, "bytes");
    r.packets = n(in, "packets") + n(out, "packets");
    r.retransmissions = quint32(n(in, "retransmissions") + n(out, "retransmissions"));
    r.gaps = quint32(n(in, "gaps") + n(out, "gaps"));
    r.gapBytes = n(in, "gapBytes") + n(out, "gapBytes");
    const QJsonValue http = c.value(QLatin1String("http"));
    if (http.isObject()) {
        const QJsonObject h = http.toObject();
        r.http = true;
        r.httpRequests = quint32(n(h, "requests"));
        r.httpErrors = quint32(n(h, "errors"));
        r.httpLastStatus = qint16(n(h, "lastStatus"));
        r.httpFirst = h.value(QLatin1String("first")).toString();
        m_hasHttp = true;
    }
    return r;
}

int ConnectionTableModel::appendConnections(const QJsonArray &connections)
{
    std::vector<Record> batch;
    batch.reserve(std::size_t(connections.size()));
    for (const QJsonValue v : connections) {
        const QJsonObject c = v.toObject();
        const qint64 id = c.value(QLatin1String("id")).toInteger(-1);
        if (id < 0 || m_ids.contains(id))
            continue;
        m_ids.insert(id);
        batch.push_back(fromJson(c));
    }
    if (batch.empty())
        return 0;
    // Room first, by whole blocks of the oldest rows, so the view sees few removals.
    const auto incoming = qint64(batch.size());
    const auto have = qint64(m_records.size());
    if (have + incoming > m_maxRows) {
        const qint64 excess = have + incoming - m_maxRows;
        const qint64 block = std::max<qint64>(m_maxRows / 10, 1);
        const qint64 drop = std::min(have, ((excess + block - 1) / block) * block);
        if (drop > 0 && m_sortColumn >= 0) {
            // Sorted, the oldest rows are anywhere: the first `drop` ids go, in one reset
            // (once per tenth of maxRows).
            beginResetModel();
            std::vector<qint64> order;
            order.reserve(m_records.size());
            for (const Record &r : m_records)
                order.push_back(r.id);
            std::nth_element(order.begin(), order.begin() + (drop - 1), order.end());
            const qint64 newestDropped = order[std::size_t(drop - 1)];
            std::erase_if(m_records, [this, newestDropped](const Record &r) {
                if (r.id > newestDropped)
                    return false;
                m_ids.remove(r.id);
                m_mirror.remove(r.id);
                return true;
            });
            m_dropped += drop;
            invalidateRows();
            endResetModel();
        } else if (drop > 0) {
            beginRemoveRows({}, 0, int(drop - 1));
            for (qint64 i = 0; i < drop; ++i) {
                m_ids.remove(m_records[std::size_t(i)].id);
                m_mirror.remove(m_records[std::size_t(i)].id);
            }
            m_records.erase(m_records.begin(), m_records.begin() + drop);
            m_dropped += drop;
            invalidateRows();
            endRemoveRows();
        }
        if (incoming > m_maxRows) { // a batch larger than the cap: keep its newest rows
            for (auto it = batch.begin(); it != batch.end() - m_maxRows; ++it)
                m_ids.remove(it->id);
            m_dropped += incoming - m_maxRows;
            batch.erase(batch.begin(), batch.end() - m_maxRows);
        }
    }
    const int first = int(m_records.size());
    // The last row is inclusive.
    beginInsertRows({}, first, first + int(batch.size()) - 1);
    m_records.insert(m_records.end(), std::make_move_iterator(batch.begin()),
                     std::make_move_iterator(batch.end()));
    if (m_rowOfValid)
        for (int row = first; row < int(m_records.size()); ++row)
            m_rowOf.insert(m_records[std::size_t(row)].id, row);
    endInsertRows();
    if (m_sortColumn >= 0) {
        // Sort the batch, then one linear merge: O(n) per batch instead of a per-row
        // insertion (or a full O(n log n) re-sort) at 100,000 rows.
        relayout([this, first] {
            const auto mid = m_records.begin() + first;
            const auto cmp = [this](const Record &a, const Record &b) {
                return inOrder(a, b);
            };
            std::stable_sort(mid, m_records.end(), cmp);
            std::inplace_merge(m_records.begin(), mid, m_records.end(), cmp);
        });
    }
    return int(batch.size());
}

int ConnectionTableModel::rowOf(qint64 id)
{
    if (!m_rowOfValid) {
        m_rowOf.clear();
        m_rowOf.reserve(qsizetype(m_records.size()));
        for (int row = 0; row < int(m_records.size()); ++row)
            m_rowOf.insert(m_records[std::size_t(row)].id, row);
        m_rowOfValid = true;
    }
    return m_rowOf.value(id, -1);
}

int ConnectionTableModel::updateConnections(const QJsonArray &connections)
{
    QJsonArray fresh;
    std::vector<int> changed;
    for (const QJsonValue v : connections) {
        const QJsonObject c = v.toObject();
        const qint64 id = c.value(QLatin1String("id")).toInteger(-1);
        if (id < 0)
            continue;
        if (!m_ids.contains(id)) {
            fresh.append(c);
            continue;
        }
        const int row = rowOf(id);
        if (row < 0)
            continue;
        Record &r = m_records[std::size_t(row)];
        // Ended already: a live record is older news (a page read before the end).
        if (!r.open && c.value(QLatin1String("open")).toBool())
            continue;
        r = fromJson(c);
        changed.push_back(row);
    }
    if (!changed.empty()) {
        std::sort(changed.begin(), changed.end());
        changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
        for (std::size_t i = 0; i < changed.size();) {
            std::size_t j = i;
            while (j + 1 < changed.size() && changed[j + 1] == changed[j] + 1)
                ++j;
            Q_EMIT dataChanged(index(changed[i], 0), index(changed[j], ColumnCount - 1));
            i = j + 1;
        }
        const auto cmp = [this](const Record &a, const Record &b) {
            return inOrder(a, b);
        };
        if (m_sortColumn >= 0 && !std::is_sorted(m_records.begin(), m_records.end(), cmp))
            relayout([this, cmp] { std::stable_sort(m_records.begin(), m_records.end(), cmp); });
    }
    if (!fresh.isEmpty())
        appendConnections(fresh);
    return int(changed.size());
}

void ConnectionTableModel::sort(int column, Qt::SortOrder order)
{
    m_sortColumn = column >= 0 && column < ColumnCount ? column : -1;
    m_sortOrder = order;
    if (m_sortColumn < 0 || m_records.size() < 2)
        return;
    relayout([this] {
        std::stable_sort(m_records.begin(), m_records.end(),
                         [this](const Record &a, const Record &b) { return inOrder(a, b); });
    });
}

template<typename F>
void ConnectionTableModel::relayout(F &&reorder)
{
    Q_EMIT layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    // Views keep few persistent indexes (current, selection): follow them by connection id.
    const QModelIndexList before = persistentIndexList();
    QList<qint64> ids;
    QHash<qint64, int> rowOf;
    for (const QModelIndex &i : before) {
        ids << m_records[std::size_t(i.row())].id;
        rowOf.insert(ids.constLast(), -1);
    }
    reorder();
    invalidateRows();
    if (!before.isEmpty()) {
        for (int r = 0; r < int(m_records.size()); ++r) {
            const auto it = rowOf.find(m_records[std::size_t(r)].id);
            if (it != rowOf.end())
                it.value() = r;
        }
        QModelIndexList after;
        after.reserve(before.size());
        for (qsizetype k = 0; k < before.size(); ++k) {
            const int r = rowOf.value(ids.at(k), -1);
            after << (r < 0 ? QModelIndex() : index(r, before.at(k).column()));
        }
        changePersistentIndexList(before, after);
    }
    Q_EMIT layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}

void ConnectionTableModel::clear()
{
    beginResetModel();
    m_records.clear();
    m_records.shrink_to_fit();
    m_ids.clear();
    m_rowOf.clear();
    m_rowOfValid = true;
    m_mirror.clear();
    m_dropped = 0;
    m_hasHttp = false;
    endResetModel();
}

qint64 ConnectionTableModel::connectionId(int row) const
{
    return row >= 0 && row < int(m_records.size()) ? m_records[std::size_t(row)].id : -1;
}

QString ConnectionTableModel::stateText(const Record &r) const
{
    const QString &state = m_strings.at(r.state);
    const QString &reason = m_strings.at(r.closeReason);
    QString text = r.open ? state + QStringLiteral(" (open)") // the daemon's close reason "open"
                   : reason.isEmpty() || reason == state
                           ? state
                           : state + QStringLiteral(" (") + reason + QLatin1Char(')');
    if (r.midstream)
        text += QStringLiteral(", joined mid-stream");
    return text;
}

bool ConnectionTableModel::matches(int row, const QString &text) const
{
    if (text.isEmpty())
        return true;
    if (row < 0 || row >= int(m_records.size()))
        return false;
    const Record &r = m_records[std::size_t(row)];
    return r.client.contains(text, Qt::CaseInsensitive)
           || m_strings.at(r.state).contains(text, Qt::CaseInsensitive)
           || m_strings.at(r.closeReason).contains(text, Qt::CaseInsensitive)
           || r.httpFirst.contains(text, Qt::CaseInsensitive);
}

bool ConnectionTableModel::lessThan(int leftRow, int rightRow, int column) const
{
    return less(m_records[std::size_t(leftRow)], m_records[std::size_t(rightRow)], column);
}

bool ConnectionTableModel::less(const Record &a, const Record &b, int column) const
{
    switch (column) {
    case Client:
        return a.client < b.client;
    case State:
        return m_strings.at(a.state) < m_strings.at(b.state);
    case Start:
        return a.firstNs < b.firstNs;
    case Duration:
        return a.lastNs - a.firstNs < b.lastNs - b.firstNs;
    case BytesIn:
        return a.bytesIn < b.bytesIn;
    case BytesOut:
        return a.bytesOut < b.bytesOut;
    case Packets:
        return a.packets < b.packets;
    case Retransmissions:
        return a.retransmissions < b.retransmissions;
    case Gaps:
        return a.gapBytes < b.gapBytes;
    case Mirror:
        return mirrorOf(a) < mirrorOf(b);
    case HttpRequests:
        return a.httpRequests < b.httpRequests;
    case FirstRequest:
        return a.httpFirst < b.httpFirst;
    case LastStatus:
        return a.httpLastStatus < b.httpLastStatus;
    default:
        return a.id < b.id;
    }
}

QVariant ConnectionTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_records.size()))
        return {};
    const Record &r = m_records[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Client:
            return r.client;
        case State:
            return stateText(r);
        case Start:
            return DisplayFormat::timeOfDay(r.firstNs);
        case Duration:
            return DisplayFormat::duration(r.lastNs - r.firstNs);
        case BytesIn:
            return DisplayFormat::bytes(r.bytesIn);
        case BytesOut:
            return DisplayFormat::bytes(r.bytesOut);
        case Packets:
            return QString::number(r.packets);
        case Retransmissions:
            return QString::number(r.retransmissions);
        case Gaps:
            return r.gaps == 0 ? QStringLiteral("0")
                               : QStringLiteral("%1 (%2)").arg(r.gaps).arg(
                                       DisplayFormat::bytes(r.gapBytes));
        case Mirror:
            return mirrorCell(r);
        case HttpRequests:
            return r.http ? QString::number(r.httpRequests) : QString();
        case FirstRequest:
            return r.httpFirst;
        case LastStatus:
            return r.http && r.httpLastStatus > 0 ? QString::number(r.httpLastStatus) : QString();
        default:
            return {};
        }
    case SortRole:
        switch (index.column()) {
        case Client:
            return r.client;
        case State:
            return m_strings.at(r.state);
        case Start:
            return r.firstNs;
        case Duration:
            return r.lastNs - r.firstNs;
        case BytesIn:
            return r.bytesIn;
        case BytesOut:
            return r.bytesOut;
        case Packets:
            return r.packets;
        case Retransmissions:
            return r.retransmissions;
        case Gaps:
            return r.gapBytes;
        case Mirror:
            return mirrorOf(r);
        case HttpRequests:
            return r.httpRequests;
        case FirstRequest:
            return r.httpFirst;
        case LastStatus:
            return r.httpLastStatus;
        default:
            return {};
        }
    case ConnectionIdRole:
        return r.id;
    case Qt::TextAlignmentRole:
        return index.column() >= Duration && index.column() != Mirror
                               && index.column() != FirstRequest
                       ? int(Qt::AlignRight | Qt::AlignVCenter)
                       : int(Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::ForegroundRole:
        if ((index.column() == Gaps && r.gaps > 0)
            || (index.column() == Retransmissions && r.retransmissions > 0)
            || (index.column() == Mirror && m_mirror.contains(r.id)
                && mirrorOf(r) != QLatin1String("completed"))
            || (index.column() == LastStatus && r.httpLastStatus >= 500)
            || (index.column() == HttpRequests && r.httpErrors > 0))
            return QBrush(Qt::darkRed);
        return {};
    case Qt::ToolTipRole:
        if (index.column() == Gaps && r.gaps > 0)
            return QStringLiteral("%1 holes in the captured payload, %2 missing")
                    .arg(r.gaps)
                    .arg(DisplayFormat::bytes(r.gapBytes));
        if (index.column() == Client)
            return QStringLiteral("connection %1").arg(r.id);
        if (index.column() == HttpRequests && r.http)
            return QStringLiteral("%1 HTTP requests, %2 answered with 5xx")
                    .arg(r.httpRequests)
                    .arg(r.httpErrors);
        if (index.column() == Mirror) {
            const auto it = m_mirror.constFind(r.id);
            if (it == m_mirror.cend())
                return r.midstream ? QStringLiteral("joined mid-stream: mirrored only when "
                                                    "the mirror joins mid-stream")
                                   : QString();
            const QString requests = MirrorRequestsText::connectionLong(it->requests);
            return QStringLiteral("%1; %2 sent to the local port, %3 answered%4")
                    .arg(m_strings.at(it->outcome), DisplayFormat::bytes(it->bytesMirrored),
                         DisplayFormat::bytes(it->responseBytes),
                         requests.isEmpty() ? QString() : QStringLiteral("; ") + requests);
        }
        return {};
    default:
        return {};
    }
}

QVariant ConnectionTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole) {
        if (section == BytesIn)
            return QStringLiteral("Payload bytes from the client to the pod");
        if (section == BytesOut)
            return QStringLiteral("Payload bytes from the pod to the client");
        if (section == HttpRequests)
            return QStringLiteral("HTTP requests on the connection (the Requests tab lists them)");
        if (section == LastStatus)
            return QStringLiteral("The status of the connection's last HTTP answer");
        return {};
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Client:
        return QStringLiteral("Client");
    case State:
        return QStringLiteral("State");
    case Start:
        return QStringLiteral("Start");
    case Duration:
        return QStringLiteral("Duration");
    case BytesIn:
        return QStringLiteral("Bytes in");
    case BytesOut:
        return QStringLiteral("Bytes out");
    case Packets:
        return QStringLiteral("Packets");
    case Retransmissions:
        return QStringLiteral("Retrans.");
    case Gaps:
        return QStringLiteral("Gaps");
    case Mirror:
        return QStringLiteral("Mirror");
    case HttpRequests:
        return QStringLiteral("Requests");
    case FirstRequest:
        return QStringLiteral("First request");
    case LastStatus:
        return QStringLiteral("Last status");
    default:
        return {};
    }
}

QString ConnectionTableModel::mirrorOf(const Record &r) const
{
    const auto it = m_mirror.constFind(r.id);
    if (it == m_mirror.cend())
        return r.open ? m_strings.at(r.liveMirror) : QString();
    return m_strings.at(it->outcome);
}

QString ConnectionTableModel::mirrorCell(const Record &r) const
{
    const auto it = m_mirror.constFind(r.id);
    if (it == m_mirror.cend())
        return r.open ? m_strings.at(r.liveMirror) : QString(); // "mirroring", "waiting", …
    const QString text = mirrorText(m_strings.at(it->outcome));
    const QString requests = MirrorRequestsText::connectionShort(it->requests);
    return requests.isEmpty() ? text : text + QStringLiteral(" · ") + requests;
}

QString ConnectionTableModel::mirrorText(const QString &outcome)
{
    // MirrorSink's outcomes: "completed", "reset", "local-closed", "local-error: …",
    // "gap: …", "dropped: …", "incomplete: …".
    QString kind = outcome.section(QLatin1Char(':'), 0, 0);
    if (kind == QLatin1String("completed"))
        return QStringLiteral("mirrored");
    if (kind == QLatin1String("local-error"))
        return QStringLiteral("local error");
    if (kind == QLatin1String("local-closed"))
        return QStringLiteral("local side closed");
    if (kind == QLatin1String("dropped"))
        return QStringLiteral("dropped (port too slow)");
    if (kind == QLatin1String("gap"))
        return QStringLiteral("cut by a capture gap");
    if (kind == QLatin1String("incomplete"))
        return QStringLiteral("end not seen (reset)");
    return kind; // "reset", or what a newer daemon says
}

void ConnectionTableModel::setMirrorOutcomes(const QJsonArray &ended)
{
    if (ended.isEmpty())
        return;
    for (const QJsonValue v : ended) {
        const QJsonObject o = v.toObject();
        const qint64 id = o.value(QLatin1String("id")).toInteger(-1);
        if (id < 0)
            continue;
        m_mirror.insert(id, {intern(o.value(QLatin1String("outcome")).toString()),
                             o.value(QLatin1String("bytesMirrored")).toInteger(),
                             o.value(QLatin1String("responseBytes")).toInteger(),
                             o.value(QLatin1String("requests")).toObject()});
    }
    if (m_records.empty())
        return;
    if (m_sortColumn == Mirror)
        sort(m_sortColumn, m_sortOrder); // keep the order true to the new values
    // One signal for the column: views repaint only the cells they show.
    Q_EMIT dataChanged(index(0, Mirror), index(int(m_records.size()) - 1, Mirror));
}

} // namespace podtap
