#pragma once

#include "netnsmanager.h"
#include "runtimetypes.h"

#include <QObject>
#include <QPointer>

namespace kubesim {

class BuiltinHttpEcho;
class ChildProcess;

// The processes that make one pod alive: its workload server in the pod namespace and the
// optional traffic generator in the pod's client namespace, and a TLS-terminating sidecar
// (podtap-trafficgen tls-proxy + an iptables REDIRECT) for service-mesh pods. Uses
// podtap-trafficgen when found, else a built-in echo server and a curl loop; the `nginx` workload
// runs Debian's nginx, the `grpc` workload a Python gRPC server (tests/kubesim/grpc).
class WorkloadProcess : public QObject
{
    Q_OBJECT
public:
    WorkloadProcess(const NetnsManager::PodNetwork &net, const PodSpec &spec,
                    const QString &trafficGenPath, const QString &recordPrefix,
                    QObject *parent = nullptr);
    ~WorkloadProcess() override;

    bool start(QString *error);
    void stop();

    // True when `port` is in LISTEN state in the namespace `pid` lives in (/proc/PID/net/tcp*).
    static bool isListening(qint64 pid, quint16 port);
    // The nginx workload's folder for a record prefix: config, pid, logs and temp files.
    static QString nginxDir(const QString &recordPrefix)
    {
        return recordPrefix + QStringLiteral("-nginx");
    }
    // nginx.conf of the nginx workload: one process, a fixed "ok\n" 200 on `port` (IPv4 and
    // IPv6), connections kept for hours, every request logged unbuffered to DIR/access.log.
    static QByteArray nginxConfig(const QString &dir, quint16 port);
    // The grpc workload's folder (catalog_server.py, catalog.proto): $PODTAP_GRPC_WORKLOAD,
    // else tests/kubesim/grpc of the source tree.
    static QString grpcDir();
    // Where the nginx binary is looked for: $PODTAP_NGINX, else /usr/sbin/nginx.
    static QString nginxProgram();

private:
    bool startServer(QString *error);
    bool startNginx(quint16 port, QString *error);
    bool startGrpc(quint16 port, QString *error);
    bool waitListening(ChildProcess *p, quint16 port, const QString &what, QString *error,
                       int timeoutMs = 5000);
    bool startSidecar(QString *error);
    bool startTraffic(QString *error);

    NetnsManager::PodNetwork m_net;
    PodSpec m_spec;
    QString m_trafficGen;
    QString m_recordPrefix; // <prefix>-server.jsonl / <prefix>-client.jsonl (trafficgen records)
    BuiltinHttpEcho *m_builtin = nullptr;
    ChildProcess *m_server = nullptr;
    ChildProcess *m_sidecar = nullptr; // tls-terminator: podtap-trafficgen tls-proxy
    ChildProcess *m_traffic = nullptr;
};

} // namespace kubesim
