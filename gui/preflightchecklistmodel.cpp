#include "preflightchecklistmodel.h"

#include <QApplication>
#include <QJsonArray>
#include <QStyle>

namespace podtap {

PreflightChecklistModel::PreflightChecklistModel(QObject *parent)
    : QAbstractTableModel(parent)
{}

void PreflightChecklistModel::setReport(const QJsonObject &result)
{
    QList<Row> rows;
    int fails = 0;
    int warnings = 0;
    const QJsonArray pods = result.value(QLatin1String("pods")).toArray();
    for (const QJsonValue pod : pods) {
        // Several pods of a workload: say which pod each check is about.
        const QString prefix = pods.size() > 1
                                       ? pod[QLatin1String("pod")].toString() + QStringLiteral(": ")
                                       : QString();
        for (const QJsonValue item : pod[QLatin1String("items")].toArray()) {
            Row r;
            r.id = item[QLatin1String("id")].toString();
            r.title = prefix + item[QLatin1String("title")].toString();
            const QString status = item[QLatin1String("status")].toString();
            r.status = status == QLatin1String("fail")   ? Status::Fail
                       : status == QLatin1String("warn") ? Status::Warn
                                                         : Status::Ok;
            fails += r.status == Status::Fail ? 1 : 0;
            warnings += r.status == Status::Warn ? 1 : 0;
            r.why = item[QLatin1String("why")].toString();
            r.ask = item[QLatin1String("ask")].toString();
            rows.append(r);
        }
    }
    // Failures first, then warnings: what needs the user's attention is on top.
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row &a, const Row &b) { return int(a.status) > int(b.status); });
    beginResetModel();
    m_rows = rows;
    m_fails = fails;
    m_warnings = warnings;
    endResetModel();
}

void PreflightChecklistModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_fails = 0;
    m_warnings = 0;
    endResetModel();
}

QString PreflightChecklistModel::askText() const
{
    QStringList asks;
    for (const Row &r : m_rows)
        if (!r.ask.isEmpty() && !asks.contains(r.ask))
            asks << r.ask;
    return asks.join(QLatin1Char('\n'));
}

QStringList PreflightChecklistModel::problems() const
{
    QStringList out;
    for (const Row &r : m_rows)
        if (r.status != Status::Ok)
            out << r.title + QStringLiteral(": ") + r.why;
    return out;
}

int PreflightChecklistModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int PreflightChecklistModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PreflightChecklistModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows.at(index.row());
    if (role == StatusRole)
        return int(r.status);
    if (role == IdRole)
        return r.id;
    if (role == Qt::DecorationRole && index.column() == StatusColumn) {
        auto *app = qobject_cast<QApplication *>(QCoreApplication::instance());
        if (!app)
            return {};
        return QApplication::style()->standardIcon(
                r.status == Status::Fail   ? QStyle::SP_MessageBoxCritical
                : r.status == Status::Warn ? QStyle::SP_MessageBoxWarning
                                           : QStyle::SP_DialogApplyButton);
    }
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case StatusColumn:
            return r.status == Status::Fail   ? QStringLiteral("fail")
                   : r.status == Status::Warn ? QStringLiteral("warn")
                                              : QStringLiteral("ok");
        case CheckColumn:
            return r.title;
        case WhyColumn:
            return r.why;
        case AskColumn:
            return r.ask;
        }
    }
    return {};
}

QVariant PreflightChecklistModel::headerData(int section, Qt::Orientation orientation,
                                             int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case StatusColumn:
        return QStringLiteral("Status");
    case CheckColumn:
        return QStringLiteral("Check");
    case WhyColumn:
        return QStringLiteral("Why");
    case AskColumn:
        return QStringLiteral("Ask your admin for");
    }
    return {};
}

} // namespace podtap
