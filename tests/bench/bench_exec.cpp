// Exec-stream throughput and time to first packet through kubesim, each against a baseline
// measured in the same run.
//
//   podtap-bench-exec [--size MB] [--segment BYTES] [--repeat N] [--ttfp N] [--dir DIR]
//                     [--kubesim PATH] [--scenario FILE] [--podtap PATH] [--small]
//
// Needs root (kubesim's pods are network namespaces). Starts podtap-kubesim with
// scenarios/exec.yaml, makes sure a tap runs in bench/web through podtap's own TapInjector,
// then per repeat (interleaved, medians reported):
//   exec → engine   ExecStream runs `cat FILE` in the tap; every stdout chunk is fed to a
//                   CaptureEngine (stream reader + decode + track + reassemble, counting sink)
//   TLS → engine    the same bytes from a plain TLS server process (OpenSSL, blocking
//                   SSL_write of 1 MiB buffers, throwaway EC cert) to a QSslSocket in this
//                   process, fed to the same engine
//   TLS → discard   the same, bytes dropped on arrival: the plain transfer
// FILE is a synthetic pcap (LINUX_SLL2, one IPv4 TCP connection, --segment payload bytes per
// data packet, an ACK per two) written once to DIR, page-cached before measuring.
// CPU per GB: this process (getrusage) and the server side (kubesim + the exec'd cat from
// /proc/PID/stat; the TLS sender from RUSAGE_CHILDREN).
// Time to first packet, with the tap already running and traffic flowing (50 req/s):
//   capture   TapCapture::start with CaptureCommand's tcpdump argv on the open API client
//   client    a fresh Kubeconfig/KubeApiClient, GET pod, TapInjector (reuse), TapCapture
//   CLI       `podtap capture bench/web --port 8080 -w -` until its first stdout byte
//             (when the podtap binary exists)

#include "capture/captureengine.h"
#include "certauthority.h"
#include "kube/capturecommand.h"
#include "kube/clusteraccess.h"
#include "kube/credentialcache.h"
#include "kube/execstream.h"
#include "kube/kubeapiclient.h"
#include "kube/kubeconfig.h"
#include "kube/podinfo.h"
#include "kube/tapcapture.h"
#include "kube/tapinjector.h"
#include "kube/tapspec.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTimer>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace podtap;

namespace {

constexpr int SkipCode = 77; // ctest SKIP_RETURN_CODE

struct Options
{
    QString dir = QStringLiteral("/tmp/podtap-bench-exec");
    QString kubesim = QStringLiteral(KUBESIM_BIN);
    QString scenario = QStringLiteral(BENCH_SCENARIO);
    QString podtap = QStringLiteral(PODTAP_BIN);
    std::uint64_t sizeMB = 1000;
    int segment = 1448;
    int repeat = 3;
    int ttfpRuns = 5;
    int execPingMs = 0; // 0: ExecStream's default
    bool tls = true;    // false: exec runs only (profiling)
};

[[noreturn]] void die(const QString &what)
{
    std::fprintf(stderr, "podtap-bench-exec: %s\n", qPrintable(what));
    std::exit(1);
}

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double cpuSeconds(int who)
{
    rusage ru{};
    getrusage(who, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
           + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// utime + stime + cutime + cstime of a live process: kubesim and the commands it has reaped.
double processTreeCpuSeconds(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray stat = f.readAll();
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 15)
        return 0;
    double ticks = 0;
    for (int i = 11; i <= 14; ++i) // fields 14..17 of proc(5), counted from field 3
        ticks += fields.at(i).toDouble();
    return ticks / double(sysconf(_SC_CLK_TCK));
}

// ------------------------------------------------------------------ the capture file

void put16(std::vector<std::uint8_t> &b, std::size_t at, std::uint16_t v)
{
    b[at] = std::uint8_t(v >> 8);
    b[at + 1] = std::uint8_t(v);
}

void put32(std::vector<std::uint8_t> &b, std::size_t at, std::uint32_t v)
{
    put16(b, at, std::uint16_t(v >> 16));
    put16(b, at + 2, std::uint16_t(v));
}

// Writes one IPv4 TCP connection (handshake, data one way, an ACK per two segments, FINs)
// as classic pcap with LINUX_SLL2 framing, as tcpdump -i any writes it.
class PcapGenerator
{
public:
    explicit PcapGenerator(FILE *out)
        : m_out(out)
    {}

    void header()
    {
        const std::uint32_t h[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 262144, 276};
        std::fwrite(h, sizeof h, 1, m_out);
        m_bytes += sizeof h;
    }

    // flags: TCP header byte 13; fromClient: 198.18.0.3:40000 → 198.18.0.2:8080.
    void packet(bool fromClient, std::uint8_t flags, const std::uint8_t *payload, std::size_t size)
    {
        const std::size_t sll = 20, ip = 20, tcp = 20;
        m_frame.assign(sll + ip + tcp, 0);
        put16(m_frame, 0, 0x0800);        // SLL2 protocol: IPv4
        put32(m_frame, 4, 2);             // interface index
        put16(m_frame, 8, 1);             // ARPHRD_ETHER
        m_frame[10] = fromClient ? 0 : 4; // PACKET_HOST / PACKET_OUTGOING
        m_frame[11] = 6;                  // address length
        m_frame[12] = 0x02;               // locally administered MAC
        m_frame[sll] = 0x45;              // IPv4, IHL 5
        put16(m_frame, sll + 2, std::uint16_t(ip + tcp + size));
        put16(m_frame, sll + 6, 0x4000); // DF
        m_frame[sll + 8] = 64;
        m_frame[sll + 9] = 6; // TCP
        const std::uint32_t client = 0xc6120003, server = 0xc6120002;
        put32(m_frame, sll + 12, fromClient ? client : server);
        put32(m_frame, sll + 16, fromClient ? server : client);
        const std::size_t t = sll + ip;
        put16(m_frame, t, fromClient ? 40000 : 8080);
        put16(m_frame, t + 2, fromClient ? 8080 : 40000);
        put32(m_frame, t + 4, fromClient ? m_clientSeq : m_serverSeq);
        put32(m_frame, t + 8, (flags & 0x10) ? (fromClient ? m_serverSeq : m_clientSeq) : 0);
        m_frame[t + 12] = 0x50; // data offset 5
        m_frame[t + 13] = flags;
        put16(m_frame, t + 14, 65535);
        m_frame.insert(m_frame.end(), payload, payload + size);
        const std::uint32_t len = std::uint32_t(m_frame.size());
        const std::uint32_t rec[4] = {1700000000u + std::uint32_t(m_usec / 1000000),
                                      std::uint32_t(m_usec % 1000000), len, len};
        std::fwrite(rec, sizeof rec, 1, m_out);
        std::fwrite(m_frame.data(), 1, m_frame.size(), m_out);
        m_bytes += sizeof rec + m_frame.size();
        m_usec += 3;
        ++m_packets;
        std::uint32_t &seq = fromClient ? m_clientSeq : m_serverSeq;
        seq += std::uint32_t(size) + ((flags & 0x03) ? 1 : 0); // SYN and FIN count one
    }

    std::uint64_t bytes() const { return m_bytes; }
    std::uint64_t packets() const { return m_packets; }

private:
    FILE *m_out;
    std::vector<std::uint8_t> m_frame;
    std::uint64_t m_bytes = 0, m_packets = 0, m_usec = 0;
    std::uint32_t m_clientSeq = 1000, m_serverSeq = 5000000;
};

struct CaptureFile
{
    QString path;
    std::uint64_t bytes = 0, packets = 0, payload = 0;
};

// Cached by size and segment; world-readable, since the tap's cat runs as uid 65534.
CaptureFile ensureCapture(const Options &o)
{
    CaptureFile c;
    c.path = QStringLiteral("%1/bulk-%2MB-seg%3.pcap").arg(o.dir).arg(o.sizeMB).arg(o.segment);
    const std::uint64_t target = o.sizeMB * 1000 * 1000;
    const std::uint64_t perSegment = 16 + 60 + std::uint64_t(o.segment);
    const std::uint64_t segments = std::max<std::uint64_t>(1, target / (perSegment + 38));
    c.payload = segments * std::uint64_t(o.segment);
    const QString meta = c.path + QStringLiteral(".meta");
    QFile m(meta);
    if (QFileInfo::exists(c.path) && m.open(QIODevice::ReadOnly)) {
        const QList<QByteArray> v = m.readAll().trimmed().split(' ');
        if (v.size() == 2 && QFileInfo(c.path).size() == v.at(0).toLongLong()) {
            c.bytes = v.at(0).toULongLong();
            c.packets = v.at(1).toULongLong();
            return c;
        }
        m.close();
    }
    std::printf("generating %s (%" PRIu64 " segments of %d bytes)...\n", qPrintable(c.path),
                segments, o.segment);
    std::fflush(stdout);
    FILE *f = std::fopen(qPrintable(c.path + QStringLiteral(".part")), "wb");
    if (!f)
        die(QStringLiteral("cannot write %1").arg(c.path));
    std::setvbuf(f, nullptr, _IOFBF, 1 << 20);
    std::vector<std::uint8_t> block(64 * 1024 + std::size_t(o.segment));
    std::uint64_t x = 0x9E3779B97F4A7C15ull;
    for (std::uint8_t &b : block) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b = std::uint8_t(x);
    }
    PcapGenerator g(f);
    g.header();
    g.packet(true, 0x02, nullptr, 0);  // SYN
    g.packet(false, 0x12, nullptr, 0); // SYN-ACK
    g.packet(true, 0x10, nullptr, 0);  // ACK
    for (std::uint64_t i = 0; i < segments; ++i) {
        g.packet(true, 0x18, block.data() + (i * 4099) % (64 * 1024), std::size_t(o.segment));
        if (i % 2 == 1)
            g.packet(false, 0x10, nullptr, 0);
    }
    g.packet(true, 0x11, nullptr, 0);  // FIN
    g.packet(false, 0x11, nullptr, 0); // FIN
    g.packet(true, 0x10, nullptr, 0);
    if (std::fclose(f) != 0)
        die(QStringLiteral("cannot write %1").arg(c.path));
    ::rename(qPrintable(c.path + QStringLiteral(".part")), qPrintable(c.path));
    ::chmod(qPrintable(c.path), 0644);
    c.bytes = g.bytes();
    c.packets = g.packets();
    if (m.open(QIODevice::WriteOnly | QIODevice::Truncate))
        m.write(QByteArray::number(qulonglong(c.bytes)) + ' '
                + QByteArray::number(qulonglong(c.packets)));
    return c;
}

void warm(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        die(QStringLiteral("cannot read %1").arg(path));
    while (!f.read(1 << 20).isEmpty()) {
    }
}

// ------------------------------------------------------------------ measurement

class CountingSink : public CaptureSink
{
public:
    void connectionRemoved(TcpConnection &c) override
    {
        ++connections;
        for (const DirectionStats &s : c.stats)
            bytes += s.bytes;
    }
    std::uint64_t connections = 0, bytes = 0;
};

struct Transfer
{
    double seconds = 0;
    std::uint64_t bytes = 0, packets = 0, payload = 0, chunks = 0;
    double cpuClient = 0, cpuServer = 0;
    QString error;
};

// Receives into the engine (or discards) and counts.
class Receiver
{
public:
    explicit Receiver(bool useEngine)
        : m_useEngine(useEngine)
    {
        m_engine.setSink(&m_sink);
    }
    void feed(const QByteArray &b)
    {
        m_result.bytes += std::uint64_t(b.size());
        ++m_result.chunks;
        if (m_useEngine)
            m_engine.feed(reinterpret_cast<const std::uint8_t *>(b.constData()),
                          std::size_t(b.size()));
    }
    Transfer finish()
    {
        if (m_useEngine) {
            m_engine.finish();
            m_result.packets = m_engine.reader().recordsRead();
            m_result.payload = m_sink.bytes;
            if (!m_engine.streamErrors().empty())
                m_result.error = QString::fromStdString(m_engine.streamErrors().front().message);
        }
        return m_result;
    }

private:
    bool m_useEngine;
    CaptureEngine m_engine;
    CountingSink m_sink;
    Transfer m_result;
};

// Runs the loop until `done` or `timeoutMs`; false on timeout.
bool waitFor(QEventLoop &loop, const bool &done, int timeoutMs)
{
    if (done)
        return true;
    QTimer timer;
    timer.setSingleShot(true);
    QObject::connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
    timer.start(timeoutMs);
    while (!done && timer.isActive())
        loop.exec();
    return done;
}

Transfer execTransfer(KubeApiClient *api, qint64 kubesimPid, const QString &tap,
                      const CaptureFile &file, int pingMs)
{
    Receiver rx(true);
    QEventLoop loop;
    bool done = false;
    ExecStream::Outcome outcome;
    ExecStream exec(api);
    if (pingMs > 0)
        exec.setPingInterval(pingMs);
    QObject::connect(&exec, &ExecStream::stdoutData, &loop,
                     [&](const QByteArray &b) { rx.feed(b); });
    QObject::connect(&exec, &ExecStream::finished, &loop, [&](const ExecStream::Outcome &o) {
        outcome = o;
        done = true;
        loop.quit();
    });
    const double self0 = cpuSeconds(RUSAGE_SELF);
    const double server0 = processTreeCpuSeconds(kubesimPid);
    QElapsedTimer t;
    t.start();
    exec.start(QStringLiteral("bench"), QStringLiteral("web"), tap,
               {QStringLiteral("cat"), file.path});
    const bool finished = waitFor(loop, done, 600000);
    Transfer r = rx.finish();
    r.seconds = double(t.nsecsElapsed()) / 1e9;
    r.cpuClient = cpuSeconds(RUSAGE_SELF) - self0;
    r.cpuServer = processTreeCpuSeconds(kubesimPid) - server0;
    if (!finished)
        r.error = QStringLiteral("timed out");
    else if (!outcome.success)
        r.error = outcome.message;
    return r;
}

Transfer tlsTransfer(const QString &self, const QString &dir, const CaptureFile &file,
                     bool useEngine)
{
    QProcess sender;
    sender.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    sender.start(self, {QStringLiteral("--serve-tls"), file.path, QStringLiteral("--cert"),
                        dir + QStringLiteral("/server.crt"), QStringLiteral("--key"),
                        dir + QStringLiteral("/server.key")});
    if (!sender.waitForReadyRead(10000))
        die(QStringLiteral("the TLS sender did not start"));
    const QByteArray line = sender.readLine().trimmed();
    if (!line.startsWith("port "))
        die(QStringLiteral("the TLS sender said: %1").arg(QString::fromUtf8(line)));
    const quint16 port = quint16(line.mid(5).toUInt());

    Receiver rx(useEngine);
    QEventLoop loop;
    bool done = false;
    QSslSocket socket;
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setPeerVerifyMode(QSslSocket::VerifyNone); // a throwaway certificate
    socket.setSslConfiguration(tls);
    QObject::connect(&socket, &QSslSocket::readyRead, &loop, [&] { rx.feed(socket.readAll()); });
    QObject::connect(&socket, &QSslSocket::disconnected, &loop, [&] {
        done = true;
        loop.quit();
    });
    const double self0 = cpuSeconds(RUSAGE_SELF);
    const double children0 = cpuSeconds(RUSAGE_CHILDREN);
    QElapsedTimer t;
    t.start();
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    const bool finished = waitFor(loop, done, 600000);
    if (socket.bytesAvailable())
        rx.feed(socket.readAll());
    Transfer r = rx.finish();
    r.seconds = double(t.nsecsElapsed()) / 1e9;
    r.cpuClient = cpuSeconds(RUSAGE_SELF) - self0;
    socket.abort();
    if (!sender.waitForFinished(20000))
        sender.kill();
    r.cpuServer = cpuSeconds(RUSAGE_CHILDREN) - children0;
    if (!finished)
        r.error = QStringLiteral("timed out");
    return r;
}

// The TLS sender: one connection, the whole file, close_notify, exit.
int serveTls(const char *path, const char *cert, const char *key)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1
        || SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    const int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (::bind(l, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0 || ::listen(l, 1) != 0
        || ::getsockname(l, reinterpret_cast<sockaddr *>(&sa), &len) != 0) {
        std::perror("listen");
        return 1;
    }
    std::printf("port %u\n", unsigned(ntohs(sa.sin_port)));
    std::fflush(stdout);
    const int c = ::accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
    timeval tv{60, 0};
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, c);
    if (SSL_accept(ssl) != 1) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    std::vector<char> buf(1 << 20);
    ssize_t n;
    while (fd >= 0 && (n = ::read(fd, buf.data(), buf.size())) > 0)
        if (SSL_write(ssl, buf.data(), int(n)) != int(n))
            return 1;
    SSL_shutdown(ssl);
    ::shutdown(c, SHUT_WR);
    while (::read(c, buf.data(), buf.size()) > 0) { // until the client closes
    }
    SSL_free(ssl);
    ::close(c);
    SSL_CTX_free(ctx);
    return 0;
}

void writeCertificate(const QString &dir)
{
    kubesim::CertAuthority ca;
    QString error;
    if (!ca.init(&error))
        die(error);
    const kubesim::IssuedCert cert
            = ca.issueServer({QStringLiteral("localhost")}, {QStringLiteral("127.0.0.1")}, &error);
    if (cert.certPem.isEmpty())
        die(error);
    QFile c(dir + QStringLiteral("/server.crt")), k(dir + QStringLiteral("/server.key"));
    if (!c.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || !k.open(QIODevice::WriteOnly | QIODevice::Truncate))
        die(QStringLiteral("cannot write the certificate to %1").arg(dir));
    c.write(cert.certPem);
    k.write(cert.keyPem);
}

// ------------------------------------------------------------------ kubesim and the tap

class Kubesim
{
public:
    bool start(const Options &o, QString *error)
    {
        m_kubeconfig = o.dir + QStringLiteral("/kubeconfig");
        QDir(o.dir).mkpath(QStringLiteral("state"));
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_LOGGING_RULES"),
                   QStringLiteral("kubesim.processes.info=false")); // a line per stop
        m_process.setProcessEnvironment(env);
        m_process.start(o.kubesim,
                        {QStringLiteral("--scenario"), o.scenario,
                         QStringLiteral("--kubeconfig-out"), m_kubeconfig, QStringLiteral("--port"),
                         QStringLiteral("0"), QStringLiteral("--state-dir"),
                         o.dir + QStringLiteral("/state"), QStringLiteral("--require-runtime")});
        QElapsedTimer t;
        t.start();
        QByteArray out;
        while (t.elapsed() < 20000 && !out.contains("kubesim ready")) {
            if (!m_process.waitForReadyRead(500) && m_process.state() == QProcess::NotRunning)
                break;
            out += m_process.readAllStandardOutput();
        }
        if (!out.contains("kubesim ready")) {
            *error = QStringLiteral("kubesim did not become ready (%1)")
                             .arg(QString::fromUtf8(out.trimmed()));
            return false;
        }
        m_readyMs = t.elapsed();
        return true;
    }
    ~Kubesim()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.terminate();
            if (!m_process.waitForFinished(10000))
                m_process.kill();
        }
    }
    qint64 pid() const { return m_process.processId(); }
    QString kubeconfig() const { return m_kubeconfig; }
    qint64 readyMs() const { return m_readyMs; }

private:
    QProcess m_process;
    QString m_kubeconfig;
    qint64 m_readyMs = 0;
};

// Kubeconfig → ClusterAccess → KubeApiClient, as the CLI builds it.
std::unique_ptr<KubeApiClient> makeClient(const QString &kubeconfig, CredentialCache *credentials)
{
    const auto config = Kubeconfig::loadFile(kubeconfig);
    if (!config)
        die(config.error());
    const auto access = ClusterAccess::fromKubeconfig(config.value());
    if (!access)
        die(access.error());
    return std::make_unique<KubeApiClient>(access.value(), credentials);
}

// GET the pod, then TapInjector (inject, or reuse the running tap). Empty on failure.
QString ensureTap(KubeApiClient *api, bool *reused, QString *error)
{
    const auto r = api->requestAndWait("GET", QStringLiteral("/api/v1/namespaces/bench/pods/web"));
    if (!r.ok()) {
        *error = r.errorText();
        return {};
    }
    TapInjector injector(api);
    QEventLoop loop;
    bool done = false;
    QString tap;
    QObject::connect(&injector, &TapInjector::ready, &loop, [&](const QString &name, bool re) {
        tap = name;
        *reused = re;
        done = true;
        loop.quit();
    });
    QObject::connect(&injector, &TapInjector::failed, &loop, [&](const QString &m) {
        *error = m;
        done = true;
        loop.quit();
    });
    injector.start(PodInfo::fromJson(r.json), QString::fromLatin1(TapSpec::DefaultImage));
    if (!waitFor(loop, done, 60000))
        *error = QStringLiteral("the tap did not become ready in 60 s");
    return tap;
}

// TapCapture::start → first packet parsed; then stops tcpdump and waits for the stream's end.
// Returns seconds, or -1.
double captureToFirstPacket(KubeApiClient *api, const QString &tap, const QStringList &argv)
{
    QEventLoop loop;
    bool first = false, stopped = false;
    double seconds = -1;
    QElapsedTimer t;
    PcapStreamReader reader;
    reader.setPacketCallback([&](const RawPacket &) {
        if (!first) {
            seconds = double(t.nsecsElapsed()) / 1e9;
            first = true;
            loop.quit();
        }
    });
    TapCapture capture(api);
    QObject::connect(&capture, &TapCapture::pcapData, &loop, [&](const QByteArray &b) {
        reader.feed(reinterpret_cast<const std::uint8_t *>(b.constData()), std::size_t(b.size()));
    });
    QObject::connect(&capture, &TapCapture::stopped, &loop, [&](bool ok, const QString &why) {
        if (!ok && !first)
            std::fprintf(stderr, "podtap-bench-exec: capture failed: %s\n", qPrintable(why));
        stopped = true;
        loop.quit();
    });
    t.start();
    capture.start(QStringLiteral("bench"), QStringLiteral("web"), tap, argv);
    waitFor(loop, first, 15000);
    if (!stopped) {
        capture.stop();
        waitFor(loop, stopped, 20000);
    }
    return first ? seconds : -1;
}

// From a fresh client (new TLS connection): GET pod, TapInjector reuse, TapCapture.
double clientToFirstPacket(const QString &kubeconfig, const QStringList &argv)
{
    QElapsedTimer t;
    t.start();
    CredentialCache credentials;
    auto api = makeClient(kubeconfig, &credentials);
    bool reused = false;
    QString error;
    const QString tap = ensureTap(api.get(), &reused, &error);
    if (tap.isEmpty() || !reused) {
        std::fprintf(stderr, "podtap-bench-exec: tap %s\n",
                     tap.isEmpty() ? qPrintable(error) : "was not reused");
        return -1;
    }
    const double setup = double(t.nsecsElapsed()) / 1e9;
    const double capture = captureToFirstPacket(api.get(), tap, argv);
    return capture < 0 ? -1 : setup + capture;
}

// `podtap capture bench/web --port 8080 -w -` until its first stdout byte (the pcap file
// header is written with the first packet).
double cliToFirstPacket(const QString &podtap, const QString &kubeconfig)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::SeparateChannels);
    p.setStandardErrorFile(QProcess::nullDevice());
    QElapsedTimer t;
    t.start();
    p.start(podtap,
            {QStringLiteral("capture"), QStringLiteral("--direct"), QStringLiteral("bench/web"),
             QStringLiteral("--port"), QStringLiteral("8080"), QStringLiteral("-w"),
             QStringLiteral("-"), QStringLiteral("--kubeconfig"), kubeconfig});
    double seconds = -1;
    while (t.elapsed() < 15000) {
        if (p.waitForReadyRead(100) && p.bytesAvailable() > 0) {
            seconds = double(t.nsecsElapsed()) / 1e9;
            break;
        }
        if (p.state() == QProcess::NotRunning)
            break;
    }
    p.terminate(); // podtap stops tcpdump in the tap and exits
    if (!p.waitForFinished(20000))
        p.kill();
    return seconds;
}

void printTransfer(const char *name, const std::vector<Transfer> &runs, double baseMBps,
                   double plainMBps)
{
    std::vector<double> secs, client, server;
    for (const Transfer &r : runs) {
        secs.push_back(r.seconds);
        client.push_back(r.cpuClient / (double(r.bytes) / 1e9));
        server.push_back(r.cpuServer / (double(r.bytes) / 1e9));
    }
    const Transfer &last = runs.back();
    const double s = median(secs), mbps = double(last.bytes) / 1e6 / s;
    std::printf("  %-14s %8.3f %8.0f %9.2f %9.2f %9.2f %9.2f %9.2f\n", name, s, mbps,
                mbps / baseMBps, mbps / plainMBps, median(client), median(server),
                median(client) + median(server));
}

} // namespace

int main(int argc, char **argv)
{
    if (argc == 7 && std::strcmp(argv[1], "--serve-tls") == 0)
        return serveTls(argv[2], argv[4], argv[6]);
    QCoreApplication app(argc, argv);
    Options o;
    bool small = false;
    const QStringList args = app.arguments();
    for (int i = 1; i < args.size(); ++i) {
        const QString &a = args.at(i);
        auto value = [&]() -> QString {
            if (i + 1 >= args.size())
                die(a + QStringLiteral(" needs a value"));
            return args.at(++i);
        };
        if (a == QLatin1String("--size"))
            o.sizeMB = std::max<qulonglong>(1, value().toULongLong());
        else if (a == QLatin1String("--segment"))
            o.segment = std::clamp(value().toInt(), 1, 65000);
        else if (a == QLatin1String("--repeat"))
            o.repeat = std::max(1, value().toInt());
        else if (a == QLatin1String("--ttfp"))
            o.ttfpRuns = std::max(0, value().toInt());
        else if (a == QLatin1String("--dir"))
            o.dir = value();
        else if (a == QLatin1String("--kubesim"))
            o.kubesim = value();
        else if (a == QLatin1String("--scenario"))
            o.scenario = value();
        else if (a == QLatin1String("--podtap"))
            o.podtap = value();
        else if (a == QLatin1String("--exec-ping-ms"))
            o.execPingMs = std::max(0, value().toInt());
        else if (a == QLatin1String("--no-tls"))
            o.tls = false;
        else if (a == QLatin1String("--small"))
            small = true;
        else {
            std::printf("usage: podtap-bench-exec [--size MB] [--segment BYTES] [--repeat N] "
                        "[--ttfp N] [--dir DIR] [--kubesim PATH] [--scenario FILE] "
                        "[--podtap PATH|''] [--small] [--exec-ping-ms MS] [--no-tls]\n");
            return a == QLatin1String("--help") ? 0 : 2;
        }
    }
    if (small) { // the smoke test: a quick run that proves the benchmark works
        o.sizeMB = std::min<std::uint64_t>(o.sizeMB, 20);
        o.repeat = 1;
        o.ttfpRuns = std::min(o.ttfpRuns, 2);
    }
    std::signal(SIGPIPE, SIG_IGN);
    if (geteuid() != 0) {
        std::printf("podtap-bench-exec: skipped: needs root (kubesim's pods are network "
                    "namespaces)\n");
        return SkipCode;
    }
    if (!QFileInfo(o.kubesim).isExecutable()) {
        std::printf("podtap-bench-exec: skipped: no kubesim at %s\n", qPrintable(o.kubesim));
        return SkipCode;
    }
    QDir().mkpath(o.dir);
    // The tap `cat`s the capture file from here: others must be able to enter (whatever
    // the umask), as a container's process is not the folder's owner.
    QFile::setPermissions(o.dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                         | QFileDevice::ExeOwner | QFileDevice::ReadGroup
                                         | QFileDevice::ExeGroup | QFileDevice::ReadOther
                                         | QFileDevice::ExeOther);
    ::chmod(qPrintable(o.dir), 0755); // the tap's cat runs as uid 65534
    const CaptureFile file = ensureCapture(o);
    writeCertificate(o.dir);

    Kubesim kubesim;
    QString error;
    if (!kubesim.start(o, &error))
        die(error);
    CredentialCache credentials;
    auto api = makeClient(kubesim.kubeconfig(), &credentials);
    QElapsedTimer injectTimer;
    injectTimer.start();
    bool reused = false;
    const QString tap = ensureTap(api.get(), &reused, &error);
    if (tap.isEmpty())
        die(QStringLiteral("no tap: %1").arg(error));
    const double injectSeconds = double(injectTimer.nsecsElapsed()) / 1e9;

    std::printf("podtap-bench-exec: kubesim ready in %lld ms; tap %s %s in %.2f s; %d CPUs, "
                "load %s\n",
                static_cast<long long>(kubesim.readyMs()), qPrintable(tap),
                reused ? "reused" : "injected", injectSeconds, int(sysconf(_SC_NPROCESSORS_ONLN)),
                [] {
                    QFile l(QStringLiteral("/proc/loadavg"));
                    return l.open(QIODevice::ReadOnly) ? l.readAll().left(14).toStdString()
                                                       : std::string("?");
                }()
                        .c_str());
    std::printf("capture: %s, %.1f MB, %" PRIu64 " packets, %" PRIu64
                " payload bytes in one connection\n",
                qPrintable(file.path), double(file.bytes) / 1e6, file.packets, file.payload);

    std::vector<Transfer> execRuns, plainEngineRuns, plainRuns;
    bool sane = true;
    for (int r = 0; r < o.repeat; ++r) {
        warm(file.path);
        execRuns.push_back(execTransfer(api.get(), kubesim.pid(), tap, file, o.execPingMs));
        if (!o.tls) {
            const Transfer &t = execRuns.back();
            std::printf("  exec run %d: %.3f s, %.0f MB/s, %" PRIu64 "/%" PRIu64 " bytes %s\n", r,
                        t.seconds, double(t.bytes) / 1e6 / t.seconds, t.bytes, file.bytes,
                        qPrintable(t.error));
            sane = sane && t.error.isEmpty() && t.bytes == file.bytes;
            continue;
        }
        plainEngineRuns.push_back(tlsTransfer(app.applicationFilePath(), o.dir, file, true));
        plainRuns.push_back(tlsTransfer(app.applicationFilePath(), o.dir, file, false));
        for (const auto *runs : {&execRuns, &plainEngineRuns, &plainRuns}) {
            const Transfer &t = runs->back();
            const bool engine = runs != &plainRuns;
            if (!t.error.isEmpty() || t.bytes != file.bytes
                || (engine && (t.packets != file.packets || t.payload != file.payload))) {
                std::printf("  WARNING: run %d %s: %" PRIu64 "/%" PRIu64 " bytes, %" PRIu64
                            " packets, %" PRIu64 " payload bytes; %s\n",
                            r, runs == &execRuns ? "exec" : "tls", t.bytes, file.bytes, t.packets,
                            t.payload, qPrintable(t.error));
                sane = false;
            }
        }
    }
    if (o.tls) {
        auto mbps = [&](const std::vector<Transfer> &runs) {
            std::vector<double> s;
            for (const Transfer &t : runs)
                s.push_back(t.seconds);
            return double(file.bytes) / 1e6 / median(s);
        };
        const double plain = mbps(plainRuns), plainEngine = mbps(plainEngineRuns),
                     exec = mbps(execRuns);
        std::printf(
                "\nthroughput, %.0f MB each, median of %d (ratio columns: MB/s over TLS → engine "
                "and over TLS → discard)\n",
                double(file.bytes) / 1e6, o.repeat);
        std::printf("  %-14s %8s %8s %9s %9s %9s %9s %9s\n", "path", "seconds", "MB/s", "/tls+eng",
                    "/tls", "cpu-cli", "cpu-srv", "cpu-all");
        std::printf("  %-14s %8s %8s %9s %9s %9s %9s %9s\n", "", "", "", "", "", "s/GB", "s/GB",
                    "s/GB");
        printTransfer("exec -> engine", execRuns, plainEngine, plain);
        printTransfer("TLS -> engine", plainEngineRuns, plainEngine, plain);
        printTransfer("TLS -> discard", plainRuns, plainEngine, plain);
        std::uint64_t chunks = execRuns.back().chunks;
        std::printf("  exec: %" PRIu64 " stdout chunks (%.1f KiB each); TLS: %" PRIu64
                    " reads (%.1f KiB each)\n",
                    chunks, chunks ? double(file.bytes) / double(chunks) / 1024 : 0.0,
                    plainEngineRuns.back().chunks,
                    double(file.bytes)
                            / double(std::max<std::uint64_t>(1, plainEngineRuns.back().chunks))
                            / 1024);
        const double ratio = exec / plain;
        std::printf("  exec/plain ratio %.2f (target 0.5: %s); exec/(TLS → engine) %.2f\n", ratio,
                    ratio >= 0.5 ? "MET" : "MISSED", exec / plainEngine);
    }

    // Time to first packet with the tap running and the pod under traffic.
    if (o.ttfpRuns > 0) {
        CaptureCommand::Options co;
        co.port = 8080;
        const auto argvResult = CaptureCommand::argv(co);
        if (!argvResult)
            die(argvResult.error());
        std::vector<double> capture, client, cli;
        const bool haveCli = !o.podtap.isEmpty() && QFileInfo(o.podtap).isExecutable();
        for (int i = 0; i < o.ttfpRuns; ++i) {
            capture.push_back(captureToFirstPacket(api.get(), tap, argvResult.value()));
            client.push_back(clientToFirstPacket(kubesim.kubeconfig(), argvResult.value()));
            if (haveCli)
                cli.push_back(cliToFirstPacket(o.podtap, kubesim.kubeconfig()));
        }
        std::printf("\ntime to first packet, existing tap, traffic 50 req/s (seconds, %d runs)\n",
                    o.ttfpRuns);
        std::printf("  %-34s %7s %7s %7s   target < 1 s\n", "from", "median", "min", "max");
        auto row = [&](const char *name, std::vector<double> v) {
            const bool failed = std::any_of(v.begin(), v.end(), [](double s) { return s < 0; });
            sane = sane && !failed;
            std::sort(v.begin(), v.end());
            const double m = median(v);
            std::printf("  %-34s %7.3f %7.3f %7.3f   %s\n", name, m, v.front(), v.back(),
                        failed ? "FAILED RUNS" : (m < 1.0 ? "MET" : "MISSED"));
        };
        row("TapCapture::start (open client)", capture);
        row("new client + GET + reuse + capture", client);
        if (haveCli)
            row("`podtap capture` process start", cli);
        else
            std::printf("  (no podtap binary at '%s': CLI row skipped)\n", qPrintable(o.podtap));
    }
    std::printf("\n%s\n", sane ? "benchmark ran: byte and packet counts match"
                               : "benchmark ran with errors (see WARNING lines)");
    return sane ? 0 : 1;
}
