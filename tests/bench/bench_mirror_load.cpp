// The mirror under production-like load, as a user runs it: kubesim with a real nginx in the
// pod (workload `nginx`), podtap-trafficgen sending small GETs at a fixed rate from the pod's
// client namespace, podtapd and `podtap mirror POD --port 8080 --to 127.0.0.1:PORT` into a
// second real nginx on loopback. Both nginx access logs count: "served" = the pod's lines,
// "delivered" = the local server's lines, matched by trafficgen's X-Request-Id.
//
//   podtap-bench-mirror-load [--rates 2000,5000,10000,20000] [--connections 4,64]
//                            [--new-conns 1000] [--seconds 5] [--repeat 1]
//                            [--stage mirror|capture|tcpdump] [--dir DIR]
//
// Rows: every rate on every keep-alive connection count, then --new-conns connections/s with
// one request each (0: no such row). Per row: packets/s seen by the session, tcpdump's kernel
// drops (its own final count, as the session reports it), delivered/served, the mirror delay
// (p50/p99 of local $msec minus pod $msec of the same request: from the pod's answer to the
// local answer, 1 ms resolution), CPU-seconds per million served requests of podtapd, of
// kubesim (API server + exec relay, one thread) and of tcpdump (/proc/PID/stat utime+stime
// over the row), how often tcpdump was found blocked writing its stdout pipe (wchan sampled
// every 2 ms: when the reader is too slow the ring fills behind it) and how long it waited,
// runnable, for a CPU (/proc/PID/schedstat: while it waits, the ring fills too).
//
// --stage narrows the path to find where packets are lost at a given rate:
//   mirror   the whole path (podtapd session: engine, store, mirror)
//   capture  `podtap capture --direct -w /dev/null`: kubesim's exec relay into the CLI,
//            no podtapd
//   tcpdump  CaptureCommand's argv run straight in the pod's namespace into /dev/null: the
//            kernel ring and tcpdump alone
// Needs root (kubesim's pods are network namespaces) and nginx (nginx-light).
//
// --protocol h2: HTTP/2 cleartext with prior knowledge, and HTTP/1.1 as the baseline, both
// sent by h2load (nghttp2-client) from the pod's client namespace so the client is the same:
// per rate an "h1" row (h2load --h1) and an "h2" row, C connections (--connections, first
// value; default 4) of --streams concurrent streams (default 10), --rps rate/C per
// connection, --seconds long. HTTP/2 is served in the pod by a second nginx started in its
// network namespace on port 8081 with `http2` (kubesim's serves HTTP/1.1 on 8080, and nginx
// cannot add a listener by reload in its single-process mode); the local nginx gets an
// `http2` listener too, and `podtap mirror --port 8081` sends to it. h2load sends no per-request
// id: delivered and served are line counts of the two access logs for the row, and the delay
// columns are empty. Default rates in this mode: 5000.

#include "kube/capturecommand.h"

#include "../e2e/support/clirunner.h"
#include "../e2e/support/kubesimprocess.h"
#include "../e2e/support/podtapdprocess.h"
#include "../e2e/support/trafficgencommand.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace {

constexpr const char *Tool = "podtap-bench-mirror-load";
constexpr int SkipCode = 77;
constexpr int PodPort = 8080;
constexpr int PodH2Port = 8081; // --protocol h2: the pod nginx's HTTP/2 (prior knowledge) listener
const QString Ns = QStringLiteral("bench");
const QString PodName = QStringLiteral("web");

[[noreturn]] void fail(const QString &what)
{
    std::fprintf(stderr, "%s: %s\n", Tool, qPrintable(what));
    std::exit(1);
}

struct Options
{
    QList<int> rates{2000, 5000, 10000, 20000};
    QList<int> connections{4, 64};
    int newConns = 1000;
    int seconds = 5;
    int repeat = 1;
    QString stage = QStringLiteral("mirror");
    QString dir = QStringLiteral("/tmp/podtap-bench-mirror-load");
    // kubesim drops every Nth captured client→server data packet on its way to podtapd
    // (its dropPackets exec fault): loss the mirror must resynchronise after. 0: none.
    int dropEvery = 0;
    QString protocol = QStringLiteral("h1"); // h2: h2load rows, h1 and h2 (see above)
    int streams = 10;
    bool ratesGiven = false, connectionsGiven = false;
};

QList<int> intList(const QString &s)
{
    QList<int> out;
    for (const QString &part : s.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const int n = part.trimmed().toInt(&ok);
        if (!ok || n <= 0)
            fail(QStringLiteral("not a positive number list: %1").arg(s));
        out << n;
    }
    return out;
}

Options parse(const QStringList &args)
{
    Options o;
    for (int i = 1; i < args.size(); ++i) {
        const QString a = args[i];
        auto value = [&] {
            if (i + 1 >= args.size())
                fail(a + QStringLiteral(" needs a value"));
            return args[++i];
        };
        if (a == QLatin1String("--rates")) {
            o.rates = intList(value());
            o.ratesGiven = true;
        } else if (a == QLatin1String("--connections")) {
            o.connections = intList(value());
            o.connectionsGiven = true;
        } else if (a == QLatin1String("--protocol"))
            o.protocol = value();
        else if (a == QLatin1String("--streams"))
            o.streams = std::max(1, value().toInt());
        else if (a == QLatin1String("--new-conns"))
            o.newConns = value().toInt();
        else if (a == QLatin1String("--seconds"))
            o.seconds = std::max(1, value().toInt());
        else if (a == QLatin1String("--repeat"))
            o.repeat = std::max(1, value().toInt());
        else if (a == QLatin1String("--stage"))
            o.stage = value();
        else if (a == QLatin1String("--dir"))
            o.dir = value();
        else if (a == QLatin1String("--drop-every"))
            o.dropEvery = std::max(0, value().toInt());
        else {
            std::fprintf(stderr,
                         "usage: %s [--rates R,R..] [--connections C,C..] [--new-conns N] "
                         "[--seconds S] [--repeat N] [--stage mirror|capture|tcpdump] "
                         "[--dir DIR] [--drop-every N] [--protocol h1|h2] [--streams M]\n",
                         Tool);
            std::exit(a == QLatin1String("--help") ? 0 : 2);
        }
    }
    if (o.stage != QLatin1String("mirror") && o.stage != QLatin1String("capture")
        && o.stage != QLatin1String("tcpdump"))
        fail(QStringLiteral("--stage must be mirror, capture or tcpdump"));
    if (o.protocol != QLatin1String("h1") && o.protocol != QLatin1String("h2"))
        fail(QStringLiteral("--protocol must be h1 or h2"));
    if (o.protocol == QLatin1String("h2")) {
        if (!o.ratesGiven)
            o.rates = {5000};
        if (!o.connectionsGiven)
            o.connections = {4};
    }
    return o;
}

// ------------------------------------------------------------------ /proc

double cpuSecondsOf(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (pid <= 0 || !f.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray s = f.readAll();
    // comm may hold spaces: the fields after the last ')' start with the state (field 3).
    const QList<QByteArray> fields = s.mid(s.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return 0;
    return double(fields[11].toLongLong() + fields[12].toLongLong()) / double(sysconf(_SC_CLK_TCK));
}

// Time the process spent runnable but waiting for a CPU (/proc/PID/schedstat, 2nd field, ns).
double runQueueSecondsOf(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/schedstat").arg(pid));
    if (pid <= 0 || !f.open(QIODevice::ReadOnly))
        return 0;
    return double(f.readAll().split(' ').value(1).toLongLong()) / 1e9;
}

// The tcpdump whose parent is `parent` (kubesim's exec children: ChildProcess execs in place).
qint64 findTcpdump(qint64 parent)
{
    const QStringList pids = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &p : pids) {
        bool ok = false;
        const qint64 pid = p.toLongLong(&ok);
        if (!ok)
            continue;
        QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QByteArray s = f.readAll();
        if (!s.contains("(tcpdump)"))
            continue;
        const QList<QByteArray> fields = s.mid(s.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1 && fields[1].toLongLong() == parent)
            return pid;
    }
    return 0;
}

// Samples tcpdump's wait channel: the share of time it sat in pipe_write (stdout full).
class WchanSampler
{
public:
    void start(qint64 pid)
    {
        m_pid = pid;
        m_stop = false;
        m_thread = std::thread([this] { run(); });
    }
    void stop()
    {
        m_stop = true;
        if (m_thread.joinable())
            m_thread.join();
    }
    double blockedShare() const { return m_samples ? double(m_blocked) / double(m_samples) : 0; }

private:
    void run()
    {
        const QByteArray path = "/proc/" + QByteArray::number(m_pid) + "/wchan";
        while (!m_stop) {
            FILE *f = std::fopen(path.constData(), "r");
            if (!f)
                return;
            char buf[64] = {};
            const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
            std::fclose(f);
            ++m_samples;
            if (QByteArray(buf, qsizetype(n)).contains("pipe_write"))
                ++m_blocked;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
    qint64 m_pid = 0;
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
    quint64 m_samples = 0, m_blocked = 0;
};

// ------------------------------------------------------------------ nginx logs

struct LogLine
{
    double msec = 0;
    QByteArray id;
};

// Lines appended to an nginx access log since a byte offset ("$msec ... \"$http_x_request_id\"").
class AccessLog
{
public:
    explicit AccessLog(QString path = {})
        : m_path(std::move(path))
    {}
    void mark() { m_offset = QFileInfo(m_path).size(); }
    qint64 linesSinceMark() const { return readSinceMark().size(); }
    QList<LogLine> readSinceMark() const
    {
        QList<LogLine> out;
        QFile f(m_path);
        if (!f.open(QIODevice::ReadOnly) || !f.seek(m_offset))
            return out;
        const QByteArray all = f.readAll();
        for (const QByteArray &l : all.split('\n')) {
            if (l.isEmpty())
                continue;
            LogLine line;
            line.msec = l.left(l.indexOf(' ')).toDouble();
            const qsizetype end = l.lastIndexOf('"');
            const qsizetype begin = end > 0 ? l.lastIndexOf('"', end - 1) : -1;
            if (begin >= 0)
                line.id = l.mid(begin + 1, end - begin - 1);
            out << line;
        }
        return out;
    }
    QString path() const { return m_path; }

private:
    QString m_path;
    qint64 m_offset = 0;
};

// The stand-in for the developer's local build: a real nginx on loopback.
class LocalNginx
{
public:
    ~LocalNginx() { CliRunner::stop(&m_process, 2000, 2000); }
    // `h2`: a second listener (h2Port()) for HTTP/2 with prior knowledge.
    bool start(const QString &dir, bool h2, QString *error)
    {
        QTcpServer probe; // a free port (the kernel's pick; released just before nginx binds it)
        QTcpServer probe2;
        if (!probe.listen(QHostAddress::LocalHost, 0)
            || (h2 && !probe2.listen(QHostAddress::LocalHost, 0))) {
            *error = probe.errorString() + probe2.errorString();
            return false;
        }
        m_port = probe.serverPort();
        m_h2Port = h2 ? probe2.serverPort() : 0;
        probe.close();
        probe2.close();
        QByteArray listen = "        listen 127.0.0.1:" + QByteArray::number(m_port) + ";\n";
        if (h2)
            listen += "        listen 127.0.0.1:" + QByteArray::number(m_h2Port) + " http2;\n";
        if (!launch(dir, listen, {}, error))
            return false;
        for (int i = 0; i < 200; ++i) {
            QTcpSocket s;
            s.connectToHost(QHostAddress::LocalHost, m_port);
            if (s.waitForConnected(50))
                return true;
            if (m_process.state() != QProcess::Running)
                break;
            QThread::msleep(25);
        }
        *error = QStringLiteral("the local nginx did not listen (see %1/error.log)").arg(dir);
        return false;
    }
    // --protocol h2: a second nginx in the pod's network namespace, HTTP/2 (prior knowledge)
    // on `port`, beside kubesim's (which serves HTTP/1.1 on 8080; nginx cannot add a listener
    // by SIGHUP in its single-process mode). The caller checks that it answers.
    bool startInNetns(const QString &dir, const QString &netns, quint16 port, QString *error)
    {
        m_h2Port = port;
        return launch(dir, "        listen " + QByteArray::number(port) + " http2;\n", netns,
                      error);
    }
    quint16 port() const { return m_port; }
    quint16 h2Port() const { return m_h2Port; }
    AccessLog &log() { return m_log; }

private:
    bool launch(const QString &dir, const QByteArray &listen, const QString &netns, QString *error)
    {
        QDir().mkpath(dir + QStringLiteral("/tmp"));
        const QByteArray d = dir.toUtf8();
        QFile conf(dir + QStringLiteral("/nginx.conf"));
        if (!conf.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            *error = conf.errorString();
            return false;
        }
        conf.write("daemon off;\nmaster_process off;\nworker_processes 1;\n"
                   "worker_rlimit_nofile 16384;\npid "
                   + d + "/nginx.pid;\nerror_log " + d
                   + "/error.log warn;\nevents { worker_connections 8192; }\nhttp {\n"
                     "    log_format podtap '$msec $connection $connection_requests $status "
                     "\"$request\" \"$http_x_request_id\"';\n    access_log "
                   + d + "/access.log podtap;\n    client_body_temp_path " + d
                   + "/tmp/body;\n    proxy_temp_path " + d + "/tmp/proxy;\n    fastcgi_temp_path "
                   + d + "/tmp/fastcgi;\n    uwsgi_temp_path " + d
                   + "/tmp/uwsgi;\n    scgi_temp_path " + d
                   + "/tmp/scgi;\n    keepalive_requests 1000000000;\n"
                     "    keepalive_timeout 86400s;\n    client_max_body_size 0;\n"
                     "    server {\n"
                   + listen
                   + "        default_type text/plain;\n"
                     "        location / { return 200 \"ok\\n\"; }\n    }\n}\n");
        conf.close();
        m_log = AccessLog(dir + QStringLiteral("/access.log"));
        m_process.setProcessChannelMode(QProcess::ForwardedChannels);
        const QStringList args{QStringLiteral("-p"), dir,
                               QStringLiteral("-e"), dir + QStringLiteral("/error.log"),
                               QStringLiteral("-c"), conf.fileName()};
        if (netns.isEmpty())
            m_process.start(QStringLiteral("/usr/sbin/nginx"), args);
        else // `ip netns exec` execs nginx in place: the process is nginx's
            m_process.start(QStringLiteral("ip"),
                            QStringList{QStringLiteral("netns"), QStringLiteral("exec"), netns,
                                        QStringLiteral("/usr/sbin/nginx")}
                                    + args);
        if (!m_process.waitForStarted()) {
            *error = m_process.errorString();
            return false;
        }
        return true;
    }

    QProcess m_process;
    quint16 m_port = 0;
    quint16 m_h2Port = 0;
    AccessLog m_log;
};

// ------------------------------------------------------------------ one row

struct Row
{
    QString label;
    int rate = 0;
    int connections = 0; // 0: new connections (one request each)
    enum class Client : std::uint8_t { Trafficgen, H2loadH1, H2loadH2 } client = Client::Trafficgen;
    int port() const { return client == Client::H2loadH2 ? PodH2Port : PodPort; }
};

struct Result
{
    double seconds = 0;
    qint64 packets = -1;
    qint64 kernelDrops = -1, lostOnTheWay = -1, unreadAtStop = -1;
    qint64 served = 0, delivered = 0, answered = 0;
    qint64 mirrorGaps = -1;
    qint64 requestsMirrored = -1, requestsLost = -1, resyncs = -1;
    bool lostAtLeast = false;
    double p50 = -1, p99 = -1;
    double cpuDaemon = 0, cpuKubesim = 0, cpuTcpdump = 0;
    double blocked = 0;
    double tcpdumpWaitMs = 0; // runnable but not running
    QString note;
};

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return -1;
    std::sort(v.begin(), v.end());
    const std::size_t k = std::min(v.size() - 1, std::size_t(p * double(v.size())));
    return v[k];
}

double median(std::vector<double> v)
{
    if (v.empty())
        return -1;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

class Bench
{
public:
    explicit Bench(Options o)
        : m_o(std::move(o))
    {}
    int run();

private:
    bool setUp(QString *error);
    bool addPodH2Listener(QString *error);
    Result runRow(const Row &row);
    QProcess *startStage(const Row &row, QString *error);
    void stopStage(QProcess *stage, Result *r);
    QStringList clientArgs(const Row &row) const;
    QStringList h2loadArgs(const Row &row) const;
    bool h2Mode() const { return m_o.protocol == QLatin1String("h2"); }

    Options m_o;
    KubesimProcess m_kubesim;
    PodtapdProcess m_podtapd;
    QProcessEnvironment m_env;
    LocalNginx m_local;
    LocalNginx m_podH2; // --protocol h2: the pod's HTTP/2 server (see addPodH2Listener)
    AccessLog m_podLog;
    QString m_podIp;
    int m_rowIndex = 0;
};

bool Bench::setUp(QString *error)
{
    const QString skip
            = KubesimProcess::skipReason({PodtapdProcess::program(), CliRunner::podtap()});
    if (!skip.isEmpty() || !QFileInfo(QStringLiteral("/usr/sbin/nginx")).isExecutable()) {
        std::printf("skipped: %s\n", skip.isEmpty()
                                             ? "no /usr/sbin/nginx (apt-get install nginx-light)"
                                             : qPrintable(skip));
        std::exit(SkipCode);
    }
    // Only what an earlier run left here (DIR may be shared with other files).
    for (const char *sub : {"state", "daemon", "local"})
        QDir(m_o.dir + QLatin1Char('/') + QLatin1String(sub)).removeRecursively();
    QDir().mkpath(m_o.dir);
    QString scenario = QStringLiteral(BENCH_SCENARIO);
    if (m_o.dropEvery > 0) {
        // The same cluster, with kubesim's packet-drop fault on the pod's taps.
        QFile base(scenario);
        QFile lossy(m_o.dir + QStringLiteral("/mirror-load-lossy.yaml"));
        if (!base.open(QIODevice::ReadOnly) || !lossy.open(QIODevice::WriteOnly))
            fail(QStringLiteral("cannot write %1").arg(lossy.fileName()));
        lossy.write(base.readAll());
        lossy.write(QStringLiteral("faults:\n  exec:\n    - namespace: %1\n      pod: %2\n"
                                   "      dropPackets: {port: %3, every: %4, max: 1000000}\n")
                            .arg(Ns, PodName)
                            .arg(PodPort)
                            .arg(m_o.dropEvery)
                            .toUtf8());
        scenario = lossy.fileName();
    }
    if (!m_kubesim.start(scenario, m_o.dir, error))
        return false;
    // The pod nginx's log: kubesim names it after its PID (PodRuntime::nginxAccessLogPath()).
    m_podLog = AccessLog(QStringLiteral("%1/state/ksim%2-%3-%4-nginx/access.log")
                                 .arg(m_o.dir)
                                 .arg(m_kubesim.pid())
                                 .arg(Ns, PodName));
    if (!QFileInfo::exists(m_podLog.path())) {
        *error = QStringLiteral("no pod nginx access log at %1").arg(m_podLog.path());
        return false;
    }
    const auto pod = m_kubesim.kubectlJson(
            {QStringLiteral("get"), QStringLiteral("pod"), QStringLiteral("-n"), Ns, PodName});
    if (!pod.ok()) {
        *error = QString::fromUtf8(pod.failure());
        return false;
    }
    m_podIp = pod.json[QLatin1String("status")].toObject()[QLatin1String("podIP")].toString();
    if (m_podIp.isEmpty()) {
        *error = QStringLiteral("kubectl did not give the pod's IP");
        return false;
    }
    if (!m_local.start(m_o.dir + QStringLiteral("/local"), h2Mode(), error))
        return false;
    if (h2Mode() && !addPodH2Listener(error))
        return false;
    if (m_o.stage == QLatin1String("mirror")) {
        if (!m_podtapd.prepare(m_o.dir + QStringLiteral("/daemon")))
            return false;
        m_env = m_podtapd.environment(m_kubesim.kubeconfig());
        if (!m_podtapd.start(m_env, error) || !m_podtapd.waitUntilAnswering(m_env, error))
            return false;
    } else {
        m_env = CliRunner::environment(m_kubesim.kubeconfig());
    }
    return true;
}

bool Bench::addPodH2Listener(QString *error)
{
    if (QStandardPaths::findExecutable(QStringLiteral("h2load")).isEmpty()) {
        *error = QStringLiteral("--protocol h2 needs h2load (apt-get install nghttp2-client)");
        return false;
    }
    const QString dir = m_o.dir + QStringLiteral("/pod-h2");
    QDir(dir).removeRecursively();
    if (!m_podH2.startInNetns(dir, m_kubesim.netns(QStringLiteral("p1")), PodH2Port, error))
        return false;
    // Until an HTTP/2 request to it succeeds from the client namespace.
    for (int i = 0; i < 50; ++i) {
        QThread::msleep(200);
        QProcess probe;
        probe.start(QStringLiteral("ip"),
                    {QStringLiteral("netns"), QStringLiteral("exec"),
                     m_kubesim.netns(QStringLiteral("c1")),
                     QStandardPaths::findExecutable(QStringLiteral("h2load")),
                     QStringLiteral("-n1"), QStringLiteral("-c1"),
                     QStringLiteral("http://%1:%2/probe").arg(m_podIp).arg(PodH2Port)});
        if (!probe.waitForFinished(5000)) {
            probe.kill();
            probe.waitForFinished();
        }
        if (probe.readAllStandardOutput().contains("1 succeeded"))
            return true;
    }
    *error = QStringLiteral("the pod's HTTP/2 nginx did not answer on port %1 (see %2/error.log)")
                     .arg(PodH2Port)
                     .arg(dir);
    return false;
}

// h2load from the client namespace: C connections, M streams each (pipelined requests for
// --h1), rate/C requests per second per connection.
QStringList Bench::h2loadArgs(const Row &row) const
{
    const int c = std::max(1, row.connections);
    QStringList a{QStringLiteral("netns"),
                  QStringLiteral("exec"),
                  m_kubesim.netns(QStringLiteral("c1")),
                  QStandardPaths::findExecutable(QStringLiteral("h2load")),
                  QStringLiteral("-c"),
                  QString::number(c),
                  QStringLiteral("-m"),
                  QString::number(row.client == Row::Client::H2loadH1 ? 1 : m_o.streams),
                  QStringLiteral("--rps"),
                  QString::number(std::max(1, row.rate / c)),
                  QStringLiteral("-D"),
                  QString::number(m_o.seconds),
                  QStringLiteral("http://%1:%2/").arg(m_podIp).arg(row.port())};
    if (row.client == Row::Client::H2loadH1)
        a.insert(4, QStringLiteral("--h1"));
    return a;
}

QStringList Bench::clientArgs(const Row &row) const
{
    QStringList a{QStringLiteral("--connect"),  QStringLiteral("%1:%2").arg(m_podIp).arg(PodPort),
                  QStringLiteral("--mode"),     QStringLiteral("http"),
                  QStringLiteral("--rate"),     QString::number(row.rate),
                  QStringLiteral("--duration"), QString::number(m_o.seconds),
                  QStringLiteral("--timeout"),  QString::number(m_o.seconds + 60)};
    if (row.connections > 0)
        a << QStringLiteral("--connections") << QString::number(row.connections)
          << QStringLiteral("--concurrency") << QString::number(row.connections)
          << QStringLiteral("--requests-per-conn") << QStringLiteral("0");
    else // paced per request, one request per connection: `rate` new connections/s
        a << QStringLiteral("--connections") << QStringLiteral("0")
          << QStringLiteral("--concurrency") << QStringLiteral("32")
          << QStringLiteral("--requests-per-conn") << QStringLiteral("1");
    return a;
}

// Waits for a line matching `re` on the process's stderr; what was read goes to `err`.
bool waitForLine(QProcess *p, const QRegularExpression &re, QByteArray *err, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        p->waitForReadyRead(50);
        *err += p->readAllStandardError();
        if (re.match(QString::fromUtf8(*err)).hasMatch())
            return true;
        if (p->state() != QProcess::Running)
            return false;
    }
    return false;
}

QProcess *Bench::startStage(const Row &row, QString *error)
{
    auto *p = new QProcess;
    p->setProcessEnvironment(m_env);
    QByteArray err;
    const QString target = Ns + QLatin1Char('/') + PodName;
    if (m_o.stage == QLatin1String("mirror")) {
        const quint16 to = row.client == Row::Client::H2loadH2 ? m_local.h2Port() : m_local.port();
        p->start(CliRunner::podtap(), {QStringLiteral("mirror"), target, QStringLiteral("--port"),
                                       QString::number(row.port()), QStringLiteral("--to"),
                                       QStringLiteral("127.0.0.1:%1").arg(to),
                                       QStringLiteral("--json"), QStringLiteral("--context"),
                                       QStringLiteral("tapper"), QStringLiteral("--no-start")});
        if (waitForLine(p, QRegularExpression(QStringLiteral("session \\S+ capturing")), &err,
                        60000))
            return p;
    } else if (m_o.stage == QLatin1String("capture")) {
        p->start(CliRunner::podtap(),
                 {QStringLiteral("capture"), QStringLiteral("--direct"), target,
                  QStringLiteral("--port"), QString::number(row.port()), QStringLiteral("-w"),
                  QStringLiteral("/dev/null"), QStringLiteral("--context"),
                  QStringLiteral("tapper")});
        if (waitForLine(p, QRegularExpression(QStringLiteral("listening on")), &err, 60000))
            return p;
    } else {
        podtap::CaptureCommand::Options co;
        co.port = quint16(row.port());
        const auto argv = podtap::CaptureCommand::argv(co);
        p->setStandardOutputFile(QStringLiteral("/dev/null"));
        p->start(QStringLiteral("ip"), QStringList{QStringLiteral("netns"), QStringLiteral("exec"),
                                                   m_kubesim.netns(QStringLiteral("p1"))}
                                               + argv.value());
        if (waitForLine(p, QRegularExpression(QStringLiteral("listening on")), &err, 20000))
            return p;
    }
    *error = QStringLiteral("%1 stage did not start: %2").arg(m_o.stage, QString::fromUtf8(err));
    p->kill();
    p->waitForFinished();
    delete p;
    return nullptr;
}

void Bench::stopStage(QProcess *p, Result *r)
{
    ::kill(pid_t(p->processId()), SIGINT);
    if (!p->waitForFinished(60000)) {
        p->kill();
        p->waitForFinished();
        r->note += QStringLiteral("stage did not stop; ");
    }
    const QByteArray out = p->readAllStandardOutput();
    const QByteArray err = p->readAllStandardError();
    QFile keep(QStringLiteral("%1/row%2-%3.txt").arg(m_o.dir).arg(m_rowIndex).arg(m_o.stage));
    if (keep.open(QIODevice::WriteOnly))
        keep.write(out + "\n--- stderr\n" + err);
    if (m_o.stage == QLatin1String("mirror")) {
        const QJsonObject s = QJsonDocument::fromJson(out).object();
        if (s.isEmpty()) {
            r->note += QStringLiteral("no JSON summary; ");
            return;
        }
        r->packets = s[QLatin1String("packets")].toInteger();
        const QJsonObject loss = s[QLatin1String("loss")].toObject();
        r->kernelDrops = loss[QLatin1String("kernelDrops")].toInteger();
        r->lostOnTheWay = loss[QLatin1String("lostOnTheWay")].toInteger();
        r->unreadAtStop = loss[QLatin1String("unreadAtStop")].toInteger();
        const QJsonObject m = s[QLatin1String("mirror")].toObject();
        r->mirrorGaps = m[QLatin1String("gaps")].toInteger();
        r->requestsMirrored = m[QLatin1String("requestsMirrored")].toInteger(-1);
        r->requestsLost = m[QLatin1String("requestsLost")].toInteger(-1);
        r->resyncs = m[QLatin1String("resyncs")].toInteger(-1);
        r->lostAtLeast = m[QLatin1String("requestsLostAtLeast")].toBool();
        if (h2Mode()) // what the mirror says of the connections (HTTP/2 is passed through whole)
            r->note += QStringLiteral("mirror: %1 conns, %2 completed, %3 local errors, %4 "
                                      "requests seen, %5 KB; ")
                               .arg(m[QLatin1String("connections")].toInteger())
                               .arg(m[QLatin1String("completed")].toInteger())
                               .arg(m[QLatin1String("localErrors")].toInteger())
                               .arg(m[QLatin1String("requestsSeen")].toInteger())
                               .arg(m[QLatin1String("bytesMirrored")].toInteger() / 1024);
        return;
    }
    // tcpdump's own counts ("N packets captured", "N packets dropped by kernel").
    podtap::CaptureCommand::Counts counts;
    for (const QByteArray &l : err.split('\n'))
        podtap::CaptureCommand::parseCounts(QString::fromUtf8(l), &counts);
    r->packets = counts.captured;
    r->kernelDrops = counts.droppedByKernel;
    r->unreadAtStop = counts.unread(0);
}

Result Bench::runRow(const Row &row)
{
    ++m_rowIndex;
    Result r;
    QString error;
    QProcess *stage = startStage(row, &error);
    if (!stage) {
        r.note = error;
        return r;
    }
    QThread::msleep(300); // tcpdump's ring is set up; nothing of this row is on the wire yet
    // `ip netns exec` execs tcpdump in place; kubesim's exec children are its own.
    const qint64 tcpdump = m_o.stage == QLatin1String("tcpdump") ? stage->processId()
                                                                 : findTcpdump(m_kubesim.pid());
    const qint64 daemonPid = m_podtapd.isRunning() ? m_podtapd.process().processId() : 0;
    AccessLog &podLog = row.client == Row::Client::H2loadH2 ? m_podH2.log() : m_podLog;
    podLog.mark();
    m_local.log().mark();
    const double daemon0 = cpuSecondsOf(daemonPid), kubesim0 = cpuSecondsOf(m_kubesim.pid()),
                 tcpdump0 = cpuSecondsOf(tcpdump), wait0 = runQueueSecondsOf(tcpdump);
    WchanSampler sampler;
    if (tcpdump > 0)
        sampler.start(tcpdump);

    QProcess client;
    QElapsedTimer t;
    t.start();
    const bool h2load = row.client != Row::Client::Trafficgen;
    client.start(QStringLiteral("ip"),
                 h2load ? h2loadArgs(row)
                        : TrafficgenCommand::clientInNetns(m_kubesim.netns(QStringLiteral("c1")),
                                                           clientArgs(row)));
    if (!client.waitForFinished((m_o.seconds + 70) * 1000))
        client.kill();
    r.seconds = double(t.elapsed()) / 1000.0;
    const QByteArray clientOut = client.readAllStandardOutput();
    if (h2load) {
        // "requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout"
        const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("(\\d+) succeeded"))
                                                  .match(QString::fromUtf8(clientOut));
        r.answered = m.hasMatch() ? m.captured(1).toLongLong() : 0;
        r.note += QStringLiteral("h2load succeeded %1; ").arg(r.answered);
    } else {
        r.answered = QJsonDocument::fromJson(clientOut)
                             .object()[QLatin1String("requests")]
                             .toInteger();
    }
    if (client.exitCode() != 0)
        r.note += QStringLiteral("client: %1; ")
                          .arg(QString::fromUtf8(
                                  client.readAllStandardError().trimmed().left(200)));

    // Until the local server has been quiet for 1 s (the mirror drains its backlog), ≤ 15 s.
    if (m_o.stage == QLatin1String("mirror")) {
        QElapsedTimer settle;
        settle.start();
        qint64 last = -1;
        QElapsedTimer quiet;
        quiet.start();
        while (settle.elapsed() < 15000) {
            const qint64 n = m_local.log().linesSinceMark();
            if (n != last) {
                last = n;
                quiet.restart();
            } else if (quiet.elapsed() >= 1000) {
                break;
            }
            QThread::msleep(100);
        }
    } else {
        QThread::msleep(500);
    }
    sampler.stop();
    r.blocked = sampler.blockedShare();
    r.cpuDaemon = cpuSecondsOf(daemonPid) - daemon0;
    r.cpuKubesim = cpuSecondsOf(m_kubesim.pid()) - kubesim0;
    r.cpuTcpdump = cpuSecondsOf(tcpdump) - tcpdump0;
    r.tcpdumpWaitMs = (runQueueSecondsOf(tcpdump) - wait0) * 1000.0;
    stopStage(stage, &r);
    delete stage;

    const QList<LogLine> served = podLog.readSinceMark();
    const QList<LogLine> delivered = m_local.log().readSinceMark();
    r.served = served.size();
    r.delivered = delivered.size();
    std::unordered_map<std::string, double> servedAt;
    servedAt.reserve(std::size_t(served.size()));
    for (const LogLine &l : served)
        servedAt.emplace(l.id.toStdString(), l.msec);
    std::vector<double> delays;
    delays.reserve(std::size_t(delivered.size()));
    for (const LogLine &l : delivered) {
        const auto it = servedAt.find(l.id.toStdString());
        if (it != servedAt.end())
            delays.push_back((l.msec - it->second) * 1000.0);
    }
    if (!h2load) { // h2load's requests carry no id: no pairs, no delays
        r.p50 = percentile(delays, 0.50);
        r.p99 = percentile(delays, 0.99);
    }
    return r;
}

QString num(double v, int prec = 0)
{
    return v < 0 ? QStringLiteral("-") : QString::number(v, 'f', prec);
}

QString perMillion(double cpu, qint64 requests)
{
    return requests > 0 ? QString::number(cpu / double(requests) * 1e6, 'f', 1)
                        : QStringLiteral("-");
}

void printHeader()
{
    std::printf("%-22s %8s %9s %7s %17s %8s %7s %7s %8s %8s %8s %7s %7s  %s\n", "row", "req/s",
                "packets/s", "kdrops", "delivered/served", "%", "p50 ms", "p99 ms", "podtapd",
                "kubesim", "tcpdump", "blocked", "tcpdump", "notes");
    std::printf("%-22s %8s %9s %7s %17s %8s %7s %7s %8s %8s %8s %7s %7s\n", "", "achieved", "", "",
                "", "", "", "", "CPU-s/M", "CPU-s/M", "CPU-s/M", "stdout", "rq ms");
}

void printRow(const QString &label, const Result &r)
{
    const double pct = r.served > 0 ? 100.0 * double(r.delivered) / double(r.served) : -1;
    const QString ds = QStringLiteral("%1/%2").arg(r.delivered).arg(r.served);
    QString notes = r.note;
    if (r.mirrorGaps > 0)
        notes += QStringLiteral("%1 closed by gaps; ").arg(r.mirrorGaps);
    if (r.requestsLost > 0 || r.resyncs > 0) {
        // What the mirror counted: every request that did not arrive should be in it.
        notes += QStringLiteral("counted lost %1%2, %3 resyncs, unaccounted %4; ")
                         .arg(r.lostAtLeast ? QStringLiteral("≥") : QString())
                         .arg(r.requestsLost)
                         .arg(r.resyncs)
                         .arg(r.served - r.delivered - r.requestsLost);
    }
    if (r.lostOnTheWay > 0)
        notes += QStringLiteral("%1 lost on the way; ").arg(r.lostOnTheWay);
    if (r.unreadAtStop > 0)
        notes += QStringLiteral("%1 unread at stop; ").arg(r.unreadAtStop);
    std::printf(
            "%-22s %8.0f %9s %7s %17s %8s %7s %7s %8s %8s %8s %6.1f%% %7.0f  %s\n",
            qPrintable(label), r.seconds > 0 ? double(r.served) / r.seconds : 0.0,
            qPrintable(r.packets >= 0 && r.seconds > 0 ? num(double(r.packets) / r.seconds)
                                                       : QStringLiteral("-")),
            qPrintable(r.kernelDrops >= 0 ? QString::number(r.kernelDrops) : QStringLiteral("-")),
            qPrintable(ds), qPrintable(num(pct, 2)), qPrintable(num(r.p50, 0)),
            qPrintable(num(r.p99, 0)), qPrintable(perMillion(r.cpuDaemon, r.served)),
            qPrintable(perMillion(r.cpuKubesim, r.served)),
            qPrintable(perMillion(r.cpuTcpdump, r.served)), r.blocked * 100.0, r.tcpdumpWaitMs,
            qPrintable(notes));
    std::fflush(stdout);
}

int Bench::run()
{
    QString error;
    if (!setUp(&error))
        fail(error);
    QList<Row> rows;
    if (h2Mode()) {
        // The same client, the same rate: HTTP/1.1 first as the baseline, then HTTP/2.
        const int c = m_o.connections.value(0, 4);
        for (int rate : std::as_const(m_o.rates)) {
            rows << Row{QStringLiteral("h1 %1/s %2 conns").arg(rate).arg(c), rate, c,
                        Row::Client::H2loadH1};
            rows << Row{QStringLiteral("h2 %1/s %2x%3").arg(rate).arg(c).arg(m_o.streams), rate, c,
                        Row::Client::H2loadH2};
        }
    } else {
        for (int c : std::as_const(m_o.connections))
            for (int rate : std::as_const(m_o.rates))
                rows << Row{QStringLiteral("%1/s on %2 conns").arg(rate).arg(c), rate, c};
        if (m_o.newConns > 0)
            rows << Row{QStringLiteral("%1 new conns/s").arg(m_o.newConns), m_o.newConns, 0};
    }

    std::printf("%s: stage %s, %d s per row, %d run(s) of %lld rows, load %s\n", Tool,
                qPrintable(m_o.stage), m_o.seconds, m_o.repeat, qlonglong(rows.size()),
                qPrintable(QString::fromLatin1([] {
                    QFile f(QStringLiteral("/proc/loadavg"));
                    return f.open(QIODevice::ReadOnly) ? f.readLine(64).trimmed() : QByteArray();
                }())));
    printHeader();
    QList<QList<Result>> all(rows.size());
    for (int rep = 0; rep < m_o.repeat; ++rep)
        for (int i = 0; i < rows.size(); ++i) {
            const Result r = runRow(rows[i]);
            all[i] << r;
            printRow(m_o.repeat > 1 ? QStringLiteral("%1 #%2").arg(rows[i].label).arg(rep + 1)
                                    : rows[i].label,
                     r);
        }
    if (m_o.repeat > 1) {
        std::printf("\nmedians of %d runs (each column on its own)\n", m_o.repeat);
        printHeader();
        for (int i = 0; i < rows.size(); ++i) {
            auto med = [&](auto get) {
                std::vector<double> v;
                for (const Result &r : std::as_const(all[i]))
                    v.push_back(double(get(r)));
                return median(v);
            };
            Result m;
            m.seconds = med([](const Result &r) { return r.seconds; });
            m.packets = qint64(med([](const Result &r) { return r.packets; }));
            m.kernelDrops = qint64(med([](const Result &r) { return r.kernelDrops; }));
            m.served = qint64(med([](const Result &r) { return r.served; }));
            m.delivered = qint64(med([](const Result &r) { return r.delivered; }));
            m.p50 = med([](const Result &r) { return r.p50; });
            m.p99 = med([](const Result &r) { return r.p99; });
            m.cpuDaemon = med([](const Result &r) { return r.cpuDaemon; });
            m.cpuKubesim = med([](const Result &r) { return r.cpuKubesim; });
            m.cpuTcpdump = med([](const Result &r) { return r.cpuTcpdump; });
            m.blocked = med([](const Result &r) { return r.blocked; });
            m.tcpdumpWaitMs = med([](const Result &r) { return r.tcpdumpWaitMs; });
            QStringList drops;
            for (const Result &r : std::as_const(all[i]))
                drops << QString::number(r.kernelDrops);
            m.note = QStringLiteral("kdrops per run: %1").arg(drops.join(QLatin1Char(',')));
            printRow(rows[i].label, m);
        }
    }
    m_podtapd.terminate();
    m_kubesim.stop();
    std::printf("benchmark ran: %lld rows\n", qlonglong(rows.size()) * m_o.repeat);
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    ::signal(SIGPIPE, SIG_IGN);
    Bench bench(parse(app.arguments()));
    return bench.run();
}
