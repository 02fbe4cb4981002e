#include "replayservice.h"

#include "http2/protodescriptorset.h"

#include "http/httpfilter.h"
#include "ipc/ipcserver.h"
#include "replay/httpreplaysession.h"
#include "session/capturesession.h"
#include "session/sessionregistry.h"
#include "store/storedsession.h"

#include <QDir>
#include <QJsonArray>
#include <QTimer>

namespace podtap {

ReplayService::ReplayService(IpcServer *server, SessionRegistry *registry, QObject *parent)
    : QObject(parent)
    , m_server(server)
    , m_registry(registry)
{}

bool ReplayService::handle(IpcPeer *peer, qint64 id, const QString &method,
                           const QJsonObject &params)
{
    if (method == QLatin1String("replay.start")) {
        replayStart(peer, id, params);
        return true;
    }
    if (method == QLatin1String("replay.stop")) {
        replayStop(peer, id, params);
        return true;
    }
    return false;
}

Result<StoredSession> ReplayService::openStored(const QString &sid) const
{
    return m_registry->openStored(sid);
}

void ReplayService::replayStart(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    ReplaySession::Options o;
    const QString source = params.value(QLatin1String("source")).toString();
    if (QDir::isAbsolutePath(source)) {
        o.file = source;
    } else {
        if (CaptureSession *s = m_registry->session(source); s && !s->isFinished()) {
            peer->replyError(id, QStringLiteral("busy"),
                             QStringLiteral("session %1 is still capturing: stop it first, or "
                                            "mirror it live instead")
                                     .arg(source));
            return;
        }
        const auto stored = openStored(source);
        if (!stored) {
            peer->replyError(id, QStringLiteral("not-found"),
                             QStringLiteral("'%1' is neither an absolute file path nor a stored "
                                            "session: %2")
                                     .arg(source, stored.error()));
            return;
        }
        const QStringList files = stored->files();
        if (files.isEmpty()) {
            peer->replyError(id, QStringLiteral("not-found"),
                             QStringLiteral("session %1 has no stored packets").arg(source));
            return;
        }
        o.file = files.constFirst();
        o.moreFiles = files.mid(1);
        // A selection by the session's connection ids (what the GUI and export use).
        const QJsonArray ids = params.value(QLatin1String("connections")).toArray();
        if (!ids.isEmpty()) {
            QSet<qint64> wanted;
            for (const QJsonValue v : ids)
                wanted.insert(v.toInteger());
            for (const QJsonObject &c : stored->connections())
                if (wanted.contains(c.value(QLatin1String("id")).toInteger()))
                    o.clients.insert(c.value(QLatin1String("client")).toString());
            if (o.clients.isEmpty()) {
                peer->replyError(
                        id, QStringLiteral("not-found"),
                        QStringLiteral("none of those connections is in session %1").arg(source));
                return;
            }
        }
        o.serverPort = std::uint16_t(
                stored->meta()
                        .value(QLatin1String("podPort"))
                        .toInt(stored->meta().value(QLatin1String("port")).toInt()));
    }
    const QString host = params.value(QLatin1String("host")).toString(QStringLiteral("127.0.0.1"));
    o.host = QHostAddress(host == QLatin1String("localhost") ? QStringLiteral("127.0.0.1") : host);
    o.port = quint16(params.value(QLatin1String("port")).toInt());
    o.speed = params.value(QLatin1String("speed")).toDouble(1.0);
    for (const QJsonValue v : params.value(QLatin1String("clients")).toArray())
        o.clients.insert(v.toString());
    o.includeMidstream = params.value(QLatin1String("joinMidstream")).toBool();
    if (params.contains(QLatin1String("serverPort")))
        o.serverPort = std::uint16_t(params.value(QLatin1String("serverPort")).toInt());
    if (o.host.isNull() || o.port == 0) {
        peer->replyError(id, QStringLiteral("invalid"),
                         QStringLiteral("replay needs an IP address and a port to send to"));
        return;
    }
    if (!MirrorSink::targetAllowed(o.host, params.value(QLatin1String("allowRemote")).toBool())) {
        peer->replyError(id, QStringLiteral("invalid"),
                         QStringLiteral("refusing to replay to %1: not a loopback address (give "
                                        "the address explicitly to allow it)")
                                 .arg(host));
        return;
    }
    if (o.speed < 0) {
        peer->replyError(id, QStringLiteral("invalid"), QStringLiteral("speed must be ≥ 0"));
        return;
    }
    if (params.value(QLatin1String("http")).toBool()) {
        startHttpReplay(peer, id, params, o);
        return;
    }
    auto *r = new ReplaySession(o, this);
    runReplay(peer, id, params, r, m_replays, [this, r](const QString &stream) {
        auto batch = std::make_shared<QJsonArray>();
        connect(r, &ReplaySession::connectionDone, r,
                [batch](quint64 cid, const QString &outcome, quint64 sent, const QByteArray &resp) {
                    batch->append(
                            QJsonObject{{QStringLiteral("id"), qint64(cid)},
                                        {QStringLiteral("outcome"), outcome},
                                        {QStringLiteral("bytesSent"), qint64(sent)},
                                        {QStringLiteral("responseBytes"), qint64(resp.size())}});
                });
        connect(r, &ReplaySession::progress, r, [this, stream, r](quint64 packets, quint64 conns) {
            m_server->publish(
                    stream, QStringLiteral("progress"),
                    QJsonObject{{QStringLiteral("packets"), qint64(packets)},
                                {QStringLiteral("connections"), qint64(conns)},
                                {QStringLiteral("bytesSent"), qint64(r->stats().bytesMirrored)}});
        });
        ReplayEvents events;
        events.flush = [this, stream, batch] {
            if (batch->isEmpty())
                return;
            m_server->publish(stream, QStringLiteral("connections"),
                              QJsonObject{{QStringLiteral("ended"), *batch}});
            *batch = QJsonArray();
        };
        events.done = [r](bool ok, const QString &message) {
            // Every count (docs/ipc.md), plus bytesSent as replay clients know it.
            QJsonObject done = r->stats().toJson();
            done[QLatin1String("ok")] = ok;
            done[QLatin1String("message")] = message;
            done[QLatin1String("bytesSent")] = qint64(r->stats().bytesMirrored);
            return done;
        };
        return events;
    });
}

template<typename Session>
void ReplayService::runReplay(IpcPeer *peer, qint64 id, const QJsonObject &params, Session *r,
                              QMap<QString, QPointer<Session>> &running,
                              const std::function<ReplayEvents(const QString &stream)> &wire)
{
    const QString rid = QStringLiteral("r%1").arg(m_nextReplay++);
    const QString stream = QStringLiteral("replay/") + rid;
    if (params.value(QLatin1String("subscribe")).toBool(true))
        peer->subscribe(stream);
    const ReplayEvents events = wire(stream);
    auto *flush = new QTimer(r);
    flush->setInterval(250);
    connect(flush, &QTimer::timeout, r, events.flush);
    connect(r, &Session::done, this,
            [this, stream, r, rid, flush, events, &running](bool ok, const QString &message) {
                flush->stop();
                events.flush();
                m_server->publish(stream, QStringLiteral("done"), events.done(ok, message));
                running.remove(rid);
                r->deleteLater();
            });
    QString error;
    if (!r->start(&error)) {
        delete r;
        peer->unsubscribe(stream);
        peer->replyError(id, QStringLiteral("invalid"), error);
        return;
    }
    running.insert(rid, r);
    flush->start();
    peer->reply(id, QJsonObject{{QStringLiteral("id"), rid}, {QStringLiteral("stream"), stream}});
}

void ReplayService::startHttpReplay(IpcPeer *peer, qint64 id, const QJsonObject &params,
                                    const ReplaySession::Options &raw)
{
    HttpReplaySession::Options o;
    o.file = raw.file;
    o.moreFiles = raw.moreFiles;
    o.host = raw.host;
    o.port = raw.port;
    o.serverPort = raw.serverPort;
    o.clients = raw.clients;
    o.rate = params.value(QLatin1String("rate")).toDouble(0);
    o.percent = params.value(QLatin1String("percent")).toDouble(100);
    o.concurrency = params.value(QLatin1String("concurrency")).toInt(8);
    o.keepAuth = params.value(QLatin1String("keepAuth")).toBool();
    o.compare = params.value(QLatin1String("compare")).toBool(true);
    o.timeoutMs = params.value(QLatin1String("timeoutMs")).toInt(10000);
    for (const QJsonValue v : params.value(QLatin1String("ignoreHeaders")).toArray())
        o.compareOptions.ignoreHeaders.insert(v.toString().toLatin1().toLower().trimmed());
    if (const QString descriptor = params.value(QLatin1String("protoDescriptor")).toString();
        !descriptor.isEmpty()) {
        const auto decoded = QByteArray::fromBase64Encoding(
                descriptor.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
        auto set = decoded ? ProtoDescriptorSet::parse(decoded.decoded)
                           : Result<ProtoDescriptorSet>::failure(QStringLiteral("not base64"));
        if (!set) {
            peer->replyError(id, QStringLiteral("invalid"),
                             QStringLiteral("protoDescriptor: %1").arg(set.error()));
            return;
        }
        o.compareOptions.descriptors
                = std::make_shared<const ProtoDescriptorSet>(std::move(set.value()));
    }
    const QJsonObject headers = params.value(QLatin1String("setHeaders")).toObject();
    for (auto it = headers.begin(); it != headers.end(); ++it) {
        const QByteArray name = it.key().toLatin1();
        const QByteArray value = it.value().toString().toLatin1();
        // A header line must stay one line: no CR/LF smuggled into the request.
        if (name.isEmpty() || name.contains('\r') || name.contains('\n') || name.contains(':')
            || value.contains('\r') || value.contains('\n')) {
            peer->replyError(id, QStringLiteral("invalid"),
                             QStringLiteral("bad header to set: '%1'").arg(it.key()));
            return;
        }
        o.setHeaders.append({name, value});
    }
    const auto filter = HttpFilter::fromJson(params.value(QLatin1String("filter")).toObject());
    if (!filter) {
        peer->replyError(id, QStringLiteral("invalid"), filter.error());
        return;
    }
    o.filter = filter.value();
    if (o.concurrency < 1 || o.concurrency > 256 || o.timeoutMs < 100) {
        peer->replyError(id, QStringLiteral("invalid"),
                         QStringLiteral("concurrency must be 1-256 and the timeout ≥ 100 ms"));
        return;
    }
    auto *r = new HttpReplaySession(o, this);
    runReplay(peer, id, params, r, m_httpReplays, [this, r](const QString &stream) {
        auto batch = std::make_shared<QJsonArray>();
        connect(r, &HttpReplaySession::compared, r,
                [batch](const QJsonObject &record) { batch->append(record); });
        ReplayEvents events;
        events.flush = [this, stream, batch, r] {
            if (!batch->isEmpty()) {
                m_server->publish(stream, QStringLiteral("compared"),
                                  QJsonObject{{QStringLiteral("verdicts"), *batch}});
                *batch = QJsonArray();
            }
            m_server->publish(stream, QStringLiteral("progress"), r->summary());
        };
        events.done = [r](bool ok, const QString &message) {
            QJsonObject done = r->summary();
            done[QLatin1String("ok")] = ok;
            done[QLatin1String("message")] = message;
            done[QLatin1String("http")] = true;
            return done;
        };
        return events;
    });
}

void ReplayService::replayStop(IpcPeer *peer, qint64 id, const QJsonObject &params)
{
    const QString rid = params.value(QLatin1String("id")).toString();
    if (HttpReplaySession *h = m_httpReplays.value(rid)) {
        h->stop();
        peer->reply(id, {});
        return;
    }
    ReplaySession *r = m_replays.value(rid);
    if (!r) {
        peer->replyError(id, QStringLiteral("not-found"), QStringLiteral("no replay %1").arg(rid));
        return;
    }
    r->stop();
    peer->reply(id, {});
}

} // namespace podtap
