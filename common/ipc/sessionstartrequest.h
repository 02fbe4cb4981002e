#pragma once

#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

namespace podtap {

// The parameters of `session.start` (docs/ipc.md), the one place they are built: the CLI,
// the GUI and the project mirrors fill this struct, podtapd reads it back
// (SessionConfig::fromRequest validates the values). The defaults are the daemon's, so a
// field left alone means what leaving it out of the JSON always meant.
struct SessionStartRequest
{
    // Kubeconfig files as the client sees them; empty: the daemon's default.
    QStringList kubeconfig;
    // The client's environment, for exec credential plugins (kept in the daemon's memory only).
    QMap<QString, QString> environment;
    QString context; // empty: the current context
    QString ns;      // empty: the context's namespace
    QString target;  // [context/]namespace/pod, pod/X, deployment/X, statefulset/X, service/X
    int port = 0;
    QString image;                                  // empty: the pinned default
    QString tapProfile = QStringLiteral("default"); // default | nonroot | baseline
    bool confirmProtected = false;
    bool allPods = true;
    int maxPods = 16;
    int stallTimeoutSeconds = 60;

    struct Mirror
    {
        QString host = QStringLiteral("127.0.0.1");
        int port = 0; // 0: no mirror
        bool joinMidstream = false;
        bool allowRemote = false;
        QJsonObject httpFilter; // {methods, path, headers}; empty: every connection
        bool compare = false;
        QStringList ignoreHeaders;
        // A FileDescriptorSet (`--proto-descriptor`) that names gRPC message fields in the
        // comparison; base64 in the JSON ("": none).
        QByteArray protoDescriptor;
    } mirror;

    struct Limits
    {
        qint64 maxBytes = 0;
        qint64 maxAgeSeconds = 0;
        qint64 durationSeconds = 0;
    } limits;

    // How this client follows the session.
    bool subscribe = false;
    QStringList skipEvents;
    bool pcap = false;
    QString pcapFormat = QStringLiteral("pcap"); // pcap | pcapng
    bool stopWithClient = false;

    // The absolute kubeconfig files from KUBECONFIG, and this process's environment: what a
    // client in a terminal or a desktop session sends.
    static QStringList kubeconfigFromEnvironment();
    static QMap<QString, QString> processEnvironment();

    QJsonObject toJson() const;
    // Types are checked ("'port' must be an integer (got a string)"); values are checked by
    // the daemon (SessionConfig::fromRequest), which knows what it can tap.
    static SessionStartRequest fromJson(const QJsonObject &json, QString *error);

    bool operator==(const SessionStartRequest &other) const;
};

} // namespace podtap
