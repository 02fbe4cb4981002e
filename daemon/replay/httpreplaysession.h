#pragma once

#include "capture/connectiontracker.h"
#include "capture/packetdecoder.h"
#include "capturefilesource.h"
#include "http/httpfilter.h"
#include "http/httpsink.h"
#include "http/shadowcomparator.h"
#include "mirror/shadowcompare.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <deque>
#include <vector>

namespace podtap {

class LocalHttpClient;

// Replays the HTTP requests of a capture (not its raw bytes) to the local build: requests
// are rebuilt (Authorization stripped unless kept, headers set as asked, bodies re-framed
// with Content-Length), sent at a fixed rate (or as fast as `concurrency` connections
// allow), a percentage of them spread evenly, and each answer compared with the recorded
// one. A regression test of the local build against captured traffic.
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
        int concurrency = 8;   // local connections
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
    void finishIfIdle();
    QString rateText() const;
    void record(const Pending &p, const ShadowComparator::Verdict &v, qint64 localLatencyNs,
                int localStatus);

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
