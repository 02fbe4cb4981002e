#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace kubesim {

// The parts of a container's securityContext the runtime applies to an exec.
struct ContainerSecurity
{
    QStringList capAdd, capDrop; // "NET_RAW" or "CAP_NET_RAW", "ALL"
    bool privileged = false;
    std::optional<bool> allowPrivilegeEscalation;
    std::optional<qint64> runAsUser;
    std::optional<qint64> runAsGroup;
    std::optional<bool> runAsNonRoot;
    bool readOnlyRootFilesystem = false; // accepted, not emulated (the host filesystem is shared)
    // The node's container runtime, whose default capability set the process starts from:
    // "containerd" or "cri-o" (CapabilityExec::defaultCapabilities).
    QString runtime = QStringLiteral("containerd");
};

struct WorkloadSpec
{
    QString kind; // "http-echo" | "rest" | "nginx" | "grpc" | "none"
    quint16 port = 0;
};

// A TLS-terminating service-mesh sidecar (Istio's/Linkerd's inbound proxy): listens on `port`
// in the pod namespace, forwards plaintext to 127.0.0.1:<workload port>, and an iptables REDIRECT
// in the pod's PREROUTING sends inbound connections to the workload port to it.
struct SidecarSpec
{
    QString kind; // "tls-terminator"
    quint16 port = 15006;
};

// A traffic generator running in the pod's client namespace, sending HTTP requests to the pod.
struct TrafficSpec
{
    double ratePerSecond = 0; // requests/s over all connections; 0 = 10 (CPU is shared)
    int requestSize = 0;      // POST body bytes; 0 = GET
    int connections = 0;      // long-lived keep-alive connections; 0 = 1
    int responseSize = 0;     // response body bytes asked of the server; 0 = trafficgen's 1024
};

struct PodSpec
{
    QString ns, name;
    WorkloadSpec workload;
    std::optional<SidecarSpec> sidecar;
    std::optional<TrafficSpec> traffic;
};

struct ExecRequest
{
    QString ns, pod, container, image;
    ContainerSecurity security;
    QStringList argv;
    bool stdinEnabled = false, stdoutEnabled = true, stderrEnabled = true, tty = false;
};

// Test-only capture loss: records removed from a tcpdump pcap stream on stdout before it goes
// to the exec WebSocket (PcapDropFilter). Eligible: TCP packets with payload towards `port`,
// counted from 0 in capture order; the stream stays a valid pcap.
struct PacketDropSpec
{
    quint16 port = 0;       // 0 = off
    int every = 0;          // drop eligible packets every-1, 2*every-1, … (0 = none this way)
    QList<qint64> ordinals; // and these eligible packets (0-based)
    int max = 64;           // at most this many drops per exec session
    QString logPath;        // dropped records are appended here as a pcap file (optional)

    bool enabled() const { return port != 0 && (every > 0 || !ordinals.isEmpty()) && max > 0; }
};

// Fault knobs applied to every later exec session of one pod.
struct FaultSpec
{
    qint64 cutAfterBytes = -1; // abort TCP after this many bytes following the 101 (no close frame)
    int cutAfterMs = -1;       // abort TCP this long after the 101
    bool stall = false;        // after the initial frame: neither read nor write any more
    PacketDropSpec dropPackets; // tcpdump's stdout only (argv[0] "tcpdump")
};

} // namespace kubesim
