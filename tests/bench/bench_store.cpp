// The daemon's memory while it stores many small packets, against the engine alone on
// the same input in the same run.
//
//   podtap-bench-store [--packets N] [--concurrent K] [--requests R] [--step-us US]
//                      [--chunk KIB] [--dir DIR] [--keep] [--small]
//
// No cluster needed: a synthetic pcap stream (LINUX_SLL2, classic pcap as tcpdump writes it)
// of many short HTTP-like connections (K open at a time, round-robin; each: handshake, R
// request/response/ACK exchanges of ~100/~200 payload bytes, FINs; a packet every US µs of
// capture time) is generated on the fly and fed in CHUNK KiB pieces, each variant in its own
// child process so their heaps do not mix:
//   engine   CaptureEngine with a counting sink (the baseline)
//   store    PodTapPipeline::feedPcap → PacketObserver → SessionSpool in DIR, as the daemon
//            stores a pod's packets (pcapng spool + 32 B/packet index + connections.jsonl)
// VmRSS is sampled before the first packet and at every tenth of N; the report gives RSS
// growth per packet, bytes per packet on disk, and whether memory stayed bounded: the
// growth over the second half of the run, once closed connections age out of the tracker
// (EngineConfig::closedLingerNs of capture time), must be near zero.

#include "benchsupport.h"

#include "capture/captureengine.h"
#include "store/sessionspool.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <unistd.h>

using namespace podtap;
using namespace podtap::bench;

namespace {

constexpr const char *Tool = "podtap-bench-store";
constexpr int Port = 8080;

struct Options
{
    QString dir = QStringLiteral("/tmp/podtap-bench-store");
    std::uint64_t packets = 10000000;
    int concurrent = 256;
    int requests = 3;
    int stepUs = 10;
    int chunkKiB = 64;
    bool keep = false;
};

[[noreturn]] void fail(const QString &what)
{
    die(Tool, what);
}

// K connections open at a time, one packet each in turn; a finished connection is replaced
// by a new one with a fresh client address and port.
class Traffic
{
public:
    Traffic(const Options &o)
        : m_synth(std::int64_t(o.stepUs) * 1000)
        , m_requests(o.requests)
        , m_slots(std::size_t(std::max(1, o.concurrent)))
        , m_payload(randomBytes(64 * 1024, 11))
    {
        m_synth.header();
        for (Slot &s : m_slots)
            renew(s);
    }

    void next()
    {
        Slot &s = m_slots[m_turn];
        m_turn = (m_turn + 1) % m_slots.size();
        const int last = 3 + 3 * m_requests + 3;
        const int step = s.step++;
        const std::uint8_t ack = TcpFlag::Ack, data = TcpFlag::Psh | TcpFlag::Ack,
                           fin = TcpFlag::Fin | TcpFlag::Ack;
        if (step == 0)
            m_synth.packet(s.flow, true, TcpFlag::Syn);
        else if (step == 1)
            m_synth.packet(s.flow, false, TcpFlag::Syn | TcpFlag::Ack);
        else if (step == 2)
            m_synth.packet(s.flow, true, ack);
        else if (step < 3 + 3 * m_requests) {
            switch ((step - 3) % 3) {
            case 0:
                m_synth.packet(s.flow, true, data, slice(96), 96);
                break;
            case 1:
                m_synth.packet(s.flow, false, data, slice(212), 212);
                break;
            default:
                m_synth.packet(s.flow, true, ack);
            }
        } else if (step == last - 3)
            m_synth.packet(s.flow, true, fin);
        else if (step == last - 2)
            m_synth.packet(s.flow, false, fin);
        else
            m_synth.packet(s.flow, true, ack);
        if (s.step == last) {
            renew(s);
            ++m_completed;
        }
    }

    std::vector<std::uint8_t> &buffer() { return m_synth.buffer(); }
    std::uint64_t packets() const { return m_synth.packets(); }
    std::uint64_t bytes() const { return m_synth.bytes(); }
    std::uint64_t connections() const { return m_started; }

private:
    struct Slot
    {
        SynthFlow flow;
        int step = 0;
    };

    void renew(Slot &s)
    {
        const std::uint64_t n = m_started++;
        s.step = 0;
        s.flow = SynthFlow{};
        s.flow.clientIp = 0x0a000000u + std::uint32_t(n / 50000); // 10.x.y.z
        s.flow.clientPort = std::uint16_t(10000 + n % 50000);
        s.flow.clientSeq = std::uint32_t(n * 2654435761u);
        s.flow.serverSeq = std::uint32_t(~n * 40503u);
    }

    const std::uint8_t *slice(std::size_t size)
    {
        m_offset = (m_offset + 4099) % (m_payload.size() - size);
        return m_payload.data() + m_offset;
    }

    PcapSynth m_synth;
    int m_requests;
    std::vector<Slot> m_slots;
    std::size_t m_turn = 0;
    std::vector<std::uint8_t> m_payload;
    std::size_t m_offset = 0;
    std::uint64_t m_started = 0, m_completed = 0;
};

class CountingSink : public CaptureSink
{
public:
    void data(TcpConnection &, Direction, const std::uint8_t *, std::size_t size,
              std::int64_t) override
    {
        bytes += size;
    }
    void connectionRemoved(TcpConnection &) override { ++removed; }
    std::uint64_t bytes = 0, removed = 0;
};

std::vector<std::uint64_t> checkpoints(std::uint64_t n)
{
    std::vector<std::uint64_t> v{0};
    for (int i = 1; i <= 10; ++i)
        v.push_back(n * std::uint64_t(i) / 10);
    v.push_back(n / 2);
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}

// ------------------------------------------------------------------ one variant (child)

int runChild(const Options &o, const QString &variant)
{
    const bool store = variant == QLatin1String("store");
    CountingSink sink;
    EngineConfig config;
    config.tappedPort = Port;
    CaptureEngine engine(config);
    engine.setSink(&sink);
    std::unique_ptr<SessionSpool> spool;
    std::unique_ptr<SpoolObserver> observer;
    std::unique_ptr<PodTapPipeline> pipe;
    const QString sessionDir = o.dir + QStringLiteral("/session");
    if (store) {
        QDir(sessionDir).removeRecursively();
        spool = createSpool(sessionDir);
        observer = std::make_unique<SpoolObserver>(spool.get());
        pipe = std::make_unique<PodTapPipeline>(nullptr, PodInfo{}, 0, Port, QString(),
                                                observer.get());
    }
    Traffic traffic(o);
    traffic.buffer().reserve(std::size_t(o.chunkKiB) * 1024 + 4096);
    const std::size_t chunk = std::size_t(o.chunkKiB) * 1024;
    std::uint64_t fedBytes = 0;
    auto feed = [&] {
        std::vector<std::uint8_t> &b = traffic.buffer();
        if (b.empty())
            return;
        if (pipe)
            pipe->feedPcap(QByteArray::fromRawData(reinterpret_cast<const char *>(b.data()),
                                                   qsizetype(b.size())));
        else
            engine.feed(b.data(), b.size());
        fedBytes += b.size();
        b.clear();
    };
    const std::vector<std::uint64_t> marks = checkpoints(o.packets);
    std::size_t mark = 0;
    QElapsedTimer t;
    t.start();
    const double cpu0 = cpuSeconds();
    auto sample = [&] {
        std::printf("rss %" PRIu64 " %" PRId64 " %.3f\n", traffic.packets(),
                    procStatusBytes("VmRSS"), double(t.nsecsElapsed()) / 1e9);
        std::fflush(stdout);
    };
    sample(); // 0 packets, everything set up
    ++mark;
    while (traffic.packets() < o.packets) {
        traffic.next();
        if (traffic.buffer().size() >= chunk || traffic.packets() == marks[mark])
            feed();
        if (traffic.packets() == marks[mark]) {
            sample();
            ++mark;
        }
    }
    feed();
    const double feedSeconds = double(t.nsecsElapsed()) / 1e9;
    const double feedCpu = cpuSeconds() - cpu0;
    std::uint64_t stored = 0, received = 0, tracked = 0;
    const std::int64_t peakWhileFeeding = procStatusBytes("VmHWM");
    // End of capture: every tracked connection is closed and summarised at once.
    if (pipe) {
        received = pipe->packetsReceived();
        tracked = pipe->engine().tracker().stats().active;
        pipe->finishEngine();
    } else {
        received = engine.reader().recordsRead();
        tracked = engine.tracker().stats().active;
        engine.finish();
    }
    const std::int64_t rssFinished = procStatusBytes("VmRSS");
    if (spool) {
        spool->close(QStringLiteral("stopped"));
        stored = spool->packets();
    }
    const StoreSizes sizes = store ? storeSizes(sessionDir) : StoreSizes{};
    std::printf("result %s packets=%" PRIu64 " received=%" PRIu64 " stored=%" PRIu64
                " bytes=%" PRIu64 " connections=%" PRIu64 " tracked=%" PRIu64
                " seconds=%.3f cpu=%.3f feedhwm=%" PRId64 " finishrss=%" PRId64 " hwm=%" PRId64
                " pcapng=%" PRId64 " index=%" PRId64 " jsonl=%" PRId64 " other=%" PRId64 "\n",
                qPrintable(variant), traffic.packets(), received, stored, fedBytes,
                traffic.connections(), tracked, feedSeconds, feedCpu, peakWhileFeeding, rssFinished,
                procStatusBytes("VmHWM"), sizes.pcapng, sizes.index, sizes.connections,
                sizes.other);
    if (store && !o.keep)
        QDir(sessionDir).removeRecursively();
    return 0;
}

// ------------------------------------------------------------------ the report (parent)

struct ChildResult
{
    std::map<std::uint64_t, std::int64_t> rss; // packets → VmRSS bytes
    std::map<QString, double> fields;
    bool ok = false;
};

ChildResult runVariant(const Options &o, const QString &variant)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QStringList args{QStringLiteral("--child"),      variant,
                     QStringLiteral("--packets"),    QString::number(o.packets),
                     QStringLiteral("--concurrent"), QString::number(o.concurrent),
                     QStringLiteral("--requests"),   QString::number(o.requests),
                     QStringLiteral("--step-us"),    QString::number(o.stepUs),
                     QStringLiteral("--chunk"),      QString::number(o.chunkKiB),
                     QStringLiteral("--dir"),        o.dir};
    if (o.keep)
        args << QStringLiteral("--keep");
    p.start(QCoreApplication::applicationFilePath(), args);
    ChildResult r;
    if (!p.waitForStarted(10000))
        fail(QStringLiteral("cannot start the %1 child").arg(variant));
    QByteArray out;
    while (p.state() != QProcess::NotRunning || p.bytesAvailable()) {
        p.waitForReadyRead(1000);
        out += p.readAllStandardOutput();
        while (out.contains('\n')) {
            const qsizetype nl = out.indexOf('\n');
            const QByteArray line = out.left(nl).trimmed();
            out.remove(0, nl + 1);
            const QList<QByteArray> f = line.split(' ');
            if (f.size() == 4 && f[0] == "rss") {
                r.rss[f[1].toULongLong()] = f[2].toLongLong();
            } else if (f.size() > 2 && f[0] == "result") {
                for (qsizetype i = 2; i < f.size(); ++i) {
                    const QList<QByteArray> kv = f[i].split('=');
                    if (kv.size() == 2)
                        r.fields[QString::fromLatin1(kv[0])] = kv[1].toDouble();
                }
                r.ok = true;
            } else if (!line.isEmpty()) {
                std::printf("  %s: %s\n", qPrintable(variant), line.constData());
            }
        }
    }
    p.waitForFinished(-1);
    r.ok = r.ok && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    return r;
}

double mb(double bytes)
{
    return bytes / (1024.0 * 1024.0);
}

int runParent(const Options &o)
{
    QDir().mkpath(o.dir);
    const EngineConfig defaults;
    const double lingerS = double(defaults.closedLingerNs) / 1e9;
    const double spanS = double(o.packets) * o.stepUs / 1e6;
    const int perConnection = 6 + 3 * o.requests;
    std::printf("%s: %" PRIu64 " packets, %d connections open at a time, %d packets per "
                "connection, a packet every %d µs (%.0f s of capture time; closed connections "
                "stay tracked %.0f s); %d CPUs, load %s\n",
                Tool, o.packets, o.concurrent, perConnection, o.stepUs, spanS, lingerS,
                int(sysconf(_SC_NPROCESSORS_ONLN)), qPrintable(loadAverage()));
    std::fflush(stdout);
    const ChildResult engine = runVariant(o, QStringLiteral("engine"));
    const ChildResult store = runVariant(o, QStringLiteral("store"));
    if (!engine.ok || !store.ok) {
        std::printf("benchmark ran with errors (a child failed)\n");
        return 1;
    }
    const double packets = store.fields.at(QStringLiteral("packets"));
    const double connections = store.fields.at(QStringLiteral("connections"));
    std::printf("\nVmRSS while feeding (MB)\n  %12s %10s %10s %10s\n", "packets", "engine", "store",
                "store-eng");
    for (const auto &[n, rss] : store.rss) {
        const auto e = engine.rss.find(n);
        const double er = e == engine.rss.end() ? 0 : double(e->second);
        std::printf("  %12" PRIu64 " %10.1f %10.1f %10.1f\n", n, mb(er), mb(double(rss)),
                    mb(double(rss) - er));
    }
    auto at = [](const ChildResult &r, std::uint64_t n) {
        const auto it = r.rss.find(n);
        return it == r.rss.end() ? 0.0 : double(it->second);
    };
    const std::uint64_t n = o.packets, half = n / 2;
    auto perPacket = [&](const ChildResult &r, std::uint64_t from, std::uint64_t to) {
        return (at(r, to) - at(r, from)) / double(to - from);
    };
    std::printf("  RSS growth per packet, 0 → %" PRIu64 ": engine %.2f B, store %.2f B\n", n,
                perPacket(engine, 0, n), perPacket(store, 0, n));
    std::printf("  RSS growth per packet, %" PRIu64 " → %" PRIu64 ": engine %.3f B, store %.3f B\n",
                half, n, perPacket(engine, half, n), perPacket(store, half, n));
    std::printf("  peak RSS (VmHWM) while feeding: engine %.1f MB, store %.1f MB\n",
                mb(engine.fields.at(QStringLiteral("feedhwm"))),
                mb(store.fields.at(QStringLiteral("feedhwm"))));
    std::printf("  end of capture, %.0f tracked connections closed at once: RSS engine %.1f MB, "
                "store %.1f MB; peak engine %.1f MB, store %.1f MB\n",
                store.fields.at(QStringLiteral("tracked")),
                mb(engine.fields.at(QStringLiteral("finishrss"))),
                mb(store.fields.at(QStringLiteral("finishrss"))),
                mb(engine.fields.at(QStringLiteral("hwm"))),
                mb(store.fields.at(QStringLiteral("hwm"))));
    for (const ChildResult *r : {&engine, &store}) {
        const double s = r->fields.at(QStringLiteral("seconds"));
        std::printf("  %-6s fed %.0f packets (%.1f MB of pcap) in %.2f s: %.2f Mpkt/s, %.2f "
                    "CPU-s\n",
                    r == &engine ? "engine" : "store", r->fields.at(QStringLiteral("packets")),
                    r->fields.at(QStringLiteral("bytes")) / 1e6, s,
                    r->fields.at(QStringLiteral("packets")) / s / 1e6,
                    r->fields.at(QStringLiteral("cpu")));
    }
    const double pcapng = store.fields.at(QStringLiteral("pcapng"));
    const double index = store.fields.at(QStringLiteral("index"));
    const double jsonl = store.fields.at(QStringLiteral("jsonl"));
    const double stored = store.fields.at(QStringLiteral("stored"));
    const double inputPerPacket = (store.fields.at(QStringLiteral("bytes")) - 24) / packets;
    std::printf("\non disk (%.0f packets stored, %.0f connections)\n", stored, connections);
    std::printf("  pcapng %.1f MB = %.1f B/packet (the pcap input is %.1f B/packet)\n", mb(pcapng),
                pcapng / packets, inputPerPacket);
    std::printf("  index  %.1f MB = %.1f B/packet\n", mb(index), index / packets);
    std::printf("  index + pcapng = %.1f B/packet; connections.jsonl %.1f MB = %.0f B/connection "
                "(%.1f B/packet)\n",
                (index + pcapng) / packets, mb(jsonl), jsonl / connections, jsonl / packets);

    const double ratio = at(store, n) / at(engine, n);
    const double growth = at(store, n) - at(store, half);
    const bool lingerPassed = double(half) * o.stepUs / 1e6 > lingerS;
    const bool bounded = lingerPassed && growth < 0.02 * at(store, n) + 1024 * 1024;
    std::printf("\nstore/engine RSS ratio %.2f at %" PRIu64 " packets (store %.1f MB, engine %.1f "
                "MB)\n",
                ratio, n, mb(at(store, n)), mb(at(engine, n)));
    if (!lingerPassed)
        std::printf("memory bound: not judged (the first half spans %.0f s of capture time, less "
                    "than the %.0f s closed connections stay tracked; use more packets or a "
                    "larger --step-us)\n",
                    double(half) * o.stepUs / 1e6, lingerS);
    else
        std::printf("memory %s: RSS changed by %+.1f MB from %" PRIu64 " to %" PRIu64
                    " packets (%+.3f B/packet)\n",
                    bounded ? "is bounded" : "is NOT bounded", mb(growth), half, n,
                    growth / double(n - half));
    const bool sane = stored == packets && store.fields.at(QStringLiteral("received")) == packets
                      && engine.fields.at(QStringLiteral("received")) == packets;
    std::printf("%s\n", sane ? "benchmark ran: packet counts match"
                             : "benchmark ran with errors: packet counts differ");
    return sane && (bounded || !lingerPassed) ? 0 : 1;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    Options o;
    QString child;
    bool small = false;
    const QStringList args = app.arguments();
    for (int i = 1; i < args.size(); ++i) {
        const QString &a = args.at(i);
        auto value = [&]() -> QString {
            if (i + 1 >= args.size())
                fail(a + QStringLiteral(" needs a value"));
            return args.at(++i);
        };
        if (a == QLatin1String("--packets"))
            o.packets = std::max<qulonglong>(10, value().toULongLong());
        else if (a == QLatin1String("--concurrent"))
            o.concurrent = std::max(1, value().toInt());
        else if (a == QLatin1String("--requests"))
            o.requests = std::max(0, value().toInt());
        else if (a == QLatin1String("--step-us"))
            o.stepUs = std::max(1, value().toInt());
        else if (a == QLatin1String("--chunk"))
            o.chunkKiB = std::clamp(value().toInt(), 1, 65536);
        else if (a == QLatin1String("--dir"))
            o.dir = value();
        else if (a == QLatin1String("--keep"))
            o.keep = true;
        else if (a == QLatin1String("--child"))
            child = value();
        else if (a == QLatin1String("--small"))
            small = true;
        else {
            std::printf("usage: podtap-bench-store [--packets N] [--concurrent K] [--requests R] "
                        "[--step-us US] [--chunk KIB] [--dir DIR] [--keep] [--small]\n");
            return a == QLatin1String("--help") ? 0 : 2;
        }
    }
    if (small) { // the smoke test: 200k packets over 100 s of capture time
        o.packets = std::min<std::uint64_t>(o.packets, 200000);
        o.stepUs = std::max(o.stepUs, 500);
    }
    if (!child.isEmpty())
        return runChild(o, child);
    return runParent(o);
}
