#pragma once

#include "ipc/sessionstartrequest.h"

#include <QJsonObject>
#include <QObject>
#include <QStringList>

namespace podtap {

class DaemonLink;

// What the user asks of a session in the window and the tray: start one, stop it, mirror it
// to a local port, export it. Each is one IPC request; the answer comes back as a signal
// (success, or what went wrong in the daemon's words).
class SessionController : public QObject
{
    Q_OBJECT

public:
    struct StartRequest
    {
        QStringList kubeconfig; // empty: Settings, else $KUBECONFIG's files (as the CLI)
        QString context;
        QString ns;
        QString target; // pod, namespace/pod, deployment/NAME, statefulset/NAME, service/NAME
        int port = 0;
        int mirrorPort = 0; // 0 = capture only
        bool joinMidstream = false;
        bool compare = false; // HTTP shadow comparison of the local build's answers
        QString image;        // empty: Settings (whose default is the daemon's)
        // Tap profile (docs/tap-contract.md#profiles): empty or "default", "nonroot" or "baseline".
        QString tapProfile;
        // The user typed the name of a context the context guard protects (podtapd refuses
        // it otherwise with "protected-context").
        bool confirmProtected = false;
        // Capture limits; -1: Settings, 0: none.
        qint64 maxBytes = -1;
        qint64 maxAgeSeconds = -1;
        int durationSeconds = -1;
    };

    explicit SessionController(DaemonLink *link, QObject *parent = nullptr);

    // The session.start parameters for `request` (the same the CLI's mirror/capture send):
    // Settings fill what the request leaves open.
    static SessionStartRequest startRequest(const StartRequest &request);

    void start(const StartRequest &request);
    void stop(const QString &id);
    // port 0 switches the mirror off.
    void setMirror(const QString &id, int port, bool joinMidstream = false, bool compare = false);
    // format: "pcap" or "pcapng"; path absolute.
    void exportSession(const QString &id, const QString &path, const QString &format);
    // Removes stopped sessions and their files from the store (session.delete); a running
    // one is refused by podtapd.
    void remove(const QStringList &ids);

Q_SIGNALS:
    void started(const QJsonObject &summary);
    void stopped(const QString &id, const QJsonObject &summary);
    void mirrorChanged(const QString &id, const QJsonObject &mirror);
    void exported(const QString &id, const QString &path, qint64 packets, qint64 bytes);
    void removed(const QStringList &ids, qint64 diskBytes);
    // podtapd refused `request` because the context guard protects `context`; start it again
    // with confirmProtected once the user typed the context's name.
    void confirmationNeeded(const podtap::SessionController::StartRequest &request,
                            const QString &context, const QString &message);
    // `action` names what failed ("Start", "Stop", …); `message` says why.
    void failed(const QString &action, const QString &message);

private:
    DaemonLink *m_link;
};

} // namespace podtap
