#pragma once

#include "capturecommand.h"
#include "execstream.h"
#include "kubeapiclient.h"
#include "tapprofile.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

namespace podtap {

// Runs the validated tcpdump in a tap over exec and keeps it running: on an unexpected
// end it reports, kills the orphan tcpdump with a second exec, and restarts with back-off.
// Each (re)start begins a new pcap stream: consumers call beginStream() on
// streamStarted() so nothing is stitched across the cut.
class TapCapture : public QObject
{
    Q_OBJECT

public:
    enum class State { Starting, Capturing, Reconnecting, Stopped, Failed };
    Q_ENUM(State)

    TapCapture(KubeApiClient *api, QObject *parent = nullptr);
    ~TapCapture() override;

    void start(const QString &ns, const QString &pod, const QString &tapContainer,
               const QStringList &argv);
    void stop();
    State state() const { return m_state; }
    int restarts() const { return m_restarts; }
    void setMaxRestarts(int n) { m_maxRestarts = n; }
    void setStallTimeout(int ms) { m_stallMs = ms; }
    // The tap's profile and its node (name, status.nodeInfo.containerRuntimeVersion or empty
    // when unknown): they decide why tcpdump may have been refused NET_RAW.
    void setTap(TapProfile profile, const QString &node, const QString &nodeRuntime)
    {
        m_profile = profile;
        m_node = node;
        m_nodeRuntime = nodeRuntime;
    }
    // Why tcpdump was refused (its stderr `line`) and what to do, for a tap of `profile` on
    // `node` (running `nodeRuntime`, empty when unknown).
    static QString permissionDeniedReason(const QString &line, TapProfile profile,
                                          const QString &node, const QString &nodeRuntime);

    // `pkill -f` with this capture's exact command line: stops its tcpdump and no other.
    static QStringList killArgv(const QStringList &captureArgv);

Q_SIGNALS:
    void streamStarted(int attempt);
    void pcapData(const QByteArray &bytes);
    void statusLine(const QString &line);
    void warning(const QString &message); // data loss and the like: the user must see it
    void stateChanged(podtap::TapCapture::State state, const QString &why);
    // tcpdump's own counts when a stream ends (fields stay -1 when it printed none, e.g.
    // killed or cut): consumers compare "captured" with the packets they received.
    void countsReported(const podtap::CaptureCommand::Counts &counts);
    void stopped(bool ok, const QString &why);

private:
    void launch();
    void onFinished(const ExecStream::Outcome &outcome);
    void onStderr(const QString &line);
    void reportCounts();
    void setState(State s, const QString &why);
    void killOrphanThen(std::function<void()> next);

    KubeApiClient *m_api;
    QPointer<ExecStream> m_exec;
    QString m_ns, m_pod, m_tap;
    QStringList m_argv;
    State m_state = State::Stopped;
    int m_restarts = 0;
    int m_maxRestarts = 20;
    int m_stallMs = 60000;
    int m_backoffMs = 500;
    bool m_stopping = false;
    bool m_fatalStderr = false;
    QString m_fatalReason;
    CaptureCommand::Counts m_counts;
    TapProfile m_profile = TapProfile::Default;
    QString m_node, m_nodeRuntime;
};

} // namespace podtap
