#pragma once

#include "capture/captureengine.h"
#include "capture/capturesink.h"
#include "http/httpsink.h"
#include "kube/capturecommand.h"
#include "kube/capturestreamaccounting.h"
#include "kube/podinfo.h"
#include "kube/preflight.h"
#include "mirror/mirrorsink.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <memory>

namespace podtap {

class KubeApiClient;
class TapCapture;
class TapInjector;

// One pod of a session: preflight → tap → exec'd tcpdump → capture engine, and the
// engine's events handed on (to the store through PacketObserver, to a mirror if one is
// set). Connection ids are made session-wide by prefixing the pod's index.
class PodTapPipeline : public QObject, public CaptureSink
{
    Q_OBJECT

public:
    enum class State {
        Preflight,
        Injecting,
        WaitingForTap,
        Capturing,
        Reconnecting,
        Stopped,
        Failed
    };
    Q_ENUM(State)
    static const char *stateName(State s);

    // Receives every packet of the pod (its index()) with its session-wide connection id
    // (0: not TCP).
    class PacketObserver
    {
    public:
        virtual ~PacketObserver() = default;
        virtual void podPacket(int podIndex, const RawPacket &packet, std::uint64_t connectionId,
                               std::uint8_t direction, std::uint8_t tcpFlags)
                = 0;
        // Both streams are over (FIN, reset, idle, end of capture): the connection's summary,
        // shown and stored at once rather than after the tracker's linger for late
        // retransmissions, which change no byte of it.
        virtual void podConnectionClosed(const QJsonObject &summary) = 0;
        // One HTTP request and its answer as captured (docs/ipc.md, "http" event).
        virtual void podHttpExchange(const QJsonObject &record) { Q_UNUSED(record) }
        // One shadow comparison verdict of the mirror ("compared" event).
        virtual void podCompared(const QJsonObject &record) { Q_UNUSED(record) }
    };

    PodTapPipeline(KubeApiClient *api, const PodInfo &pod, int index, int port,
                   const QString &image, PacketObserver *observer, QObject *parent = nullptr);
    ~PodTapPipeline() override;

    void setStallTimeout(int ms) { m_stallMs = ms; }
    void setTapProfile(TapProfile profile) { m_profile = profile; }
    void start();
    // Stops tcpdump (the tap stays) and flushes the engine; stopped() follows.
    void stop();
    // Starts or replaces (options.port > 0) or removes (port 0) the mirror.
    void setMirror(const MirrorSink::Options &options);
    // The tap's pcap byte stream as it arrives (TapCapture feeds it; benchmarks may too).
    void feedPcap(const QByteArray &bytes);
    // A new pcap stream follows (tcpdump restarted); connections carry on.
    void beginStream();
    // The stream is over: end of capture for the engine (connections flushed and closed).
    void finishEngine();
    MirrorSink *mirror() { return m_mirror.get(); }
    const HttpSink &http() const { return m_http; }
    // The record of one exchange, as stored in http.jsonl and sent as an "http" event.
    static QJsonObject exchangeJson(const HttpExchange &x, std::uint64_t sessionId);

    State state() const { return m_state; }
    QString reason() const { return m_reason; }
    const PodInfo &pod() const { return m_pod; }
    int index() const { return m_index; }
    std::uint64_t sessionId(std::uint64_t engineId) const
    {
        return (std::uint64_t(m_index) << 40) | engineId;
    }
    const CaptureEngine &engine() const { return m_engine; }
    quint64 packetsReceived() const { return m_account.received(); }
    qint64 kernelDrops() const { return m_account.kernelDrops(); }
    qint64 lostOnTheWay() const { return m_account.lostOnTheWay(); }
    qint64 unreadAtStop() const { return m_account.unreadAtStop(); }
    QJsonObject toJson() const;

    // CaptureSink
    void connectionOpened(TcpConnection &c) override;
    void packet(TcpConnection &c, Direction d, const TcpSegment &s, const RawPacket &p) override;
    void data(TcpConnection &c, Direction d, const std::uint8_t *bytes, std::size_t size,
              std::int64_t tsNs) override;
    void gap(TcpConnection &c, Direction d, std::uint64_t bytes, std::int64_t tsNs) override;
    void connectionClosed(TcpConnection &c) override;
    void connectionRemoved(TcpConnection &c) override;

    static QJsonObject connectionJson(const TcpConnection &c, std::uint64_t sessionId);

    // The live view of the pod's open connections (docs/ipc.md, "connections" event). Those
    // opened since the last call go to `opened`; open ones that changed and were last sent at
    // least ProgressIntervalMs ago go to `progress`. At most `budget` records in all: the
    // rest wait for a later call (least recently sent first then). Returns how many.
    int takeLiveConnections(qint64 nowMs, int budget, QJsonArray *opened, QJsonArray *progress);
    // Every connection of the pod still open, as takeLiveConnections reports them.
    QList<QJsonObject> openConnections() const;
    static constexpr qint64 ProgressIntervalMs = 1000;

Q_SIGNALS:
    void stateChanged(podtap::PodTapPipeline::State state, const QString &reason);
    void preflightDone(const QJsonArray &items, bool passed);
    void warning(const QString &message);
    void progress(const QString &message);
    // The tap is in place (added, or a running one reused), or adding it failed (audit log).
    void tapReady(const QString &tap, bool reused);
    void tapFailed(const QString &message);
    void stopped();

private:
    void setState(State s, const QString &reason = {});
    void onPreflight(const PreflightReport &report);
    void onCounts(const CaptureCommand::Counts &counts);
    void tick();

    KubeApiClient *m_api;
    PodInfo m_pod;
    int m_index;
    int m_port;
    QString m_image;
    TapProfile m_profile = TapProfile::Default;
    QString m_nodeRuntime; // the node's containerRuntimeVersion, when preflight read it
    PacketObserver *m_observer;
    CaptureEngine m_engine;
    std::unique_ptr<MirrorSink> m_mirror;
    void httpExchange(const TcpConnection &c, HttpExchange &&x);
    HttpSink m_http;
    struct HttpSummary
    {
        quint64 requests = 0;
        quint64 errors = 0; // 5xx answers
        QString first;      // "GET /path"
        int lastStatus = 0;
    };
    std::unordered_map<std::uint64_t, HttpSummary> m_httpSummaries; // by engine id
    // The summary of a connection: counters, its HTTP summary; `live` adds the mirror state.
    QJsonObject summaryJson(const TcpConnection &c, bool live) const;
    struct LiveConnection
    {
        const TcpConnection *connection = nullptr; // valid until connectionClosed
        qint64 lastSentMs = -1;                    // -1: not reported yet ("opened")
        quint64 version = 0; // packets + gap bytes + requests when last reported
    };
    quint64 liveVersion(const TcpConnection &c) const;
    std::unordered_map<std::uint64_t, LiveConnection> m_open; // by engine id
    QPointer<TapInjector> m_injector;
    QPointer<TapCapture> m_capture;
    QTimer m_clock;
    QElapsedTimer m_sinceLastPacket;
    std::int64_t m_lastTsNs = 0;
    State m_state = State::Preflight;
    QString m_reason;
    int m_stallMs = 60000;
    bool m_stopping = false;
    bool m_engineFinished = false;
    CaptureStreamAccounting m_account; // this pod's streams and losses
};

} // namespace podtap
