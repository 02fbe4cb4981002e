#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <optional>
#include <vector>

namespace podtap {

struct HttpMessage;
class ProtoDescriptorSet;

// One gRPC call carried by an HTTP/2 stream (github.com/grpc/grpc doc/PROTOCOL-HTTP2.md):
// service and method from :path, the length-prefixed messages of each direction (gzip
// when the compressed flag is set and grpc-encoding says gzip), grpc-status and grpc-message
// from the trailers (or from the headers of a Trailers-Only response).
class GrpcCall
{
public:
    struct Message
    {
        bool fromClient = true;
        bool compressed = false;
        std::uint32_t length = 0; // the prefix's length (compressed bytes when compressed)
        QByteArray data;          // the message, decompressed; empty when not whole
        bool whole = true;        // every byte of it was kept (body limits) and decoded
        QString error;            // why not whole
    };
    static constexpr std::size_t MaxMessages = 4096;           // per direction
    static constexpr std::size_t MaxInflatedBytes = 16u << 20; // per message

    // Content-Type application/grpc, application/grpc+proto, …
    static bool isGrpc(const HttpMessage &request);
    // The call of a request and (when there is one) its response. The messages come from
    // the kept bodies: a body longer than the keep limit yields its first messages and one
    // marked not whole.
    static GrpcCall decode(const HttpMessage &request, const HttpMessage *response);
    // Length-prefixed messages (1 byte flag, 4 bytes big-endian length) in `body`.
    // `bodyWhole`: `body` is all of it (else a cut message is "not kept", not "truncated").
    static std::vector<Message> splitMessages(QByteArrayView body, bool bodyWhole, bool fromClient,
                                              QByteArrayView encoding, QString *error = nullptr);
    // RFC 1952 gzip (zlib), at most `maxBytes` out; nullopt with a reason otherwise.
    static std::optional<QByteArray> gunzip(QByteArrayView data, std::size_t maxBytes,
                                            QString *error);
    // grpc-message is percent-encoded (PROTOCOL-HTTP2.md "Responses").
    static QByteArray percentDecode(QByteArrayView text);

    // The messages with their protobuf wire view; with a descriptor set that declares the
    // method, fields carry their names ("name", "declared") and the types are given.
    QJsonObject toJson(const ProtoDescriptorSet *descriptors = nullptr) const;

    QByteArray service; // "helloworld.Greeter"
    QByteArray method;  // "SayHello"
    int status = -1;    // grpc-status, -1 when none was seen
    QByteArray statusMessage;
    QByteArray requestEncoding; // grpc-encoding of each side ("" = identity)
    QByteArray responseEncoding;
    std::vector<Message> requests;
    std::vector<Message> responses;
    QString error; // framing trouble in the bodies (a length prefix past the end, …)
};

} // namespace podtap
