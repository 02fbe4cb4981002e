#include "targetlistmodel.h"

#include <QJsonArray>

namespace podtap {

namespace {
QString portLabel(const QJsonValue &p)
{
    QString label = QString::number(p[QLatin1String("port")].toInt());
    const QString name = p[QLatin1String("name")].toString();
    if (!name.isEmpty())
        label += QLatin1Char(' ') + name;
    const QString container = p[QLatin1String("container")].toString();
    if (!container.isEmpty())
        label += QStringLiteral(" (") + container + QLatin1Char(')');
    const QString protocol = p[QLatin1String("protocol")].toString();
    if (!protocol.isEmpty() && protocol != QLatin1String("TCP"))
        label += QLatin1Char(' ') + protocol;
    return label;
}

QList<TargetListModel::Port> containerPorts(const QJsonArray &ports)
{
    QList<TargetListModel::Port> out;
    for (const QJsonValue p : ports)
        out.append({p[QLatin1String("port")].toInt(), portLabel(p)});
    return out;
}
} // namespace

TargetListModel::TargetListModel(QObject *parent)
    : QAbstractTableModel(parent)
{}

void TargetListModel::setTargets(const QJsonObject &result)
{
    QList<Row> rows;
    for (const QJsonValue p : result.value(QLatin1String("pods")).toArray()) {
        Row r;
        r.kind = QStringLiteral("pod");
        r.name = p[QLatin1String("name")].toString();
        r.status = p[QLatin1String("phase")].toString();
        r.ready = p[QLatin1String("ready")].toString();
        r.healthy = r.status == QLatin1String("Running") && p[QLatin1String("allReady")].toBool();
        r.where = p[QLatin1String("ip")].toString();
        const QString node = p[QLatin1String("node")].toString();
        if (!node.isEmpty())
            r.where += QStringLiteral(" on ") + node;
        const QString owner = p[QLatin1String("owner")].toString();
        if (!owner.isEmpty())
            r.where += QStringLiteral(" (") + owner + QLatin1Char(')');
        r.ports = containerPorts(p[QLatin1String("ports")].toArray());
        rows.append(r);
    }
    for (const QJsonValue w : result.value(QLatin1String("workloads")).toArray()) {
        Row r;
        r.kind = w[QLatin1String("kind")].toString();
        r.name = w[QLatin1String("name")].toString();
        const int replicas = w[QLatin1String("replicas")].toInt();
        const int ready = w[QLatin1String("readyReplicas")].toInt();
        r.healthy = replicas > 0 && ready == replicas;
        r.status = replicas == 0 ? QStringLiteral("Scaled to 0")
                   : r.healthy   ? QStringLiteral("Available")
                                 : QStringLiteral("Progressing");
        r.ready = w[QLatin1String("ready")].toString();
        r.where = w[QLatin1String("selector")].toString();
        r.ports = containerPorts(w[QLatin1String("ports")].toArray());
        rows.append(r);
    }
    for (const QJsonValue s : result.value(QLatin1String("services")).toArray()) {
        Row r;
        r.kind = QStringLiteral("service");
        r.name = s[QLatin1String("name")].toString();
        const int pods = s[QLatin1String("pods")].toInt();
        r.healthy = pods > 0;
        r.status = s[QLatin1String("type")].toString();
        r.ready = pods == 1 ? QStringLiteral("1 pod") : QStringLiteral("%1 pods").arg(pods);
        r.where = s[QLatin1String("selector")].toString();
        for (const QJsonValue p : s[QLatin1String("ports")].toArray()) {
            QString label = portLabel(p);
            const int podPort = p[QLatin1String("podPort")].toInt();
            const QJsonValue target = p[QLatin1String("targetPort")];
            if (podPort > 0 && podPort != p[QLatin1String("port")].toInt())
                label += QStringLiteral(" → pod port %1").arg(podPort);
            else if (podPort == 0 && target.isString())
                label += QStringLiteral(" → pod port \"%1\"").arg(target.toString());
            r.ports.append({p[QLatin1String("port")].toInt(), label});
        }
        rows.append(r);
    }
    beginResetModel();
    m_rows = rows;
    endResetModel();
}

void TargetListModel::clear()
{
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

int TargetListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TargetListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TargetListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            return r.name;
        case KindColumn:
            return r.kind;
        case StatusColumn:
            return r.status;
        case ReadyColumn:
            return r.ready;
        case PortsColumn: {
            QStringList ports;
            for (const Port &p : r.ports)
                ports << QString::number(p.port);
            return ports.join(QStringLiteral(", "));
        }
        case WhereColumn:
            return r.where;
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == PortsColumn) {
            QStringList ports;
            for (const Port &p : r.ports)
                ports << p.label;
            return ports.isEmpty() ? QStringLiteral("no ports declared in the spec")
                                   : ports.join(QLatin1Char('\n'));
        }
        return {};
    case TargetRole:
        return target(index.row());
    case KindRole:
        return r.kind;
    case PortsRole:
        return QVariant::fromValue(r.ports);
    case HealthyRole:
        return r.healthy;
    }
    return {};
}

QVariant TargetListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return QStringLiteral("Name");
    case KindColumn:
        return QStringLiteral("Kind");
    case StatusColumn:
        return QStringLiteral("Status");
    case ReadyColumn:
        return QStringLiteral("Ready");
    case PortsColumn:
        return QStringLiteral("Ports");
    case WhereColumn:
        return QStringLiteral("IP / node / selector");
    }
    return {};
}

QString TargetListModel::target(int row) const
{
    if (row < 0 || row >= m_rows.size())
        return {};
    const Row &r = m_rows.at(row);
    // A bare name is a pod in the chosen namespace (TargetSpec).
    return r.kind == QLatin1String("pod") ? r.name : r.kind + QLatin1Char('/') + r.name;
}

QList<TargetListModel::Port> TargetListModel::ports(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row).ports : QList<Port>();
}

int TargetListModel::rowOf(const QString &target) const
{
    for (int i = 0; i < m_rows.size(); ++i)
        if (this->target(i) == target)
            return i;
    return -1;
}

} // namespace podtap
