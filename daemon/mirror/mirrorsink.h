#pragma once

#include "capture/capturesink.h"
#include "http/httpexchange.h"
#include "http/httpfilter.h"
#include "http/httpparser.h"
#include "http/requestframer.h"
#include "http/shadowcomparator.h"

#include <QHostAddress>
#include <QJsonObject>

#include <QObject>
#include <QTimer>
#include <functional>
#include <memory>

#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace podtap {

class MirrorConnection;
class ShadowCompare;

// Mirrors the inbound (client → server) bytes of every tapped connection to a local port,
// in order, as the engine reassembles them: one local TCP connection per captured one.
// HTTP/1.x streams are handed over in whole requests (RequestFramer): a capture gap costs
// only the requests whose bytes are incomplete, and the local connection goes on with the
// next whole request (a fresh one when the local build already had part of a request, or
// closed). TLS streams (a service-mesh sidecar's inbound hop on eth0) are never mirrored: the
// local connection is opened only once a stream's first bytes show it is not TLS, and the
// sidecar's plaintext hop to the app on lo is mirrored like any other. Other streams are
// mirrored byte-exact and a gap ends their local connection (the
// bytes after it would be a lie); HTTP/2 is one of those (RequestFramer::isHttp2(): from its
// preface; a joined HTTP/2 stream is never mirrored). Connections already open when capture began
// are skipped unless joining is asked for; then they are joined at their next request. A refused,
// slow or never-reading local port never blocks capture or other connections (bounded buffer per
// connection, then that one is dropped and counted); FIN and RST are mirrored. The local
// side's answers are read and kept (bounded) for comparison.
class MirrorSink : public QObject, public CaptureSink
{
    Q_OBJECT

public:
    struct Options
    {
        QHostAddress host = QHostAddress::LocalHost;
        quint16 port = 0;
        bool joinMidstream = false;
        qint64 maxPendingBytes = 8 * 1024 * 1024; // per connection, towards the local port
        qint64 keepResponseBytes = 64 * 1024;     // local answers kept per connection
        // Only connections it accepts are mirrored (replay of a selection); empty: all.
        std::function<bool(const TcpConnection &)> select;
        // HTTP filter, decided per connection on its first request: a keep-alive connection
        // is mirrored whole or not at all (its later requests may depend on the first).
        HttpFilter httpFilter;
        // Compare the pod's answers with the local build's (the caller feeds podExchange()).
        bool compare = false;
        ShadowComparator::Options compareOptions{ShadowComparator::defaultIgnoredHeaders(), 20};
        int compareTimeoutMs = 10000;
    };

    struct Stats
    {
        quint64 connections = 0; // local connections opened
        quint64 skippedMidstream = 0;
        quint64 localErrors = 0;   // refused, reset by the local side, …
        quint64 gaps = 0;          // local connections closed because of a capture gap
        quint64 dropped = 0;       // local side too slow: buffer limit reached
        quint64 bytesMirrored = 0; // written to local sockets
        quint64 responseBytes = 0; // read back from the local side
        quint64 completed = 0;     // closed cleanly after all bytes were written
        // connections = completed + localErrors + gaps + dropped + resets + localClosed
        //               + incomplete + open
        quint64 notSelected = 0; // left out by Options::select
        quint64 resets = 0;      // the captured connection was reset: mirrored as RST
        quint64 localClosed = 0; // the local side closed before all bytes were written
        quint64 incomplete = 0;  // ended without the client's FIN being seen: RST
        quint64 filtered = 0;    // first request did not match the HTTP filter (or not HTTP)
        // HTTP/1.x request accounting: every connection's RequestFramer counts, added up.
        RequestFramer::Counts requests;
        quint64 freshConnections = 0; // local connections opened again after a gap or close
        quint64 notResyncable = 0;    // streams a gap ended (not HTTP/1.x)
        quint64 joined = 0;           // joined mid-stream at a request boundary
        // Captured connections found to be TLS (ClientHello, or TLS records when joined): not
        // mirrored, no local connection. Not part of `connections`.
        quint64 tlsNotMirrored = 0;
        // Local connections of captured ones on a local hop (both ends loopback, or one
        // address): a sidecar's plaintext hop to the app.
        quint64 localHops = 0;
        // HTTP/2 (the stream began with the connection preface): mirrored byte-exact from the
        // preface; a gap ends its local connection (no resync: HPACK state), counted in
        // http2Gaps as well as gaps and notResyncable.
        quint64 http2 = 0;     // captured HTTP/2 connections mirrored (a local one opened)
        quint64 http2Gaps = 0; // of those, ended by a capture gap
        // Joined mid-stream (joinMidstream) and its bytes are HTTP/2 frames: never mirrored
        // (frame boundaries and HPACK state were missed). Not part of `joined`.
        quint64 http2Midstream = 0;

        Stats &operator+=(const Stats &s);
        // Every count, by the names docs/ipc.md gives them.
        QJsonObject toJson() const;
    };

    explicit MirrorSink(const Options &options, QObject *parent = nullptr);
    ~MirrorSink() override;

    // Finished connections' counts plus the live ones'.
    Stats stats() const;
    int openConnections() const { return int(m_conns.size()); }
    // What the mirror does with a live capture connection now (the live connections view):
    // "mirroring" (a local connection is open), "waiting" (for its first bytes or request),
    // "ended" (nothing more is handed out: TLS, stopped, dropped), "skipped" (never mirrored,
    // e.g. open before the mirror began) or "" (the sink has not seen it).
    QString liveState(std::uint64_t captureId) const;
    // Refuses non-loopback targets unless `allowRemote` (the user typed the address).
    static bool targetAllowed(const QHostAddress &host, bool allowRemote);
    static constexpr int IdleTickMs = 50;

    // CaptureSink
    void connectionOpened(TcpConnection &c) override;
    void data(TcpConnection &c, Direction d, const std::uint8_t *bytes, std::size_t size,
              std::int64_t tsNs) override;
    void gap(TcpConnection &c, Direction d, std::uint64_t bytes, std::int64_t tsNs) override;
    void connectionClosed(TcpConnection &c) override;
    void connectionRemoved(TcpConnection &c) override;

    // The pod's side of an HTTP exchange on a captured connection (for comparison).
    void podExchange(std::uint64_t captureId, HttpExchange &&exchange);
    ShadowCompare *shadow() { return m_shadow.get(); }

    // Writes out every connection that received bytes since the last call. Runs by itself
    // once per event-loop pass; a caller that just fed the engine may call it at once.
    void flushPending();

Q_SIGNALS:
    void statsChanged();
    // `requests`: RequestFramer::Counts::toJson() of the captured connection so far (empty
    // for a stream that is not HTTP/1.x).
    void connectionEnded(quint64 captureId, const QString &outcome, quint64 bytesMirrored,
                         const QByteArray &responseHead, const QJsonObject &requests);

private:
    friend class MirrorConnection;
    void finished(MirrorConnection *m, const QString &outcome);
    void markDirty(MirrorConnection *m);
    void wrote(MirrorConnection *m, const QByteArray &bytes);
    void readBack(MirrorConnection *m, const QByteArray &bytes);
    // One captured connection being mirrored: its framer and what was decided for it.
    struct Flow
    {
        explicit Flow(const RequestFramer::Options &o)
            : framer(o)
        {}
        RequestFramer framer;
        bool midstream = false;     // joined at a request boundary: not compared
        bool filterPending = false; // the HTTP filter waits for the first request
        bool opened = false;        // a local connection was opened (now or before)
        bool pendingOpen = false;   // opened at the first bytes, once they are known not TLS
        bool localHop = false;      // both ends loopback or one address (a sidecar's hop)
        bool compared = false;      // shadow comparison follows it
        bool http2 = false;         // counted in Stats::http2
        bool needFresh = false;     // the next bytes go to a new local connection
        bool ended = false;         // nothing more is handed out (stopped, dropped, closed)
        bool finished = false;      // the captured stream is over
    };
    Flow *flowFor(TcpConnection &c);
    void startFlow(TcpConnection &c, bool midstream);
    void openFlow(std::uint64_t id, Flow &f);
    // The framer found TLS: nothing of it is mirrored.
    void tlsFound(Flow &f);
    void deliver(std::uint64_t id, Flow &f, RequestFramer::Output &out);
    void idleTick();
    void closeFlow(std::uint64_t id, Flow &f);
    void retire(Flow &f);

    Options m_options;
    Stats m_stats; // finished flows and every local-connection outcome
    void open(std::uint64_t id);
    QTimer *m_idle = nullptr; // confirms requests found after a gap once the stream is quiet
    QJsonObject requestCounts(std::uint64_t captureId);
    // Request counts of removed captured connections whose local connection lives on.
    std::unordered_map<std::uint64_t, QJsonObject> m_lastCounts;

    std::unordered_map<std::uint64_t, Flow> m_flows;               // by capture connection id
    RequestFramer::Output m_out;                                   // reused per call
    std::unordered_map<std::uint64_t, MirrorConnection *> m_conns; // by capture connection id
    // Every live capture connection this sink has seen open (mirrored, skipped or dropped):
    // one it has not seen began before the mirror was switched on.
    std::unordered_set<std::uint64_t> m_known;
    std::vector<std::uint64_t> m_dirty; // capture ids with bytes waiting for writeOut()
    bool m_flushQueued = false;
    std::unique_ptr<ShadowCompare> m_shadow;
};

} // namespace podtap
