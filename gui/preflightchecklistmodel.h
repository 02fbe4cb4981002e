#pragma once

#include <QAbstractTableModel>
#include <QJsonObject>
#include <QList>

namespace podtap {

// The daemon's kube.preflight answer as a checklist: one row per check (per pod when a
// workload has several), with its status (ok / warn / fail), why, and what to ask a
// cluster admin for.
class PreflightChecklistModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { StatusColumn, CheckColumn, WhyColumn, AskColumn, ColumnCount };
    enum class Status { Ok, Warn, Fail };
    enum Role { StatusRole = Qt::UserRole + 1, IdRole };

    explicit PreflightChecklistModel(QObject *parent = nullptr);

    // A kube.preflight result; replaces every row.
    void setReport(const QJsonObject &result);
    void clear();

    int fails() const { return m_fails; }
    int warnings() const { return m_warnings; }
    bool isEmpty() const { return m_rows.isEmpty(); }
    // Every distinct "ask your admin for" text, one per line (what the user copies).
    QString askText() const;
    // "title: why" of every failed, then warned, check (what the verdict spells out in full).
    QStringList problems() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    struct Row
    {
        QString id;
        QString title;
        Status status = Status::Ok;
        QString why;
        QString ask;
    };
    QList<Row> m_rows;
    int m_fails = 0;
    int m_warnings = 0;
};

} // namespace podtap
