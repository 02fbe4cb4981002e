#pragma once

#include <QJsonObject>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;

namespace podtap {

class DaemonLink;
class PlaceholderStack;
class RequestDiffView;
class RequestFeed;
class RequestFilterModel;
class RequestTableModel;

// The Requests tab: the selected session's HTTP/1.x, HTTP/2 and gRPC requests (protocol,
// method or gRPC call, path, pod and local status with grpc-status, latency, verdict, route)
// with a verdict, method (HTTP or gRPC) and text filter, a per-route strip of the
// comparison counts when the session compares, and the selected request's side-by-side diff.
class RequestsPane : public QWidget
{
    Q_OBJECT

public:
    explicit RequestsPane(DaemonLink *link, QWidget *parent = nullptr);

    void setSession(const QString &id, bool live);
    // The session's summary (its `compare` counts and routes feed the strip).
    void setSummary(const QJsonObject &summary);
    // The strip's text for a summary's `compare` object; empty when nothing was compared.
    static QString routeSummaryHtml(const QJsonObject &compare, int maxRoutes = 4);

    RequestTableModel *model() const { return m_model; }
    RequestFilterModel *filter() const { return m_filter; }
    RequestFeed *feed() const { return m_feed; }
    QTableView *view() const { return m_view; }
    RequestDiffView *diffView() const { return m_diff; }
    QComboBox *verdictFilter() const { return m_verdicts; }
    QComboBox *methodFilter() const { return m_methods; }
    QLabel *routeStrip() const { return m_routes; }

Q_SIGNALS:
    void followStreamRequested(qint64 connection);
    void failed(const QString &message);

private:
    void updateCount();
    void onCurrentChanged();
    void updateMethods();

    RequestTableModel *m_model;
    RequestFilterModel *m_filter;
    RequestFeed *m_feed;
    QTableView *m_view;
    PlaceholderStack *m_stack;
    RequestDiffView *m_diff;
    QLabel *m_routes;
    QLabel *m_count;
    QComboBox *m_verdicts;
    QComboBox *m_methods;
    QLineEdit *m_text;
    QString m_session;
    bool m_live = false;
};

} // namespace podtap
