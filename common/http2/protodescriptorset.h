#pragma once

#include "result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QJsonArray>
#include <QString>

#include <cstdint>
#include <vector>

namespace podtap {

// The message and service declarations of a compiled FileDescriptorSet, the output of
// `protoc --descriptor_set_out=FILE --include_imports` (google/protobuf/descriptor.proto),
// read with ProtobufWireView: enough to name the fields of a gRPC method's messages. Options,
// source info, extensions and enum values are skipped. Immutable once parsed.
class ProtoDescriptorSet
{
public:
    // FieldDescriptorProto.Type
    enum class FieldType : std::uint8_t {
        Unknown = 0,
        Double = 1,
        Float = 2,
        Int64 = 3,
        Uint64 = 4,
        Int32 = 5,
        Fixed64 = 6,
        Fixed32 = 7,
        Bool = 8,
        String = 9,
        Group = 10,
        Message = 11,
        Bytes = 12,
        Uint32 = 13,
        Enum = 14,
        Sfixed32 = 15,
        Sfixed64 = 16,
        Sint32 = 17,
        Sint64 = 18,
    };
    struct Field
    {
        std::uint32_t number = 0;
        QString name;
        FieldType type = FieldType::Unknown;
        bool repeated = false;
        QByteArray typeName; // message and enum fields: the full name, no leading dot
    };
    struct Message
    {
        QByteArray fullName; // "pkg.Outer.Inner"
        std::vector<Field> fields;
        const Field *field(std::uint32_t number) const;
    };
    struct Method
    {
        QByteArray service; // "pkg.Service"
        QByteArray name;    // "Method"
        QByteArray inputType;
        QByteArray outputType;
        bool clientStreaming = false;
        bool serverStreaming = false;
    };
    static constexpr qint64 MaxFileBytes = 8 << 20;

    // A serialized FileDescriptorSet; an error says where it stopped making sense.
    static Result<ProtoDescriptorSet> parse(QByteArrayView data);
    // The file, at most `maxBytes` of it.
    static Result<ProtoDescriptorSet> readFile(const QString &path, qint64 maxBytes = MaxFileBytes);
    // The file's bytes, checked to parse (what a client sends the daemon).
    static Result<QByteArray> readFileBytes(const QString &path, qint64 maxBytes = MaxFileBytes);

    // "/pkg.Service/Method" (a gRPC :path) or "pkg.Service/Method"; null when not declared.
    const Method *method(QByteArrayView path) const;
    // "pkg.Message" or ".pkg.Message"; null when not declared.
    const Message *message(QByteArrayView fullName) const;
    const Field *field(QByteArrayView messageType, std::uint32_t number) const;
    // The message type a field holds (a message or group field), or null.
    const Message *nestedType(const Field &field) const;

    // ProtobufWireView::toJson output with a "name" on each declared field (and "declared",
    // the declared type); a message field the wire view took for text is decoded as one.
    QJsonArray annotate(const QJsonArray &wireJson, QByteArrayView messageType) const;

    qsizetype fileCount() const { return m_fileCount; }
    qsizetype messageCount() const { return m_messages.size(); }
    qsizetype methodCount() const { return m_methods.size(); }
    static const char *typeName(FieldType type);

private:
    QHash<QByteArray, Message> m_messages; // by full name
    QHash<QByteArray, Method> m_methods;   // by "pkg.Service/Method"
    qsizetype m_fileCount = 0;
};

} // namespace podtap
