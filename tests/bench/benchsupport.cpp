#include "benchsupport.h"

#include "kube/clusteraccess.h"
#include "kube/credentialcache.h"
#include "kube/kubeapiclient.h"
#include "kube/kubeconfig.h"
#include "kube/tapinjector.h"
#include "kube/tapspec.h"
#include "store/sessionspool.h"

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QProcessEnvironment>
#include <QTimer>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace podtap::bench {

// ------------------------------------------------------------------ clocks and numbers

namespace {
std::int64_t clockNs(clockid_t id)
{
    timespec ts{};
    clock_gettime(id, &ts);
    return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
} // namespace

std::int64_t steadyNs()
{
    return clockNs(CLOCK_MONOTONIC);
}

std::int64_t realtimeNs()
{
    return clockNs(CLOCK_REALTIME);
}

double cpuSeconds()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
           + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::int64_t procStatusBytes(const char *field)
{
    FILE *f = std::fopen("/proc/self/status", "re");
    if (!f)
        return -1;
    char line[256];
    const std::size_t n = std::strlen(field);
    std::int64_t kb = -1;
    while (std::fgets(line, sizeof line, f)) {
        if (std::strncmp(line, field, n) == 0 && line[n] == ':') {
            kb = std::strtoll(line + n + 1, nullptr, 10);
            break;
        }
    }
    std::fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

bool resetPeakRss()
{
    FILE *f = std::fopen("/proc/self/clear_refs", "we");
    if (!f)
        return false;
    const bool ok = std::fputs("5", f) >= 0;
    return std::fclose(f) == 0 && ok;
}

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

Distribution Distribution::of(std::vector<double> v)
{
    Distribution d;
    d.count = v.size();
    if (v.empty())
        return d;
    std::sort(v.begin(), v.end());
    auto rank = [&](double q) {
        const std::size_t i = std::size_t(std::ceil(q * double(v.size())));
        return v[std::min(v.size() - 1, i > 0 ? i - 1 : 0)];
    };
    d.p50 = rank(0.50);
    d.p90 = rank(0.90);
    d.p99 = rank(0.99);
    d.p999 = rank(0.999);
    d.max = v.back();
    d.over1k = std::size_t(v.end() - std::upper_bound(v.begin(), v.end(), 1000.0));
    d.over10k = std::size_t(v.end() - std::upper_bound(v.begin(), v.end(), 10000.0));
    return d;
}

void die(const char *tool, const QString &what)
{
    std::fprintf(stderr, "%s: %s\n", tool, qPrintable(what));
    std::exit(1);
}

QString loadAverage()
{
    QFile l(QStringLiteral("/proc/loadavg"));
    if (!l.open(QIODevice::ReadOnly))
        return QStringLiteral("?");
    return QString::fromLatin1(l.readAll().left(14)).trimmed();
}

// ------------------------------------------------------------------ synthetic pcap

namespace {
void put16(std::uint8_t *p, std::uint16_t v)
{
    p[0] = std::uint8_t(v >> 8);
    p[1] = std::uint8_t(v);
}

void put32(std::uint8_t *p, std::uint32_t v)
{
    put16(p, std::uint16_t(v >> 16));
    put16(p + 2, std::uint16_t(v));
}

void putHost32(std::vector<std::uint8_t> &out, std::uint32_t v)
{
    const auto *b = reinterpret_cast<const std::uint8_t *>(&v);
    out.insert(out.end(), b, b + 4);
}
} // namespace

void PcapSynth::header()
{
    // pcap file header in host byte order, as libpcap writes it: µs, v2.4, snaplen, SLL2.
    for (std::uint32_t v : {0xa1b2c3d4u, 0x00040002u, 0u, 0u, 262144u, 276u})
        putHost32(m_out, v);
    m_bytes += 24;
}

void PcapSynth::packet(SynthFlow &flow, bool fromClient, std::uint8_t flags,
                       const std::uint8_t *payload, std::size_t size)
{
    constexpr std::size_t sll = 20, ip = 20, tcp = 20, frame = sll + ip + tcp;
    const std::uint32_t len = std::uint32_t(frame + size);
    putHost32(m_out, std::uint32_t(m_tsNs / 1000000000));
    putHost32(m_out, std::uint32_t(m_tsNs % 1000000000 / 1000));
    putHost32(m_out, len);
    putHost32(m_out, len);
    const std::size_t at = m_out.size();
    m_out.resize(at + frame, 0);
    std::uint8_t *f = m_out.data() + at;
    put16(f, 0x0800);           // SLL2 protocol: IPv4
    put32(f + 4, 2);            // interface index
    put16(f + 8, 1);            // ARPHRD_ETHER
    f[10] = fromClient ? 0 : 4; // PACKET_HOST / PACKET_OUTGOING
    f[11] = 6;                  // address length
    f[12] = 0x02;               // a locally administered MAC
    std::uint8_t *i = f + sll;
    i[0] = 0x45; // IPv4, IHL 5
    put16(i + 2, std::uint16_t(ip + tcp + size));
    put16(i + 6, 0x4000); // DF
    i[8] = 64;
    i[9] = 6; // TCP
    put32(i + 12, fromClient ? flow.clientIp : flow.serverIp);
    put32(i + 16, fromClient ? flow.serverIp : flow.clientIp);
    std::uint8_t *t = i + ip;
    put16(t, fromClient ? flow.clientPort : flow.serverPort);
    put16(t + 2, fromClient ? flow.serverPort : flow.clientPort);
    put32(t + 4, fromClient ? flow.clientSeq : flow.serverSeq);
    put32(t + 8, (flags & 0x10) ? (fromClient ? flow.serverSeq : flow.clientSeq) : 0);
    t[12] = 0x50; // data offset 5
    t[13] = flags;
    put16(t + 14, 65535);
    if (size > 0)
        m_out.insert(m_out.end(), payload, payload + size);
    m_bytes += 16 + len;
    ++m_packets;
    m_tsNs += m_stepNs;
    if (fromClient)
        m_c2sPayload += size;
    std::uint32_t &seq = fromClient ? flow.clientSeq : flow.serverSeq;
    seq += std::uint32_t(size) + ((flags & 0x03) ? 1 : 0); // SYN and FIN count one
}

std::vector<std::uint8_t> randomBytes(std::size_t size, std::uint64_t seed)
{
    std::vector<std::uint8_t> v(size);
    std::uint64_t x = seed | 1;
    for (std::uint8_t &b : v) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b = std::uint8_t(x);
    }
    return v;
}

// ------------------------------------------------------------------ the store

void SpoolObserver::podPacket(int, const RawPacket &packet, std::uint64_t connectionId,
                              std::uint8_t direction, std::uint8_t tcpFlags)
{
    if (m_spool->isOpen())
        m_spool->append(packet, connectionId, direction, tcpFlags);
}

void SpoolObserver::podConnectionClosed(const QJsonObject &summary)
{
    if (m_spool->isOpen())
        m_spool->appendConnection(summary);
}

std::unique_ptr<SessionSpool> createSpool(const QString &dir)
{
    auto spool = std::make_unique<SessionSpool>();
    PcapWriter::Options wo;
    wo.interfaceDescription = QStringLiteral("pod bench/web, tcp port 8080");
    wo.sectionComment = QStringLiteral("podtap benchmark");
    const QJsonObject meta{{QStringLiteral("kind"), QStringLiteral("pod")},
                           {QStringLiteral("target"), QStringLiteral("bench/web")}};
    const auto created = spool->create(dir, meta, SessionSpool::Limits{}, wo);
    if (!created)
        die("podtap-bench", created.error());
    return spool;
}

StoreSizes storeSizes(const QString &dir)
{
    StoreSizes s;
    const QFileInfoList files = QDir(dir).entryInfoList(QDir::Files | QDir::Hidden);
    for (const QFileInfo &f : files) {
        const QString name = f.fileName();
        if (name.endsWith(QLatin1String(".pcapng")))
            s.pcapng += f.size();
        else if (name.endsWith(QLatin1String(".idx")))
            s.index += f.size();
        else if (name.endsWith(QLatin1String(".jsonl")))
            s.connections += f.size();
        else
            s.other += f.size();
    }
    return s;
}

// ------------------------------------------------------------------ a local TCP server

LocalServer::LocalServer(bool record)
    : m_record(record)
{}

LocalServer::~LocalServer()
{
    stop();
    if (m_listen >= 0)
        ::close(m_listen);
    if (m_wake >= 0)
        ::close(m_wake);
}

bool LocalServer::start(QString *error)
{
    m_listen = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    m_wake = ::eventfd(0, EFD_CLOEXEC);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (m_listen < 0 || m_wake < 0
        || ::bind(m_listen, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0
        || ::listen(m_listen, 1024) != 0
        || ::getsockname(m_listen, reinterpret_cast<sockaddr *>(&sa), &len) != 0) {
        *error = QStringLiteral("local server: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    m_port = ntohs(sa.sin_port);
    m_thread = std::thread([this] { run(); });
    return true;
}

void LocalServer::stop()
{
    if (!m_thread.joinable())
        return;
    const std::uint64_t one = 1;
    if (::write(m_wake, &one, sizeof one) < 0)
        std::perror("eventfd");
    m_thread.join();
}

void LocalServer::run()
{
    std::vector<pollfd> fds{{m_wake, POLLIN, 0}, {m_listen, POLLIN, 0}};
    std::vector<std::size_t> connOf{0, 0}; // fds index → m_conns index (from 2 on)
    std::vector<char> buf(1 << 20);
    while (true) {
        if (::poll(fds.data(), nfds_t(fds.size()), -1) < 0) {
            if (errno == EINTR)
                continue;
            std::perror("poll");
            return;
        }
        if (fds[0].revents)
            break;
        if (fds[1].revents & POLLIN) {
            const int c = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
            if (c >= 0) {
                fds.push_back({c, POLLIN, 0});
                connOf.push_back(m_conns.size());
                m_conns.emplace_back();
                if (m_record)
                    m_conns.back().reads.reserve(1 << 16);
                m_accepted.fetch_add(1, std::memory_order_release);
            }
        }
        for (std::size_t i = 2; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            const ssize_t n = ::recv(fds[i].fd, buf.data(), buf.size(), 0);
            const std::int64_t at = steadyNs();
            Connection &c = m_conns[connOf[i]];
            if (n <= 0) {
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                    continue;
                ::close(fds[i].fd);
                fds[i].fd = -1; // poll ignores negative descriptors
                c.ended = true;
                continue;
            }
            c.bytes += std::uint64_t(n);
            if (m_record) {
                c.reads.push_back({c.bytes, at});
                if (c.head.size() < 512)
                    c.head.append(buf.data(),
                                  std::min<std::size_t>(std::size_t(n), 512 - c.head.size()));
            }
            m_total.fetch_add(std::uint64_t(n), std::memory_order_release);
            if (m_answerHttp) {
                static constexpr char End[] = "\r\n\r\n";
                static constexpr char Answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                int heads = 0;
                for (ssize_t j = 0; j < n; ++j) {
                    c.headState = buf[std::size_t(j)] == End[c.headState] ? c.headState + 1
                                  : buf[std::size_t(j)] == '\r'           ? 1
                                                                          : 0;
                    if (c.headState == 4) {
                        ++heads;
                        c.headState = 0;
                    }
                }
                for (int h = 0; h < heads; ++h)
                    (void)!::send(fds[i].fd, Answer, sizeof Answer - 1, MSG_NOSIGNAL);
                c.answered += std::uint64_t(heads);
            }
        }
    }
    for (std::size_t i = 2; i < fds.size(); ++i)
        if (fds[i].fd >= 0)
            ::close(fds[i].fd);
}

// ------------------------------------------------------------------ kubesim and a tap

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

KubesimProcess::~KubesimProcess()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.terminate();
        if (!m_process.waitForFinished(10000))
            m_process.kill();
    }
}

bool KubesimProcess::start(const QString &binary, const QString &scenario, const QString &dir,
                           QString *error)
{
    m_kubeconfig = dir + QStringLiteral("/kubeconfig");
    QDir(dir).mkpath(QStringLiteral("state"));
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("kubesim.processes.info=false"));
    m_process.setProcessEnvironment(env);
    m_process.start(binary,
                    {QStringLiteral("--scenario"), scenario, QStringLiteral("--kubeconfig-out"),
                     m_kubeconfig, QStringLiteral("--port"), QStringLiteral("0"),
                     QStringLiteral("--state-dir"), dir + QStringLiteral("/state"),
                     QStringLiteral("--require-runtime")});
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

QString KubesimProcess::clientNetns(int pod) const
{
    // tests/kubesim/runtime/README.md: ksim<pid>-c<n> is the client namespace of pod n.
    return QStringLiteral("ksim%1-c%2").arg(pid()).arg(pod);
}

std::unique_ptr<KubeApiClient> makeClient(const QString &kubeconfig, CredentialCache *credentials,
                                          QString *error)
{
    const auto config = Kubeconfig::loadFile(kubeconfig);
    if (!config) {
        *error = config.error();
        return nullptr;
    }
    const auto access = ClusterAccess::fromKubeconfig(config.value());
    if (!access) {
        *error = access.error();
        return nullptr;
    }
    return std::make_unique<KubeApiClient>(access.value(), credentials);
}

QString ensureTap(KubeApiClient *api, const QString &ns, const QString &pod, PodInfo *info,
                  bool *reused, QString *error)
{
    const auto r = api->requestAndWait(
            "GET", QStringLiteral("/api/v1/namespaces/%1/pods/%2").arg(ns, pod));
    if (!r.ok()) {
        *error = r.errorText();
        return {};
    }
    *info = PodInfo::fromJson(r.json);
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
    injector.start(*info, QString::fromLatin1(TapSpec::DefaultImage));
    if (!waitFor(loop, done, 60000))
        *error = QStringLiteral("the tap did not become ready in 60 s");
    return tap;
}

} // namespace podtap::bench
