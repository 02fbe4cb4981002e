#include "shadowcompare.h"

#include "http/routetemplate.h"

#include <time.h>

namespace podtap {

using Kind = ShadowComparator::Kind;

void ShadowCompare::Counts::add(Kind kind)
{
    ++compared;
    switch (kind) {
    case Kind::Same:
        ++same;
        break;
    case Kind::StatusDiffers:
        ++status;
        break;
    case Kind::BodyDiffers:
        ++body;
        break;
    case Kind::HeadersDiffer:
        ++headers;
        break;
    case Kind::LocalError:
        ++localErrors;
        break;
    case Kind::LocalTimeout:
        ++localTimeouts;
        break;
    case Kind::NotComparable:
        ++notComparable;
        break;
    }
}

ShadowCompare::Counts &ShadowCompare::Counts::operator+=(const Counts &c)
{
    compared += c.compared;
    same += c.same;
    status += c.status;
    body += c.body;
    headers += c.headers;
    localErrors += c.localErrors;
    localTimeouts += c.localTimeouts;
    notComparable += c.notComparable;
    podUnanswered += c.podUnanswered;
    extraLocal += c.extraLocal;
    return *this;
}

QJsonObject ShadowCompare::Counts::toJson() const
{
    return QJsonObject{{QStringLiteral("compared"), qint64(compared)},
                       {QStringLiteral("same"), qint64(same)},
                       {QStringLiteral("status"), qint64(status)},
                       {QStringLiteral("body"), qint64(body)},
                       {QStringLiteral("headers"), qint64(headers)},
                       {QStringLiteral("localErrors"), qint64(localErrors)},
                       {QStringLiteral("localTimeouts"), qint64(localTimeouts)},
                       {QStringLiteral("notComparable"), qint64(notComparable)},
                       {QStringLiteral("podUnanswered"), qint64(podUnanswered)},
                       {QStringLiteral("extraLocal"), qint64(extraLocal)}};
}

ShadowCompare::ShadowCompare(const ShadowComparator::Options &options, QObject *parent)
    : QObject(parent)
    , m_comparator(options)
{
    m_sweep.setInterval(1000);
    connect(&m_sweep, &QTimer::timeout, this, &ShadowCompare::sweep);
    m_sweep.start();
}

ShadowCompare::~ShadowCompare() = default;

std::int64_t ShadowCompare::nowNs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void ShadowCompare::connectionStarted(std::uint64_t captureId)
{
    m_conns.try_emplace(captureId);
}

void ShadowCompare::http2Started(std::uint64_t captureId)
{
    const auto it = m_conns.find(captureId);
    if (it == m_conns.end() || it->second.h2)
        return;
    it->second.h2 = std::make_unique<Http2Connection>();
}

void ShadowCompare::requestForwarded(std::uint64_t captureId, std::uint64_t podIndex)
{
    const auto it = m_conns.find(captureId);
    if (it == m_conns.end())
        return;
    it->second.mapped = true;
    it->second.forwarded.push_back(podIndex);
}

void ShadowCompare::localRestarted(std::uint64_t captureId)
{
    const auto it = m_conns.find(captureId);
    if (it == m_conns.end() || it->second.h2)
        return; // HTTP/2 never goes on with a fresh connection (a gap ends it)
    Conn &c = it->second;
    // Requests sent on the old connection and never answered stay waiting on the pod side;
    // the new connection's answers carry later numbers, so they end as not comparable.
    c.local = HttpConversation();
    c.forwarded.clear();
    c.localBase = 0;
    c.localEnded = false;
    c.localOutcome.clear();
}

void ShadowCompare::localRequestBytes(std::uint64_t captureId, const char *data, qint64 size)
{
    const auto it = m_conns.find(captureId);
    if (it == m_conns.end() || size <= 0)
        return;
    if (Conn &c = it->second; c.h2) {
        c.h2->clientData(reinterpret_cast<const std::uint8_t *>(data), std::size_t(size), nowNs());
        takeLocalHttp2(c); // a reset stream may complete here
        pairUpHttp2(captureId, c);
        return;
    }
    it->second.local.clientData(reinterpret_cast<const std::uint8_t *>(data), std::size_t(size),
                                nowNs());
}

void ShadowCompare::localResponseBytes(std::uint64_t captureId, const char *data, qint64 size)
{
    const auto it = m_conns.find(captureId);
    if (it == m_conns.end() || size <= 0)
        return;
    Conn &c = it->second;
    if (c.h2) {
        if (c.h2ServerStart.size() < 9) {
            // A server's connection preface is a SETTINGS frame (RFC 9113 3.4): anything else
            // (an HTTP/1.1 "400 Bad Request") is not HTTP/2, whatever length it claims.
            c.h2ServerStart.append(data, std::min<qint64>(size, 9 - c.h2ServerStart.size()));
            if (c.h2ServerStart.size() == 9
                && (c.h2ServerStart.at(3) != 4 || c.h2ServerStart.at(4) != 0
                    || c.h2ServerStart.mid(5) != QByteArray(4, '\0')))
                c.h2NotHttp2 = QStringLiteral("the local build did not answer HTTP/2 (its first "
                                              "bytes are not a SETTINGS frame: \"%1\")")
                                       .arg(QString::fromLatin1(
                                               c.h2ServerStart.toPercentEncoding(" /.:")));
        }
        if (c.h2NotHttp2.isEmpty()) {
            c.h2->serverData(reinterpret_cast<const std::uint8_t *>(data), std::size_t(size),
                             nowNs());
            takeLocalHttp2(c);
        }
        pairUpHttp2(captureId, c);
        return;
    }
    c.local.serverData(reinterpret_cast<const std::uint8_t *>(data), std::size_t(size), nowNs());
    takeLocal(c);
    pairUp(captureId, c);
}

void ShadowCompare::localEnded(std::uint64_t captureId, const QString &outcome)
{
    const auto it = m_conns.find(captureId);
    if (it == m_conns.end())
        return;
    Conn &c = it->second;
    if (c.h2) {
        c.h2->finish(nowNs());
        takeLocalHttp2(c);
        c.localEnded = true;
        c.localOutcome = outcome;
        pairUpHttp2(captureId, c);
        settleEnded(captureId, c);
        return;
    }
    c.local.finish(nowNs());
    takeLocal(c);
    c.localEnded = true;
    c.localOutcome = outcome;
    pairUp(captureId, c);
    settleEnded(captureId, c);
}

void ShadowCompare::takeLocal(Conn &c)
{
    for (HttpExchange &x : c.local.takeExchanges()) {
        if (c.mapped) {
            // The local build's n-th request on this connection is the capture's forwarded one.
            while (!c.forwarded.empty() && c.localBase < x.index) {
                c.forwarded.pop_front();
                ++c.localBase;
            }
            if (c.forwarded.empty())
                continue; // more requests than were forwarded: cannot be numbered
            x.index = c.forwarded.front();
            c.forwarded.pop_front();
            ++c.localBase;
        }
        c.localAnswers.push_back(std::move(x));
    }
}

void ShadowCompare::podExchange(std::uint64_t captureId, HttpExchange &&exchange)
{
    const auto it = m_conns.find(captureId);
    if (it == m_conns.end())
        return; // not mirrored from its first byte
    Conn &c = it->second;
    if (c.h2 && exchange.protocol != HttpExchange::Protocol::Http2)
        return; // cannot happen: both come from the same client bytes
    if (!c.h2 && exchange.protocol == HttpExchange::Protocol::Http2) {
        // Upgrade: h2c: the local side is parsed as HTTP/1.x, which ends at the 101.
        if (!exchange.hasResponse) {
            ++m_counts.podUnanswered;
            return;
        }
        verdict(captureId, exchange, nullptr,
                ShadowComparator::localFailure(
                        Kind::NotComparable, exchange.response.status,
                        QStringLiteral("HTTP/2 after an Upgrade: h2c is not compared (only "
                                       "HTTP/2 from its preface is)")));
        return;
    }
    if (!exchange.request.isComplete()
        && exchange.request.incomplete == HttpMessage::Incomplete::Gap) {
        // Lost to a capture gap: never mirrored, so nothing to compare (never a difference).
        if (!exchange.hasResponse) {
            ++m_counts.podUnanswered;
            return;
        }
        verdict(captureId, exchange, nullptr,
                ShadowComparator::localFailure(
                        Kind::NotComparable, exchange.response.status,
                        QStringLiteral("the capture lost part of this request: it was not "
                                       "mirrored")));
        return;
    }
    if (c.h2) {
        if (!exchange.hasResponse) {
            ++m_counts.podUnanswered; // reset by the client, or the capture ended
            if (c.localStreams.erase(exchange.streamId) == 0)
                c.podUnansweredStreams.insert(exchange.streamId);
            if (int(c.podUnansweredStreams.size()) > 4 * MaxPending)
                c.podUnansweredStreams.erase(c.podUnansweredStreams.begin());
            return;
        }
        const std::uint32_t sid = exchange.streamId;
        c.podStreamSince[sid] = nowNs();
        c.podStreams.insert_or_assign(sid, std::move(exchange));
        pairUpHttp2(captureId, c);
        while (int(c.podStreams.size()) > MaxPending) {
            const auto oldest = c.podStreams.begin();
            const HttpExchange x = std::move(oldest->second);
            c.podStreamSince.erase(oldest->first);
            c.podStreams.erase(oldest);
            verdict(captureId, x, nullptr,
                    ShadowComparator::localFailure(
                            Kind::LocalTimeout, x.response.status,
                            QStringLiteral("the local build is more than %1 streams behind")
                                    .arg(MaxPending)));
        }
        if (c.localEnded)
            settleEnded(captureId, c);
        return;
    }
    c.pod.push_back(std::move(exchange));
    c.podSince.push_back(nowNs());
    pairUp(captureId, c);
    while (int(c.pod.size()) > MaxPending) {
        const HttpExchange x = std::move(c.pod.front());
        c.pod.pop_front();
        c.podSince.pop_front();
        verdict(captureId, x, nullptr,
                ShadowComparator::localFailure(
                        Kind::LocalTimeout, x.response.status,
                        QStringLiteral("the local build is more than %1 requests behind")
                                .arg(MaxPending)));
    }
    if (c.localEnded)
        settleEnded(captureId, c);
}

void ShadowCompare::podEnded(std::uint64_t captureId)
{
    const auto it = m_conns.find(captureId);
    if (it == m_conns.end())
        return;
    it->second.podEnded = true;
    settleEnded(captureId, it->second);
}

void ShadowCompare::pairUp(std::uint64_t captureId, Conn &c)
{
    while (!c.pod.empty() && !c.localAnswers.empty()) {
        if (c.localAnswers.front().index < c.pod.front().index) {
            c.localAnswers.pop_front(); // a late answer to a request already timed out
            continue;
        }
        const HttpExchange pod = std::move(c.pod.front());
        c.pod.pop_front();
        c.podSince.pop_front();
        if (!pod.hasResponse) {
            ++m_counts.podUnanswered;
            continue;
        }
        if (c.localAnswers.front().index > pod.index) {
            verdict(captureId, pod, nullptr,
                    ShadowComparator::localFailure(Kind::NotComparable, pod.response.status,
                                                   QStringLiteral("request numbering differs")));
            continue;
        }
        const HttpExchange local = std::move(c.localAnswers.front());
        c.localAnswers.pop_front();
        if (!local.hasResponse) {
            verdict(captureId, pod, &local, endedWithout(pod, c.localOutcome));
            continue;
        }
        verdict(captureId, pod, &local, m_comparator.compare(pod.response, local.response));
    }
    // A local answer that is not HTTP (or framing lost) answers nothing after it.
    if (c.local.responses().isStopped() && c.local.responses().state() != HttpParser::State::Tunnel
        && !c.pod.empty()) {
        const QString why = QStringLiteral("the local answer is not valid HTTP/1.x: %1")
                                    .arg(c.local.responses().error());
        while (!c.pod.empty()) {
            const HttpExchange pod = std::move(c.pod.front());
            c.pod.pop_front();
            c.podSince.pop_front();
            if (!pod.hasResponse) {
                ++m_counts.podUnanswered;
                continue;
            }
            verdict(captureId, pod, nullptr,
                    ShadowComparator::localFailure(Kind::LocalError, pod.response.status, why));
        }
    }
}

void ShadowCompare::takeLocalHttp2(Conn &c)
{
    for (HttpExchange &x : c.h2->takeExchanges()) {
        // The client's stream ids are the pod's: the bytes are the same from the preface on.
        const std::uint32_t sid = x.streamId;
        if (c.podUnansweredStreams.erase(sid) > 0)
            continue; // nothing to hold it against
        c.localStreams.insert_or_assign(sid, std::move(x));
    }
    while (int(c.localStreams.size()) > 4 * MaxPending) {
        c.localStreams.erase(c.localStreams.begin()); // the pod's side never came
        ++m_counts.extraLocal;
    }
}

void ShadowCompare::pairUpHttp2(std::uint64_t captureId, Conn &c)
{
    for (auto it = c.podStreams.begin(); it != c.podStreams.end();) {
        const auto local = c.localStreams.find(it->first);
        if (local == c.localStreams.end()) {
            ++it;
            continue;
        }
        const HttpExchange pod = std::move(it->second);
        const HttpExchange mine = std::move(local->second);
        c.podStreamSince.erase(it->first);
        it = c.podStreams.erase(it);
        c.localStreams.erase(local);
        if (mine.wasReset && !mine.hasResponse) {
            verdict(captureId, pod, &mine,
                    ShadowComparator::localFailure(
                            Kind::LocalError, pod.response.status,
                            QStringLiteral("the local build reset stream %1 (error code %2)")
                                    .arg(mine.streamId)
                                    .arg(mine.resetCode)));
            continue;
        }
        if (!mine.hasResponse) {
            verdict(captureId, pod, &mine, endedWithout(pod, c.localOutcome));
            continue;
        }
        verdict(captureId, pod, &mine, m_comparator.compare(pod, mine));
    }
    if (!c.h2NotHttp2.isEmpty()) {
        failPodStreams(captureId, c, Kind::LocalError, c.h2NotHttp2);
        return;
    }
    if (c.localEnded && !c.podStreams.empty()) {
        // The local connection is over: no answer can come for the streams still waiting.
        for (auto &[sid, pod] : c.podStreams)
            verdict(captureId, pod, nullptr, endedWithout(pod, c.localOutcome));
        c.podStreams.clear();
        c.podStreamSince.clear();
        return;
    }
    // The local answers stopped decoding (not HTTP/2, a protocol error): nothing after can be
    // paired.
    const Http2Connection::State state = c.h2->state();
    if ((state == Http2Connection::State::Stopped || state == Http2Connection::State::NotHttp2)
        && !c.podStreams.empty()) {
        const QString why = c.h2->state() == Http2Connection::State::Stopped
                                    ? QStringLiteral("the local answer is not valid HTTP/2: %1")
                                              .arg(c.h2->stopReason())
                                    : QStringLiteral("the local connection did not speak HTTP/2");
        failPodStreams(captureId, c, Kind::LocalError, why);
    }
}

void ShadowCompare::failPodStreams(std::uint64_t captureId, Conn &c, Kind kind, const QString &why)
{
    for (auto &[sid, pod] : c.podStreams)
        verdict(captureId, pod, nullptr,
                ShadowComparator::localFailure(kind, pod.response.status, why));
    c.podStreams.clear();
    c.podStreamSince.clear();
}

ShadowComparator::Verdict ShadowCompare::endedWithout(const HttpExchange &pod,
                                                      const QString &outcome)
{
    // The local build is to blame only when it closed or failed; a capture gap, a captured
    // reset or a dropped mirror ended the local stream on our side.
    const bool local = outcome.isEmpty() || outcome.startsWith(QLatin1String("local-"))
                       || outcome == QLatin1String("completed");
    const QString why = outcome.isEmpty() || outcome == QLatin1String("completed")
                                ? QStringLiteral("the local build closed the connection without "
                                                 "answering")
                                : QStringLiteral("the local connection ended before answering (%1)")
                                          .arg(outcome);
    return ShadowComparator::localFailure(local ? Kind::LocalError : Kind::NotComparable,
                                          pod.response.status, why);
}

void ShadowCompare::settleEnded(std::uint64_t captureId, Conn &c)
{
    if (c.h2) {
        if (c.localEnded && c.podEnded) {
            // Streams the local side never finished: ended as the connection did.
            for (auto &[sid, pod] : c.podStreams)
                verdict(captureId, pod, nullptr, endedWithout(pod, c.localOutcome));
            c.podStreams.clear();
            c.podStreamSince.clear();
            m_counts.extraLocal += c.localStreams.size();
            m_conns.erase(captureId);
        }
        return;
    }
    if (c.localEnded) {
        // Nothing more will come from the local side for what is still waiting.
        while (!c.pod.empty() && c.podEnded) {
            const HttpExchange pod = std::move(c.pod.front());
            c.pod.pop_front();
            c.podSince.pop_front();
            if (!pod.hasResponse) {
                ++m_counts.podUnanswered;
                continue;
            }
            verdict(captureId, pod, nullptr, endedWithout(pod, c.localOutcome));
        }
    }
    if (c.localEnded && c.podEnded) {
        m_counts.extraLocal += c.localAnswers.size();
        m_conns.erase(captureId);
    }
}

void ShadowCompare::sweep()
{
    const std::int64_t now = nowNs();
    const std::int64_t limit = std::int64_t(m_timeoutMs) * 1000000;
    std::vector<std::uint64_t> done;
    for (auto &[id, c] : m_conns) {
        for (auto it = c.podStreamSince.begin(); it != c.podStreamSince.end();) {
            if (now - it->second <= limit) {
                ++it;
                continue;
            }
            const auto pod = c.podStreams.find(it->first);
            it = c.podStreamSince.erase(it);
            if (pod == c.podStreams.end())
                continue;
            const HttpExchange x = std::move(pod->second);
            c.podStreams.erase(pod);
            verdict(id, x, nullptr,
                    ShadowComparator::localFailure(Kind::LocalTimeout, x.response.status,
                                                   QStringLiteral("no local answer within %1 s")
                                                           .arg(m_timeoutMs / 1000.0)));
        }
        while (!c.pod.empty() && now - c.podSince.front() > limit) {
            const HttpExchange pod = std::move(c.pod.front());
            c.pod.pop_front();
            c.podSince.pop_front();
            if (!pod.hasResponse) {
                ++m_counts.podUnanswered;
                continue;
            }
            verdict(id, pod, nullptr,
                    ShadowComparator::localFailure(Kind::LocalTimeout, pod.response.status,
                                                   QStringLiteral("no local answer within %1 s")
                                                           .arg(m_timeoutMs / 1000.0)));
        }
    }
}

void ShadowCompare::verdict(std::uint64_t captureId, const HttpExchange &pod,
                            const HttpExchange *local, const ShadowComparator::Verdict &v)
{
    m_counts.add(v.kind);
    const QString route = routeOf(pod);
    m_routes[route].add(v.kind);
    QJsonObject r = v.toJson();
    if (pod.protocol == HttpExchange::Protocol::Http2) {
        r[QLatin1String("protocol")] = QLatin1String("h2");
        r[QLatin1String("stream")] = qint64(pod.streamId);
        if (pod.grpc)
            r[QLatin1String("grpcMethod")]
                    = QString::fromLatin1('/' + pod.grpc->service + '/' + pod.grpc->method);
    }
    r[QLatin1String("index")] = qint64(pod.index);
    r[QLatin1String("method")] = QString::fromLatin1(pod.request.method);
    r[QLatin1String("target")] = QString::fromLatin1(pod.request.target.left(2048));
    r[QLatin1String("route")] = route;
    r[QLatin1String("podLatencyUs")] = double(pod.latencyNs()) / 1000.0;
    if (local && local->hasResponse) {
        r[QLatin1String("localLatencyUs")] = double(local->latencyNs()) / 1000.0;
        r[QLatin1String("localStatus")] = local->response.status;
    }
    Q_EMIT compared(captureId, r);
}

QString ShadowCompare::routeOf(const HttpExchange &pod)
{
    // A gRPC method is one route as it is ("POST /pkg.Service/Method"): its path has no ids.
    if (pod.grpc && !pod.grpc->service.isEmpty())
        return QString::fromLatin1(pod.request.method + " /" + pod.grpc->service + '/'
                                   + pod.grpc->method);
    return RouteTemplate::fold(pod.request.method, pod.request.target);
}

QJsonObject ShadowCompare::routesJson() const
{
    QJsonObject o;
    for (auto it = m_routes.begin(); it != m_routes.end(); ++it)
        o[it.key()] = it.value().toJson();
    return o;
}

} // namespace podtap
