#include "packettimelinewidget.h"

#include "daemonclient.h"
#include "daemonlink.h"
#include "displayformat.h"

#include <QDateTime>
#include <QJsonArray>
#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace podtap {

namespace {
constexpr int QueryDebounceMs = 120;
constexpr int FollowIntervalMs = 1000;
constexpr qint64 MinSpanNs = 1000;                            // 1 µs: zoom stops there
constexpr qint64 MinFollowSpanNs = 10ll * 1000 * 1000 * 1000; // follow shows ≥ 10 s
constexpr int AxisHeight = 18;
constexpr int PixelsPerBin = 2;

std::vector<qint64> numbers(const QJsonValue &v, int bins)
{
    std::vector<qint64> out(size_t(std::max(bins, 0)));
    const QJsonArray a = v.toArray();
    for (int i = 0; i < bins && i < a.size(); ++i)
        out[size_t(i)] = a.at(i).toInteger();
    return out;
}

qint64 nowNs()
{
    return QDateTime::currentMSecsSinceEpoch() * 1000000;
}

// The hues match the follow-stream pane: client → pod warm, pod → client cool; lightness
// follows the palette so both read on dark themes.
QColor inColour(const QPalette &p)
{
    return p.color(QPalette::Base).lightness() < 128 ? QColor(0xef, 0x9a, 0x9a)
                                                     : QColor(0xc6, 0x28, 0x28);
}
QColor outColour(const QPalette &p)
{
    return p.color(QPalette::Base).lightness() < 128 ? QColor(0x90, 0xca, 0xf9)
                                                     : QColor(0x15, 0x65, 0xc0);
}
} // namespace

PacketTimelineWidget::PacketTimelineWidget(DaemonLink *link, QWidget *parent)
    : QWidget(parent)
    , m_link(link)
{
    setMouseTracking(false);
    setAutoFillBackground(false);
    setToolTip(QStringLiteral("Wheel: zoom · drag: pan · click a bar: list its packets"));
    m_queryTimer.setSingleShot(true);
    m_queryTimer.setInterval(QueryDebounceMs);
    connect(&m_queryTimer, &QTimer::timeout, this, &PacketTimelineWidget::query);
    m_followTimer.setInterval(FollowIntervalMs);
    connect(&m_followTimer, &QTimer::timeout, this, &PacketTimelineWidget::followTick);
}

void PacketTimelineWidget::setSession(const QString &sessionId, bool live)
{
    ++m_generation;
    m_session = sessionId;
    m_connections.clear();
    m_hist = {};
    m_haveView = false;
    m_pending = false;
    m_queryAgain = false;
    m_queryTimer.stop();
    setFollow(live && !sessionId.isEmpty());
    if (!sessionId.isEmpty())
        query();
    update();
}

void PacketTimelineWidget::setConnections(const QList<qint64> &connections)
{
    if (connections == m_connections)
        return;
    m_connections = connections;
    // A selection has its own extent: show all of it.
    m_haveView = false;
    ++m_generation;
    m_pending = false;
    query();
}

void PacketTimelineWidget::setFollow(bool follow)
{
    if (follow == m_follow)
        return;
    m_follow = follow;
    if (follow)
        m_followTimer.start();
    else
        m_followTimer.stop();
    Q_EMIT followChanged(follow);
}

void PacketTimelineWidget::setViewRange(qint64 fromNs, qint64 toNs)
{
    if (toNs - fromNs < MinSpanNs)
        toNs = fromNs + MinSpanNs;
    m_viewFrom = fromNs;
    m_viewTo = toNs;
    m_haveView = true;
    update();
    m_queryTimer.start();
}

void PacketTimelineWidget::zoomAt(int x, double factor)
{
    if (!m_haveView)
        return;
    const double pivot = timeAt(x);
    const double from = pivot - (pivot - double(m_viewFrom)) * factor;
    const double to = pivot + (double(m_viewTo) - pivot) * factor;
    setViewRange(qint64(std::floor(from)), qint64(std::ceil(to)));
}

void PacketTimelineWidget::query()
{
    if (m_session.isEmpty() || !m_link)
        return;
    if (m_pending) {
        m_queryAgain = true; // one answer at a time; the newest view is asked for next
        return;
    }
    m_queryTimer.stop();
    const int bins = std::clamp(plotRect().width() / PixelsPerBin, 16, 4096);
    QJsonObject params{{QStringLiteral("id"), m_session}, {QStringLiteral("bins"), bins}};
    if (m_haveView) {
        params[QLatin1String("fromNs")] = m_viewFrom;
        params[QLatin1String("toNs")] = m_viewTo;
    }
    if (!m_connections.isEmpty()) {
        QJsonArray ids;
        for (const qint64 c : std::as_const(m_connections))
            ids.append(c);
        params[QLatin1String("connections")] = ids;
    }
    m_pending = true;
    ++m_queries;
    const quint64 generation = m_generation;
    DaemonClient(m_link).sessionHistogram(params, this,
                                          [this, generation](const DaemonClient::JsonAnswer &r) {
                                              if (generation != m_generation)
                                                  return;
                                              m_pending = false;
                                              if (r.ok())
                                                  setHistogram(r.value);
                                              if (m_queryAgain) {
                                                  m_queryAgain = false;
                                                  query();
                                              }
                                          });
}

void PacketTimelineWidget::setHistogram(const QJsonObject &h)
{
    Histogram n;
    n.fromNs = h.value(QLatin1String("fromNs")).toInteger();
    n.toNs = h.value(QLatin1String("toNs")).toInteger();
    n.binNs = std::max<qint64>(1, h.value(QLatin1String("binNs")).toInteger(1));
    n.total = h.value(QLatin1String("total")).toInteger();
    n.firstNs = h.value(QLatin1String("firstNs")).toInteger(n.fromNs);
    n.lastNs = h.value(QLatin1String("lastNs")).toInteger(n.toNs);
    const int bins = std::clamp(h.value(QLatin1String("bins")).toInt(), 0, 4096);
    n.in = numbers(h.value(QLatin1String("in")), bins);
    n.out = numbers(h.value(QLatin1String("out")), bins);
    n.other = numbers(h.value(QLatin1String("other")), bins);
    n.bytes = numbers(h.value(QLatin1String("bytes")), bins);
    n.resets = numbers(h.value(QLatin1String("resets")), bins);
    m_hist = std::move(n);
    if (!m_haveView) {
        // The first answer covers everything: show it with a little room on either side.
        const qint64 pad = std::max<qint64>((m_hist.toNs - m_hist.fromNs) / 50, MinSpanNs);
        m_viewFrom = m_hist.fromNs - pad;
        m_viewTo = m_hist.toNs + pad;
        m_haveView = true;
    }
    update();
    Q_EMIT histogramChanged();
}

void PacketTimelineWidget::followTick()
{
    if (!m_follow || m_session.isEmpty() || !m_haveView)
        return;
    const qint64 span = std::max(m_viewTo - m_viewFrom, MinFollowSpanNs);
    const qint64 now = nowNs();
    m_viewFrom = now - span;
    m_viewTo = now;
    update();
    query();
}

QRect PacketTimelineWidget::plotRect() const
{
    return rect().adjusted(4, 16, -4, -AxisHeight);
}

double PacketTimelineWidget::timeAt(int x) const
{
    const QRect r = plotRect();
    const double f = r.width() > 0 ? double(x - r.left()) / r.width() : 0.0;
    return double(m_viewFrom) + f * double(m_viewTo - m_viewFrom);
}

int PacketTimelineWidget::xOfTime(qint64 ns) const
{
    const QRect r = plotRect();
    const double span = double(std::max<qint64>(1, m_viewTo - m_viewFrom));
    return r.left() + int(std::lround(double(ns - m_viewFrom) / span * r.width()));
}

int PacketTimelineWidget::binAt(int x) const
{
    if (m_hist.bins() == 0 || !plotRect().contains(x, plotRect().center().y()))
        return -1;
    const double t = timeAt(x);
    const double i = std::floor((t - double(m_hist.fromNs)) / double(m_hist.binNs));
    return i < 0 || i >= m_hist.bins() ? -1 : int(i);
}

QPair<qint64, qint64> PacketTimelineWidget::binRange(int bin) const
{
    const qint64 from = m_hist.fromNs + qint64(bin) * m_hist.binNs;
    // The last bin ends at toNs (the daemon clamps the remainder into it).
    const qint64 to = bin == m_hist.bins() - 1 ? m_hist.toNs : from + m_hist.binNs - 1;
    return {from, to};
}

void PacketTimelineWidget::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const QPalette pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    const QRect plot = plotRect();
    p.setPen(pal.color(QPalette::Mid));
    p.drawLine(plot.bottomLeft(), plot.bottomRight());
    p.setPen(pal.color(QPalette::Text));
    if (m_session.isEmpty()) {
        p.drawText(rect(), Qt::AlignCenter, QStringLiteral("No session selected"));
        return;
    }
    if (!m_haveView) {
        p.drawText(rect(), Qt::AlignCenter, QStringLiteral("Loading packets…"));
        return;
    }
    qint64 peak = 1;
    for (int i = 0; i < m_hist.bins(); ++i)
        peak = std::max(peak,
                        m_hist.in[size_t(i)] + m_hist.out[size_t(i)] + m_hist.other[size_t(i)]);
    const double scale = double(plot.height()) / double(peak);
    const QColor in = inColour(pal);
    const QColor out = outColour(pal);
    const QColor other = pal.color(QPalette::Mid);
    const QColor reset(0xff, 0x8f, 0x00); // amber: apart from both directions' hues
    for (int i = 0; i < m_hist.bins(); ++i) {
        const qint64 n = m_hist.in[size_t(i)] + m_hist.out[size_t(i)] + m_hist.other[size_t(i)];
        if (n == 0 && m_hist.resets[size_t(i)] == 0)
            continue;
        const qint64 t0 = m_hist.fromNs + qint64(i) * m_hist.binNs;
        const int x0 = xOfTime(t0);
        const int x1 = std::max(x0 + 1, xOfTime(t0 + m_hist.binNs) - (m_hist.bins() < 200 ? 1 : 0));
        if (x1 < plot.left() || x0 > plot.right())
            continue;
        int y = plot.bottom();
        const auto bar = [&](qint64 count, const QColor &c) {
            if (count <= 0)
                return;
            const int h = std::max(1, int(std::lround(double(count) * scale)));
            p.fillRect(QRect(x0, y - h + 1, x1 - x0, h), c);
            y -= h;
        };
        bar(m_hist.in[size_t(i)], in);
        bar(m_hist.out[size_t(i)], out);
        bar(m_hist.other[size_t(i)], other);
        if (m_hist.resets[size_t(i)] > 0) {
            // A small downward triangle above the bar.
            const int cx = (x0 + x1) / 2;
            const QPoint tri[3]
                    = {{cx - 4, plot.top() - 10}, {cx + 4, plot.top() - 10}, {cx, plot.top() - 3}};
            p.setPen(Qt::NoPen);
            p.setBrush(reset);
            p.drawPolygon(tri, 3);
        }
    }
    // Axis: both ends' times and the span; the legend and total at the top.
    p.setPen(pal.color(QPalette::Text));
    const QRect axis(plot.left(), plot.bottom() + 2, plot.width(), AxisHeight - 2);
    p.drawText(axis, Qt::AlignLeft | Qt::AlignVCenter, DisplayFormat::timeOfDay(m_viewFrom));
    p.drawText(axis, Qt::AlignRight | Qt::AlignVCenter, DisplayFormat::timeOfDay(m_viewTo));
    p.drawText(axis, Qt::AlignHCenter | Qt::AlignVCenter,
               DisplayFormat::duration(m_viewTo - m_viewFrom)
                       + (m_follow ? QStringLiteral(" · following") : QString()));
    const QRect top(plot.left(), 0, plot.width(), 15);
    p.drawText(top, Qt::AlignLeft | Qt::AlignVCenter,
               QStringLiteral("%1 packets · peak %2 per %3")
                       .arg(DisplayFormat::count(m_hist.total), DisplayFormat::count(peak),
                            DisplayFormat::duration(m_hist.binNs)));
    const QFontMetrics fm(font());
    int x = plot.right();
    const auto legend = [&](const QString &text, const QColor &c) {
        x -= fm.horizontalAdvance(text);
        p.setPen(pal.color(QPalette::Text));
        p.drawText(QRect(x, 0, fm.horizontalAdvance(text), 15), Qt::AlignVCenter, text);
        x -= 12;
        p.fillRect(QRect(x, 4, 9, 9), c);
        x -= 10;
    };
    legend(QStringLiteral("reset"), reset);
    legend(QStringLiteral("pod → client"), out);
    legend(QStringLiteral("client → pod"), in);
}

void PacketTimelineWidget::wheelEvent(QWheelEvent *event)
{
    const int steps = event->angleDelta().y();
    if (steps == 0 || !m_haveView) {
        event->ignore();
        return;
    }
    setFollow(false); // the user took the view
    zoomAt(int(event->position().x()), std::pow(0.8, double(steps) / 120.0));
    event->accept();
}

void PacketTimelineWidget::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return QWidget::mousePressEvent(event);
    m_pressed = true;
    m_dragged = false;
    m_pressPos = event->position().toPoint();
    m_pressFrom = m_viewFrom;
    m_pressTo = m_viewTo;
}

void PacketTimelineWidget::mouseMoveEvent(QMouseEvent *event)
{
    if (!m_pressed || !m_haveView)
        return;
    const int dx = event->position().toPoint().x() - m_pressPos.x();
    if (!m_dragged && std::abs(dx) < 4)
        return;
    if (!m_dragged)
        setFollow(false);
    m_dragged = true;
    const double perPixel = double(m_pressTo - m_pressFrom) / std::max(1, plotRect().width());
    const qint64 shift = qint64(std::llround(-dx * perPixel));
    setViewRange(m_pressFrom + shift, m_pressTo + shift);
}

void PacketTimelineWidget::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton || !m_pressed)
        return QWidget::mouseReleaseEvent(event);
    m_pressed = false;
    if (m_dragged)
        return;
    const int bin = binAt(event->position().toPoint().x());
    if (bin < 0)
        return;
    const auto [from, to] = binRange(bin);
    Q_EMIT binClicked(from, to);
}

void PacketTimelineWidget::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    if (m_haveView)
        m_queryTimer.start(); // more or fewer pixels: bins to match
}

} // namespace podtap
