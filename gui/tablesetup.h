#pragma once

class QTableView;

namespace podtap {

// How the app's big tables are set up (sessions, connections): row selection, sorting, and
// fixed row heights with interactive columns, so nothing is measured over every row. The GUI
// benchmark uses it too, so that it measures the tables the window shows.
class TableSetup
{
public:
    static void apply(QTableView *view);
    // The connections table's HTTP columns (requests, first request, last status): shown once
    // a connection was HTTP, hidden otherwise (a database's connections have none).
    static void showHttpColumns(QTableView *view, bool shown);
};

} // namespace podtap
