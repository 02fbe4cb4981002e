#include "workloadprocess.h"

#include "builtinhttpecho.h"
#include "childprocess.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QProcess>
#include <QThread>

#include <cmath>

namespace kubesim {

Q_LOGGING_CATEGORY(lcWorkload, "kubesim.workload")

WorkloadProcess::WorkloadProcess(const NetnsManager::PodNetwork &net, const PodSpec &spec,
                                 const QString &trafficGenPath, const QString &recordPrefix,
                                 QObject *parent)
    : QObject(parent)
    , m_net(net)
    , m_spec(spec)
    , m_trafficGen(trafficGenPath)
    , m_recordPrefix(recordPrefix)
{}

WorkloadProcess::~WorkloadProcess()
{
    stop();
}

bool WorkloadProcess::isListening(qint64 pid, quint16 port)
{
    const QByteArray hexPort
            = QByteArray(":") + QByteArray::number(port, 16).toUpper().rightJustified(4, '0');
    for (const char *file : {"tcp", "tcp6"}) {
        QFile f(QStringLiteral("/proc/%1/net/%2").arg(pid).arg(QLatin1String(file)));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QList<QByteArray> lines = f.readAll().split('\n');
        for (const QByteArray &line : lines) {
            // "  0: 00000000:1F90 00000000:0000 0A ..." — local address, remote, state (0A =
            // LISTEN)
            const QList<QByteArray> cols = line.simplified().split(' ');
            if (cols.size() > 3 && cols.at(1).endsWith(hexPort) && cols.at(3) == "0A")
                return true;
        }
    }
    return false;
}

bool WorkloadProcess::start(QString *error)
{
    return startServer(error) && startSidecar(error) && startTraffic(error);
}

bool WorkloadProcess::startServer(QString *error)
{
    if (m_spec.workload.kind.isEmpty() || m_spec.workload.kind == QLatin1String("none"))
        return true;
    const bool rest = m_spec.workload.kind == QLatin1String("rest");
    const bool nginx = m_spec.workload.kind == QLatin1String("nginx");
    const bool grpc = m_spec.workload.kind == QLatin1String("grpc");
    if (!rest && !nginx && !grpc && m_spec.workload.kind != QLatin1String("http-echo")) {
        *error = QStringLiteral("unknown workload kind \"%1\" (known: http-echo, rest, nginx, "
                                "grpc, none)")
                         .arg(m_spec.workload.kind);
        return false;
    }
    const quint16 port = m_spec.workload.port ? m_spec.workload.port : 8080;
    if (nginx)
        return startNginx(port, error);
    if (grpc)
        return startGrpc(port, error);
    if (m_trafficGen.isEmpty() && rest) {
        *error = QStringLiteral("the rest workload of pod %1/%2 needs podtap-trafficgen (build it, "
                                "or set PODTAP_TRAFFICGEN); there is no built-in stand-in")
                         .arg(m_spec.ns, m_spec.name);
        return false;
    }
    if (m_trafficGen.isEmpty()) {
        m_builtin = new BuiltinHttpEcho(this);
        return m_builtin->listen(m_net.podNs, port, error);
    }
    m_server = new ChildProcess(this);
    ChildProcess::Options o;
    o.argv = {m_trafficGen,
              QStringLiteral("serve"),
              QStringLiteral("--listen"),
              QStringLiteral("[::]:%1").arg(port),
              QStringLiteral("--mode"),
              rest ? QStringLiteral("rest") : QStringLiteral("http"),
              QStringLiteral("--record"),
              m_recordPrefix + QStringLiteral("-server.jsonl")};
    if (rest)
        o.argv << QStringLiteral("--variant") << QStringLiteral("prod");
    o.netnsPath = NetnsManager::netnsPath(m_net.podNs);
    o.pipeStdout = false;
    o.pipeStderr = false;
    if (!m_server->start(o, error))
        return false;
    return waitListening(m_server, port, m_trafficGen + QStringLiteral(" serve"), error);
}

bool WorkloadProcess::waitListening(ChildProcess *p, quint16 port, const QString &what,
                                    QString *error, int timeoutMs)
{
    // Ready when the port listens, so the generator (and tests) never race the server.
    QElapsedTimer t;
    t.start();
    while (!isListening(p->pid(), port)) {
        if (!p->isRunning() || t.elapsed() > timeoutMs) {
            *error = QStringLiteral("%1 did not listen on port %2 in pod %3/%4")
                             .arg(what)
                             .arg(port)
                             .arg(m_spec.ns, m_spec.name);
            return false;
        }
        QThread::msleep(5);
    }
    return true;
}

QString WorkloadProcess::grpcDir()
{
    const QString env = qEnvironmentVariable("PODTAP_GRPC_WORKLOAD");
    return env.isEmpty() ? QStringLiteral(KUBESIM_GRPC_DIR) : env;
}

bool WorkloadProcess::startGrpc(quint16 port, QString *error)
{
    const QString script = grpcDir() + QStringLiteral("/catalog_server.py");
    const QString python = QStringLiteral("/usr/bin/python3");
    if (!QFileInfo(script).isReadable() || !QFileInfo(python).isExecutable()) {
        *error = QStringLiteral("the grpc workload of pod %1/%2 needs %3 and %4 (Debian: apt-get "
                                "install python3-grpcio python3-grpc-tools; or set "
                                "PODTAP_GRPC_WORKLOAD to the folder of catalog_server.py)")
                         .arg(m_spec.ns, m_spec.name, python, script);
        return false;
    }
    m_server = new ChildProcess(this);
    ChildProcess::Options o;
    o.argv = {python,
              script,
              QStringLiteral("--port"),
              QString::number(port),
              QStringLiteral("--variant"),
              QStringLiteral("prod"),
              QStringLiteral("--log"),
              m_recordPrefix + QStringLiteral("-grpc.jsonl")};
    o.netnsPath = NetnsManager::netnsPath(m_net.podNs);
    o.pipeStdout = false;
    o.pipeStderr = false;
    if (!m_server->start(o, error))
        return false;
    // Python, grpcio and protoc (the stubs are generated at start) take a second or more.
    return waitListening(m_server, port, script, error, 30000);
}

QString WorkloadProcess::nginxProgram()
{
    const QString env = qEnvironmentVariable("PODTAP_NGINX");
    return env.isEmpty() ? QStringLiteral("/usr/sbin/nginx") : env;
}

QByteArray WorkloadProcess::nginxConfig(const QString &dir, quint16 port)
{
    // One process (master_process off: no workers that would outlive PR_SET_PDEATHSIG), in
    // the foreground, everything it writes in `dir`. Pools and meshes keep upstream
    // connections for hours: no request limit and a day's idle timeout. The access log is
    // unbuffered so a line is there as soon as its answer was sent; $msec is when the
    // request ended, $connection/$connection_requests say which connection and how many
    // requests it has carried.
    const QByteArray d = dir.toUtf8();
    const QByteArray p = QByteArray::number(port);
    return "# generated by kubesim for the nginx workload\n"
           "daemon off;\n"
           "master_process off;\n"
           "worker_processes 1;\n"
           "worker_rlimit_nofile 16384;\n"
           "pid "
           + d
           + "/nginx.pid;\n"
             "error_log "
           + d
           + "/error.log warn;\n"
             "events { worker_connections 8192; }\n"
             "http {\n"
             "    log_format podtap '$msec $connection $connection_requests $status "
             "\"$request\" \"$http_x_request_id\"';\n"
             "    access_log "
           + d
           + "/access.log podtap;\n"
             "    client_body_temp_path "
           + d + "/tmp/body;\n    proxy_temp_path " + d + "/tmp/proxy;\n    fastcgi_temp_path " + d
           + "/tmp/fastcgi;\n    uwsgi_temp_path " + d + "/tmp/uwsgi;\n    scgi_temp_path " + d
           + "/tmp/scgi;\n"
             "    keepalive_requests 1000000000;\n"
             "    keepalive_timeout 86400s;\n"
             "    client_max_body_size 0;\n"
             "    server {\n"
             "        listen "
           + p + ";\n        listen [::]:" + p
           + " ipv6only=on;\n"
             "        default_type text/plain;\n"
             "        location / { return 200 \"ok\\n\"; }\n"
             "    }\n"
             "}\n";
}

bool WorkloadProcess::startNginx(quint16 port, QString *error)
{
    const QString program = nginxProgram();
    if (!QFileInfo(program).isExecutable()) {
        *error = QStringLiteral("the nginx workload of pod %1/%2 needs %3 (Debian: apt-get "
                                "install nginx-light; or set PODTAP_NGINX)")
                         .arg(m_spec.ns, m_spec.name, program);
        return false;
    }
    const QString dir = nginxDir(m_recordPrefix);
    QDir(dir).removeRecursively(); // a pod of an earlier run with the same PID
    if (!QDir().mkpath(dir + QStringLiteral("/tmp"))) {
        *error = QStringLiteral("cannot create %1").arg(dir);
        return false;
    }
    QFile conf(dir + QStringLiteral("/nginx.conf"));
    if (!conf.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || conf.write(nginxConfig(dir, port)) < 0) {
        *error = QStringLiteral("cannot write %1: %2").arg(conf.fileName(), conf.errorString());
        return false;
    }
    conf.close();
    m_server = new ChildProcess(this);
    ChildProcess::Options o;
    // -e: the error log before the configuration is read (Debian's default is stderr).
    o.argv = {program,
              QStringLiteral("-p"),
              dir,
              QStringLiteral("-e"),
              dir + QStringLiteral("/error.log"),
              QStringLiteral("-c"),
              conf.fileName()};
    o.netnsPath = NetnsManager::netnsPath(m_net.podNs);
    o.pipeStdout = false;
    o.pipeStderr = false;
    if (!m_server->start(o, error))
        return false;
    if (waitListening(m_server, port, program, error))
        return true;
    QFile log(dir + QStringLiteral("/error.log"));
    if (log.open(QIODevice::ReadOnly))
        *error += QStringLiteral(": ") + QString::fromUtf8(log.readAll().right(400)).trimmed();
    return false;
}

bool WorkloadProcess::startSidecar(QString *error)
{
    if (!m_spec.sidecar)
        return true;
    const SidecarSpec &side = *m_spec.sidecar;
    const quint16 appPort = m_spec.workload.port ? m_spec.workload.port : 8080;
    if (m_trafficGen.isEmpty()) {
        *error = QStringLiteral("the %1 sidecar of pod %2/%3 needs podtap-trafficgen (its "
                                "tls-proxy; build it, or set PODTAP_TRAFFICGEN)")
                         .arg(side.kind, m_spec.ns, m_spec.name);
        return false;
    }
    // As Istio's sidecar before 1.10 and Linkerd's do: plaintext to the app on 127.0.0.1, so
    // the hop is on lo. The proxy's own connection is locally generated and never passes
    // PREROUTING, so it is not redirected back to itself.
    m_sidecar = new ChildProcess(this);
    ChildProcess::Options o;
    o.argv = {m_trafficGen,
              QStringLiteral("tls-proxy"),
              QStringLiteral("--listen"),
              QStringLiteral("[::]:%1").arg(side.port),
              QStringLiteral("--forward"),
              QStringLiteral("127.0.0.1:%1").arg(appPort)};
    o.netnsPath = NetnsManager::netnsPath(m_net.podNs);
    o.pipeStdout = false;
    o.pipeStderr = false;
    if (!m_sidecar->start(o, error)
        || !waitListening(m_sidecar, side.port, m_trafficGen + QStringLiteral(" tls-proxy"), error))
        return false;
    // istio-init's rule: every inbound TCP connection to the app port goes to the sidecar.
    for (const char *tool : {"iptables", "ip6tables"}) {
        QProcess p;
        p.start(QStringLiteral("ip"),
                {QStringLiteral("netns"), QStringLiteral("exec"), m_net.podNs, QLatin1String(tool),
                 QStringLiteral("-w"), QStringLiteral("-t"), QStringLiteral("nat"),
                 QStringLiteral("-A"), QStringLiteral("PREROUTING"), QStringLiteral("-p"),
                 QStringLiteral("tcp"), QStringLiteral("--dport"), QString::number(appPort),
                 QStringLiteral("-j"), QStringLiteral("REDIRECT"), QStringLiteral("--to-ports"),
                 QString::number(side.port)});
        if (!p.waitForFinished(10000) || p.exitStatus() != QProcess::NormalExit
            || p.exitCode() != 0) {
            *error = QStringLiteral("%1 REDIRECT for the sidecar of pod %2/%3 failed (Debian: "
                                    "apt-get install iptables): %4")
                             .arg(QLatin1String(tool), m_spec.ns, m_spec.name,
                                  p.error() == QProcess::FailedToStart
                                          ? p.errorString()
                                          : QString::fromLocal8Bit(p.readAllStandardError())
                                                    .trimmed());
            return false;
        }
    }
    return true;
}

bool WorkloadProcess::startTraffic(QString *error)
{
    const bool rest = m_spec.workload.kind == QLatin1String("rest");
    if (!m_spec.traffic
        || (!rest && m_spec.workload.kind != QLatin1String("http-echo")
            && m_spec.workload.kind != QLatin1String("nginx")))
        return true;
    const TrafficSpec &tr = *m_spec.traffic;
    const quint16 port = m_spec.workload.port ? m_spec.workload.port : 8080;
    const int connections = qMax(1, tr.connections);
    const int size = qMax(0, tr.requestSize);
    const double rate = tr.ratePerSecond > 0 ? tr.ratePerSecond : 10.0;
    ChildProcess::Options o;
    o.netnsPath = NetnsManager::netnsPath(m_net.clientNs);
    o.pipeStdout = false;
    o.pipeStderr = false;
    const QString target = QStringLiteral("%1:%2").arg(m_net.podIp).arg(port);
    if (!m_trafficGen.isEmpty()) {
        o.argv = {m_trafficGen,
                  QStringLiteral("client"),
                  QStringLiteral("--connect"),
                  target,
                  QStringLiteral("--connections"),
                  QString::number(connections),
                  QStringLiteral("--concurrency"),
                  QString::number(connections),
                  QStringLiteral("--requests-per-conn"),
                  QStringLiteral("0"),
                  QStringLiteral("--request-size"),
                  QString::number(size),
                  QStringLiteral("--rate"),
                  QString::number(rate),
                  QStringLiteral("--duration"),
                  QStringLiteral("604800"),
                  QStringLiteral("--record"),
                  m_recordPrefix + QStringLiteral("-client.jsonl")};
        if (tr.responseSize > 0 && !rest)
            o.argv << QStringLiteral("--response-size") << QString::number(tr.responseSize);
        if (rest) // the REST mix instead of sized GET/POSTs; requestSize does not apply
            o.argv << QStringLiteral("--mode") << QStringLiteral("rest")
                   << QStringLiteral("--record-requests")
                   << m_recordPrefix + QStringLiteral("-client-requests.jsonl");
    } else {
        // Fallback: one curl loop per connection, each at rate/connections.
        const double interval = connections / rate;
        const QString loop
                = QStringLiteral(
                          "BODY=$(head -c %1 /dev/zero | tr '\\0' x); "
                          "while :; do curl -s -o /dev/null --max-time 5 "
                          "-H 'Content-Type: application/octet-stream' --data-binary \"$BODY\" "
                          "http://%2/echo; sleep %3; done")
                          .arg(size)
                          .arg(target)
                          .arg(interval, 0, 'f', 3);
        QString script;
        for (int i = 0; i < connections; ++i)
            script += QStringLiteral("(%1) & ").arg(loop);
        script += QStringLiteral("wait");
        o.argv = {QStringLiteral("sh"), QStringLiteral("-c"), script};
    }
    m_traffic = new ChildProcess(this);
    return m_traffic->start(o, error);
}

void WorkloadProcess::stop()
{
    // SIGTERM first: trafficgen then records its open connections.
    if (m_traffic)
        m_traffic->terminateAndWait(500);
    if (m_sidecar)
        m_sidecar->terminateAndWait(500);
    if (m_server)
        m_server->terminateAndWait(500);
    if (m_builtin)
        m_builtin->close();
}

} // namespace kubesim
