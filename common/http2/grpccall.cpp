#include "grpccall.h"

#include "http/httpmessage.h"
#include "protobufwireview.h"
#include "protodescriptorset.h"

#include <QJsonArray>

#include <zlib.h>

namespace podtap {

bool GrpcCall::isGrpc(const HttpMessage &request)
{
    const QByteArray type = request.header("content-type").toLower();
    return type == "application/grpc" || type.startsWith("application/grpc+")
           || type.startsWith("application/grpc;");
}

QByteArray GrpcCall::percentDecode(QByteArrayView text)
{
    return QByteArray::fromPercentEncoding(text.toByteArray());
}

std::optional<QByteArray> GrpcCall::gunzip(QByteArrayView data, std::size_t maxBytes,
                                           QString *error)
{
    z_stream z{};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) { // 16: gzip wrapper only
        if (error)
            *error = QStringLiteral("zlib could not start");
        return std::nullopt;
    }
    QByteArray out;
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
    z.avail_in = uInt(data.size());
    char chunk[16384];
    int rv = Z_OK;
    while (rv != Z_STREAM_END) {
        z.next_out = reinterpret_cast<Bytef *>(chunk);
        z.avail_out = sizeof chunk;
        rv = inflate(&z, Z_NO_FLUSH);
        if (rv != Z_OK && rv != Z_STREAM_END) {
            if (error)
                *error = rv == Z_BUF_ERROR ? QStringLiteral("the gzip data is cut short")
                                           : QStringLiteral("the gzip data is corrupt (%1)")
                                                     .arg(QString::fromLatin1(z.msg ? z.msg : "?"));
            inflateEnd(&z);
            return std::nullopt;
        }
        out.append(chunk, qsizetype(sizeof chunk - z.avail_out));
        if (std::size_t(out.size()) > maxBytes) {
            if (error)
                *error = QStringLiteral("the message inflates past %1 bytes").arg(maxBytes);
            inflateEnd(&z);
            return std::nullopt;
        }
    }
    inflateEnd(&z);
    return out;
}

std::vector<GrpcCall::Message> GrpcCall::splitMessages(QByteArrayView body, bool bodyWhole,
                                                       bool fromClient, QByteArrayView encoding,
                                                       QString *error)
{
    std::vector<Message> out;
    std::size_t pos = 0;
    const auto *p = reinterpret_cast<const std::uint8_t *>(body.data());
    const std::size_t size = std::size_t(body.size());
    while (pos < size && out.size() < MaxMessages) {
        Message m;
        m.fromClient = fromClient;
        if (size - pos < 5) {
            if (bodyWhole && error)
                *error = QStringLiteral("%1 bytes after the last message are not a message prefix")
                                 .arg(size - pos);
            if (!bodyWhole) {
                m.whole = false;
                m.error = QStringLiteral("not kept (body limit)");
                out.push_back(std::move(m));
            }
            break;
        }
        if (p[pos] > 1 && error && error->isEmpty())
            *error = QStringLiteral("a message has flags 0x%1")
                             .arg(p[pos], 2, 16, QLatin1Char('0'));
        m.compressed = p[pos] & 1;
        m.length = std::uint32_t(p[pos + 1]) << 24 | std::uint32_t(p[pos + 2]) << 16
                   | std::uint32_t(p[pos + 3]) << 8 | std::uint32_t(p[pos + 4]);
        pos += 5;
        const std::size_t have = std::min<std::size_t>(m.length, size - pos);
        const QByteArrayView payload = body.sliced(qsizetype(pos), qsizetype(have));
        pos += have;
        if (have < m.length) {
            m.whole = false;
            m.error = bodyWhole ? QStringLiteral("the stream ended inside the message")
                                : QStringLiteral("not kept (body limit)");
            if (bodyWhole && error && error->isEmpty())
                *error = QStringLiteral("a message is cut short (%1 of %2 bytes)")
                                 .arg(have)
                                 .arg(m.length);
        } else if (m.compressed) {
            const QByteArray enc = encoding.toByteArray().toLower();
            if (enc == "gzip") {
                QString why;
                if (auto plain = gunzip(payload, MaxInflatedBytes, &why)) {
                    m.data = std::move(*plain);
                } else {
                    m.whole = false;
                    m.error = why;
                }
            } else {
                m.whole = false;
                m.error = enc.isEmpty() || enc == "identity"
                                  ? QStringLiteral("compressed flag without grpc-encoding")
                                  : QStringLiteral("encoding %1 is not decoded")
                                            .arg(QString::fromLatin1(enc));
            }
        } else {
            m.data = payload.toByteArray();
        }
        out.push_back(std::move(m));
    }
    return out;
}

GrpcCall GrpcCall::decode(const HttpMessage &request, const HttpMessage *response)
{
    GrpcCall call;
    // :path is "/" Service-Name "/" Method-Name
    const QByteArray path = request.target;
    const qsizetype slash = path.lastIndexOf('/');
    if (path.startsWith('/') && slash > 0) {
        call.service = path.mid(1, slash - 1);
        call.method = path.mid(slash + 1);
    } else {
        call.error = QStringLiteral("the path %1 is not /service/method")
                             .arg(QString::fromLatin1(path));
    }
    call.requestEncoding = request.header("grpc-encoding");
    QString error;
    call.requests = splitMessages(request.body, request.bodyKeptWhole, true, call.requestEncoding,
                                  &error);
    if (response) {
        call.responseEncoding = response->header("grpc-encoding");
        call.responses = splitMessages(response->body, response->bodyKeptWhole, false,
                                       call.responseEncoding, &error);
        QByteArray status = response->trailer("grpc-status");
        QByteArray message = response->trailer("grpc-message");
        if (status.isNull()) { // Trailers-Only: the status is in the headers
            status = response->header("grpc-status");
            message = response->header("grpc-message");
        }
        bool ok = false;
        const int code = status.toInt(&ok);
        if (ok && code >= 0)
            call.status = code;
        if (!message.isNull())
            call.statusMessage = percentDecode(message);
    }
    if (call.error.isEmpty())
        call.error = error;
    return call;
}

QJsonObject GrpcCall::toJson(const ProtoDescriptorSet *descriptors) const
{
    QJsonObject o;
    o[QLatin1String("service")] = QString::fromLatin1(service);
    o[QLatin1String("method")] = QString::fromLatin1(method);
    if (status >= 0)
        o[QLatin1String("status")] = status;
    if (!statusMessage.isEmpty())
        o[QLatin1String("message")] = QString::fromUtf8(statusMessage);
    const ProtoDescriptorSet::Method *declared
            = descriptors ? descriptors->method(QByteArray(service + '/' + method)) : nullptr;
    if (declared) {
        o[QLatin1String("inputType")] = QString::fromUtf8(declared->inputType);
        o[QLatin1String("outputType")] = QString::fromUtf8(declared->outputType);
    }
    auto list = [&](const std::vector<Message> &messages, const QByteArray &type) {
        QJsonArray a;
        for (const Message &m : messages) {
            QJsonObject j;
            j[QLatin1String("length")] = qint64(m.length);
            if (m.compressed)
                j[QLatin1String("compressed")] = true;
            if (!m.whole) {
                j[QLatin1String("error")] = m.error;
            } else if (const auto fields = ProtobufWireView::parse(m.data)) {
                const QJsonArray wire = ProtobufWireView::toJson(*fields);
                j[QLatin1String("fields")] = declared ? descriptors->annotate(wire, type) : wire;
            } else {
                j[QLatin1String("bytes")] = QString::fromLatin1(m.data.toBase64());
            }
            a.append(j);
        }
        return a;
    };
    o[QLatin1String("requests")] = list(requests, declared ? declared->inputType : QByteArray());
    o[QLatin1String("responses")] = list(responses, declared ? declared->outputType : QByteArray());
    if (!error.isEmpty())
        o[QLatin1String("error")] = error;
    return o;
}

} // namespace podtap
