#pragma once

#include "http/httpconversation.h"
#include "http/shadowcomparator.h"
#include "http2/http2connection.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QTimer>

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

namespace podtap {

// Shadow comparison for one mirror: the pod's exchanges (parsed from the capture) are paired,
// request by request, with the local build's answers to the same bytes (parsed from what the
// mirror wrote and read back), and classified by ShadowComparator. Only connections the
// mirror carried from their first byte are compared: a stream joined mid-way has no common
// request numbering. Bounded: at most MaxPending pod exchanges wait per connection.
// HTTP/2 (http2Started(): the mirror passes the stream byte-exact from its preface) is parsed
// on the local side with an Http2Connection and paired by stream id, which is the same on
// both sides because the client's bytes are.
class ShadowCompare : public QObject
{
    Q_OBJECT

public:
    struct Counts
    {
        quint64 compared = 0; // verdicts given (every kind)
        quint64 same = 0;
        quint64 status = 0;
        quint64 body = 0;
        quint64 headers = 0;
        quint64 localErrors = 0;
        quint64 localTimeouts = 0;
        quint64 notComparable = 0;
        quint64 podUnanswered = 0; // the capture saw no answer: nothing to compare with
        quint64 extraLocal = 0;    // local answers without a pod exchange
        void add(ShadowComparator::Kind kind);
        Counts &operator+=(const Counts &c);
        QJsonObject toJson() const;
    };

    static constexpr int MaxPending = 64;
    static constexpr int DefaultTimeoutMs = 10000;

    explicit ShadowCompare(const ShadowComparator::Options &options, QObject *parent = nullptr);
    ~ShadowCompare() override;

    void setTimeoutMs(int ms) { m_timeoutMs = ms; }
    // The mirror opened a local connection for this capture connection, from its first byte.
    void connectionStarted(std::uint64_t captureId);
    // The mirror handed the capture's request number `podIndex` to the local build, as the
    // next request on the current local connection (requests lost to capture gaps are not).
    void requestForwarded(std::uint64_t captureId, std::uint64_t podIndex);
    // The captured connection is HTTP/2, mirrored from its preface: the local side is decoded
    // as HTTP/2 and exchanges are paired by stream id. Call before its first bytes are written.
    void http2Started(std::uint64_t captureId);
    // The mirror goes on with a new local connection (after a gap cut a request, or after
    // the local build closed): its requests are numbered afresh.
    void localRestarted(std::uint64_t captureId);
    // Bytes the mirror wrote to the local socket (the requests as the local build got them).
    void localRequestBytes(std::uint64_t captureId, const char *data, qint64 size);
    // Bytes the local build answered.
    void localResponseBytes(std::uint64_t captureId, const char *data, qint64 size);
    // The local connection is over (any outcome).
    void localEnded(std::uint64_t captureId, const QString &outcome);
    // The pod's exchange as the capture saw it.
    void podExchange(std::uint64_t captureId, HttpExchange &&exchange);
    // The capture connection is gone: nothing more comes from the pod side.
    void podEnded(std::uint64_t captureId);

    const Counts &counts() const { return m_counts; }
    QJsonObject routesJson() const; // route → counts
    // The route a verdict is counted under: RouteTemplate::fold, a gRPC method unfolded.
    static QString routeOf(const HttpExchange &pod);
    static std::int64_t nowNs();

Q_SIGNALS:
    // One verdict: the record docs/ipc.md describes for the "compared" event.
    void compared(quint64 captureId, const QJsonObject &record);

private:
    struct Conn
    {
        HttpConversation local;
        std::deque<HttpExchange> pod;          // waiting for the local answer
        std::deque<HttpExchange> localAnswers; // waiting for the pod's exchange
        std::deque<std::int64_t> podSince;     // when each pod exchange started waiting
        // Capture request numbers of the requests on the current local connection not yet
        // answered, in order; the local conversation numbers them from localBase.
        std::deque<std::uint64_t> forwarded;
        std::uint64_t localBase = 0;
        bool mapped = false; // requestForwarded() is used: local numbers map to the capture's
        bool localEnded = false;
        bool podEnded = false;
        QString localOutcome;
        // HTTP/2: the local side's decoder, and exchanges waiting for their other side
        std::unique_ptr<Http2Connection> h2;
        std::map<std::uint32_t, HttpExchange> podStreams;
        std::map<std::uint32_t, std::int64_t> podStreamSince;
        std::map<std::uint32_t, HttpExchange> localStreams;
        std::set<std::uint32_t> podUnansweredStreams; // their local side is dropped too
        // The local build's first 9 bytes must be a SETTINGS frame (RFC 9113 3.4); when they
        // are not, why (every waiting stream is then a local error).
        QByteArray h2ServerStart;
        QString h2NotHttp2;
    };
    void pairUp(std::uint64_t captureId, Conn &c);
    void pairUpHttp2(std::uint64_t captureId, Conn &c);
    void takeLocalHttp2(Conn &c);
    // Pod streams that can get no local answer any more: the verdict `kind` with `why`.
    void failPodStreams(std::uint64_t captureId, Conn &c, ShadowComparator::Kind kind,
                        const QString &why);
    void takeLocal(Conn &c);
    void verdict(std::uint64_t captureId, const HttpExchange &pod, const HttpExchange *local,
                 const ShadowComparator::Verdict &v);
    void settleEnded(std::uint64_t captureId, Conn &c);
    static ShadowComparator::Verdict endedWithout(const HttpExchange &pod, const QString &outcome);
    void sweep();

    ShadowComparator m_comparator;
    std::unordered_map<std::uint64_t, Conn> m_conns;
    Counts m_counts;
    QHash<QString, Counts> m_routes;
    QTimer m_sweep;
    int m_timeoutMs = DefaultTimeoutMs;
};

} // namespace podtap
