#include "shadowcomparator.h"

#include "http2/grpcstatus.h"
#include "http2/protobufdiff.h"
#include "jsondiff.h"

#include <QJsonArray>
#include <QMap>

namespace podtap {

namespace {

// Hop-by-hop and framing fields: a chunked answer and a Content-Length one are the same.
const QSet<QByteArray> &framingHeaders()
{
    static const QSet<QByteArray> names{"content-length",   "transfer-encoding",
                                        "connection",       "keep-alive",
                                        "proxy-connection", "te",
                                        "trailer",          "upgrade"};
    return names;
}

using FieldMap = QMap<QByteArray, QList<QByteArray>>;

// gRPC's status fields: compared as grpc-status (and shown in the detail), not as headers.
const QSet<QByteArray> &grpcStatusFields()
{
    static const QSet<QByteArray> names{"grpc-status", "grpc-message"};
    return names;
}

// Pseudo-header fields (RFC 9113 8.3) are not headers: :status is compared as the status.
FieldMap comparable(const QList<HttpMessage::Header> &fields, const QSet<QByteArray> &ignore,
                    bool grpc)
{
    FieldMap out;
    for (const HttpMessage::Header &h : fields) {
        const QByteArray lower = h.name.toByteArray().toLower();
        if (ignore.contains(lower) || framingHeaders().contains(lower) || lower.startsWith(':')
            || (grpc && grpcStatusFields().contains(lower)))
            continue;
        out[lower].append(h.value.toByteArray());
    }
    for (auto &values : out)
        std::sort(values.begin(), values.end());
    return out;
}

constexpr int MaxValue = 256;
constexpr int MaxExcerpt = 512;

QString headerValue(const QList<QByteArray> &values)
{
    QByteArray joined;
    for (const QByteArray &v : values)
        joined += (joined.isEmpty() ? QByteArray() : QByteArray(", ")) + v;
    const QString text = QString::fromLatin1(joined);
    return text.size() > MaxValue ? text.left(MaxValue - 1) + QChar(0x2026) : text;
}

// The start of a body as text: printable ASCII/UTF-8 kept, other bytes as \xNN.
QString bodyExcerpt(const HttpMessage &m)
{
    const QByteArray head = m.body.left(MaxExcerpt);
    QString text;
    const QString decoded = QString::fromUtf8(head);
    bool clean = !decoded.contains(QChar::ReplacementCharacter);
    for (const QChar c : decoded)
        clean = clean && (c.isPrint() || c == QLatin1Char('\n') || c == QLatin1Char('\t'));
    if (clean) {
        text = decoded;
    } else {
        for (const char c : head) {
            const auto u = std::uint8_t(c);
            text += u >= 0x20 && u < 0x7f ? QString(QLatin1Char(c))
                                          : QStringLiteral("\\x%1").arg(u, 2, 16, QLatin1Char('0'));
        }
    }
    if (m.bodyBytes > std::uint64_t(head.size()))
        text += QStringLiteral(" … (%1 bytes in all)").arg(m.bodyBytes);
    return text;
}

// The call an exchange carries: the decoded one, or decoded here from the kept bodies.
const GrpcCall *callOf(const HttpExchange &x, std::optional<GrpcCall> *store)
{
    if (x.grpc)
        return &*x.grpc;
    if (!GrpcCall::isGrpc(x.request))
        return nullptr;
    *store = GrpcCall::decode(x.request, &x.response);
    return &**store;
}

// A gRPC answer: Content-Type application/grpc…, or a grpc-status (Trailers-Only).
bool isGrpcAnswer(const HttpMessage &response)
{
    return GrpcCall::isGrpc(response) || !response.trailer("grpc-status").isNull()
           || !response.header("grpc-status").isNull();
}

// "404, text/html" for details.
QString answerText(const HttpMessage &response)
{
    const QByteArray type = response.header("content-type");
    return QStringLiteral("%1, %2")
            .arg(response.status)
            .arg(type.isNull() ? QStringLiteral("no content-type") : QString::fromLatin1(type));
}

// "5 NOT_FOUND" for details; "none" when no status was seen.
QString grpcStatusText(int code)
{
    if (code < 0)
        return QStringLiteral("none");
    const QString name = GrpcStatus::name(code);
    return name.startsWith(QLatin1String("CODE_")) ? QString::number(code)
                                                   : QStringLiteral("%1 %2").arg(code).arg(name);
}

} // namespace

QJsonObject ShadowComparator::Verdict::toJson() const
{
    QJsonObject o{{QStringLiteral("verdict"), QLatin1String(kindName(kind))},
                  {QStringLiteral("podStatus"), podStatus},
                  {QStringLiteral("localStatus"), localStatus}};
    if (!headers.isEmpty())
        o[QLatin1String("headers")] = QJsonArray::fromStringList(headers);
    if (!bodyPaths.isEmpty())
        o[QLatin1String("body")] = QJsonArray::fromStringList(bodyPaths);
    if (!detail.isEmpty())
        o[QLatin1String("detail")] = detail;
    if (!headerValues.isEmpty())
        o[QLatin1String("headerValues")] = headerValues;
    if (!bodyValues.isEmpty())
        o[QLatin1String("bodyValues")] = bodyValues;
    if (!podBody.isNull())
        o[QLatin1String("podBody")] = podBody;
    if (!localBody.isNull())
        o[QLatin1String("localBody")] = localBody;
    if (podGrpcStatus >= 0 || localGrpcStatus >= 0) {
        o[QLatin1String("podGrpcStatus")] = podGrpcStatus;
        o[QLatin1String("localGrpcStatus")] = localGrpcStatus;
    }
    return o;
}

ShadowComparator::ShadowComparator()
    : ShadowComparator(Options{defaultIgnoredHeaders(), 20})
{}

ShadowComparator::ShadowComparator(const Options &options)
    : m_options(options)
{}

QSet<QByteArray> ShadowComparator::defaultIgnoredHeaders()
{
    // Values that differ on every response or every process by design.
    return {"date",
            "server",
            "x-request-id",
            "x-correlation-id",
            "x-trace-id",
            "traceparent",
            "tracestate",
            "x-b3-traceid",
            "x-b3-spanid",
            "x-b3-sampled",
            "x-amzn-trace-id",
            "age",
            "via",
            "x-envoy-upstream-service-time",
            "x-runtime",
            "x-response-time",
            "server-timing",
            "etag",
            "last-modified",
            "expires",
            "set-cookie"};
}

const char *ShadowComparator::kindName(Kind kind)
{
    switch (kind) {
    case Kind::Same:
        return "same";
    case Kind::StatusDiffers:
        return "status";
    case Kind::BodyDiffers:
        return "body";
    case Kind::HeadersDiffer:
        return "headers";
    case Kind::LocalError:
        return "local-error";
    case Kind::LocalTimeout:
        return "local-timeout";
    case Kind::NotComparable:
        return "not-comparable";
    }
    return "";
}

bool ShadowComparator::kindFromName(QStringView name, Kind *kind)
{
    for (const Kind k : {Kind::Same, Kind::StatusDiffers, Kind::BodyDiffers, Kind::HeadersDiffer,
                         Kind::LocalError, Kind::LocalTimeout, Kind::NotComparable}) {
        if (name == QLatin1String(kindName(k))) {
            *kind = k;
            return true;
        }
    }
    return false;
}

ShadowComparator::Verdict ShadowComparator::localFailure(Kind kind, int podStatus,
                                                         const QString &detail)
{
    Verdict v;
    v.kind = kind;
    v.podStatus = podStatus;
    v.detail = detail;
    return v;
}

// A side not whole: the pod's is not comparable, the local one is an error.
bool ShadowComparator::incomplete(const HttpMessage &pod, const HttpMessage &local, Verdict *v)
{
    if (!pod.isComplete()) {
        v->kind = Kind::NotComparable;
        v->detail = QStringLiteral("the capture lost part of the pod's response (%1)")
                            .arg(QLatin1String(HttpMessage::incompleteName(pod.incomplete)));
        return true;
    }
    if (!local.isComplete()) {
        v->kind = Kind::LocalError;
        v->detail = QStringLiteral("the local response is incomplete (%1)")
                            .arg(QLatin1String(HttpMessage::incompleteName(local.incomplete)));
        return true;
    }
    return false;
}

// Header and trailer fields ("trailer:" before a trailer's name), in the ignore list or not.
void ShadowComparator::compareFields(const HttpMessage &pod, const HttpMessage &local, bool grpc,
                                     Verdict *v) const
{
    const auto note = [&](const FieldMap &a, const FieldMap &b, const QString &prefix) {
        for (auto it = a.begin(); it != a.end(); ++it) {
            const auto other = b.constFind(it.key());
            if ((other == b.constEnd() || other.value() != it.value())
                && v->headers.size() < m_options.maxPaths) {
                const QString name = prefix + QString::fromLatin1(it.key());
                v->headers << name;
                QJsonObject pair{{QStringLiteral("pod"), headerValue(it.value())}};
                if (other != b.constEnd())
                    pair[QLatin1String("local")] = headerValue(other.value());
                v->headerValues[name] = pair;
            }
        }
        for (auto it = b.begin(); it != b.end(); ++it) {
            if (!a.contains(it.key()) && v->headers.size() < m_options.maxPaths) {
                const QString name = prefix + QString::fromLatin1(it.key());
                v->headers << name;
                v->headerValues[name]
                        = QJsonObject{{QStringLiteral("local"), headerValue(it.value())}};
            }
        }
    };
    const QSet<QByteArray> &ignore = m_options.ignoreHeaders;
    note(comparable(pod.headers, ignore, grpc), comparable(local.headers, ignore, grpc), QString());
    note(comparable(pod.trailers, ignore, grpc), comparable(local.trailers, ignore, grpc),
         QStringLiteral("trailer:"));
}

ShadowComparator::Verdict ShadowComparator::compare(const HttpMessage &pod,
                                                    const HttpMessage &local) const
{
    Verdict v;
    v.podStatus = pod.status;
    v.localStatus = local.status;
    if (incomplete(pod, local, &v))
        return v;

    compareFields(pod, local, false, &v);

    // Body
    bool bodyDiffers = false;
    if (pod.bodyBytes != local.bodyBytes || pod.bodyHash != local.bodyHash) {
        bodyDiffers = true;
        if (pod.bodyKeptWhole && local.bodyKeptWhole && (pod.isJson() || local.isJson())) {
            const JsonDiff::Result d = JsonDiff::compare(pod.body, local.body, m_options.maxPaths);
            if (d.bothJson) {
                bodyDiffers = !d.equal;
                v.bodyPaths = d.paths;
                v.bodyValues = d.values;
            } else {
                v.bodyPaths << QStringLiteral("not valid JSON on one side");
            }
        } else if (pod.bodyBytes != local.bodyBytes) {
            v.bodyPaths << QStringLiteral("%1 bytes ≠ %2 bytes")
                                   .arg(pod.bodyBytes)
                                   .arg(local.bodyBytes);
        } else {
            v.bodyPaths << QStringLiteral("same size, different bytes");
        }
    }
    if (pod.status != local.status)
        v.kind = Kind::StatusDiffers;
    else if (bodyDiffers)
        v.kind = Kind::BodyDiffers;
    else if (!v.headers.isEmpty())
        v.kind = Kind::HeadersDiffer;
    else
        v.kind = Kind::Same;
    if (!bodyDiffers) {
        v.bodyPaths.clear();
        v.bodyValues = QJsonArray();
    }
    // Bodies side by side when there are no JSON paths to show, or the status differs.
    if ((bodyDiffers && v.bodyValues.isEmpty()) || v.kind == Kind::StatusDiffers) {
        v.podBody = bodyExcerpt(pod);
        v.localBody = bodyExcerpt(local);
    }
    return v;
}

ShadowComparator::Verdict ShadowComparator::compare(const HttpExchange &pod,
                                                    const HttpExchange &local) const
{
    if (!pod.hasResponse)
        return localFailure(Kind::NotComparable, 0,
                            pod.wasReset
                                    ? QStringLiteral("the pod reset the stream (error code %1) "
                                                     "before answering")
                                              .arg(pod.resetCode)
                                    : QStringLiteral("the capture holds no pod response"));
    if (!local.hasResponse)
        return localFailure(Kind::LocalError, pod.response.status,
                            local.wasReset
                                    ? QStringLiteral("the local build reset the stream (error "
                                                     "code %1) before answering")
                                              .arg(local.resetCode)
                                    : QStringLiteral("no local response"));
    // The calls (decoded here when an exchange was built without it).
    std::optional<GrpcCall> podStore;
    std::optional<GrpcCall> localStore;
    const GrpcCall *podCall = callOf(pod, &podStore);
    const GrpcCall *localCall = callOf(local, &localStore);
    const bool podGrpc = podCall && isGrpcAnswer(pod.response);
    const bool localGrpc = localCall && isGrpcAnswer(local.response);
    if (!podGrpc && !localGrpc)
        return compare(pod.response, local.response); // HTTP/1, and HTTP/2 without gRPC

    if (podGrpc != localGrpc) {
        Verdict v = compare(pod.response, local.response);
        if (v.kind == Kind::NotComparable || v.kind == Kind::LocalError)
            return v;
        v.podGrpcStatus = podGrpc ? podCall->status : -1;
        v.localGrpcStatus = localGrpc ? localCall->status : -1;
        v.detail = podGrpc ? QStringLiteral("the pod answered gRPC (grpc-status %1), the local "
                                            "build did not (%2)")
                                     .arg(grpcStatusText(podCall->status),
                                          answerText(local.response))
                           : QStringLiteral("the pod did not answer gRPC (%1), the local build "
                                            "did (grpc-status %2)")
                                     .arg(answerText(pod.response),
                                          grpcStatusText(localCall->status));
        if (v.kind != Kind::StatusDiffers) {
            v.kind = Kind::BodyDiffers;
            v.bodyPaths = QStringList{podGrpc ? QStringLiteral("gRPC messages ≠ not gRPC")
                                              : QStringLiteral("not gRPC ≠ gRPC messages")};
            v.bodyValues = QJsonArray();
            v.podBody = bodyExcerpt(pod.response);
            v.localBody = bodyExcerpt(local.response);
        }
        return v;
    }

    // Both gRPC: :status, grpc-status, the response messages field by field, headers and
    // trailers.
    Verdict v;
    v.podStatus = pod.response.status;
    v.localStatus = local.response.status;
    v.podGrpcStatus = podCall->status;
    v.localGrpcStatus = localCall->status;
    if (incomplete(pod.response, local.response, &v))
        return v;
    compareFields(pod.response, local.response, true, &v);
    const QByteArray podMessage = podCall->statusMessage;
    const QByteArray localMessage = localCall->statusMessage;
    const bool grpcStatusDiffers = v.podGrpcStatus != v.localGrpcStatus;
    if (!grpcStatusDiffers && podMessage != localMessage && v.headers.size() < m_options.maxPaths) {
        const QString name = QStringLiteral("grpc-message");
        v.headers << name;
        QJsonObject pair;
        if (!podMessage.isNull())
            pair[QLatin1String("pod")] = QString::fromUtf8(podMessage);
        if (!localMessage.isNull())
            pair[QLatin1String("local")] = QString::fromUtf8(localMessage);
        v.headerValues[name] = pair;
    }

    const bool sameBytes = pod.response.bodyBytes == local.response.bodyBytes
                           && pod.response.bodyHash == local.response.bodyHash;
    bool bodyDiffers = false;
    const ProtoDescriptorSet *descriptors = m_options.descriptors.get();
    QByteArray outputType; // the declared response type names the fields
    if (descriptors) {
        if (const auto *m
            = descriptors->method(QByteArray(podCall->service + '/' + podCall->method)))
            outputType = m->outputType;
    }
    if (!sameBytes) {
        ProtobufDiff diff(descriptors, m_options.maxPaths);
        diff.compareMessages(podCall->responses, localCall->responses, outputType);
        bodyDiffers = diff.result().differences > 0;
        v.bodyPaths = diff.result().paths;
        v.bodyValues = diff.result().values;
    }
    if (v.podStatus != v.localStatus) {
        v.kind = Kind::StatusDiffers;
    } else if (grpcStatusDiffers) {
        v.kind = Kind::StatusDiffers;
        const auto message = [](const QByteArray &m) {
            return m.isNull() ? QStringLiteral("none")
                              : QLatin1Char('"') + QString::fromUtf8(m) + QLatin1Char('"');
        };
        v.detail = QStringLiteral("grpc-status %1 ≠ %2; grpc-message: the pod's %3, the local %4")
                           .arg(grpcStatusText(v.podGrpcStatus), grpcStatusText(v.localGrpcStatus),
                                message(podMessage), message(localMessage));
    } else if (bodyDiffers) {
        v.kind = Kind::BodyDiffers;
    } else if (!v.headers.isEmpty()) {
        v.kind = Kind::HeadersDiffer;
    } else {
        v.kind = Kind::Same;
    }
    if (v.kind == Kind::StatusDiffers || (bodyDiffers && v.bodyValues.isEmpty())) {
        v.podBody = ProtobufDiff::excerpt(podCall->responses, 512, descriptors, outputType);
        v.localBody = ProtobufDiff::excerpt(localCall->responses, 512, descriptors, outputType);
    }
    return v;
}

} // namespace podtap
