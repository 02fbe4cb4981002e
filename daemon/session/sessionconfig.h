#pragma once

#include "http2/protodescriptorset.h"
#include "ipc/sessionstartrequest.h"
#include "result.h"

#include <QJsonObject>
#include <QMap>
#include <QStringList>

#include <memory>

namespace podtap {

// What a client asks the daemon to tap, and what to do with the traffic. Travels as JSON
// in `session.start` (docs/ipc.md); validated here, once, before anything is contacted.
struct SessionConfig
{
    // Kubeconfig files as the client sees them (its --kubeconfig, or its KUBECONFIG split);
    // empty: the daemon's own default (~/.kube/config).
    QStringList kubeconfigFiles;
    // The client's environment, for exec credential plugins (PATH, AWS_PROFILE, …). Held
    // in memory only: toJson() leaves it out, so it never reaches meta.json or a log.
    QMap<QString, QString> environment;
    QString context; // empty: the current context
    QString ns;      // empty: the context's namespace
    QString target;  // [context/]namespace/pod, pod/X, deployment/X, statefulset/X, service/X
    int port = 0;
    QString image; // empty: the pinned default
    // The tap's security profile (docs/tap-contract.md): "default" runs tcpdump as root with
    // only NET_RAW and no privilege escalation; "nonroot" runs it as a fixed non-zero uid
    // with NET_RAW reaching tcpdump through file capabilities (escalation left unset);
    // "baseline" adds nothing and drops all but NET_RAW (Pod Security baseline admits it).
    QString tapProfile = QStringLiteral("default");
    // The user confirmed tapping a protected (production) context (the context guard).
    bool confirmProtected = false;
    // Workloads: tap every pod and follow new ones (default), or only the most active one.
    bool allPods = true;
    int maxPods = 16;
    int stallTimeoutSeconds = 60;

    // Mirror the inbound bytes to a local port (0: no mirror).
    QString mirrorHost = QStringLiteral("127.0.0.1");
    int mirrorPort = 0;
    bool joinMidstream = false;
    bool allowRemoteMirror = false; // the user typed a non-loopback address
    // HTTP: mirror only connections whose first request matches (HttpFilter JSON), and
    // compare the pod's answers with the local build's (shadow comparison).
    QJsonObject httpFilter;
    bool compare = false;
    QStringList ignoreHeaders; // more headers the comparison ignores (besides the defaults)
    // Names gRPC message fields in the comparison (session.start's mirror.protoDescriptor).
    // Not in toJson(): the set lives with the session, setMirror() carries it over.
    std::shared_ptr<const ProtoDescriptorSet> protoDescriptors;

    // Store limits (ring-style: the oldest spool files go) and an optional duration.
    qint64 maxBytes = 0;
    qint64 maxAgeSeconds = 0;
    int durationSeconds = 0;

    // Validates what a client asked (the messages say what is wrong and what is allowed).
    static Result<SessionConfig> fromRequest(const SessionStartRequest &request);
    // session.start's JSON (or a stored config): types checked by SessionStartRequest, then
    // fromRequest().
    static Result<SessionConfig> fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    // e.g. "shop/deployment/web:8080 (context tapper)"; `resolvedNamespace` when the
    // config left the namespace to the context.
    QString title(const QString &resolvedNamespace = {}) const;
};

} // namespace podtap
