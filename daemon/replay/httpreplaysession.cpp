#include "httpreplaysession.h"

#include "http/routetemplate.h"
#include "localhttpclient.h"

#include <cmath>

namespace podtap {

namespace {
constexpr int ReadBatch = 2048;

EngineConfig trackerConfig(std::uint16_t port)
{
    EngineConfig c;
    c.tappedPort = port;
    return c;
}

HttpParser::Limits keepLimits(qint64 maxBody)
{
    HttpParser::Limits l;
    l.keepBodyBytes = std::size_t(maxBody);
    return l;
}
} // namespace

QJsonObject HttpReplaySession::Stats::toJson() const
{
    return QJsonObject{{QStringLiteral("requests"), qint64(requests)},
                       {QStringLiteral("selected"), qint64(selected)},
                       {QStringLiteral("sent"), qint64(sent)},
                       {QStringLiteral("answered"), qint64(answered)},
                       {QStringLiteral("localErrors"), qint64(localErrors)},
                       {QStringLiteral("timeouts"), qint64(timeouts)},
                       {QStringLiteral("skippedIncomplete"), qint64(skippedIncomplete)},
                       {QStringLiteral("skippedLarge"), qint64(skippedLarge)},
                       {QStringLiteral("filteredOut"), qint64(filteredOut)},
                       {QStringLiteral("http2Requests"), qint64(http2Requests)},
                       {QStringLiteral("http2Undecodable"), qint64(http2Undecodable)},
                       {QStringLiteral("otherConnections"), qint64(otherConnections)}};
}

HttpReplaySession::HttpReplaySession(const Options &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_tracker(trackerConfig(options.serverPort))
    , m_http([this](const TcpConnection &c, HttpExchange &&x) { onExchange(c, std::move(x)); },
             keepLimits(options.maxBodyBytes))
    , m_comparator(options.compareOptions)
{
    m_http.setHttp2Decoding(true);
    m_tracker.setSink(&m_http);
    m_readTimer.setSingleShot(true);
    connect(&m_readTimer, &QTimer::timeout, this, &HttpReplaySession::read);
    m_sendTimer.setSingleShot(true);
    m_sendTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_sendTimer, &QTimer::timeout, this, &HttpReplaySession::dispatch);
    const int n = std::clamp(options.concurrency, 1, 256);
    for (int i = 0; i < n; ++i)
        m_workers.push_back(new LocalHttpClient(options.host, options.port, this));
}

HttpReplaySession::~HttpReplaySession()
{
    m_tracker.setSink(nullptr);
}

QByteArray HttpReplaySession::buildRequest(const HttpMessage &request, const Options &options)
{
    static const QSet<QByteArray> hopByHop{"content-length", "transfer-encoding", "connection",
                                           "keep-alive",     "proxy-connection",  "te",
                                           "trailer",        "upgrade",           "expect"};
    QSet<QByteArray> replaced;
    for (const auto &h : options.setHeaders)
        replaced.insert(h.first.toLower());
    QByteArray out = request.method + ' ' + request.target + " HTTP/1.1\r\n";
    bool haveHost = replaced.contains("host");
    for (const HttpMessage::Header &h : request.headers) {
        const QByteArray lower = h.name.toByteArray().toLower();
        if (hopByHop.contains(lower) || replaced.contains(lower))
            continue;
        if (!options.keepAuth && (lower == "authorization" || lower == "proxy-authorization"))
            continue;
        haveHost = haveHost || lower == "host";
        out.append(h.name).append(": ").append(h.value).append("\r\n");
    }
    for (const auto &[name, value] : options.setHeaders)
        out += name + ": " + value + "\r\n";
    if (!haveHost) // HTTP/1.1 requires one (RFC 9112 3.2)
        out += "Host: " + options.host.toString().toLatin1() + ':'
               + QByteArray::number(options.port) + "\r\n";
    if (!request.body.isEmpty() || request.method == "POST" || request.method == "PUT"
        || request.method == "PATCH")
        out += "Content-Length: " + QByteArray::number(request.body.size()) + "\r\n";
    out += "\r\n";
    out += request.body;
    return out;
}

LocalHttp2Client::Request HttpReplaySession::buildHttp2Request(const HttpMessage &request,
                                                               const Options &options)
{
    // Connection-specific fields are not HTTP/2 (RFC 9113 8.2.2); the length is the body's.
    static const QSet<QByteArray> dropped{"connection",        "keep-alive", "proxy-connection",
                                          "transfer-encoding", "upgrade",    "host",
                                          "content-length",    "expect"};
    QSet<QByteArray> replaced;
    QByteArray authority;
    for (const auto &[name, value] : options.setHeaders) {
        const QByteArray lower = name.toLower();
        replaced.insert(lower);
        if (lower == "host" || lower == ":authority")
            authority = value;
    }
    LocalHttp2Client::Request out;
    QList<QPair<QByteArray, QByteArray>> regular;
    bool hadLength = false;
    for (const HttpMessage::Header &h : request.headers) {
        const QByteArray lower = h.name.toByteArray().toLower();
        const QByteArray value = h.value.toByteArray();
        if (lower.startsWith(':')) {
            if (lower == ":authority" && !authority.isNull())
                out.fields.append({lower, authority});
            else if (!replaced.contains(lower))
                out.fields.append({lower, value});
            continue;
        }
        hadLength = hadLength || lower == "content-length";
        if (dropped.contains(lower) || replaced.contains(lower))
            continue;
        if (!options.keepAuth && (lower == "authorization" || lower == "proxy-authorization"))
            continue;
        if (lower == "te" && value.trimmed().toLower() != "trailers")
            continue;
        regular.append({lower, value});
    }
    if (!authority.isNull() && request.header(":authority").isNull())
        out.fields.append({":authority", authority});
    for (const auto &[name, value] : options.setHeaders) {
        const QByteArray lower = name.toLower();
        if (lower == "host" || lower == ":authority")
            continue;
        if (lower.startsWith(':'))
            out.fields.append({lower, value});
        else
            regular.append({lower, value});
    }
    if (hadLength && !replaced.contains("content-length"))
        regular.append({"content-length", QByteArray::number(request.body.size())});
    out.fields += regular;
    out.body = request.body;
    return out;
}

bool HttpReplaySession::start(QString *error)
{
    if (m_options.percent <= 0 || m_options.percent > 100) {
        *error = QStringLiteral("the percentage must be in (0, 100]");
        return false;
    }
    if (m_options.rate < 0) {
        *error = QStringLiteral("the rate cannot be negative");
        return false;
    }
    if (!m_source.open(m_options.file, m_options.moreFiles, error))
        return false;
    m_clock.start();
    m_readTimer.start(0);
    return true;
}

void HttpReplaySession::stop()
{
    m_readTimer.stop();
    m_sendTimer.stop();
    m_eof = true;
    m_ready.clear();
    finishIfIdle();
}

void HttpReplaySession::read()
{
    if (m_eof)
        return;
    for (int i = 0; i < ReadBatch && m_ready.size() < ReadAhead; ++i) {
        RawPacket pkt;
        const CaptureFileSource::Status status = m_source.next(pkt);
        if (status != CaptureFileSource::Status::Packet) {
            if (status == CaptureFileSource::Status::Error)
                m_error = m_source.errorString();
            m_tracker.finish(); // the last exchanges come out now
            m_eof = true;
            break;
        }
        if (m_decoder.decode(pkt, m_segment) == DecodeResult::Tcp)
            m_tracker.process(m_segment, pkt);
    }
    m_stats.http2Undecodable = m_http.stats().http2Undecodable;
    m_stats.otherConnections = m_http.stats().otherConnections;
    dispatch();
}

void HttpReplaySession::onExchange(const TcpConnection &c, HttpExchange &&x)
{
    if (!x.request.isComplete()) {
        ++m_stats.skippedIncomplete;
        return;
    }
    ++m_stats.requests;
    if (x.protocol == HttpExchange::Protocol::Http2)
        ++m_stats.http2Requests;
    if (!x.request.bodyKeptWhole || qint64(x.request.bodyBytes) > m_options.maxBodyBytes) {
        ++m_stats.skippedLarge;
        return;
    }
    const QString client = QString::fromStdString(c.client.toString());
    if ((!m_options.clients.isEmpty() && !m_options.clients.contains(client))
        || !m_options.filter.matches(x.request)) {
        ++m_stats.filteredOut;
        return;
    }
    // Evenly spread: every request adds percent/100; one is sent per whole unit.
    m_percentAcc += m_options.percent / 100.0;
    if (m_percentAcc + 1e-9 < 1.0)
        return;
    m_percentAcc -= 1.0;
    ++m_stats.selected;
    m_ready.push_back(Pending{std::move(x), client});
}

void HttpReplaySession::dispatch()
{
    while (!m_ready.empty()) {
        // Requests go in capture order: the next one waits for a free worker of its protocol.
        LocalHttpClient *free = nullptr;
        const bool http2 = m_ready.front().exchange.protocol == HttpExchange::Protocol::Http2;
        if (http2) {
            if (!http2Client()->canSend())
                break;
        } else {
            for (LocalHttpClient *w : m_workers) {
                if (!w->isBusy()) {
                    free = w;
                    break;
                }
            }
            if (!free)
                break;
        }
        if (m_options.rate > 0) {
            // Request k is due at k / rate after the first: a schedule, not a sleep per
            // request, so timer jitter never accumulates.
            const double dueMs = m_stats.firstSendMs < 0
                                         ? 0
                                         : double(m_stats.firstSendMs)
                                                   + double(m_stats.sent) * 1000.0 / m_options.rate;
            const double now = double(m_clock.nsecsElapsed()) / 1e6;
            if (now + 0.05 < dueMs) {
                m_sendTimer.start(int(std::ceil(dueMs - now)));
                break;
            }
        }
        Pending p = std::move(m_ready.front());
        m_ready.pop_front();
        if (http2)
            sendHttp2(std::move(p));
        else
            sendOn(free, std::move(p));
    }
    if (!m_eof && m_ready.size() < ReadAhead / 2 && !m_readTimer.isActive())
        m_readTimer.start(0);
    finishIfIdle();
}

LocalHttp2Client *HttpReplaySession::http2Client()
{
    if (!m_http2) {
        m_http2 = new LocalHttp2Client(m_options.host, m_options.port,
                                       std::clamp(m_options.concurrency, 1, 256), this);
        connect(m_http2, &LocalHttp2Client::answered, this, &HttpReplaySession::onHttp2Answer);
        connect(m_http2, &LocalHttp2Client::failed, this, &HttpReplaySession::onHttp2Failure);
        connect(m_http2, &LocalHttp2Client::ready, this, &HttpReplaySession::dispatch);
    }
    return m_http2;
}

void HttpReplaySession::sendHttp2(Pending &&p)
{
    const qint64 now = m_clock.elapsed();
    if (m_stats.firstSendMs < 0)
        m_stats.firstSendMs = now;
    m_stats.lastSendMs = now;
    ++m_stats.sent;
    const quint64 id = http2Client()->send(buildHttp2Request(p.exchange.request, m_options),
                                           m_options.timeoutMs);
    m_http2Sent.emplace(id, std::move(p));
}

void HttpReplaySession::onHttp2Answer(quint64 id, const HttpExchange &local, qint64 latencyNs)
{
    const auto it = m_http2Sent.find(id);
    if (it == m_http2Sent.end())
        return;
    const Pending p = std::move(it->second);
    m_http2Sent.erase(it);
    ++m_stats.answered;
    if (!p.exchange.hasResponse)
        record(p,
               ShadowComparator::localFailure(
                       ShadowComparator::Kind::NotComparable, 0,
                       QStringLiteral("the capture has no answer to this request")),
               latencyNs, local.response.status);
    else
        record(p, m_comparator.compare(p.exchange, local), latencyNs, local.response.status);
    Q_EMIT progress(m_stats.sent, m_stats.answered);
    dispatch();
}

void HttpReplaySession::onHttp2Failure(quint64 id, const QString &why, bool timedOut)
{
    const auto it = m_http2Sent.find(id);
    if (it == m_http2Sent.end())
        return;
    const Pending p = std::move(it->second);
    m_http2Sent.erase(it);
    ++(timedOut ? m_stats.timeouts : m_stats.localErrors);
    record(p,
           ShadowComparator::localFailure(timedOut ? ShadowComparator::Kind::LocalTimeout
                                                   : ShadowComparator::Kind::LocalError,
                                          p.exchange.response.status, why),
           -1, 0);
    dispatch();
}

void HttpReplaySession::sendOn(LocalHttpClient *worker, Pending &&p)
{
    const qint64 now = m_clock.elapsed();
    if (m_stats.firstSendMs < 0)
        m_stats.firstSendMs = now;
    m_stats.lastSendMs = now;
    ++m_stats.sent;
    const QByteArray bytes = buildRequest(p.exchange.request, m_options);
    const QByteArray method = p.exchange.request.method;
    auto shared = std::make_shared<Pending>(std::move(p));
    // One request per worker at a time: the connections live until it answers or fails.
    auto *ctx = new QObject(this);
    connect(worker, &LocalHttpClient::answered, ctx,
            [this, shared, ctx, worker](const HttpMessage &response, qint64 latencyNs) {
                QObject::disconnect(worker, nullptr, ctx, nullptr);
                ctx->deleteLater();
                ++m_stats.answered;
                if (!shared->exchange.hasResponse)
                    record(*shared,
                           ShadowComparator::localFailure(
                                   ShadowComparator::Kind::NotComparable, 0,
                                   QStringLiteral("the capture has no answer to this request")),
                           latencyNs, response.status);
                else
                    record(*shared, m_comparator.compare(shared->exchange.response, response),
                           latencyNs, response.status);
                Q_EMIT progress(m_stats.sent, m_stats.answered);
                dispatch();
            });
    connect(worker, &LocalHttpClient::failed, ctx,
            [this, shared, ctx, worker](const QString &why, bool timedOut) {
                QObject::disconnect(worker, nullptr, ctx, nullptr);
                ctx->deleteLater();
                ++(timedOut ? m_stats.timeouts : m_stats.localErrors);
                record(*shared,
                       ShadowComparator::localFailure(timedOut
                                                              ? ShadowComparator::Kind::LocalTimeout
                                                              : ShadowComparator::Kind::LocalError,
                                                      shared->exchange.response.status, why),
                       -1, 0);
                dispatch();
            });
    worker->send(bytes, method, m_options.timeoutMs);
}

void HttpReplaySession::record(const Pending &p, const ShadowComparator::Verdict &v,
                               qint64 localLatencyNs, int localStatus)
{
    m_counts.add(v.kind);
    if (!m_options.compare)
        return;
    const HttpExchange &x = p.exchange;
    QJsonObject r = v.toJson();
    r[QLatin1String("connection")] = p.client;
    r[QLatin1String("index")] = qint64(x.index);
    r[QLatin1String("method")] = QString::fromLatin1(x.request.method);
    r[QLatin1String("target")] = QString::fromLatin1(x.request.target.left(2048));
    r[QLatin1String("route")] = RouteTemplate::fold(x.request.method, x.request.target);
    if (x.protocol == HttpExchange::Protocol::Http2) {
        r[QLatin1String("protocol")] = QStringLiteral("h2");
        r[QLatin1String("stream")] = qint64(x.streamId);
    }
    if (x.hasResponse)
        r[QLatin1String("podLatencyUs")] = double(x.latencyNs()) / 1000.0;
    if (localLatencyNs >= 0) {
        r[QLatin1String("localLatencyUs")] = double(localLatencyNs) / 1000.0;
        r[QLatin1String("localStatus")] = localStatus;
    }
    Q_EMIT compared(r);
}

QJsonObject HttpReplaySession::summary() const
{
    QJsonObject o = m_stats.toJson();
    const qint64 span = m_stats.lastSendMs - m_stats.firstSendMs;
    if (m_stats.sent > 1 && span > 0)
        o[QLatin1String("rate")] = double(m_stats.sent - 1) * 1000.0 / double(span);
    o[QLatin1String("compare")] = m_counts.toJson();
    return o;
}

QString HttpReplaySession::rateText() const
{
    const qint64 span = m_stats.lastSendMs - m_stats.firstSendMs;
    if (m_stats.sent < 2 || span <= 0)
        return {};
    const double achieved = double(m_stats.sent - 1) * 1000.0 / double(span);
    return m_options.rate > 0 ? QStringLiteral("; %1 requests/s (%2 asked)")
                                        .arg(achieved, 0, 'f', 1)
                                        .arg(m_options.rate, 0, 'f', 1)
                              : QStringLiteral("; %1 requests/s").arg(achieved, 0, 'f', 1);
}

void HttpReplaySession::finishIfIdle()
{
    if (!m_eof || m_done || !m_ready.empty())
        return;
    for (LocalHttpClient *w : m_workers) {
        if (w->isBusy())
            return;
    }
    if (!m_http2Sent.empty())
        return;
    m_done = true;
    const QString message
            = QStringLiteral("%1 of %2 requests replayed, %3 answered (%4 local errors, %5 timed "
                             "out); %6 same, %7 differ")
                      .arg(m_stats.sent)
                      .arg(m_stats.requests)
                      .arg(m_stats.answered)
                      .arg(m_stats.localErrors)
                      .arg(m_stats.timeouts)
                      .arg(m_counts.same)
                      .arg(m_counts.status + m_counts.body + m_counts.headers)
              + rateText()
              + (m_stats.http2Undecodable > 0
                         ? QStringLiteral("; %1 HTTP/2 connections could not be decoded (joined "
                                          "mid-stream, gaps or protocol errors): their requests "
                                          "from there on are not replayed")
                                   .arg(m_stats.http2Undecodable)
                         : QString())
              + (m_stats.otherConnections > 0
                         ? QStringLiteral("; %1 connections not recognized as HTTP (another "
                                          "protocol, or their start was not captured)")
                                   .arg(m_stats.otherConnections)
                         : QString());
    Q_EMIT done(m_error.isEmpty(),
                m_error.isEmpty() ? message : m_error + QStringLiteral("; ") + message);
}

} // namespace podtap
