// The GUI's big tables and the packet timeline under load, on the UI thread as the app runs
// them (QTableView shown, offscreen platform):
//
//   podtap-bench-gui [--connections N] [--packets M] [--conn-batch B] [--packet-batch P] [--small]
//
// Phases, each timed per batch (avg / p99 / worst) while a 5 ms QTimer heartbeat measures
// the worst UI-thread stall (the longest gap between two heartbeats beyond their interval,
// batches and the repaints they cause included; building the input is not counted):
//   connections/bare    N connections into ConnectionTableModel alone (the baseline)
//   connections/view    the same into ConnectionTableModel + ConnectionFilterModel (sorted by
//                       bytes out, as a user leaves it) + a shown QTableView
//   packets/view        M packets into PacketListModel + a shown QTableView, in pages as
//                       session.packets returns them
//   timeline            M packets binned into 4,096-bin histograms (as session.histogram
//                       answers), set on a shown PacketTimelineWidget and repainted
// Ratios against the bare model are printed; the target is no stall over 50 ms.

#include "connectionfiltermodel.h"
#include "connectiontablemodel.h"
#include "packetlistmodel.h"
#include "packettimelinewidget.h"
#include "tablesetup.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonObject>
#include <QTableView>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace podtap;

namespace {

struct Options
{
    int connections = 100000;
    qint64 packets = 1000000;
    int connBatch = 1000;
    int packetBatch = PacketListModel::PageSize; // as the app pages session.packets
};

// The UI thread's heartbeat: the worst gap between ticks beyond the interval.
class Heartbeat
{
public:
    static constexpr int IntervalMs = 5;
    Heartbeat()
    {
        m_timer.setInterval(IntervalMs);
        m_timer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] { tick(); });
        m_clock.start();
        m_timer.start();
    }
    // Input building is the bench's own work, not the app's: the next gap starts now.
    void restart() { m_last = m_clock.nsecsElapsed(); }
    void resetWorst() { m_worstNs = 0; }
    double worstMs() const { return double(m_worstNs) / 1e6; }

private:
    void tick()
    {
        const qint64 now = m_clock.nsecsElapsed();
        if (m_last > 0)
            m_worstNs = std::max(m_worstNs, now - m_last - qint64(IntervalMs) * 1000000);
        m_last = now;
    }
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = 0;
    qint64 m_worstNs = 0;
};

struct Stats
{
    double avg = 0, p99 = 0, worst = 0, total = 0;
    static Stats of(std::vector<double> v)
    {
        Stats s;
        if (v.empty())
            return s;
        std::sort(v.begin(), v.end());
        for (const double x : v)
            s.total += x;
        s.avg = s.total / double(v.size());
        s.p99 = v[std::min(v.size() - 1, size_t(double(v.size()) * 0.99))];
        s.worst = v.back();
        return s;
    }
};

// Lets the view paint and the heartbeat tick between batches, as between two daemon pages.
void breathe(int ms)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms)
        QCoreApplication::processEvents(QEventLoop::AllEvents, ms);
}

QJsonArray connectionBatch(int first, int count)
{
    QJsonArray out;
    for (int i = first; i < first + count; ++i) {
        // Deterministic but unordered byte counts, so a sorted view inserts everywhere.
        const qint64 mix = (qint64(i) * 2654435761ll) % 1000003;
        out.append(QJsonObject{
                {QStringLiteral("id"), qint64(i) + 1},
                {QStringLiteral("client"), QStringLiteral("10.%1.%2.%3:%4")
                                                   .arg((i >> 16) & 255)
                                                   .arg((i >> 8) & 255)
                                                   .arg(i & 255)
                                                   .arg(30000 + i % 30000)},
                {QStringLiteral("state"), QStringLiteral("Closed")},
                {QStringLiteral("closeReason"), QStringLiteral("fin")},
                {QStringLiteral("firstNs"), 1700000000000000000ll + qint64(i) * 1000000},
                {QStringLiteral("lastNs"), 1700000000000000000ll + qint64(i) * 1000000 + mix},
                {QStringLiteral("c2s"), QJsonObject{{QStringLiteral("packets"), 5},
                                                    {QStringLiteral("bytes"), mix % 5000}}},
                {QStringLiteral("s2c"),
                 QJsonObject{{QStringLiteral("packets"), 5}, {QStringLiteral("bytes"), mix}}}});
    }
    return out;
}

QJsonArray packetBatch(qint64 first, int count)
{
    QJsonArray out;
    for (qint64 n = first; n < first + count; ++n)
        out.append(QJsonObject{{QStringLiteral("n"), n},
                               {QStringLiteral("ts"), 1700000000000000000ll + n * 20000},
                               {QStringLiteral("connection"), n / 10 + 1},
                               {QStringLiteral("direction"), int(n % 2)},
                               {QStringLiteral("length"), 60 + n % 1400},
                               {QStringLiteral("flags"), 0x18}});
    return out;
}

struct PhaseResult
{
    Stats batch;
    double stallMs = 0;
    int batches = 0;
};

void print(const char *name, const PhaseResult &r, const char *unit, double perBatch)
{
    std::printf("%-20s %5d batches of %8.0f %s: avg %7.2f ms  p99 %7.2f ms  worst %7.2f ms  "
                "total %8.1f ms  worst UI stall %7.2f ms\n",
                name, r.batches, perBatch, unit, r.batch.avg, r.batch.p99, r.batch.worst,
                r.batch.total, r.stallMs);
}

template<typename Build, typename Insert>
PhaseResult runPhase(Heartbeat &hb, qint64 total, int batchSize, Build build, Insert insert)
{
    std::vector<double> times;
    hb.resetWorst();
    for (qint64 at = 0; at < total; at += batchSize) {
        const int n = int(std::min<qint64>(batchSize, total - at));
        auto input = build(at, n);
        hb.restart();
        QElapsedTimer t;
        t.start();
        insert(input);
        times.push_back(double(t.nsecsElapsed()) / 1e6);
        breathe(10);
    }
    PhaseResult r;
    r.batch = Stats::of(times);
    r.stallMs = hb.worstMs();
    r.batches = int(times.size());
    return r;
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    Options o;
    const QStringList args = app.arguments();
    for (int i = 1; i < args.size(); ++i) {
        const QString a = args.at(i);
        const auto next = [&] {
            if (i + 1 >= args.size()) {
                std::fprintf(stderr, "podtap-bench-gui: %s needs a value\n", qPrintable(a));
                std::exit(2);
            }
            return args.at(++i).toLongLong();
        };
        if (a == QLatin1String("--connections"))
            o.connections = int(next());
        else if (a == QLatin1String("--packets"))
            o.packets = next();
        else if (a == QLatin1String("--conn-batch"))
            o.connBatch = std::max(1, int(next()));
        else if (a == QLatin1String("--packet-batch"))
            o.packetBatch = std::max(1, int(next()));
        else if (a == QLatin1String("--small")) {
            o.connections = 10000;
            o.packets = 100000;
        } else {
            std::fprintf(stderr, "usage: podtap-bench-gui [--connections N] [--packets M] "
                                 "[--conn-batch B] [--packet-batch P] [--small]\n");
            return 2;
        }
    }
    std::printf("podtap-bench-gui: %d connections in batches of %d, %lld packets in pages of "
                "%d, platform %s\n",
                o.connections, o.connBatch, o.packets, o.packetBatch,
                qPrintable(QGuiApplication::platformName()));
    Heartbeat hb;
    bool countsMatch = true;

    // Baseline: the model alone.
    PhaseResult bare;
    {
        ConnectionTableModel model;
        bare = runPhase(hb, o.connections, o.connBatch, connectionBatch,
                        [&](const QJsonArray &a) { model.appendConnections(a); });
        countsMatch = countsMatch && model.rowCount() == o.connections;
    }
    print("connections/bare", bare, "rows", o.connBatch);

    // As the window shows them: sorted through the proxy, in a view.
    PhaseResult view;
    {
        ConnectionTableModel model;
        ConnectionFilterModel filter(&model);
        QTableView table;
        podtap::TableSetup::apply(&table);
        table.setModel(&filter);
        table.sortByColumn(ConnectionTableModel::BytesOut, Qt::DescendingOrder);
        table.resize(1200, 700);
        table.show();
        breathe(50);
        view = runPhase(hb, o.connections, o.connBatch, connectionBatch,
                        [&](const QJsonArray &a) { model.appendConnections(a); });
        countsMatch = countsMatch && filter.rowCount() == o.connections;
    }
    print("connections/view", view, "rows", o.connBatch);

    PhaseResult packets;
    {
        PacketListModel model(nullptr);
        QTableView table;
        podtap::TableSetup::apply(&table);
        table.setModel(&model);
        table.resize(1200, 700);
        table.show();
        breathe(50);
        packets = runPhase(hb, o.packets, o.packetBatch, packetBatch, [&](const QJsonArray &a) {
            model.appendEntries(a);
            table.scrollToBottom(); // following the newest page costs the most
        });
        countsMatch = countsMatch && model.rowCount() == o.packets;
    }
    print("packets/view", packets, "rows", o.packetBatch);

    // The timeline: each batch's packets binned (what the daemon does, not timed here) and
    // the answer shown, as follow mode refreshes it.
    PhaseResult timeline;
    {
        PacketTimelineWidget widget(nullptr);
        widget.resize(1200, 200);
        widget.show();
        breathe(50);
        constexpr int Bins = 4096;
        std::vector<qint64> in(Bins), out(Bins);
        qint64 binned = 0;
        timeline = runPhase(
                hb, o.packets, o.packetBatch,
                [&](qint64 first, int n) {
                    for (qint64 p = first; p < first + n; ++p)
                        ++(p % 2 ? out : in)[size_t(p * Bins / o.packets)];
                    binned += n;
                    QJsonArray ia, oa, zero;
                    for (int i = 0; i < Bins; ++i) {
                        ia.append(in[size_t(i)]);
                        oa.append(out[size_t(i)]);
                        zero.append(0);
                    }
                    return QJsonObject{{QStringLiteral("fromNs"), 0},
                                       {QStringLiteral("toNs"), qint64(Bins) * 1000 - 1},
                                       {QStringLiteral("binNs"), 1000},
                                       {QStringLiteral("bins"), Bins},
                                       {QStringLiteral("total"), binned},
                                       {QStringLiteral("in"), ia},
                                       {QStringLiteral("out"), oa},
                                       {QStringLiteral("other"), zero},
                                       {QStringLiteral("bytes"), zero},
                                       {QStringLiteral("resets"), zero}};
                },
                [&](const QJsonObject &h) {
                    widget.setHistogram(h);
                    widget.repaint(); // the paint is part of the cost
                });
        countsMatch = countsMatch && widget.histogram().total == o.packets;
    }
    print("timeline", timeline, "packets", o.packetBatch);

    const double worstStall
            = std::max({view.stallMs, packets.stallMs, timeline.stallMs, bare.stallMs});
    std::printf("view/bare per-batch ratio %.2f (avg), %.2f (worst)\n",
                bare.batch.avg > 0 ? view.batch.avg / bare.batch.avg : 0.0,
                bare.batch.worst > 0 ? view.batch.worst / bare.batch.worst : 0.0);
    std::printf("worst UI-thread stall %.1f ms: target (no stall > 50 ms) %s\n", worstStall,
                worstStall <= 50.0 ? "met" : "MISSED");
    if (!countsMatch) {
        std::printf("benchmark failed: row counts do not match what was inserted\n");
        return 1;
    }
    std::printf("benchmark ran: row counts match\n");
    return 0;
}
