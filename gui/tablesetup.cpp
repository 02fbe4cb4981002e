#include "tablesetup.h"

#include "connectiontablemodel.h"

#include <QHeaderView>
#include <QTableView>

namespace podtap {

void TableSetup::apply(QTableView *view)
{
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSortingEnabled(true);
    view->setAlternatingRowColors(true);
    view->setWordWrap(false);
    view->verticalHeader()->hide();
    // Fixed row heights and interactive columns: nothing is measured over every row.
    view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 6);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setHighlightSections(false);
}

void TableSetup::showHttpColumns(QTableView *view, bool shown)
{
    QHeaderView *header = view->horizontalHeader();
    for (int c = ConnectionTableModel::HttpRequests; c <= ConnectionTableModel::LastStatus; ++c)
        if (header->isSectionHidden(c) == shown) // no relayout when nothing changes
            header->setSectionHidden(c, !shown);
}

} // namespace podtap
