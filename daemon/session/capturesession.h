#pragma once

#include "livepcapng.h"
#include "mirror/shadowcompare.h"
#include "podtappipeline.h"
#include "sessionconfig.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <memory>

namespace podtap {

class AuditLog;
class CredentialCache;
class KubeApiClient;
class SessionSpool;

// One capture session of the daemon: a target (context, namespace, pod or workload, port)
// resolved to pods, each tapped by a PodTapPipeline, every packet spooled to the store,
// inbound bytes optionally mirrored to a local port. A workload's pods are all tapped and
// followed (new pod → new tap, deleted pod → its tap ends) unless the config asks for one.
// Observable: state(), summary(), and the signals below that the manager turns into events.
class CaptureSession : public QObject, public PodTapPipeline::PacketObserver
{
    Q_OBJECT

public:
    using State = PodTapPipeline::State;

    CaptureSession(const QString &id, const SessionConfig &config, const QString &storeDir,
                   QObject *parent = nullptr);
    ~CaptureSession() override;

    // Before start(): where injections and start/stop go (not owned; may be null), and
    // whether the context is one the context guard protects (summary "protected").
    void setAudit(AuditLog *log, bool protectedContext);
    // Before start(): the daemon's exec credential cache (not owned; must outlive us).
    void setCredentialCache(CredentialCache *credentials) { m_credentials = credentials; }
    bool isProtected() const { return m_protected; }

    void start();
    void stop();
    // port 0 switches the mirror off.
    Result<bool> setMirror(const QString &host, int port, bool joinMidstream, bool allowRemote,
                           bool compare = false);

    QString id() const { return m_id; }
    const SessionConfig &config() const { return m_config; }
    State state() const { return m_state; }
    QString reason() const { return m_reason; }
    bool isFinished() const { return m_finished; }
    // Someone reads the live pcap (pcapBytes); serialising records costs otherwise.
    void setPcapWanted(bool wanted) { m_pcapWanted = wanted; }
    // The live capture as pcapng (pcapngBytes): one interface per pod, losses at the end.
    // Returns what a reader joining now needs first (section header, interfaces so far).
    QByteArray startPcapng();
    void stopPcapng() { m_pcapng.reset(); }
    QString storeDir() const { return m_storeDir; }
    // Writes out what the spool buffers (packets, index, connections) now, not at its timer.
    void flushStore();
    QJsonObject summary() const;
    // Every connection still open, across pods, in id order ("open": true).
    QList<QJsonObject> openConnections() const;
    // The most open-connection records one stats tick publishes (opened + progress); the
    // rest follow at the next ticks. Bounds an event's size at 10k new connections a second.
    static constexpr int MaxLivePerTick = 4000;
    QJsonObject mirrorStats() const;

    // PacketObserver
    void podPacket(int podIndex, const RawPacket &packet, std::uint64_t connectionId,
                   std::uint8_t direction, std::uint8_t tcpFlags) override;
    void podConnectionClosed(const QJsonObject &summary) override;
    void podHttpExchange(const QJsonObject &record) override;
    void podCompared(const QJsonObject &record) override;

Q_SIGNALS:
    void stateChanged(const QString &state, const QString &reason);
    void warning(const QString &message);
    void progress(const QString &message);
    void preflight(const QString &pod, const QJsonArray &items, bool passed);
    void statsUpdated(const QJsonObject &summary);
    // Once per stats tick when any list is non-empty: connections opened since the last tick,
    // open ones whose counters moved (each at most once per ProgressIntervalMs), and ended
    // ones (docs/ipc.md, "connections" event).
    void connectionsChanged(const QJsonArray &opened, const QJsonArray &progress,
                            const QJsonArray &ended);
    void mirrorConnectionsEnded(const QJsonArray &connections);
    void httpExchanges(const QJsonArray &exchanges);
    void compared(const QJsonArray &verdicts);
    void pcapBytes(const QByteArray &bytes, int linkType);
    // pcapng blocks (startPcapng); the last ones, before finished(), hold the losses.
    void pcapngBytes(const QByteArray &blocks, bool essential);
    void finished(const QString &state, const QString &reason);

private:
    void fail(const QString &reason);
    void resolve();
    void addPod(const PodInfo &pod);
    void followPods();
    void updateState();
    void finishIfDone();
    // Asks every live pod to stop (tcpdump stopped, the tap stays); no new pods.
    void stopPipelines();
    void publishStats();
    void closeSpool();
    MirrorSink::Options mirrorOptions() const;
    void wireMirror(PodTapPipeline *p);
    void audit(const QString &event, QJsonObject entry) const;

    QString m_id;
    SessionConfig m_config;
    QString m_storeDir;
    QDateTime m_started;
    QDateTime m_ended;
    CredentialCache *m_credentials = nullptr;
    std::unique_ptr<CredentialCache> m_ownCredentials; // when no daemon cache was given
    std::unique_ptr<KubeApiClient> m_api;
    std::unique_ptr<SessionSpool> m_spool;
    QList<PodTapPipeline *> m_pipelines;
    QSet<QString> m_podUids;
    QString m_kind; // pod, deployment, …
    QString m_namespace;
    int m_podPort = 0; // the pod-side port (a Service port resolved)
    int m_nextIndex = 0;
    State m_state = State::Preflight;
    QString m_reason;
    bool m_stopping = false;
    bool m_finished = false;
    bool m_pcapWanted = false;
    std::unique_ptr<LivePcapng> m_pcapng;
    QTimer m_statsTimer;
    QTimer m_followTimer;
    QTimer m_durationTimer;
    QElapsedTimer m_drainClock;
    QElapsedTimer m_liveClock; // paces the open connections' progress
    QJsonArray m_endedBatch;   // closed since the last stats event (shown live)
    QJsonArray m_mirrorBatch;
    QJsonArray m_httpBatch;    // exchanges since the last stats event
    QJsonArray m_compareBatch; // verdicts since the last stats event
    quint64 m_httpExchanges = 0;
    ShadowCompare::Counts m_compareCounts;
    QHash<QString, ShadowCompare::Counts> m_routeCounts;
    QJsonObject compareJson() const;
    QJsonObject httpJson() const;
    quint64 m_packets = 0;
    quint64 m_bytes = 0;
    quint64 m_connections = 0;
    quint64 m_gapBytes = 0;
    quint64 m_storeErrors = 0;
    QStringList m_warnings;
    MirrorSink::Stats m_mirrorDone; // stats of mirrors already replaced or removed
    AuditLog *m_audit = nullptr;
    bool m_protected = false;
};

} // namespace podtap
