#pragma once

#include <QElapsedTimer>
#include <QJsonObject>
#include <QList>
#include <QPointer>
#include <QTimer>
#include <QWidget>

#include <vector>

namespace podtap {

class DaemonLink;

// Packets over time for a session (or some of its connections), painted as stacked bars per
// time bin: client → pod below, pod → client above, untracked on top, a red mark on bins with
// a reset. The daemon bins its index (session.histogram), so a million packets cost one small
// answer and painting is O(bins). Wheel zooms around the cursor, dragging pans, both ask again
// (debounced) for bins at the new resolution; follow mode keeps the right edge at now while
// the session runs. Clicking a bin emits its time range. Retransmissions and gaps are not in
// the daemon's index, so they are not marked here (the connection table counts them).
class PacketTimelineWidget : public QWidget
{
    Q_OBJECT

public:
    struct Histogram
    {
        qint64 fromNs = 0;
        qint64 toNs = 0;
        qint64 binNs = 1;
        qint64 total = 0;
        qint64 firstNs = 0;
        qint64 lastNs = 0;
        std::vector<qint64> in, out, other, bytes, resets;
        int bins() const { return int(in.size()); }
    };

    explicit PacketTimelineWidget(DaemonLink *link, QWidget *parent = nullptr);

    // Shows `sessionId` (empty = nothing), all of it; `live` starts follow mode.
    void setSession(const QString &sessionId, bool live);
    void setConnections(const QList<qint64> &connections);
    void setFollow(bool follow);
    bool isFollowing() const { return m_follow; }
    // The visible time range; asks for bins at that resolution (debounced).
    void setViewRange(qint64 fromNs, qint64 toNs);
    qint64 viewFrom() const { return m_viewFrom; }
    qint64 viewTo() const { return m_viewTo; }
    // Zooms by `factor` (< 1 = in) around the time at x.
    void zoomAt(int x, double factor);

    // A session.histogram answer (also how benchmarks feed it).
    void setHistogram(const QJsonObject &histogram);
    const Histogram &histogram() const { return m_hist; }
    bool isLoading() const { return m_pending || m_queryTimer.isActive(); }
    int queries() const { return m_queries; }
    // The bin under x, -1 for none; a bin's time range [from, to] (inclusive).
    int binAt(int x) const;
    QPair<qint64, qint64> binRange(int bin) const;
    int xOfTime(qint64 ns) const;

    QSize sizeHint() const override { return {600, 160}; }
    QSize minimumSizeHint() const override { return {200, 80}; }

Q_SIGNALS:
    void binClicked(qint64 fromNs, qint64 toNs);
    void histogramChanged();
    void followChanged(bool follow);

protected:
    void paintEvent(QPaintEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void query();
    void followTick();
    QRect plotRect() const;
    double timeAt(int x) const;

    QPointer<DaemonLink> m_link;
    QString m_session;
    QList<qint64> m_connections;
    Histogram m_hist;
    qint64 m_viewFrom = 0;
    qint64 m_viewTo = 0;
    bool m_haveView = false;
    bool m_follow = false;
    bool m_pending = false;
    bool m_queryAgain = false;
    int m_queries = 0;
    quint64 m_generation = 0;
    QTimer m_queryTimer;  // debounce of zoom/pan
    QTimer m_followTimer; // follow mode's refresh
    // Drag state.
    bool m_pressed = false;
    bool m_dragged = false;
    QPoint m_pressPos;
    qint64 m_pressFrom = 0;
    qint64 m_pressTo = 0;
};

} // namespace podtap
