#include "shadowcomparator.h"

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

QMap<QByteArray, QList<QByteArray>> comparable(const HttpMessage &m, const QSet<QByteArray> &ignore)
{
    QMap<QByteArray, QList<QByteArray>> out;
    for (const HttpMessage::Header &h : m.headers) {
        const QByteArray lower = h.name.toByteArray().toLower();
        if (ignore.contains(lower) || framingHeaders().contains(lower))
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

ShadowComparator::Verdict ShadowComparator::compare(const HttpMessage &pod,
                                                    const HttpMessage &local) const
{
    Verdict v;
    v.podStatus = pod.status;
    v.localStatus = local.status;
    if (!pod.isComplete()) {
        v.kind = Kind::NotComparable;
        v.detail = QStringLiteral("the capture lost part of the pod's response (%1)")
                           .arg(QLatin1String(HttpMessage::incompleteName(pod.incomplete)));
        return v;
    }
    if (!local.isComplete()) {
        v.kind = Kind::LocalError;
        v.detail = QStringLiteral("the local response is incomplete (%1)")
                           .arg(QLatin1String(HttpMessage::incompleteName(local.incomplete)));
        return v;
    }

    // Headers
    const auto a = comparable(pod, m_options.ignoreHeaders);
    const auto b = comparable(local, m_options.ignoreHeaders);
    for (auto it = a.begin(); it != a.end(); ++it) {
        const auto other = b.constFind(it.key());
        if ((other == b.constEnd() || other.value() != it.value())
            && v.headers.size() < m_options.maxPaths) {
            v.headers << QString::fromLatin1(it.key());
            QJsonObject pair{{QStringLiteral("pod"), headerValue(it.value())}};
            if (other != b.constEnd())
                pair[QLatin1String("local")] = headerValue(other.value());
            v.headerValues[QString::fromLatin1(it.key())] = pair;
        }
    }
    for (auto it = b.begin(); it != b.end(); ++it) {
        if (!a.contains(it.key()) && v.headers.size() < m_options.maxPaths) {
            v.headers << QString::fromLatin1(it.key());
            v.headerValues[QString::fromLatin1(it.key())]
                    = QJsonObject{{QStringLiteral("local"), headerValue(it.value())}};
        }
    }

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
    Verdict v = compare(pod.response, local.response);
    if (!pod.grpc || !local.grpc)
        return v;
    v.podGrpcStatus = pod.grpc->status;
    v.localGrpcStatus = local.grpc->status;
    if (v.kind == Kind::NotComparable || v.kind == Kind::LocalError
        || v.kind == Kind::StatusDiffers)
        return v;
    if (v.podGrpcStatus != v.localGrpcStatus) {
        v.kind = Kind::StatusDiffers;
        v.detail
                = QStringLiteral("grpc-status %1 ≠ %2").arg(v.podGrpcStatus).arg(v.localGrpcStatus);
    }
    return v;
}

} // namespace podtap
