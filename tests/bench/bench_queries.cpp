// podtapd's store queries under concurrent clients: threads and answer latency.
//
//   podtap-bench-queries [--podtapd PATH] [--packets N] [--clients C] [--pages P] [--small]
//                        [--dir DIR]
//
// Seeds a store with one stored session of N synthetic TCP packets (100 connections), starts
// the given podtapd on it (a real process: its threads are counted from /proc/PID/task every
// millisecond) and runs, each from C clients at once:
//   pages     P session.rows pages (1,000 rows with Info) of one filtered list per client,
//             all sent at once (what P scrolling packet lists ask for)
//   filters   one new filter per client (a pass over the whole index each)
//   churn     one client changes its filter 40 times without waiting (typing in a filter
//             box): how many answers it waits for and how long until the last one
//   burst     200 pages from one client at once: answered, refused "busy"
// Printed per phase: answers (ok / busy / superseded), p50 / p99 / worst answer latency,
// daemon.status p99 / worst during the phase (another client, every 10 ms), the daemon's
// peak thread count and the distinct threads seen (each short-lived thread is seen at
// least once if it lives ≥ 1 ms). Run it with an older podtapd to compare.

#include "ipc/ipcclient.h"
#include "store/sessionspool.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QProcess>
#include <QSet>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace podtap;

namespace {

constexpr int Connections = 100;

struct Options
{
    QString podtapd = QStringLiteral(PODTAPD_BIN);
    QString dir = QStringLiteral("/tmp/podtap-bench-queries");
    int packets = 2000000;
    int clients = 8;
    int pages = 8;
};

[[noreturn]] void die(const QString &why)
{
    std::fprintf(stderr, "podtap-bench-queries: %s\n", qPrintable(why));
    std::exit(1);
}

void breathe(int ms)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
}

QByteArray frame(int connection, bool toPod, int payload)
{
    QByteArray f(14 + 20 + 20 + payload, 'x');
    auto *b = reinterpret_cast<unsigned char *>(f.data());
    std::memset(b, 0, 54);
    b[12] = 0x08;
    b[14] = 0x45;
    const int ipLen = 40 + payload;
    b[16] = quint8(ipLen >> 8);
    b[17] = quint8(ipLen);
    b[22] = 64;
    b[23] = 6;
    const quint8 client[4] = {10, 0, 1, quint8(connection)};
    const quint8 pod[4] = {10, 0, 0, 2};
    std::memcpy(b + 26, toPod ? client : pod, 4);
    std::memcpy(b + 30, toPod ? pod : client, 4);
    const quint16 src = toPod ? quint16(40000 + connection) : quint16(8080);
    const quint16 dst = toPod ? quint16(8080) : quint16(40000 + connection);
    b[34] = quint8(src >> 8);
    b[35] = quint8(src);
    b[36] = quint8(dst >> 8);
    b[37] = quint8(dst);
    b[46] = 0x50;
    b[47] = 0x10;
    b[48] = 0xff;
    return f;
}

void seed(const QString &store, int packets)
{
    SessionSpool spool;
    PcapWriter::Options wo;
    wo.interfaceDescription = QStringLiteral("pod bench/web, tcp port 8080");
    const auto created
            = spool.create(store + QStringLiteral("/1"),
                           QJsonObject{{QStringLiteral("kind"), QStringLiteral("pod")},
                                       {QStringLiteral("target"), QStringLiteral("bench/web")},
                                       {QStringLiteral("port"), 8080}},
                           {}, wo);
    if (!created)
        die(created.error());
    QList<QByteArray> frames;
    for (int c = 0; c < Connections; ++c)
        for (int dir = 0; dir < 2; ++dir)
            frames << frame(c + 1, dir == 0, 60);
    const qint64 t0 = 1700000000'000000000;
    for (int i = 0; i < packets; ++i) {
        const int c = i % Connections;
        const int dir = (i / Connections) % 2;
        const QByteArray &f = frames.at(c * 2 + dir);
        RawPacket p;
        p.data = reinterpret_cast<const std::uint8_t *>(f.constData());
        p.caplen = p.len = std::uint32_t(f.size());
        p.tsNs = t0 + qint64(i) * 10000;
        p.linkType = 1;
        p.recordIndex = std::uint64_t(i);
        if (!spool.append(p, std::uint64_t(c + 1), std::uint8_t(dir), 0x10))
            die(spool.error());
    }
    spool.close(QStringLiteral("stopped"));
}

// The daemon's threads, sampled every millisecond on a thread of this process.
class ThreadSampler
{
public:
    explicit ThreadSampler(qint64 pid)
        : m_dir(QStringLiteral("/proc/%1/task").arg(pid))
    {
        m_thread = std::thread([this] {
            while (!m_stop.load()) {
                const QStringList tids = QDir(m_dir).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
                {
                    std::lock_guard<std::mutex> lock(m_lock);
                    m_peak = std::max(m_peak, int(tids.size()));
                    for (const QString &t : tids)
                        m_seen.insert(t);
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        });
    }
    ~ThreadSampler()
    {
        m_stop = true;
        m_thread.join();
    }
    void reset(int *current)
    {
        const QStringList tids = QDir(m_dir).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        std::lock_guard<std::mutex> lock(m_lock);
        m_peak = int(tids.size());
        m_seen = QSet<QString>(tids.begin(), tids.end());
        *current = int(tids.size());
    }
    void read(int *peak, int *seen)
    {
        std::lock_guard<std::mutex> lock(m_lock);
        *peak = m_peak;
        *seen = int(m_seen.size());
    }

private:
    QString m_dir;
    std::thread m_thread;
    std::atomic<bool> m_stop{false};
    std::mutex m_lock;
    int m_peak = 0;
    QSet<QString> m_seen;
};

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5))];
}

struct Request
{
    IpcClient *client;
    QJsonObject params;
};

struct PhaseResult
{
    int ok = 0, busy = 0, superseded = 0, other = 0;
    std::vector<double> latencies; // ok answers, ms
    double wallMs = 0;
};

// Sends every request at once, waits for every answer, polls daemon.status meanwhile.
PhaseResult runPhase(const char *name, const std::vector<Request> &requests, IpcClient *status,
                     ThreadSampler &threads)
{
    PhaseResult r;
    int before = 0;
    threads.reset(&before);
    QElapsedTimer wall;
    wall.start();
    int answered = 0;
    for (const Request &q : requests) {
        const qint64 sent = wall.nsecsElapsed();
        q.client->request(QStringLiteral("session.rows"), q.params, nullptr,
                          [&r, &answered, &wall, sent](const IpcClient::Reply &reply) {
                              ++answered;
                              if (reply.ok) {
                                  ++r.ok;
                                  r.latencies.push_back(double(wall.nsecsElapsed() - sent) / 1e6);
                              } else if (reply.errorCode == QLatin1String("busy")) {
                                  ++r.busy;
                              } else if (reply.errorCode == QLatin1String("superseded")) {
                                  ++r.superseded;
                              } else {
                                  ++r.other;
                                  std::fprintf(stderr, "  %s: %s\n", qPrintable(reply.errorCode),
                                               qPrintable(reply.errorMessage));
                              }
                          });
    }
    std::vector<double> statusMs;
    bool statusPending = false;
    qint64 statusSent = 0;
    QTimer poll;
    poll.setInterval(10);
    QObject::connect(&poll, &QTimer::timeout, &poll, [&] {
        if (statusPending)
            return;
        statusPending = true;
        statusSent = wall.nsecsElapsed();
        status->request(QStringLiteral("daemon.status"), {}, nullptr,
                        [&](const IpcClient::Reply &) {
                            statusPending = false;
                            statusMs.push_back(double(wall.nsecsElapsed() - statusSent) / 1e6);
                        });
    });
    poll.start();
    while (answered < int(requests.size()) && wall.elapsed() < 600000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    r.wallMs = double(wall.nsecsElapsed()) / 1e6;
    poll.stop();
    while (statusPending && wall.elapsed() < 600000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    int peak = 0, seen = 0;
    threads.read(&peak, &seen);
    std::printf("%-8s %4zu requests in %7.0f ms: ok %d, busy %d, superseded %d, other %d; "
                "latency p50 %.1f ms, p99 %.1f ms, worst %.1f ms; daemon.status p99 %.1f ms, "
                "worst %.1f ms (%zu); daemon threads %d before, peak %d, distinct seen %d\n",
                name, requests.size(), r.wallMs, r.ok, r.busy, r.superseded, r.other,
                percentile(r.latencies, 0.5), percentile(r.latencies, 0.99),
                percentile(r.latencies, 1.0), percentile(statusMs, 0.99), percentile(statusMs, 1.0),
                statusMs.size(), before, peak, seen);
    std::fflush(stdout);
    return r;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    Options o;
    const QStringList args = app.arguments();
    for (int i = 1; i < args.size(); ++i) {
        const QString &a = args.at(i);
        if (a == QLatin1String("--podtapd") && i + 1 < args.size())
            o.podtapd = args.at(++i);
        else if (a == QLatin1String("--dir") && i + 1 < args.size())
            o.dir = args.at(++i);
        else if (a == QLatin1String("--packets") && i + 1 < args.size())
            o.packets = args.at(++i).toInt();
        else if (a == QLatin1String("--clients") && i + 1 < args.size())
            o.clients = args.at(++i).toInt();
        else if (a == QLatin1String("--pages") && i + 1 < args.size())
            o.pages = args.at(++i).toInt();
        else if (a == QLatin1String("--small")) {
            o.packets = 200000;
            o.clients = 4;
            o.pages = 4;
        } else {
            std::fprintf(stderr, "usage: podtap-bench-queries [--podtapd PATH] [--packets N] "
                                 "[--clients C] [--pages P] [--small] [--dir DIR]\n");
            return 2;
        }
    }
    if (o.packets < Connections * 2 || o.clients < 1 || o.pages < 1)
        die(QStringLiteral("--packets ≥ 200, --clients ≥ 1 and --pages ≥ 1"));
    QDir(o.dir).removeRecursively();
    const QString store = o.dir + QStringLiteral("/store");
    QElapsedTimer t;
    t.start();
    seed(store, o.packets);
    std::printf("seeded %d packets in %lld ms\n", o.packets, t.elapsed());

    const QString socket = o.dir + QStringLiteral("/podtapd.sock");
    QProcess daemon;
    daemon.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    daemon.start(o.podtapd, {QStringLiteral("--socket"), socket, QStringLiteral("--store"), store});
    if (!daemon.waitForStarted(10000))
        die(QStringLiteral("cannot start %1: %2").arg(o.podtapd, daemon.errorString()));
    std::vector<std::unique_ptr<IpcClient>> clients;
    QElapsedTimer wait;
    wait.start();
    for (int i = 0; i <= o.clients; ++i) {
        auto c = std::make_unique<IpcClient>();
        while (true) {
            c->connectToDaemon(socket, QStringLiteral("podtap-bench-queries"));
            if (c->waitForReady(2000))
                break;
            if (wait.elapsed() > 20000)
                die(QStringLiteral("podtapd did not answer on ") + socket);
            breathe(100);
            c = std::make_unique<IpcClient>();
        }
        clients.push_back(std::move(c));
    }
    IpcClient *status = clients.back().get();
    ThreadSampler threads(daemon.processId());
    const QString sid = QStringLiteral("1");
    auto rows = [&](int connection, int direction, int offset) {
        QJsonObject p{{QStringLiteral("id"), sid},
                      {QStringLiteral("offset"), offset},
                      {QStringLiteral("count"), 1000}};
        if (connection > 0)
            p[QLatin1String("connection")] = QJsonArray{connection};
        if (direction >= 0)
            p[QLatin1String("direction")] = direction;
        return p;
    };

    std::vector<Request> pages;
    for (int c = 0; c < o.clients; ++c)
        for (int p = 0; p < o.pages; ++p)
            pages.push_back({clients[size_t(c)].get(),
                             rows(0, 0, (p * 7919 % std::max(1, o.packets / 2 / 1000)) * 1000)});
    runPhase("pages", pages, status, threads);

    std::vector<Request> filters;
    for (int c = 0; c < o.clients; ++c)
        filters.push_back({clients[size_t(c)].get(), rows(1 + c, -1, 0)});
    runPhase("filters", filters, status, threads);

    std::vector<Request> churn;
    for (int k = 0; k < 40; ++k)
        churn.push_back({clients[0].get(), rows(30 + k, k % 2, 0)});
    const PhaseResult c = runPhase("churn", churn, status, threads);

    std::vector<Request> burst;
    for (int k = 0; k < 200; ++k)
        burst.push_back({clients[0].get(), rows(0, 1, (k % 100) * (o.packets / 200 / 100))});
    runPhase("burst", burst, status, threads);

    clients.clear();
    daemon.terminate();
    if (!daemon.waitForFinished(20000))
        daemon.kill();
    const bool counted = c.ok + c.busy + c.superseded == int(churn.size());
    std::printf("benchmark ran: %s\n", counted ? "every request answered" : "requests lost");
    return counted ? 0 : 1;
}
