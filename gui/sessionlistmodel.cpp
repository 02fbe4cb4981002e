#include "sessionlistmodel.h"

#include "daemonclient.h"
#include "daemonlink.h"
#include "displayformat.h"
#include "mirror/mirrorrequeststext.h"

#include <QBrush>
#include <QSet>

#include <limits>

namespace podtap {

namespace {
constexpr int PollIntervalMs = 1000;

qint64 num(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toInteger();
}
QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}
qint64 lossPackets(const QJsonObject &s)
{
    const QJsonObject loss = s.value(QLatin1String("loss")).toObject();
    return num(loss, "kernelDrops") + num(loss, "lostOnTheWay") + num(loss, "unreadAtStop");
}

QJsonArray toArray(const std::optional<QList<SessionSummary>> &summaries)
{
    QJsonArray out;
    if (summaries)
        for (const SessionSummary &s : *summaries)
            out.append(s.toJson());
    return out;
}
} // namespace

SessionListModel::SessionListModel(DaemonLink *link, QObject *parent)
    : QAbstractTableModel(parent)
    , m_link(link)
{
    if (!m_link)
        return;
    connect(m_link, &DaemonLink::event, this, &SessionListModel::onEvent);
    // Answered after every (re)connection: the moment to take a fresh snapshot.
    DaemonClient(m_link).sessionSubscribe(
            SessionSubscribeRequest::sessionList(), this,
            [this](const DaemonClient::SessionAnswer &) { refresh(); });
    m_pollTimer.setInterval(PollIntervalMs);
    connect(&m_pollTimer, &QTimer::timeout, this, &SessionListModel::poll);
    m_pollTimer.start();
}

int SessionListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SessionListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

bool SessionListModel::isFinalState(const QString &state)
{
    return state == QLatin1String("stopped") || state == QLatin1String("failed")
           || state == QLatin1String("interrupted") || state == QLatin1String("damaged")
           || state == QLatin1String("closed");
}

bool SessionListModel::isMirroring(const QJsonObject &summary)
{
    return summary.value(QLatin1String("mirror"))
                   .toObject()
                   .value(QLatin1String("enabled"))
                   .toBool()
           && !isFinalState(str(summary, "state"));
}

QVariant SessionListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const Row &r = m_rows.at(index.row());
    const QJsonObject &s = r.summary;
    const QString state = str(s, "state");
    switch (role) {
    case SessionIdRole:
        return r.id;
    case SummaryRole:
        return s;
    case RunningRole:
        return r.inDaemon && !isFinalState(state);
    case Qt::BackgroundRole:
        // The context guard's marker: a protected (production) context, for as long as listed.
        if (index.column() == Target && s.value(QLatin1String("protected")).toBool())
            return QBrush(QColor(0xb0, 0x00, 0x20));
        return {};
    case Qt::ForegroundRole:
        if (index.column() == Target && s.value(QLatin1String("protected")).toBool())
            return QBrush(Qt::white);
        if (index.column() == State && state == QLatin1String("failed"))
            return QBrush(Qt::darkRed);
        if (index.column() == Loss && (lossPackets(s) > 0 || num(s, "gapBytes") > 0))
            return QBrush(Qt::darkRed);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == Packets || index.column() == Connections || index.column() == Id
            || index.column() == Disk)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ToolTipRole:
        switch (index.column()) {
        case State:
            return str(s, "reason").isEmpty() ? state
                                              : state + QStringLiteral(": ") + str(s, "reason");
        case Packets:
            return QStringLiteral("%1 packets, %2 captured")
                    .arg(DisplayFormat::count(num(s, "packets")),
                         DisplayFormat::bytes(num(s, "bytes")));
        case Mirror: {
            const QJsonObject m = s.value(QLatin1String("mirror")).toObject();
            QString requests = MirrorRequestsText::session(m);
            if (const QString t = MirrorRequestsText::tls(m); !t.isEmpty())
                requests += (requests.isEmpty() ? QString() : QStringLiteral("; ")) + t;
            return QString(
                    QStringLiteral("%1 connections mirrored (%2 completed, %3 open), %4 sent, %5 "
                                   "answered; %6 skipped mid-stream, %7 local errors, %8 closed by "
                                   "gaps, %9 dropped")
                            .arg(num(m, "connections"))
                            .arg(num(m, "completed"))
                            .arg(num(m, "open"))
                            .arg(DisplayFormat::bytes(num(m, "bytesMirrored")),
                                 DisplayFormat::bytes(num(m, "responseBytes")))
                            .arg(num(m, "skippedMidstream"))
                            .arg(num(m, "localErrors"))
                            .arg(num(m, "gaps"))
                            .arg(num(m, "dropped"))
                    + (requests.isEmpty() ? QString() : QStringLiteral("; ") + requests));
        }
        case Loss: {
            const QJsonObject loss = s.value(QLatin1String("loss")).toObject();
            return QStringLiteral("%1 packets dropped by the kernel, %2 lost on the way, %3 "
                                  "unread at stop; %4 of payload missing (gaps)")
                    .arg(num(loss, "kernelDrops"))
                    .arg(num(loss, "lostOnTheWay"))
                    .arg(num(loss, "unreadAtStop"))
                    .arg(DisplayFormat::bytes(num(s, "gapBytes")));
        }
        case Target:
            return str(s, "store");
        default:
            return {};
        }
    case SortRole:
        switch (index.column()) {
        case Id:
            return r.order;
        case Packets:
            return num(s, "packets");
        case Connections:
            return num(s, "connections");
        case Loss:
            return lossPackets(s) + num(s, "gapBytes");
        case Started:
            return str(s, "started");
        case Disk:
            return num(s, "diskBytes");
        default:
            return data(index, Qt::DisplayRole);
        }
    case Qt::DisplayRole:
        switch (index.column()) {
        case Id:
            return r.id;
        case Target: {
            const QString title = str(s, "title");
            const QString shown = title.isEmpty() ? str(s, "target") : title;
            return s.value(QLatin1String("protected")).toBool()
                           ? QStringLiteral("PRODUCTION · ") + shown
                           : shown;
        }
        case State:
            return state;
        case Packets:
            return DisplayFormat::count(num(s, "packets"));
        case Connections: {
            const qint64 open = num(s, "openConnections");
            const QString all = DisplayFormat::count(num(s, "connections"));
            return open > 0 && !isFinalState(state)
                           ? QStringLiteral("%1 (%2 open)").arg(all, DisplayFormat::count(open))
                           : all;
        }
        case Mirror: {
            const QJsonObject m = s.value(QLatin1String("mirror")).toObject();
            const qint64 conns = num(m, "connections");
            const qint64 tls = num(m, "tlsNotMirrored");
            const QString tlsText = tls > 0 ? QStringLiteral(", %1 TLS not mirrored")
                                                      .arg(DisplayFormat::count(tls))
                                            : QString();
            if (m.value(QLatin1String("enabled")).toBool())
                return QStringLiteral("→ %1: %2 conn, %3%4")
                        .arg(str(m, "to"), DisplayFormat::count(conns),
                             DisplayFormat::bytes(num(m, "bytesMirrored")), tlsText);
            return conns > 0 ? QStringLiteral("off (%1 conn mirrored)").arg(conns)
                             : QStringLiteral("off");
        }
        case Loss: {
            const qint64 packets = lossPackets(s);
            const qint64 gap = num(s, "gapBytes");
            if (packets == 0 && gap == 0)
                return QStringLiteral("none");
            QStringList parts;
            if (packets > 0)
                parts << QStringLiteral("%1 packets").arg(DisplayFormat::count(packets));
            if (gap > 0)
                parts << QStringLiteral("%1 missing").arg(DisplayFormat::bytes(gap));
            return parts.join(QStringLiteral(", "));
        }
        case Started:
            return DisplayFormat::dateTime(str(s, "started"));
        case Disk:
            return s.contains(QLatin1String("diskBytes"))
                           ? DisplayFormat::bytes(num(s, "diskBytes"))
                           : QString();
        default:
            return {};
        }
    default:
        return {};
    }
}

QVariant SessionListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Id:
        return QStringLiteral("#");
    case Target:
        return QStringLiteral("Target");
    case State:
        return QStringLiteral("State");
    case Packets:
        return QStringLiteral("Packets");
    case Connections:
        return QStringLiteral("Connections");
    case Mirror:
        return QStringLiteral("Mirror");
    case Loss:
        return QStringLiteral("Loss");
    case Started:
        return QStringLiteral("Started");
    case Disk:
        return QStringLiteral("Disk");
    default:
        return {};
    }
}

int SessionListModel::rowOf(const QString &id) const
{
    for (int i = 0; i < m_rows.size(); ++i)
        if (m_rows.at(i).id == id)
            return i;
    return -1;
}

QJsonObject SessionListModel::summary(const QString &id) const
{
    const int row = rowOf(id);
    return row < 0 ? QJsonObject() : m_rows.at(row).summary;
}

QJsonObject SessionListModel::summaryAt(int row) const
{
    return row < 0 || row >= m_rows.size() ? QJsonObject() : m_rows.at(row).summary;
}

bool SessionListModel::isRunning(int row) const
{
    return row >= 0 && row < m_rows.size() && m_rows.at(row).inDaemon
           && !isFinalState(str(m_rows.at(row).summary, "state"));
}

QList<QJsonObject> SessionListModel::runningSessions() const
{
    QList<QJsonObject> out;
    for (int i = 0; i < m_rows.size(); ++i)
        if (isRunning(i))
            out << m_rows.at(i).summary;
    return out;
}

SessionListModel::Row SessionListModel::makeRow(const QJsonObject &summary, bool inDaemon)
{
    Row r;
    r.id = str(summary, "id");
    bool numeric = false;
    r.order = r.id.toLongLong(&numeric);
    if (!numeric)
        r.order = std::numeric_limits<qint64>::max();
    r.summary = summary;
    r.inDaemon = inDaemon;
    return r;
}

int SessionListModel::insertPosition(qint64 order) const
{
    int pos = int(m_rows.size());
    while (pos > 0 && m_rows.at(pos - 1).order > order)
        --pos;
    return pos;
}

void SessionListModel::update(int row, const QJsonObject &summary, bool inDaemon)
{
    Row &r = m_rows[row];
    const QString before = str(r.summary, "state");
    const QString after = str(summary, "state");
    const QJsonValue disk = r.summary.value(QLatin1String("diskBytes"));
    r.summary = summary;
    // Live summaries (stats, status) do not carry the disk use: the last known one stays.
    if (!summary.contains(QLatin1String("diskBytes")) && !disk.isUndefined())
        r.summary.insert(QStringLiteral("diskBytes"), disk);
    r.inDaemon = inDaemon;
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    if (after == QLatin1String("failed") && !isFinalState(before))
        Q_EMIT sessionFailed(r.id, str(summary, "title"), str(summary, "reason"));
}

void SessionListModel::applySummary(const QJsonObject &summary)
{
    const QString id = str(summary, "id");
    if (id.isEmpty())
        return;
    const int row = rowOf(id);
    if (row >= 0) {
        update(row, summary, true);
        return;
    }
    const Row r = makeRow(summary, true);
    const int pos = insertPosition(r.order);
    beginInsertRows({}, pos, pos);
    m_rows.insert(pos, r);
    endInsertRows();
}

void SessionListModel::applySnapshot(const QJsonArray &inDaemon, const QJsonArray &stored)
{
    QList<Row> fresh;
    for (const QJsonValue v : stored)
        fresh << makeRow(v.toObject(), false);
    for (const QJsonValue v : inDaemon)
        fresh << makeRow(v.toObject(), true);
    std::stable_sort(fresh.begin(), fresh.end(),
                     [](const Row &a, const Row &b) { return a.order < b.order; });
    const bool first = !m_loaded;
    m_loaded = true;
    if (m_rows.isEmpty()) {
        if (!fresh.isEmpty()) {
            beginResetModel();
            m_rows = fresh;
            endResetModel();
        }
        Q_EMIT loaded();
        return;
    }
    // A merge, not a reset: selection and scroll position survive a reconnect.
    QSet<QString> ids;
    for (const Row &r : std::as_const(fresh))
        ids.insert(r.id);
    for (int i = int(m_rows.size()) - 1; i >= 0; --i) {
        if (!ids.contains(m_rows.at(i).id)) {
            beginRemoveRows({}, i, i);
            m_rows.removeAt(i);
            endRemoveRows();
        }
    }
    for (const Row &r : std::as_const(fresh)) {
        const int row = rowOf(r.id);
        if (row >= 0) {
            if (first) {
                m_rows[row] = r;
                Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
            } else {
                update(row, r.summary, r.inDaemon);
            }
            continue;
        }
        const int pos = insertPosition(r.order);
        beginInsertRows({}, pos, pos);
        m_rows.insert(pos, r);
        endInsertRows();
    }
    Q_EMIT loaded();
}

void SessionListModel::applyRemoved(const QString &id)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    beginRemoveRows({}, row, row);
    m_rows.removeAt(row);
    endRemoveRows();
}

void SessionListModel::refresh()
{
    if (!m_link || m_listPending)
        return;
    m_listPending = true;
    DaemonClient(m_link).sessionList(this, [this](const DaemonClient::SessionAnswer &r) {
        m_listPending = false;
        if (!r.ok())
            return; // kept as it was; the next connection refreshes it
        applySnapshot(toArray(r.value.sessions), toArray(r.value.stored));
    });
}

void SessionListModel::poll()
{
    if (!m_link || !m_link->isConnected() || m_pollPending || runningSessions().isEmpty())
        return;
    m_pollPending = true;
    DaemonClient(m_link).daemonStatus(this, [this](const DaemonClient::JsonAnswer &r) {
        m_pollPending = false;
        if (!r.ok())
            return;
        for (const QJsonValue v : r.value.value(QLatin1String("sessions")).toArray())
            applySummary(v.toObject());
    });
}

void SessionListModel::onEvent(const QJsonObject &event)
{
    const QString stream = str(event, "stream");
    const QString name = str(event, "event");
    const QJsonObject data = event.value(QLatin1String("data")).toObject();
    if (stream == QLatin1String("sessions")) {
        if (name == QLatin1String("added") || name == QLatin1String("changed")) {
            const bool ended = isFinalState(str(data, "state"))
                               && !isFinalState(str(summary(str(data, "id")), "state"));
            applySummary(data);
            if (ended)
                refresh(); // its final disk use, and what retention removed meanwhile
        } else if (name == QLatin1String("removed"))
            applyRemoved(str(data, "id"));
        else if (name == QLatin1String("events-lost"))
            refresh();
        return;
    }
    // The session streams the GUI follows carry a summary twice a second.
    if (stream.startsWith(QLatin1String("session/")) && stream.count(QLatin1Char('/')) == 1
        && (name == QLatin1String("stats") || name == QLatin1String("finished"))) {
        if (rowOf(str(data, "id")) >= 0)
            applySummary(data);
    }
}

} // namespace podtap
