#include "localhttp2client.h"

#include "http/httpparser.h"

#include <nghttp2/nghttp2.h>

#include <QSignalBlocker>

#include <algorithm>
#include <cstring>
#include <time.h>

namespace podtap {

namespace {
qint64 nowNs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

using Fields = QList<QPair<QByteArray, QByteArray>>;

// The fields as "name: value" lines in `raw`, views into it (as Http2Connection does).
QList<HttpMessage::Header> fieldViews(const Fields &fields, QByteArray &raw)
{
    raw.clear();
    std::vector<std::pair<qsizetype, qsizetype>> starts;
    for (const auto &[name, value] : fields) {
        starts.emplace_back(raw.size(), raw.size() + name.size() + 2);
        raw += name + ": " + value + "\r\n";
    }
    QList<HttpMessage::Header> views;
    for (std::size_t i = 0; i < starts.size(); ++i)
        views.append({QByteArrayView(raw.constData() + starts[i].first,
                                     fields[qsizetype(i)].first.size()),
                      QByteArrayView(raw.constData() + starts[i].second,
                                     fields[qsizetype(i)].second.size())});
    return views;
}

void fillHead(HttpMessage &m, const Fields &fields)
{
    m.versionMajor = 2;
    m.versionMinor = 0;
    m.headers = fieldViews(fields, m.rawHead);
    m.headBytes = std::uint64_t(m.rawHead.size());
    for (const auto &[name, value] : fields) {
        if (name == ":method")
            m.method = value;
        else if (name == ":path" || (name == ":authority" && m.target.isEmpty()))
            m.target = value;
        else if (name == ":status")
            m.status = value.toInt();
    }
}

void setBody(HttpMessage &m, const QByteArray &body)
{
    HttpParser::BodyHash hash;
    hash.reset(); // the seeds: a BodyHash is zero until reset
    hash.add(reinterpret_cast<const std::uint8_t *>(body.constData()), std::size_t(body.size()));
    m.bodyHash = hash.digest();
    m.bodyBytes = std::uint64_t(body.size());
    m.body = body.left(LocalHttp2Client::KeepBodyBytes);
    m.bodyKeptWhole = m.body.size() == body.size();
}

QString errorName(std::uint32_t code)
{
    static const char *const names[] = {"NO_ERROR",
                                        "PROTOCOL_ERROR",
                                        "INTERNAL_ERROR",
                                        "FLOW_CONTROL_ERROR",
                                        "SETTINGS_TIMEOUT",
                                        "STREAM_CLOSED",
                                        "FRAME_SIZE_ERROR",
                                        "REFUSED_STREAM",
                                        "CANCEL",
                                        "COMPRESSION_ERROR",
                                        "CONNECT_ERROR",
                                        "ENHANCE_YOUR_CALM",
                                        "INADEQUATE_SECURITY",
                                        "HTTP_1_1_REQUIRED"};
    if (code < std::size(names))
        return QString::fromLatin1(names[code]);
    return QStringLiteral("error 0x%1").arg(code, 0, 16);
}
} // namespace

struct LocalHttp2Client::Stream
{
    quint64 id = 0;
    std::int32_t streamId = -1;
    Request request;
    qint64 bodyOffset = 0; // request body bytes handed to nghttp2
    QTimer timer;
    qint64 submitNs = 0;
    qint64 firstByteNs = 0;
    Fields block; // the header block being received
    std::size_t blockBytes = 0;
    bool headTooLarge = false; // a header block past the head limits: fields were dropped
    Fields head;
    Fields trailers;
    bool haveHead = false;
    int interim = 0;
    QByteArray body; // kept part of the response body
    HttpParser::BodyHash hash;
    std::uint64_t bodyBytes = 0;
    qint64 lastByteNs = 0;
    bool remoteEnded = false;
    bool remoteReset = false;
    bool done = false; // answered or failed already (the stream may still be open)
};

// nghttp2's C callbacks, forwarded to the client (user_data).
struct LocalHttp2Client::Callbacks
{
    static LocalHttp2Client *self(void *user) { return static_cast<LocalHttp2Client *>(user); }

    static int beginHeaders(nghttp2_session *, const nghttp2_frame *frame, void *user)
    {
        if (Stream *s = self(user)->streamById(frame->hd.stream_id)) {
            s->block.clear();
            s->blockBytes = 0;
            if (s->firstByteNs == 0)
                s->firstByteNs = nowNs();
        }
        return 0;
    }

    static int header(nghttp2_session *, const nghttp2_frame *frame, const uint8_t *name,
                      size_t namelen, const uint8_t *value, size_t valuelen, uint8_t, void *user)
    {
        Stream *s = self(user)->streamById(frame->hd.stream_id);
        if (!s)
            return 0;
        // Bounded like a captured head (HttpParser::Limits): more is decoded, not kept.
        s->blockBytes += namelen + valuelen;
        if (s->block.size() >= HttpParser::Limits{}.maxHeaders
            || s->blockBytes > HttpParser::Limits{}.maxHeadBytes) {
            s->headTooLarge = true;
            return 0;
        }
        s->block.append({QByteArray(reinterpret_cast<const char *>(name), qsizetype(namelen)),
                         QByteArray(reinterpret_cast<const char *>(value), qsizetype(valuelen))});
        return 0;
    }

    static int frameRecv(nghttp2_session *session, const nghttp2_frame *frame, void *user)
    {
        LocalHttp2Client *c = self(user);
        switch (frame->hd.type) {
        case NGHTTP2_SETTINGS:
            if (!(frame->hd.flags & NGHTTP2_FLAG_ACK)) {
                c->m_settingsReceived = true;
                c->m_peerMax = nghttp2_session_get_remote_settings(
                        session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
            }
            break;
        case NGHTTP2_GOAWAY: {
            c->m_goaway = true;
            const QByteArray debug(
                    reinterpret_cast<const char *>(frame->goaway.opaque_data),
                    qsizetype(std::min<std::size_t>(frame->goaway.opaque_data_len, 200)));
            c->m_goawayReason = QStringLiteral("the local build sent GOAWAY (%1, last stream %2%3)")
                                        .arg(errorName(frame->goaway.error_code))
                                        .arg(frame->goaway.last_stream_id)
                                        .arg(debug.isEmpty() ? QString()
                                                             : QStringLiteral(": ")
                                                                       + QString::fromUtf8(debug));
            break;
        }
        case NGHTTP2_RST_STREAM:
            if (Stream *s = c->streamById(frame->hd.stream_id))
                s->remoteReset = true;
            break;
        case NGHTTP2_HEADERS:
            if (Stream *s = c->streamById(frame->hd.stream_id)) {
                if (!s->haveHead) {
                    int status = 0;
                    for (const auto &[name, value] : s->block) {
                        if (name == ":status")
                            status = value.toInt();
                    }
                    if (status >= 100 && status < 200) {
                        ++s->interim;
                    } else {
                        s->head = std::move(s->block);
                        s->haveHead = true;
                    }
                } else {
                    s->trailers = std::move(s->block);
                }
                s->block.clear();
                s->lastByteNs = nowNs();
                if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
                    s->remoteEnded = true;
            }
            break;
        case NGHTTP2_DATA:
            if (Stream *s = c->streamById(frame->hd.stream_id)) {
                if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
                    s->remoteEnded = true;
            }
            break;
        default:
            break;
        }
        return 0;
    }

    static int dataChunk(nghttp2_session *, uint8_t, int32_t streamId, const uint8_t *data,
                         size_t len, void *user)
    {
        Stream *s = self(user)->streamById(streamId);
        if (!s)
            return 0;
        s->hash.add(data, len);
        s->bodyBytes += len;
        const qsizetype room = qsizetype(KeepBodyBytes) - s->body.size();
        if (room > 0)
            s->body.append(reinterpret_cast<const char *>(data),
                           std::min<qsizetype>(room, qsizetype(len)));
        s->lastByteNs = nowNs();
        return 0;
    }

    static int error(nghttp2_session *, int, const char *msg, size_t len, void *user)
    {
        self(user)->m_lastError = QString::fromUtf8(msg, qsizetype(std::min<size_t>(len, 300)));
        return 0;
    }

    static int streamClose(nghttp2_session *, int32_t streamId, uint32_t errorCode, void *user)
    {
        self(user)->finishStream(streamId, errorCode);
        return 0;
    }

    static ssize_t readBody(nghttp2_session *, int32_t, uint8_t *buf, size_t length,
                            uint32_t *flags, nghttp2_data_source *source, void *)
    {
        auto *s = static_cast<Stream *>(source->ptr);
        const qint64 left = s->request.body.size() - s->bodyOffset;
        const auto n = std::size_t(std::min<qint64>(left, qint64(length)));
        if (n > 0)
            std::memcpy(buf, s->request.body.constData() + s->bodyOffset, n);
        s->bodyOffset += qint64(n);
        if (s->bodyOffset >= s->request.body.size())
            *flags |= NGHTTP2_DATA_FLAG_EOF;
        return ssize_t(n);
    }
};

LocalHttp2Client::LocalHttp2Client(const QHostAddress &host, quint16 port, int maxStreams,
                                   QObject *parent)
    : QObject(parent)
    , m_host(host)
    , m_port(port)
    , m_maxStreams(std::max(1, maxStreams))
{
    connect(&m_socket, &QTcpSocket::connected, this, &LocalHttp2Client::onConnected);
    connect(&m_socket, &QTcpSocket::readyRead, this, &LocalHttp2Client::onReadyRead);
    connect(&m_socket, &QTcpSocket::disconnected, this, [this] {
        failConnection(m_goaway ? m_goawayReason + QStringLiteral(" and closed the connection")
                                : QStringLiteral("the local build closed the connection"));
    });
    connect(&m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
        if (e == QAbstractSocket::RemoteHostClosedError)
            return; // disconnected() says it
        failConnection(QStringLiteral("local error: ") + m_socket.errorString());
    });
}

LocalHttp2Client::~LocalHttp2Client()
{
    m_socket.disconnect(this);
    m_socket.abort();
    if (m_session)
        nghttp2_session_del(m_session);
}

LocalHttp2Client::Stream *LocalHttp2Client::streamById(std::int32_t streamId)
{
    const auto it = m_streams.find(streamId);
    if (it == m_streams.end())
        return nullptr;
    const auto r = m_requests.find(it->second);
    return r == m_requests.end() ? nullptr : r->second.get();
}

bool LocalHttp2Client::canSend() const
{
    if (m_goaway) // this connection takes no more; a new one once its streams ended
        return m_streams.empty() && m_queued.empty();
    const qint64 limit = m_settingsReceived ? std::min<qint64>(m_maxStreams, qint64(m_peerMax))
                                            : 1; // one request opens the connection
    return qint64(inFlight()) < limit;
}

quint64 LocalHttp2Client::send(const Request &request, int timeoutMs)
{
    const quint64 id = m_nextId++;
    auto s = std::make_unique<Stream>();
    s->id = id;
    s->request = request;
    s->hash.reset();
    s->timer.setSingleShot(true);
    connect(&s->timer, &QTimer::timeout, this, [this, id] { timeOut(id); });
    s->timer.start(timeoutMs);
    m_requests.emplace(id, std::move(s));
    m_queued.push_back(id);
    if (m_goaway && m_streams.empty())
        resetSession(); // the old connection is done with
    if (!m_session && m_socket.state() == QAbstractSocket::UnconnectedState)
        connectNow();
    else if (m_settingsReceived)
        submitQueued();
    // Never signalled from inside send(): the caller learns the id first.
    if (!m_outcomes.empty())
        QMetaObject::invokeMethod(this, &LocalHttp2Client::deliver, Qt::QueuedConnection);
    return id;
}

void LocalHttp2Client::connectNow()
{
    ++m_connections;
    m_socket.abort();
    m_socket.connectToHost(m_host, m_port);
}

void LocalHttp2Client::onConnected()
{
    m_socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
    nghttp2_session_callbacks *cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, &Callbacks::beginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(cb, &Callbacks::header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &Callbacks::frameRecv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &Callbacks::dataChunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, &Callbacks::streamClose);
    nghttp2_session_callbacks_set_error_callback2(cb, &Callbacks::error);
    const int rv = nghttp2_session_client_new(&m_session, cb, this);
    nghttp2_session_callbacks_del(cb);
    if (rv != 0) {
        m_session = nullptr;
        failConnection(QStringLiteral("nghttp2: %1").arg(QLatin1String(nghttp2_strerror(rv))));
        return;
    }
    // The preface and our SETTINGS (nghttp2 sends the preface with the first frame).
    const nghttp2_settings_entry settings[] = {
            {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
            {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, (1u << 24)}, // answers are not throttled
    };
    nghttp2_submit_settings(m_session, NGHTTP2_FLAG_NONE, settings, std::size(settings));
    nghttp2_session_set_local_window_size(m_session, NGHTTP2_FLAG_NONE, 0, 1 << 26);
    flush();
}

void LocalHttp2Client::submitQueued()
{
    while (!m_queued.empty() && m_session && m_settingsReceived && !m_goaway
           && qint64(m_streams.size()) < std::min<qint64>(m_maxStreams, qint64(m_peerMax))) {
        const quint64 id = m_queued.front();
        m_queued.pop_front();
        submit(id);
    }
    flush();
}

void LocalHttp2Client::submit(quint64 id)
{
    const auto it = m_requests.find(id);
    if (it == m_requests.end())
        return;
    Stream &s = *it->second;
    std::vector<nghttp2_nv> nv;
    nv.reserve(std::size_t(s.request.fields.size()));
    for (auto &[name, value] : s.request.fields)
        nv.push_back({reinterpret_cast<uint8_t *>(name.data()),
                      reinterpret_cast<uint8_t *>(value.data()), std::size_t(name.size()),
                      std::size_t(value.size()), NGHTTP2_NV_FLAG_NONE});
    nghttp2_data_provider body{};
    body.source.ptr = &s;
    body.read_callback = &Callbacks::readBody;
    s.submitNs = nowNs();
    const int32_t streamId
            = nghttp2_submit_request(m_session, nullptr, nv.data(), nv.size(),
                                     s.request.body.isEmpty() ? nullptr : &body, nullptr);
    if (streamId < 0) {
        s.done = true;
        s.timer.stop();
        Outcome o;
        o.id = id;
        o.why = QStringLiteral("the request could not be sent: %1")
                        .arg(QLatin1String(nghttp2_strerror(streamId)));
        m_outcomes.push_back(std::move(o));
        m_requests.erase(it);
        return;
    }
    s.streamId = streamId;
    m_streams[streamId] = id;
}

void LocalHttp2Client::flush()
{
    if (m_session) {
        for (;;) {
            const uint8_t *data = nullptr;
            const ssize_t n = nghttp2_session_mem_send(m_session, &data);
            if (n < 0) {
                failConnection(
                        QStringLiteral("nghttp2: %1").arg(QLatin1String(nghttp2_strerror(int(n)))));
                return;
            }
            if (n == 0)
                break;
            m_socket.write(reinterpret_cast<const char *>(data), n);
        }
        if (!nghttp2_session_want_read(m_session) && !nghttp2_session_want_write(m_session)) {
            // The session is over: GOAWAY both ways, or nghttp2 ended it (bad frames).
            if (m_requests.empty()) {
                resetSession();
            } else {
                failConnection(m_goaway ? m_goawayReason
                                        : QStringLiteral("the local build's answer is not valid "
                                                         "HTTP/2: %1")
                                                  .arg(m_lastError.isEmpty()
                                                               ? QStringLiteral("connection ended")
                                                               : m_lastError));
                return; // failConnection signals the outcomes
            }
        }
    }
}

void LocalHttp2Client::onReadyRead()
{
    const QByteArray bytes = m_socket.readAll();
    if (!m_session || bytes.isEmpty())
        return;
    const bool hadSettings = m_settingsReceived;
    const ssize_t n = nghttp2_session_mem_recv(m_session,
                                               reinterpret_cast<const uint8_t *>(bytes.constData()),
                                               std::size_t(bytes.size()));
    if (n < 0) {
        failConnection(QStringLiteral("the local build's answer is not valid HTTP/2 (%1)")
                               .arg(QLatin1String(nghttp2_strerror(int(n)))));
        return;
    }
    if (m_settingsReceived)
        submitQueued();
    else
        flush();
    deliver();
    if (!hadSettings && m_settingsReceived)
        Q_EMIT ready();
}

void LocalHttp2Client::finishStream(std::int32_t streamId, std::uint32_t errorCode)
{
    const auto sit = m_streams.find(streamId);
    if (sit == m_streams.end())
        return;
    const quint64 id = sit->second;
    m_streams.erase(sit);
    const auto it = m_requests.find(id);
    if (it == m_requests.end())
        return;
    std::unique_ptr<Stream> s = std::move(it->second);
    m_requests.erase(it);
    s->timer.stop();
    if (s->done)
        return;
    Outcome o;
    o.id = id;
    if (errorCode != NGHTTP2_NO_ERROR || !s->haveHead || !s->remoteEnded) {
        if (m_goaway && errorCode == NGHTTP2_REFUSED_STREAM && !s->remoteReset)
            o.why = m_goawayReason + QStringLiteral(": stream %1 not processed").arg(streamId);
        else if (s->remoteReset)
            o.why = QStringLiteral("the local build reset stream %1 (%2)")
                            .arg(streamId)
                            .arg(errorName(errorCode));
        else if (errorCode != NGHTTP2_NO_ERROR)
            o.why = QStringLiteral("stream %1 reset (%2): the local answer is not valid HTTP/2")
                            .arg(streamId)
                            .arg(errorName(errorCode));
        else
            o.why = QStringLiteral("stream %1 ended without a complete answer").arg(streamId);
        m_outcomes.push_back(std::move(o));
        return;
    }
    HttpExchange &x = o.exchange;
    x.protocol = HttpExchange::Protocol::Http2;
    x.streamId = std::uint32_t(streamId);
    x.interimResponses = s->interim;
    x.hasResponse = true;
    x.request.kind = HttpMessage::Kind::Request;
    fillHead(x.request, s->request.fields);
    setBody(x.request, s->request.body);
    x.request.firstByteNs = x.request.lastByteNs = s->submitNs;
    HttpMessage &m = x.response;
    m.kind = HttpMessage::Kind::Response;
    fillHead(m, s->head);
    m.trailers = fieldViews(s->trailers, m.rawTrailers);
    m.bodyBytes = s->bodyBytes;
    m.bodyHash = s->hash.digest();
    m.body = std::move(s->body);
    m.bodyKeptWhole = std::uint64_t(m.body.size()) == m.bodyBytes;
    m.firstByteNs = s->firstByteNs;
    m.lastByteNs = s->lastByteNs;
    m.wireBytes = m.headBytes + m.bodyBytes + std::uint64_t(m.rawTrailers.size());
    if (s->headTooLarge)
        m.incomplete = HttpMessage::Incomplete::HeadTooLarge;
    if (GrpcCall::isGrpc(x.request))
        x.grpc = GrpcCall::decode(x.request, &x.response);
    o.ok = true;
    o.latencyNs = std::max<qint64>(0, s->firstByteNs - s->submitNs);
    m_outcomes.push_back(std::move(o));
}

void LocalHttp2Client::timeOut(quint64 id)
{
    const auto it = m_requests.find(id);
    if (it == m_requests.end() || it->second->done)
        return;
    Stream &s = *it->second;
    s.done = true;
    if (s.streamId > 0 && m_session) {
        // The stream stays ours until nghttp2 closed it (its body may still be read).
        nghttp2_submit_rst_stream(m_session, NGHTTP2_FLAG_NONE, s.streamId, NGHTTP2_CANCEL);
    } else {
        // Still queued: the connection never got ready
        m_queued.erase(std::remove(m_queued.begin(), m_queued.end(), id), m_queued.end());
        m_requests.erase(it);
    }
    Outcome o;
    o.id = id;
    o.timedOut = true;
    o.why = m_session && !m_settingsReceived
                    ? QStringLiteral("no complete answer in time: the local build sent no HTTP/2 "
                                     "SETTINGS (does it speak h2c with prior knowledge?)")
                    : QStringLiteral("no complete answer in time");
    m_outcomes.push_back(std::move(o));
    flush();
    deliver();
}

void LocalHttp2Client::failConnection(const QString &why)
{
    for (auto &[id, s] : m_requests) {
        if (!s->done) {
            Outcome o;
            o.id = id;
            o.why = why;
            m_outcomes.push_back(std::move(o));
        }
    }
    m_queued.clear();
    resetSession();
    m_requests.clear();
    // Signalled from the event loop: a slot may open a new connection, which the socket
    // signal being handled now must not see.
    QMetaObject::invokeMethod(this, &LocalHttp2Client::deliver, Qt::QueuedConnection);
}

void LocalHttp2Client::resetSession()
{
    if (m_session) {
        nghttp2_session_del(m_session);
        m_session = nullptr;
    }
    m_streams.clear();
    m_settingsReceived = false;
    m_goaway = false;
    m_goawayReason.clear();
    m_lastError.clear();
    m_peerMax = 0xffffffffu;
    {
        const QSignalBlocker quiet(&m_socket); // no disconnected() for our own abort
        m_socket.abort();
    }
    // Requests queued while the old connection drained go on a new one.
    if (!m_queued.empty())
        QTimer::singleShot(0, this, [this] {
            if (!m_session && m_socket.state() == QAbstractSocket::UnconnectedState
                && !m_queued.empty())
                connectNow();
        });
}

void LocalHttp2Client::deliver()
{
    if (m_delivering)
        return; // the outer call signals these too
    m_delivering = true;
    bool any = false;
    while (!m_outcomes.empty()) {
        std::vector<Outcome> batch;
        batch.swap(m_outcomes);
        for (Outcome &o : batch) {
            any = true;
            if (o.ok)
                Q_EMIT answered(o.id, o.exchange, o.latencyNs);
            else
                Q_EMIT failed(o.id, o.why, o.timedOut);
        }
    }
    m_delivering = false;
    if (any)
        Q_EMIT ready();
}

} // namespace podtap
