#pragma once

#include <QAbstractTableModel>
#include <QJsonObject>
#include <QList>

namespace podtap {

// The pods, workloads and services of one namespace as the daemon's kube.targets lists
// them, one row each, for the target picker: what it is, its status, and the ports a tap
// could be offered (container ports from the spec; a Service's own ports).
class TargetListModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        NameColumn,
        KindColumn,
        StatusColumn,
        ReadyColumn,
        PortsColumn,
        WhereColumn,
        ColumnCount
    };
    enum Role {
        TargetRole = Qt::UserRole + 1, // what session.start takes: "web", "deployment/api", …
        KindRole,                      // pod, deployment, statefulset, service
        PortsRole,                     // QList<Port> as QVariant
        HealthyRole,                   // bool: running and ready (pods), all replicas ready
    };
    struct Port
    {
        int port = 0;
        QString label; // "8080 http (app)", "80 http → 8080"
    };

    explicit TargetListModel(QObject *parent = nullptr);

    // A kube.targets result; replaces every row.
    void setTargets(const QJsonObject &result);
    void clear();

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    QString target(int row) const;
    QList<Port> ports(int row) const;
    // The row of `target` ("web", "deployment/api"), or -1.
    int rowOf(const QString &target) const;

private:
    struct Row
    {
        QString kind;
        QString name;
        QString status;
        QString ready;
        bool healthy = false;
        QString where;
        QList<Port> ports;
    };
    QList<Row> m_rows;
};

} // namespace podtap

Q_DECLARE_METATYPE(podtap::TargetListModel::Port)
