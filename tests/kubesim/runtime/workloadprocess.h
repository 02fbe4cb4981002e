#pragma once

#include "netnsmanager.h"
#include "runtimetypes.h"

#include <QObject>
#include <QPointer>

namespace kubesim {

class BuiltinHttpEcho;
class ChildProcess;

// The processes that make one pod alive: its workload server in the pod namespace and the
// optional traffic generator in the pod's client namespace. Uses podtap-trafficgen when found,
// else a built-in echo server and a curl loop.
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

private:
    bool startServer(QString *error);
    bool startTraffic(QString *error);

    NetnsManager::PodNetwork m_net;
    PodSpec m_spec;
    QString m_trafficGen;
    QString m_recordPrefix; // <prefix>-server.jsonl / <prefix>-client.jsonl (trafficgen records)
    BuiltinHttpEcho *m_builtin = nullptr;
    ChildProcess *m_server = nullptr;
    ChildProcess *m_traffic = nullptr;
};

} // namespace kubesim
