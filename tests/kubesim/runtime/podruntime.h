#pragma once

#include "runtimetypes.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>

#include <memory>

class QSslSocket;
class QTcpSocket;

namespace kubesim {

class ContainerProcesses;
class ExecSession;
class NetnsManager;
class WorkloadProcess;

// The kubelet half of kubesim: pods are network namespaces with real workloads and traffic, and
// exec runs real processes in them with the container's security context, streamed over the
// Kubernetes exec WebSocket. See README.md in this folder and ../INTERFACE.md.
class PodRuntime : public QObject
{
    Q_OBJECT
public:
    explicit PodRuntime(const QString &stateDir, QObject *parent = nullptr);
    ~PodRuntime() override;

    // Path of podtap-trafficgen; default: $PODTAP_TRAFFICGEN, else the build tree's copy.
    // Empty or missing → built-in http-echo and a curl loop as traffic.
    void setTrafficGenPath(const QString &path);
    QString trafficGenPath() const { return m_trafficGen; }

    // Removes namespaces and processes of kubesim runs that died (kill -9). Needs root.
    bool cleanStale(QString *error);
    bool startPod(const PodSpec &spec, QString *podIp, QString *podIpv6, QString *error);
    bool hasPod(const QString &ns, const QString &pod) const;
    // podtap-trafficgen's JSON Lines record (SHA-256 + byte count per connection) of the pod's
    // server or client side; empty with the built-in fallback. Kept after shutdown.
    QString trafficRecordPath(const QString &ns, const QString &pod, bool client) const;
    // The nginx workload's access log (one line per answered request: "$msec $connection
    // $connection_requests $status \"$request\" \"$http_x_request_id\""); empty when the pod
    // does not run nginx. Kept after shutdown, like the records.
    QString nginxAccessLogPath(const QString &ns, const QString &pod) const;
    // The client namespace's addresses (where the traffic generator of this pod runs).
    QString clientIp(const QString &ns, const QString &pod) const;
    // Namespace name for `ip netns exec` (tests, debugging); empty when unknown.
    QString podNetns(const QString &ns, const QString &pod) const;
    QString clientNetns(const QString &ns, const QString &pod) const;

    void setExecFault(const QString &ns, const QString &pod, const FaultSpec &fault);
    // Takes ownership of the socket (the HTTP request was read up to the blank line; any bytes
    // still buffered are WebSocket data). Answers 101/403/400 itself.
    void handleExecUpgrade(QSslSocket *socket, const QByteArray &method, const QByteArray &target,
                           const QList<QPair<QByteArray, QByteArray>> &headers,
                           const ExecRequest &req);
    // Same over plain TCP (tests).
    void handleExecUpgrade(QTcpSocket *socket, const QByteArray &method, const QByteArray &target,
                           const QList<QPair<QByteArray, QByteArray>> &headers,
                           const ExecRequest &req);
    int activeExecSessions() const;

    // Ends exec sessions, kills every process, deletes namespaces and the state file.
    void shutdown();

Q_SIGNALS:
    void execSessionFinished();

private:
    struct Pod
    {
        PodSpec spec;
        QString podNs, clientNs, podIp, podIpv6, clientIp;
        FaultSpec fault;
        WorkloadProcess *workload = nullptr;
    };
    static QString key(const QString &ns, const QString &pod)
    {
        return ns + QLatin1Char('/') + pod;
    }

    QString recordPrefix(const QString &ns, const QString &pod) const;

    std::unique_ptr<NetnsManager> m_netns;
    QString m_stateDir;
    ContainerProcesses *m_processes;
    QString m_trafficGen;
    QHash<QString, Pod> m_pods;
    QList<QPointer<ExecSession>> m_sessions;
    bool m_shutdown = false;
};

} // namespace kubesim
