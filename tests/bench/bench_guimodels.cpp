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
//   packets/page        M packets arriving into the windowed PacketListModel + a shown
//                       QTableView following the newest row, one poll per batch
//   timeline            M packets binned into 4,096-bin histograms (as session.histogram
//                       answers), set on a shown PacketTimelineWidget and repainted
// Then the live load, each phase timed by the heartbeat alone, 3 runs, medians printed:
//   idle                the window (connection table + packet list) shown, nothing arriving:
//                       the baseline of the same run
//   live                10k new connections/s (batches every 100 ms) into the connection
//                       table while 100k packets/s arrive in the packet list, which follows
//                       the newest row as a running session's does
//   scroll              the packet list over 10 M stored packets, scrolled at 60 Hz (page
//                       steps and jumps anywhere, as a dragged scroll bar does); pages are
//                       answered 2 ms later, as the daemon's session.rows would
// The packet list's rows come from a source computing them (PacketListModel::setFetcher),
// built on the UI thread: what parsing the daemon's JSON page would cost is counted.
// With --daemon SOCKET --stored-session ID (not --session: QApplication takes that one),
// the packet list is also fed by a real podtapd (session.rows) and scrolled the same way,
// unfiltered and filtered to one direction.
// Ratios against the bare model and the idle window are printed; the target is no stall over
// 50 ms.

#include "connectionfiltermodel.h"
#include "connectiontablemodel.h"
#include "daemonlink.h"
#include "packetlistmodel.h"
#include "packettimelinewidget.h"
#include "tablesetup.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonObject>
#include <QScrollBar>
#include <QTableView>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

using namespace podtap;

namespace {

struct Options
{
    int connections = 100000;
    qint64 packets = 1000000;
    int connBatch = 1000;
    int packetBatch = 2000; // packets per poll of a running session
    int seconds = 3;        // each live phase
    qint64 stored = 10'000'000;
    int runs = 3;
    QString daemonSocket; // with --stored-session: also scroll a real podtapd's stored session
    QString session;
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

// A stored session made of arithmetic, answered like session.rows `delayMs` later.
struct SyntheticStore
{
    qint64 total = 0;
    int delayMs = 0;
    PacketListModel::Fetcher fetcher()
    {
        return [this](const PacketListModel::Query &q, QObject *context,
                      PacketListModel::Done done) {
            QTimer::singleShot(delayMs, context, [this, q, done] {
                PacketListModel::Page p;
                p.total = total;
                p.offset = q.offset;
                const qint64 end = std::min(total, q.offset + q.count);
                p.rows.reserve(size_t(std::max<qint64>(0, end - q.offset)));
                for (qint64 n = q.offset; n < end; ++n) {
                    PacketListModel::Row r;
                    r.number = n;
                    r.tsNs = 1700000000000000000ll + n * 10000;
                    r.connection = n / 10 + 1;
                    r.direction = quint8(n % 2);
                    r.length = quint32(60 + n % 1400);
                    r.flags = 0x18;
                    r.info = QStringLiteral("40000 → 8080 [PSH, ACK] Seq=%1 Ack=%2 Win=502 Len=%3")
                                     .arg(n * 1400)
                                     .arg(n * 7)
                                     .arg(n % 1400);
                    p.rows.push_back(std::move(r));
                }
                done(p);
            });
        };
    }
};

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

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

// Scrolls `view` at 60 Hz for `seconds`: three page steps, then a jump anywhere (a dragged
// scroll bar). Returns the worst UI stall.
double scrollPhase(Heartbeat &hb, QTableView &view, int seconds, unsigned seed)
{
    QScrollBar *bar = view.verticalScrollBar();
    std::mt19937 rng(seed);
    int step = 0;
    QTimer scroll;
    scroll.setTimerType(Qt::PreciseTimer);
    scroll.setInterval(16);
    QObject::connect(&scroll, &QTimer::timeout, &scroll, [&] {
        if (++step % 4 == 0)
            bar->setValue(std::uniform_int_distribution<int>(0, bar->maximum())(rng));
        else
            bar->setValue(bar->value() + bar->pageStep());
    });
    hb.restart();
    hb.resetWorst();
    scroll.start();
    breathe(seconds * 1000);
    scroll.stop();
    return hb.worstMs();
}

// The packet list fed by a real podtapd (session.rows over its socket), scrolled as above,
// unfiltered and filtered to one direction (a view the daemon builds over the whole index).
// Returns false with a message when the daemon or the session is not there.
bool daemonRuns(Heartbeat &hb, const Options &o, const QString &socket, const QString &session,
                double *worstMedian)
{
    DaemonLink::Options lo;
    lo.socketPath = socket;
    lo.startDaemon = false;
    lo.clientName = QStringLiteral("podtap-bench-gui");
    DaemonLink link(lo);
    link.start();
    QElapsedTimer wait;
    wait.start();
    while (!link.isConnected() && wait.elapsed() < 10000)
        breathe(20);
    if (!link.isConnected()) {
        std::printf("daemon: no podtapd answers on %s\n", qPrintable(socket));
        return false;
    }
    for (const int direction : {-1, 0}) {
        std::vector<double> stalls;
        qint64 rows = 0;
        double firstCountMs = 0, countMs = 0;
        for (int run = 0; run < o.runs; ++run) {
            PacketListModel packets(&link);
            QTableView view;
            podtap::TableSetup::apply(&view);
            view.setModel(&packets);
            view.resize(1200, 700);
            view.show();
            PacketListModel::Filter f;
            f.direction = direction;
            QString error;
            QObject::connect(&packets, &PacketListModel::failed, &packets,
                             [&error](const QString &m) { error = m; });
            wait.restart();
            packets.setSource(session, f);
            while (!packets.isCounted() && wait.elapsed() < 120000)
                breathe(5);
            countMs = double(wait.elapsed());
            if (run == 0)
                firstCountMs = countMs;
            if (!error.isEmpty() || packets.rowCount() == 0) {
                std::printf("daemon: session %s: %s\n", qPrintable(session),
                            error.isEmpty() ? "no packets" : qPrintable(error));
                return false;
            }
            rows = packets.rowCount();
            stalls.push_back(scrollPhase(hb, view, o.seconds, 99u + unsigned(run)));
            wait.restart();
            while (packets.isLoading() && wait.elapsed() < 10000)
                breathe(10);
            const int top = view.rowAt(0);
            if (top < 0 || packets.packetNumber(top) < 0) {
                std::printf("daemon: the rows shown were not loaded\n");
                return false;
            }
        }
        std::printf("daemon %s: %lld rows (counted in %.0f ms, then %.0f ms with the view "
                    "cached), scroll worst UI stall median of %d %.2f ms\n",
                    direction < 0 ? "unfiltered" : "direction 0", rows, firstCountMs, countMs,
                    o.runs, median(stalls));
        *worstMedian = std::max(*worstMedian, median(stalls));
    }
    return true;
}

struct LiveRun
{
    double idle = 0, live = 0, scroll = 0;
    bool ok = true;
};

// One run of the live phases (see the top of the file) in one window-like pair of views.
LiveRun liveRun(Heartbeat &hb, const Options &o, unsigned seed)
{
    LiveRun r;
    ConnectionTableModel connections;
    ConnectionFilterModel filter(&connections);
    QTableView connectionView;
    podtap::TableSetup::apply(&connectionView);
    connectionView.setModel(&filter);
    connectionView.sortByColumn(ConnectionTableModel::BytesOut, Qt::DescendingOrder);
    connectionView.resize(1200, 400);
    connectionView.show();
    SyntheticStore store;
    store.delayMs = 2;
    PacketListModel packets(nullptr);
    packets.setFetcher(store.fetcher());
    QTableView packetView;
    podtap::TableSetup::apply(&packetView);
    packetView.setModel(&packets);
    packetView.resize(1200, 400);
    packetView.show();
    bool follow = true;
    QObject::connect(&packets, &QAbstractItemModel::rowsInserted, &packetView, [&] {
        if (follow)
            packetView.scrollToBottom();
    });
    packets.setSource(QStringLiteral("bench"), {}, true);
    breathe(100);

    hb.restart();
    hb.resetWorst();
    breathe(o.seconds * 1000);
    r.idle = hb.worstMs();

    // 10 batches a second: 1,000 connections and 10,000 packets each. The connections'
    // JSON is built before the phase (the daemon's work, not the UI's).
    const int batches = o.seconds * 10;
    std::vector<QJsonArray> input;
    for (int b = 0; b < batches + 2; ++b)
        input.push_back(connectionBatch(b * 1000, 1000));
    int fed = 0;
    QTimer feed;
    feed.setTimerType(Qt::PreciseTimer);
    feed.setInterval(100);
    QObject::connect(&feed, &QTimer::timeout, &feed, [&] {
        if (fed >= int(input.size()))
            return;
        connections.appendConnections(input[size_t(fed++)]);
        store.total += 10000;
    });
    hb.restart();
    hb.resetWorst();
    feed.start();
    breathe(o.seconds * 1000);
    feed.stop();
    r.live = hb.worstMs();
    packets.refresh();
    breathe(50);
    QElapsedTimer wait;
    wait.start();
    while ((packets.isLoading() || packets.rowCount() != store.total) && wait.elapsed() < 5000)
        breathe(10);
    r.ok = r.ok && packets.rowCount() == store.total && filter.rowCount() == fed * 1000;

    // 10 M stored packets, scrolled at 60 Hz: three page steps, then a jump anywhere.
    follow = false;
    packets.setLive(false);
    store.total = o.stored;
    packets.refresh();
    wait.restart();
    while (packets.rowCount() != store.total && wait.elapsed() < 5000)
        breathe(10);
    r.scroll = scrollPhase(hb, packetView, o.seconds, seed);
    // What the view shows now is loaded and right.
    wait.restart();
    while (packets.isLoading() && wait.elapsed() < 5000)
        breathe(10);
    const int top = packetView.rowAt(0);
    r.ok = r.ok && packets.rowCount() == o.stored && top >= 0 && packets.packetNumber(top) == top
           && packets.cachedPages() <= PacketListModel::MaxPages;
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
        else if (a == QLatin1String("--seconds"))
            o.seconds = std::max(1, int(next()));
        else if (a == QLatin1String("--stored"))
            o.stored = std::clamp<qint64>(next(), 1, std::numeric_limits<int>::max());
        else if (a == QLatin1String("--runs"))
            o.runs = std::max(1, int(next()));
        else if (a == QLatin1String("--daemon") && i + 1 < args.size())
            o.daemonSocket = args.at(++i);
        else if (a == QLatin1String("--stored-session") && i + 1 < args.size())
            o.session = args.at(++i);
        else if (a == QLatin1String("--small")) {
            o.connections = 10000;
            o.packets = 100000;
            o.seconds = 1;
        } else {
            std::fprintf(
                    stderr,
                    "usage: podtap-bench-gui [--connections N] [--packets M] "
                    "[--conn-batch B] [--packet-batch P] [--seconds S] "
                    "[--stored P] [--runs R] [--daemon SOCKET --stored-session ID] [--small]\n");
            return 2;
        }
    }
    std::printf("podtap-bench-gui: %d connections in batches of %d, %lld packets in polls of "
                "%d, live phases %d s, %d runs, platform %s\n",
                o.connections, o.connBatch, o.packets, o.packetBatch, o.seconds, o.runs,
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

    // New packets arrive by polls: each grows the list by a batch in one insertion.
    PhaseResult packets;
    {
        SyntheticStore store;
        PacketListModel model(nullptr);
        model.setFetcher(store.fetcher());
        QTableView table;
        podtap::TableSetup::apply(&table);
        table.setModel(&model);
        table.resize(1200, 700);
        table.show();
        model.setSource(QStringLiteral("bench"), {});
        breathe(50);
        packets = runPhase(
                hb, o.packets, o.packetBatch, [&](qint64 first, int n) { return first + n; },
                [&](qint64 total) {
                    store.total = total;
                    model.refresh();
                    while (model.isLoading() || model.rowCount() < total)
                        QCoreApplication::processEvents();
                    table.scrollToBottom(); // following the newest page costs the most
                });
        countsMatch = countsMatch && model.rowCount() == o.packets;
    }
    print("packets/page", packets, "rows", o.packetBatch);

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

    std::vector<double> idle, live, scroll;
    for (int run = 0; run < o.runs; ++run) {
        const LiveRun r = liveRun(hb, o, 1234u + unsigned(run));
        std::printf("run %d: idle %.2f ms, live (10k connections/s + 100k packets/s) %.2f ms, "
                    "scroll (%lld packets) %.2f ms worst UI stall\n",
                    run + 1, r.idle, r.live, o.stored, r.scroll);
        idle.push_back(r.idle);
        live.push_back(r.live);
        scroll.push_back(r.scroll);
        countsMatch = countsMatch && r.ok;
    }
    const double idleMedian = median(idle);
    const double liveMedian = median(live);
    const double scrollMedian = median(scroll);
    std::printf("median of %d: worst UI stall idle %.2f ms, live %.2f ms (%.1fx idle), "
                "scroll at %lld packets %.2f ms (%.1fx idle)\n",
                o.runs, idleMedian, liveMedian, idleMedian > 0 ? liveMedian / idleMedian : 0.0,
                o.stored, scrollMedian, idleMedian > 0 ? scrollMedian / idleMedian : 0.0);

    double daemonMedian = 0;
    if (!o.daemonSocket.isEmpty() && !daemonRuns(hb, o, o.daemonSocket, o.session, &daemonMedian))
        countsMatch = false;

    const double worstStall = std::max({view.stallMs, packets.stallMs, timeline.stallMs,
                                        bare.stallMs, liveMedian, scrollMedian, daemonMedian});
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
