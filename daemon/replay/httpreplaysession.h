#pragma once

#include "capture/connectiontracker.h"
#include "capture/packetdecoder.h"
#include "capturefilesource.h"
#include "http/httpfilter.h"
#include "http/httpsink.h"
#include "http/shadowcomparator.h"
#include "localhttp2client.h"
#include "mirror/shadowcompare.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <deque>
#include <map>
#include <vector>

namespace podtap {

class LocalHttp2Client;
class LocalHttpClient;

// Replays the HTTP requests of a capture (not its raw bytes) to the local build: requests
// are rebuilt (Authorization stripped unless kept, headers set as asked, bodies re-framed
// with Content-Length), sent at a fixed rate (or as fast as `concurrency` connections
// allow), a percentage of them spread evenly, and each answer compared with the recorded
// one. A regression test of the local build against captured traffic. HTTP/2 streams (and
// gRPC calls) are replayed as HTTP/2 requests on one prior-knowledge h2c connection, at most
// `concurrency` streams at a time; the rate and the percentage count both protocols.
class HttpReplaySession : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        QString file;
        QStringList moreFiles;
        QHostAddress host = QHostAddress::LocalHost;
        quint16 port = 0;
        std::uint16_t serverPort = 0;
        QSet<QString> clients; // captured client endpoints to replay; empty: all
        double rate = 0;       // requests per second; 0: as fast as possible
        double percent = 100;  // of the requests, spread evenly
        int concurrency = 8;   // local HTTP/1 connections; HTTP/2 streams in flight
        QList<QPair<QByteArray, QByteArray>> setHeaders; // replace or add
        bool keepAuth = false;                           // keep Authorization / Proxy-Authorization
        bool compare = true;
        ShadowComparator::Options compareOptions{ShadowComparator::defaultIgnoredHeaders(), 20};
        HttpFilter filter; // per request
        int timeoutMs = 10000;
        qint64 maxBodyBytes = 1024 * 1024; // larger request bodies are skipped
    };
    struct Stats
    {
        quint64 requests = 0; // complete requests found in the capture
        quint64 selected = 0; // after the filter and the percentage
        quint64 sent = 0;
        quint64 answered = 0;
        quint64 localErrors = 0;
        quint64 timeouts = 0;
        quint64 skippedIncomplete = 0; // a gap or truncation in the captured request
        quint64 skippedLarge = 0;      // body over maxBodyBytes
        quint64 filteredOut = 0;
        quint64 http2Requests = 0;    // of `requests`, HTTP/2 streams (gRPC calls included)
        quint64 http2Undecodable = 0; // HTTP/2 connections not decodable (whole or in part)
        quint64 otherConnections = 0; // not recognized as HTTP (another protocol, or its start
                                      // lost): nothing of them is replayed
        qint64 firstSendMs = -1;
        qint64 lastSendMs = -1;
        QJsonObject toJson() const;
    };

    explicit HttpReplaySession(const Options &options, QObject *parent = nullptr);
    ~HttpReplaySession() override;

    bool start(QString *error);
    void stop();
    const Stats &stats() const { return m_stats; }
    const ShadowCompare::Counts &compareCounts() const { return m_counts; }
    QJsonObject summary() const; // stats + compare counts + achieved rate

    // The request as it is sent: origin request line and headers minus Authorization (unless
    // kept), hop-by-hop and framing fields, plus `setHeaders`, body with Content-Length.
    static QByteArray buildRequest(const HttpMessage &request, const Options &options);
    // The same for an HTTP/2 stream: the recorded pseudo-header fields (:authority replaced
    // by a `host` set header), regular fields minus Authorization (unless kept) and
    // connection-specific ones (RFC 9113 8.2.2; `te` only as "trailers"), `setHeaders`
    // (lower case), the recorded body byte for byte (gRPC messages included).
    static LocalHttp2Client::Request buildHttp2Request(const HttpMessage &request,
                                                       const Options &options);

Q_SIGNALS:
    void progress(quint64 sent, quint64 answered);
    void compared(const QJsonObject &record);
    void done(bool ok, const QString &message);

private:
    struct Pending
    {
        HttpExchange exchange;
        QString client; // captured client endpoint
    };
    void read();
    void onExchange(const TcpConnection &c, HttpExchange &&x);
    void dispatch();
    void sendOn(LocalHttpClient *worker, Pending &&p);
    void sendHttp2(Pending &&p);
    void onHttp2Answer(quint64 id, const HttpExchange &local, qint64 latencyNs);
    void onHttp2Failure(quint64 id, const QString &why, bool timedOut);
    void finishIfIdle();
    QString rateText() const;
    void record(const Pending &p, const ShadowComparator::Verdict &v, qint64 localLatencyNs,
                int localStatus);
    LocalHttp2Client *http2Client();

    Options m_options;
    PacketDecoder m_decoder;
    ConnectionTracker m_tracker;
    HttpSink m_http;
    TcpSegment m_segment;
    CaptureFileSource m_source;
    bool m_eof = false;
    bool m_done = false;
    QString m_error;
    std::deque<Pending> m_ready;
    std::vector<LocalHttpClient *> m_workers;
    LocalHttp2Client *m_http2 = nullptr;    // created with the first HTTP/2 request
    std::map<quint64, Pending> m_http2Sent; // by the client's request id
    QTimer m_readTimer;
    QTimer m_sendTimer;
    QElapsedTimer m_clock;
    double m_percentAcc = 0;
    Stats m_stats;
    ShadowCompare::Counts m_counts;
    ShadowComparator m_comparator;
    static constexpr std::size_t ReadAhead = 4096;
};

} // namespace podtap
