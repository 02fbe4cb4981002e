#include "requestfiltermodel.h"

#include "requesttablemodel.h"

namespace podtap {

RequestFilterModel::RequestFilterModel(RequestTableModel *source, QObject *parent)
    : QSortFilterProxyModel(parent)
    , m_source(source)
{
    setSourceModel(source);
    setSortRole(RequestTableModel::SortRole);
    setDynamicSortFilter(true);
}

void RequestFilterModel::setTextFilter(const QString &text)
{
    const QString trimmed = text.trimmed();
    if (trimmed == m_text)
        return;
    m_text = trimmed;
    // One re-map (a layout change) instead of many removals and insertions.
    invalidate();
}

void RequestFilterModel::setVerdictFilter(const QString &group)
{
    if (group == m_verdict)
        return;
    m_verdict = group;
    invalidate();
}

void RequestFilterModel::setMethodFilter(const QString &method)
{
    if (method == m_method)
        return;
    m_method = method;
    invalidate();
}

bool RequestFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &) const
{
    if (!m_source->methodMatches(sourceRow, m_method))
        return false;
    if (!m_verdict.isEmpty()) {
        const QString verdict = m_source->verdictOf(sourceRow);
        if (m_verdict == QLatin1String("none")
                    ? !verdict.isEmpty()
                    : verdict.isEmpty() || RequestTableModel::verdictGroup(verdict) != m_verdict)
            return false;
    }
    return m_source->matches(sourceRow, m_text);
}

bool RequestFilterModel::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    return m_source->lessThan(left.row(), right.row(), left.column());
}

} // namespace podtap
