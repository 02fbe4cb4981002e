#pragma once

#include <QSortFilterProxyModel>

namespace podtap {

class RequestTableModel;

// Sorting and filtering over a RequestTableModel: by verdict group ("same", "differ",
// "local", "none" = not compared; empty = all), by method (an HTTP method or a gRPC call's
// "pkg.Service/Method" or "Method", as session.requests' `method`) and by text (path, method,
// gRPC call, route, status, grpc-status name, verdict), on the records without building display
// strings; sorts by raw values.
class RequestFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT

public:
    explicit RequestFilterModel(RequestTableModel *source, QObject *parent = nullptr);

    QString textFilter() const { return m_text; }
    void setTextFilter(const QString &text);
    QString verdictFilter() const { return m_verdict; }
    void setVerdictFilter(const QString &group);
    QString methodFilter() const { return m_method; }
    void setMethodFilter(const QString &method);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    RequestTableModel *m_source;
    QString m_text;
    QString m_verdict;
    QString m_method;
};

} // namespace podtap
