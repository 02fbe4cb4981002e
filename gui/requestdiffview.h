#pragma once

#include <QJsonObject>
#include <QWidget>

class QLabel;
class QPushButton;
class QTextBrowser;

namespace podtap {

// One request's pod answer beside the local one (mirror --compare), showing only what podtap
// knows: status lines, latencies, the header names that differed (highlighted), the body's
// differing JSON paths or the comparator's reason. Header values and bodies are not stored
// (only hashes and paths), and it says so; "Follow stream" opens the pod side's bytes (the
// connection's reassembled stream in the packet pane).
class RequestDiffView : public QWidget
{
    Q_OBJECT

public:
    explicit RequestDiffView(QWidget *parent = nullptr);

    // A row as RequestTableModel::requestAt gives it; empty: nothing selected.
    void setRequest(const QJsonObject &request);
    const QJsonObject &request() const { return m_request; }

    // The two sides as HTML (what the panes show).
    static QString podHtml(const QJsonObject &request);
    static QString localHtml(const QJsonObject &request);
    static QString verdictSummary(const QJsonObject &request);

    QTextBrowser *podPane() const { return m_pod; }
    QTextBrowser *localPane() const { return m_local; }
    QPushButton *followButton() const { return m_follow; }

Q_SIGNALS:
    void followStreamRequested(qint64 connection);

private:
    QJsonObject m_request;
    QLabel *m_title;
    QLabel *m_verdict;
    QTextBrowser *m_pod;
    QTextBrowser *m_local;
    QLabel *m_note;
    QPushButton *m_follow;
};

} // namespace podtap
