#pragma once

#include <QSortFilterProxyModel>

namespace podtap {

class ConnectionTableModel;

// Sorting and the text filter over a ConnectionTableModel: sorts by the raw values (bytes as
// numbers, not as "1.2 KiB"), filters on the record fields without building display strings.
class ConnectionFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT

public:
    explicit ConnectionFilterModel(ConnectionTableModel *source, QObject *parent = nullptr);

    QString textFilter() const { return m_text; }
    void setTextFilter(const QString &text);
    // Sorts the source (which stays sorted as rows arrive); the proxy keeps its order.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    ConnectionTableModel *m_source;
    QString m_text;
};

} // namespace podtap
