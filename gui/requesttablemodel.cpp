#include "requesttablemodel.h"

#include "displayformat.h"
#include "http2/grpcstatus.h"

#include <QBrush>
#include <QIcon>
#include <QPainter>
#include <QPixmap>

#include <algorithm>

namespace podtap {

namespace {
QString latencyText(double us)
{
    return us < 0 ? QString() : DisplayFormat::duration(qint64(us * 1000.0));
}

const char *const ProtocolNames[] = {"HTTP/1.1", "h2", "gRPC"};

} // namespace

QIcon RequestTableModel::verdictIcon(const QColor &color) const
{
    // One small dot per colour, made once.
    const auto it = m_icons.constFind(color.rgb());
    if (it != m_icons.cend())
        return it.value();
    QPixmap pixmap(12, 12);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(color);
    p.drawEllipse(QRectF(1, 1, 10, 10));
    p.end();
    return m_icons.insert(color.rgb(), QIcon(pixmap)).value();
}

RequestTableModel::RequestTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
    m_batch.setSingleShot(true);
    m_batch.setInterval(BatchIntervalMs);
    connect(&m_batch, &QTimer::timeout, this, &RequestTableModel::flush);
}

int RequestTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_records.size());
}

int RequestTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

quint16 RequestTableModel::intern(const QString &s)
{
    const auto it = m_stringIndex.constFind(s);
    if (it != m_stringIndex.cend())
        return it.value();
    if (m_strings.size() >= 0xffff)
        return 0; // endless new routes or types: shown blank, not grown without end
    const auto index = quint16(m_strings.size());
    m_strings << s;
    m_stringIndex.insert(s, index);
    return index;
}

RequestTableModel::Record RequestTableModel::fromExchange(const QJsonObject &x)
{
    Record r;
    r.id = x.value(QLatin1String("id")).toInteger();
    r.index = x.value(QLatin1String("index")).toInteger();
    r.tsNs = x.value(QLatin1String("tsNs")).toInteger();
    r.method = intern(x.value(QLatin1String("method")).toString());
    r.route = intern(x.value(QLatin1String("route")).toString());
    r.target = x.value(QLatin1String("target")).toString();
    r.exchange = x.contains(QLatin1String("tsNs"));
    if (x.contains(QLatin1String("status"))) {
        r.status = qint16(x.value(QLatin1String("status")).toInt());
        r.latencyUs = float(x.value(QLatin1String("latencyUs")).toDouble(-1));
        r.responseBytes = x.value(QLatin1String("responseBytes")).toInteger(-1);
        r.contentType = intern(x.value(QLatin1String("contentType")).toString());
    }
    if (x.value(QLatin1String("protocol")).toString() == QLatin1String("h2")) {
        r.protocol = 1;
        r.stream = qint32(x.value(QLatin1String("stream")).toInteger());
    }
    const QJsonObject grpc = x.value(QLatin1String("grpc")).toObject();
    if (!grpc.isEmpty()) {
        r.protocol = 2;
        r.grpc = grpc;
        r.grpcStatus = qint16(grpc.value(QLatin1String("status")).toInt(-1));
        r.grpcMethod = intern(grpc.value(QLatin1String("service")).toString() + QLatin1Char('/')
                              + grpc.value(QLatin1String("method")).toString());
    }
    const QString req = x.value(QLatin1String("requestIncomplete")).toString();
    const QString resp = x.value(QLatin1String("responseIncomplete")).toString();
    if (!req.isEmpty() || !resp.isEmpty())
        r.incomplete = intern(req.isEmpty() ? QStringLiteral("response: ") + resp
                                            : QStringLiteral("request: ") + req);
    return r;
}

void RequestTableModel::queue(Record &&r)
{
    const Key key{r.id, r.index};
    if (m_keys.contains(key))
        return; // a page overlapping the events, or an event seen twice
    m_keys.insert(key);
    m_pending.push_back(std::move(r));
    if (!m_batch.isActive())
        m_batch.start();
}

void RequestTableModel::setVerdict(const QJsonObject &v)
{
    const Key key{v.value(QLatin1String("id")).toInteger(-1),
                  v.value(QLatin1String("index")).toInteger(-1)};
    if (key.first < 0 || key.second < 0)
        return;
    VerdictInfo info;
    info.kind = intern(v.value(QLatin1String("verdict")).toString());
    info.podStatus = qint16(v.value(QLatin1String("podStatus")).toInt());
    info.localStatus = qint16(v.value(QLatin1String("localStatus")).toInt());
    info.podGrpcStatus = qint16(v.value(QLatin1String("podGrpcStatus")).toInt(-1));
    info.localGrpcStatus = qint16(v.value(QLatin1String("localGrpcStatus")).toInt(-1));
    info.podLatencyUs = float(v.value(QLatin1String("podLatencyUs")).toDouble(-1));
    info.localLatencyUs = float(v.value(QLatin1String("localLatencyUs")).toDouble(-1));
    info.record = v;
    m_verdicts.emplace(key, std::move(info)); // QHash::insert has no T&& overload
    if (m_keys.contains(key))
        m_verdictsChanged = true;
    if (!m_batch.isActive())
        m_batch.start();
}

void RequestTableModel::addExchanges(const QJsonArray &exchanges)
{
    for (const QJsonValue v : exchanges)
        queue(fromExchange(v.toObject()));
}

void RequestTableModel::addVerdicts(const QJsonArray &verdicts)
{
    for (const QJsonValue v : verdicts)
        setVerdict(v.toObject());
}

void RequestTableModel::addRequests(const QJsonArray &requests)
{
    for (const QJsonValue v : requests) {
        const QJsonObject o = v.toObject();
        const QJsonObject compare = o.value(QLatin1String("compare")).toObject();
        if (!compare.isEmpty()) {
            QJsonObject verdict = compare;
            verdict[QLatin1String("id")] = o.value(QLatin1String("id"));
            verdict[QLatin1String("index")] = o.value(QLatin1String("index"));
            setVerdict(verdict);
        }
        queue(fromExchange(o));
    }
}

int RequestTableModel::flush()
{
    m_batch.stop();
    std::vector<Record> batch;
    batch.swap(m_pending);
    const auto incoming = qint64(batch.size());
    const auto have = qint64(m_records.size());
    if (incoming > 0 && have + incoming > m_maxRows) {
        // Room first, by whole blocks of the oldest rows, so the view sees few removals.
        const qint64 excess = have + incoming - m_maxRows;
        const qint64 block = std::max<qint64>(m_maxRows / 10, 1);
        const qint64 drop = std::min(have, ((excess + block - 1) / block) * block);
        if (drop > 0) {
            beginRemoveRows({}, 0, int(drop - 1));
            for (qint64 i = 0; i < drop; ++i) {
                const Record &r = m_records[std::size_t(i)];
                m_keys.remove({r.id, r.index});
                m_verdicts.remove({r.id, r.index});
            }
            m_records.erase(m_records.begin(), m_records.begin() + drop);
            m_dropped += drop;
            endRemoveRows();
        }
        if (incoming > m_maxRows) { // a batch larger than the cap: keep its newest rows
            for (auto it = batch.begin(); it != batch.end() - m_maxRows; ++it) {
                m_keys.remove({it->id, it->index});
                m_verdicts.remove({it->id, it->index});
            }
            m_dropped += incoming - m_maxRows;
            batch.erase(batch.begin(), batch.end() - m_maxRows);
        }
    }
    // Verdicts whose exchange never came (the cap dropped it, or it was lost) stay bounded.
    if (m_verdicts.size() > 2 * qsizetype(m_maxRows) + 1000) {
        for (auto it = m_verdicts.begin(); it != m_verdicts.end();)
            it = m_keys.contains(it.key()) ? std::next(it) : m_verdicts.erase(it);
    }
    const int first = int(m_records.size());
    const int existing = first;
    if (!batch.empty()) {
        // The last row is inclusive.
        beginInsertRows({}, first, first + int(batch.size()) - 1);
        m_records.insert(m_records.end(), std::make_move_iterator(batch.begin()),
                         std::make_move_iterator(batch.end()));
        endInsertRows();
        const qsizetype knownMethods = m_methods.size();
        for (auto it = m_records.cbegin() + first; it != m_records.cend(); ++it)
            m_methods.insert(it->protocol == 2 ? it->grpcMethod : it->method);
        m_methods.remove(0);
        if (m_methods.size() != knownMethods)
            Q_EMIT methodsChanged();
    }
    if (m_verdictsChanged && existing > 0) {
        // One signal over the columns a verdict fills; views repaint only what they show.
        Q_EMIT dataChanged(index(0, PodStatus), index(existing - 1, Verdict));
    }
    m_verdictsChanged = false;
    return int(batch.size());
}

void RequestTableModel::clear()
{
    m_batch.stop();
    beginResetModel();
    m_records.clear();
    m_records.shrink_to_fit();
    m_pending.clear();
    m_keys.clear();
    m_verdicts.clear();
    m_methods.clear();
    m_verdictsChanged = false;
    m_dropped = 0;
    endResetModel();
}

qint64 RequestTableModel::connectionId(int row) const
{
    return row >= 0 && row < int(m_records.size()) ? m_records[std::size_t(row)].id : -1;
}

const RequestTableModel::VerdictInfo *RequestTableModel::verdictFor(const Record &r) const
{
    if (m_verdicts.isEmpty())
        return nullptr;
    const auto it = m_verdicts.constFind({r.id, r.index});
    return it == m_verdicts.cend() ? nullptr : &it.value();
}

QString RequestTableModel::verdictOf(int row) const
{
    if (row < 0 || row >= int(m_records.size()))
        return {};
    const VerdictInfo *v = verdictFor(m_records[std::size_t(row)]);
    return v ? m_strings.at(v->kind) : QString();
}

QJsonObject RequestTableModel::requestAt(int row) const
{
    if (row < 0 || row >= int(m_records.size()))
        return {};
    const Record &r = m_records[std::size_t(row)];
    QJsonObject o{{QStringLiteral("id"), r.id},
                  {QStringLiteral("index"), r.index},
                  {QStringLiteral("method"), m_strings.at(r.method)},
                  {QStringLiteral("target"), r.target},
                  {QStringLiteral("route"), m_strings.at(r.route)}};
    if (r.exchange)
        o[QLatin1String("tsNs")] = r.tsNs;
    if (r.status != 0) {
        o[QLatin1String("status")] = r.status;
        o[QLatin1String("latencyUs")] = double(r.latencyUs);
        o[QLatin1String("responseBytes")] = r.responseBytes;
        if (r.contentType != 0)
            o[QLatin1String("contentType")] = m_strings.at(r.contentType);
    }
    if (r.incomplete != 0)
        o[QLatin1String("incomplete")] = m_strings.at(r.incomplete);
    if (r.protocol != 0) {
        o[QLatin1String("protocol")] = QStringLiteral("h2");
        o[QLatin1String("stream")] = r.stream;
    }
    if (!r.grpc.isEmpty())
        o[QLatin1String("grpc")] = r.grpc;
    if (const VerdictInfo *v = verdictFor(r))
        o[QLatin1String("compare")] = v->record;
    return o;
}

int RequestTableModel::podStatus(const Record &r) const
{
    if (r.status != 0)
        return r.status;
    const VerdictInfo *v = verdictFor(r);
    return v ? v->podStatus : 0;
}

double RequestTableModel::podLatency(const Record &r) const
{
    if (r.latencyUs >= 0)
        return r.latencyUs;
    const VerdictInfo *v = verdictFor(r);
    return v ? v->podLatencyUs : -1;
}

QString RequestTableModel::statusText(int httpStatus, bool grpc, int grpcStatus)
{
    QString http = httpStatus > 0 ? QString::number(httpStatus) : QStringLiteral("—");
    if (!grpc)
        return http;
    return http + QStringLiteral(" · ")
           + (grpcStatus >= 0 ? GrpcStatus::text(grpcStatus) : QStringLiteral("no grpc-status"));
}

QString RequestTableModel::methodLabel(const Record &r) const
{
    return m_strings.at(r.protocol == 2 ? r.grpcMethod : r.method);
}

QStringList RequestTableModel::methods() const
{
    QStringList http, grpc;
    for (const quint16 m : m_methods)
        (m_strings.at(m).contains(QLatin1Char('/')) ? grpc : http) << m_strings.at(m);
    http.sort();
    grpc.sort();
    return http + grpc;
}

bool RequestTableModel::methodMatches(int row, const QString &method) const
{
    if (method.isEmpty())
        return true;
    if (row < 0 || row >= int(m_records.size()))
        return false;
    const Record &r = m_records[std::size_t(row)];
    if (m_strings.at(r.method).compare(method, Qt::CaseInsensitive) == 0)
        return true;
    if (r.protocol != 2)
        return false;
    const QString &full = m_strings.at(r.grpcMethod);
    return full == method
           || (!method.contains(QLatin1Char('/')) && full.endsWith(QLatin1Char('/') + method));
}

QString RequestTableModel::localStatusText(const Record &r) const
{
    const VerdictInfo *v = verdictFor(r);
    if (!v)
        return {};
    if (v->localStatus > 0)
        return statusText(v->localStatus, v->localGrpcStatus >= 0 || v->podGrpcStatus >= 0,
                          v->localGrpcStatus);
    const QString &kind = m_strings.at(v->kind);
    if (kind == QLatin1String("local-error"))
        return QStringLiteral("error");
    if (kind == QLatin1String("local-timeout"))
        return QStringLiteral("timeout");
    return QStringLiteral("—");
}

QString RequestTableModel::verdictText(const QString &verdict)
{
    if (verdict == QLatin1String("same"))
        return QStringLiteral("same");
    if (verdict == QLatin1String("status"))
        return QStringLiteral("status differs");
    if (verdict == QLatin1String("body"))
        return QStringLiteral("body differs");
    if (verdict == QLatin1String("headers"))
        return QStringLiteral("headers differ");
    if (verdict == QLatin1String("local-error"))
        return QStringLiteral("local error");
    if (verdict == QLatin1String("local-timeout"))
        return QStringLiteral("local timeout");
    if (verdict == QLatin1String("not-comparable"))
        return QStringLiteral("not comparable");
    return verdict; // empty, or what a newer daemon says
}

QString RequestTableModel::verdictGroup(const QString &verdict)
{
    if (verdict == QLatin1String("same"))
        return verdict;
    if (verdict == QLatin1String("status") || verdict == QLatin1String("body")
        || verdict == QLatin1String("headers"))
        return QStringLiteral("differ");
    if (verdict == QLatin1String("local-error") || verdict == QLatin1String("local-timeout"))
        return QStringLiteral("local");
    return QStringLiteral("other");
}

QColor RequestTableModel::verdictColor(const QString &verdict)
{
    const QString group = verdictGroup(verdict);
    if (group == QLatin1String("same"))
        return QColor(0x2e, 0x7d, 0x32);
    if (group == QLatin1String("differ"))
        return QColor(0xc6, 0x28, 0x28);
    if (group == QLatin1String("local"))
        return QColor(0xe6, 0x51, 0x00);
    return QColor(0x75, 0x75, 0x75);
}

bool RequestTableModel::matches(int row, const QString &text) const
{
    if (text.isEmpty())
        return true;
    if (row < 0 || row >= int(m_records.size()))
        return false;
    const Record &r = m_records[std::size_t(row)];
    if (r.target.contains(text, Qt::CaseInsensitive)
        || m_strings.at(r.method).contains(text, Qt::CaseInsensitive)
        || m_strings.at(r.route).contains(text, Qt::CaseInsensitive)
        || m_strings.at(r.grpcMethod).contains(text, Qt::CaseInsensitive)
        || QLatin1String(ProtocolNames[r.protocol]).compare(text, Qt::CaseInsensitive) == 0
        || (r.grpcStatus >= 0
            && GrpcStatus::name(r.grpcStatus).compare(text, Qt::CaseInsensitive) == 0))
        return true;
    const int status = podStatus(r);
    if (status > 0 && QString::number(status) == text)
        return true;
    const VerdictInfo *v = verdictFor(r);
    return v
           && (verdictText(m_strings.at(v->kind)).contains(text, Qt::CaseInsensitive)
               || (v->localStatus > 0 && QString::number(v->localStatus) == text));
}

QVariant RequestTableModel::sortValue(const Record &r, int column) const
{
    const VerdictInfo *v = verdictFor(r);
    switch (column) {
    case Time:
        return r.tsNs;
    case Protocol:
        return QLatin1String(ProtocolNames[r.protocol]);
    case Method:
        return methodLabel(r);
    case Path:
        return r.target;
    case PodStatus:
        return podStatus(r);
    case LocalStatus:
        return v ? int(v->localStatus) : -1;
    case PodLatency:
        return podLatency(r);
    case LocalLatency:
        return v ? double(v->localLatencyUs) : -1.0;
    case Verdict:
        return v ? m_strings.at(v->kind) : QString();
    case Route:
        return m_strings.at(r.route);
    default:
        return {};
    }
}

bool RequestTableModel::lessThan(int leftRow, int rightRow, int column) const
{
    return less(m_records[std::size_t(leftRow)], m_records[std::size_t(rightRow)], column);
}

bool RequestTableModel::less(const Record &a, const Record &b, int column) const
{
    switch (column) {
    case Time:
        return a.tsNs != b.tsNs ? a.tsNs < b.tsNs
                                : std::pair(a.id, a.index) < std::pair(b.id, b.index);
    case PodStatus:
        return podStatus(a) < podStatus(b);
    case PodLatency:
        return podLatency(a) < podLatency(b);
    case LocalStatus:
        return sortValue(a, column).toInt() < sortValue(b, column).toInt();
    case LocalLatency:
        return sortValue(a, column).toDouble() < sortValue(b, column).toDouble();
    default:
        return sortValue(a, column).toString() < sortValue(b, column).toString();
    }
}

QVariant RequestTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_records.size()))
        return {};
    const Record &r = m_records[std::size_t(index.row())];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole: {
        const VerdictInfo *v = verdictFor(r);
        switch (column) {
        case Time:
            return r.tsNs > 0 ? DisplayFormat::timeOfDay(r.tsNs) : QString();
        case Protocol:
            return r.exchange ? QLatin1String(ProtocolNames[r.protocol]) : QLatin1String("");
        case Method:
            return methodLabel(r);
        case Path:
            return r.target;
        case PodStatus: {
            const int s = podStatus(r);
            const int grpcStatus = r.protocol == 2 ? r.grpcStatus : (v ? v->podGrpcStatus : -1);
            return statusText(s, r.protocol == 2 || grpcStatus >= 0, grpcStatus);
        }
        case LocalStatus:
            return localStatusText(r);
        case PodLatency:
            return latencyText(podLatency(r));
        case LocalLatency:
            return v ? latencyText(v->localLatencyUs) : QString();
        case Verdict:
            return v ? verdictText(m_strings.at(v->kind)) : QString();
        case Route:
            return m_strings.at(r.route);
        default:
            return {};
        }
    }
    case SortRole:
        return sortValue(r, column);
    case ConnectionIdRole:
        return r.id;
    case ExchangeIndexRole:
        return r.index;
    case VerdictRole: {
        const VerdictInfo *v = verdictFor(r);
        return v ? m_strings.at(v->kind) : QString();
    }
    case ProtocolRole:
        return QLatin1String(ProtocolNames[r.protocol]);
    case GrpcStatusRole:
        return int(r.grpcStatus);
    case Qt::DecorationRole:
        if (column == Verdict) {
            if (const VerdictInfo *v = verdictFor(r))
                return verdictIcon(verdictColor(m_strings.at(v->kind)));
        }
        return {};
    case Qt::ForegroundRole:
        if (column == Verdict) {
            if (const VerdictInfo *v = verdictFor(r))
                return QBrush(verdictColor(m_strings.at(v->kind)));
        }
        if (column == PodStatus && (podStatus(r) >= 500 || r.grpcStatus > 0))
            return QBrush(Qt::darkRed);
        if (column == LocalStatus) {
            const VerdictInfo *v = verdictFor(r);
            if (v
                && (v->localStatus >= 500 || v->localStatus != v->podStatus
                    || v->localGrpcStatus > 0 || v->localGrpcStatus != v->podGrpcStatus))
                return QBrush(Qt::darkRed);
        }
        return {};
    case Qt::TextAlignmentRole:
        return column >= PodStatus && column <= LocalLatency
                       ? int(Qt::AlignRight | Qt::AlignVCenter)
                       : int(Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::ToolTipRole:
        if (column == Verdict) {
            const VerdictInfo *v = verdictFor(r);
            return v ? v->record.value(QLatin1String("detail")).toString() : QString();
        }
        if (column == PodStatus && r.incomplete != 0)
            return QStringLiteral("incomplete %1").arg(m_strings.at(r.incomplete));
        if (column == Path && r.protocol != 0)
            return QStringLiteral("connection %1, HTTP/2 stream %2").arg(r.id).arg(r.stream);
        if (column == Path)
            return QStringLiteral("connection %1, request %2").arg(r.id).arg(r.index + 1);
        if (column == PodStatus && r.protocol == 2) {
            const QString message = r.grpc.value(QLatin1String("message")).toString();
            return message.isEmpty() ? QString() : QStringLiteral("grpc-message: ") + message;
        }
        return {};
    default:
        return {};
    }
}

QVariant RequestTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Protocol:
            return QStringLiteral("HTTP/1.1, HTTP/2 (h2) or a gRPC call over HTTP/2");
        case Method:
            return QStringLiteral("The HTTP method, or a gRPC call's service/method");
        case PodStatus:
            return QStringLiteral("The pod's answer, as captured (gRPC: HTTP status · "
                                  "grpc-status)");
        case LocalStatus:
            return QStringLiteral("The local port's answer to the mirrored request");
        case Verdict:
            return QStringLiteral("How the local answer compares with the pod's (mirror with "
                                  "compare on)");
        case Route:
            return QStringLiteral("The request's route template (ids folded)");
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Time:
        return QStringLiteral("Time");
    case Protocol:
        return QStringLiteral("Protocol");
    case Method:
        return QStringLiteral("Method");
    case Path:
        return QStringLiteral("Path");
    case PodStatus:
        return QStringLiteral("Pod");
    case LocalStatus:
        return QStringLiteral("Local");
    case PodLatency:
        return QStringLiteral("Pod latency");
    case LocalLatency:
        return QStringLiteral("Local latency");
    case Verdict:
        return QStringLiteral("Verdict");
    case Route:
        return QStringLiteral("Route");
    default:
        return {};
    }
}

} // namespace podtap
