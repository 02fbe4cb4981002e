#pragma once

// Pieces shared by podtap-bench-mirror and podtap-bench-store: clocks and statistics, a
// synthetic pcap writer with any number of connections, the store as a PodTapPipeline
// observer, a threaded local TCP server that timestamps every read, and (for the benches
// that need a cluster) kubesim, an API client and a tap.

#include "session/podtappipeline.h"

#include <QByteArray>
#include <QProcess>
#include <QString>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

class QEventLoop;

namespace podtap {

class CredentialCache;
class KubeApiClient;
class SessionSpool;

namespace bench {

// ------------------------------------------------------------------ clocks and numbers

// CLOCK_MONOTONIC in ns: comparable across this process's threads.
std::int64_t steadyNs();
// CLOCK_REALTIME in ns: comparable with capture timestamps written on this host.
std::int64_t realtimeNs();
double cpuSeconds(); // this process, user + system
// /proc/self/status fields in bytes ("VmRSS", "VmHWM"); -1 when absent.
std::int64_t procStatusBytes(const char *field);
// Resets VmHWM to the current RSS (proc(5), /proc/PID/clear_refs "5"); false if unsupported.
bool resetPeakRss();
double median(std::vector<double> v);

// Percentiles of a sample (nearest rank on the sorted copy).
struct Distribution
{
    std::size_t count = 0;
    double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
    std::size_t over1k = 0, over10k = 0; // samples above 1,000 and 10,000 (µs: 1 ms, 10 ms)
    static Distribution of(std::vector<double> v);
};

[[noreturn]] void die(const char *tool, const QString &what);
QString loadAverage();

// ------------------------------------------------------------------ synthetic pcap

// One IPv4 TCP connection's addresses and sequence numbers as the generator writes it.
struct SynthFlow
{
    std::uint32_t clientIp = 0xc6120003; // 198.18.0.3
    std::uint32_t serverIp = 0xc6120002; // 198.18.0.2
    std::uint16_t clientPort = 40000;
    std::uint16_t serverPort = 8080;
    std::uint32_t clientSeq = 1000;
    std::uint32_t serverSeq = 5000000;
};

// Classic pcap (µs) with LINUX_SLL2 framing, as `tcpdump -i any -w -` writes it, appended
// to a byte buffer the caller drains (to a file or straight into an engine).
class PcapSynth
{
public:
    explicit PcapSynth(std::int64_t stepNs = 3000)
        : m_stepNs(stepNs)
    {}

    void header();
    // flags: TCP header byte 13 (TcpFlag); an ACK carries the peer's next sequence number.
    void packet(SynthFlow &flow, bool fromClient, std::uint8_t flags,
                const std::uint8_t *payload = nullptr, std::size_t size = 0);

    std::vector<std::uint8_t> &buffer() { return m_out; }
    std::uint64_t bytes() const { return m_bytes; }
    std::uint64_t packets() const { return m_packets; }
    std::uint64_t c2sPayload() const { return m_c2sPayload; }

private:
    std::vector<std::uint8_t> m_out;
    std::int64_t m_stepNs;
    std::int64_t m_tsNs = 1700000000ll * 1000000000ll;
    std::uint64_t m_bytes = 0, m_packets = 0, m_c2sPayload = 0;
};

// Pseudo-random filler (xorshift), so payloads do not compress or repeat trivially.
std::vector<std::uint8_t> randomBytes(std::size_t size, std::uint64_t seed);

// ------------------------------------------------------------------ the store

// What CaptureSession does with a pod's packets: every packet and connection summary
// into a SessionSpool.
class SpoolObserver : public PodTapPipeline::PacketObserver
{
public:
    explicit SpoolObserver(SessionSpool *spool)
        : m_spool(spool)
    {}
    void podPacket(int podIndex, const RawPacket &packet, std::uint64_t connectionId,
                   std::uint8_t direction, std::uint8_t tcpFlags) override;
    void podConnectionClosed(const QJsonObject &summary) override;

private:
    SessionSpool *m_spool;
};

// A SessionSpool in `dir` (which must not hold a session yet) as the daemon sets it up.
std::unique_ptr<SessionSpool> createSpool(const QString &dir);

// On-disk sizes of a session folder, by kind.
struct StoreSizes
{
    std::int64_t pcapng = 0, index = 0, connections = 0, other = 0;
};
StoreSizes storeSizes(const QString &dir);

// ------------------------------------------------------------------ a local TCP server

// Listens on 127.0.0.1 (port chosen by the kernel), accepts any number of connections and
// reads them in one thread with poll + recv. With `record`, keeps per connection the first
// bytes and (cumulative bytes, CLOCK_MONOTONIC ns) after every recv; otherwise it only counts.
class LocalServer
{
public:
    struct Read
    {
        std::uint64_t cumulative;
        std::int64_t atNs;
    };
    struct Connection
    {
        std::string head; // first bytes, up to 512
        std::uint64_t bytes = 0;
        std::vector<Read> reads;
        bool ended = false;
        int headState = 0; // how much of "\r\n\r\n" the stream ends with (answerHttp)
        std::uint64_t answered = 0;
    };

    explicit LocalServer(bool record);
    ~LocalServer();
    LocalServer(const LocalServer &) = delete;
    LocalServer &operator=(const LocalServer &) = delete;

    bool start(QString *error);
    // Before start(): answer every request head ("\r\n\r\n"; bodies are not expected) with
    // a small 200, like a local build would (the shadow comparison reads it).
    void setAnswerHttp(bool answer) { m_answerHttp = answer; }
    quint16 port() const { return m_port; }
    std::uint64_t totalBytes() const { return m_total.load(std::memory_order_acquire); }
    int accepted() const { return m_accepted.load(std::memory_order_acquire); }
    // Stops the thread; the connections are readable afterwards.
    void stop();
    const std::vector<Connection> &connections() const { return m_conns; }

private:
    void run();

    bool m_record;
    bool m_answerHttp = false;
    int m_listen = -1;
    int m_wake = -1; // eventfd
    quint16 m_port = 0;
    std::thread m_thread;
    std::atomic<std::uint64_t> m_total{0};
    std::atomic<int> m_accepted{0};
    std::vector<Connection> m_conns;
};

// ------------------------------------------------------------------ kubesim and a tap

// Runs the event loop until `done` or `timeoutMs`; false on timeout.
bool waitFor(QEventLoop &loop, const bool &done, int timeoutMs);

// podtap-kubesim on a scenario, its kubeconfig and state in `dir`; SIGTERM on destruction.
class KubesimProcess
{
public:
    ~KubesimProcess();
    bool start(const QString &binary, const QString &scenario, const QString &dir, QString *error);
    qint64 pid() const { return m_process.processId(); }
    QString kubeconfig() const { return m_kubeconfig; }
    qint64 readyMs() const { return m_readyMs; }
    // `ip netns` name of the traffic client namespace of the scenario's n-th pod (1-based).
    QString clientNetns(int pod = 1) const;

private:
    QProcess m_process;
    QString m_kubeconfig;
    qint64 m_readyMs = 0;
};

// Kubeconfig → ClusterAccess → KubeApiClient, as the CLI builds it; nullptr + error on failure.
std::unique_ptr<KubeApiClient> makeClient(const QString &kubeconfig, CredentialCache *credentials,
                                          QString *error);

// GET the pod, then TapInjector (inject, or reuse the running tap). Empty on failure.
QString ensureTap(KubeApiClient *api, const QString &ns, const QString &pod, PodInfo *info,
                  bool *reused, QString *error);

} // namespace bench
} // namespace podtap
