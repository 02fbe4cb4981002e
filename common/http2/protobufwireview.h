#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonArray>

#include <cstdint>
#include <optional>
#include <vector>

namespace podtap {

// A schema-less view of protobuf wire format (protobuf.dev/programming-guides/encoding):
// field numbers, wire types and values, like `protoc --decode_raw`. A length-delimited value
// is shown as a nested message when its bytes parse as one whole (depth-limited), as text
// when they are printable UTF-8, otherwise as bytes. Without the schema a value's meaning is
// not known: a varint may be an int, a bool or an enum; a nested message may be bytes that
// happen to parse.
class ProtobufWireView
{
public:
    enum class WireType : std::uint8_t {
        Varint = 0,
        I64 = 1,
        Len = 2,
        SGroup = 3,
        EGroup = 4,
        I32 = 5
    };
    struct Field
    {
        std::uint32_t number = 0;
        WireType type = WireType::Varint;
        std::uint64_t value = 0; // Varint, I64, I32
        QByteArray bytes;        // Len
        bool isMessage = false;  // Len parsed as a message, or SGroup: `nested` holds it
        bool isText = false;     // Len: printable UTF-8
        std::vector<Field> nested;
    };
    static constexpr int DefaultMaxDepth = 16;
    static constexpr std::size_t MaxFields = 100000; // per parse, all levels

    // The fields of one message, or nullopt when the bytes are not a whole message (bad tag,
    // truncated value, field number 0, unbalanced group, too deep, too many fields).
    static std::optional<std::vector<Field>> parse(QByteArrayView data,
                                                   int maxDepth = DefaultMaxDepth);
    // [{"field":1,"type":"varint","value":150}, {"field":2,"type":"len","text":"x"}, …]
    static QJsonArray toJson(const std::vector<Field> &fields);
    // decode_raw-like text: `1: 150`, `2: "x"`, `3 { 1: 5 }`
    static QByteArray toText(const std::vector<Field> &fields, int indent = 0);
    static const char *wireTypeName(WireType type);

    // A field by number path ({3, 1}: field 1 inside field 3), first occurrence, or null.
    static const Field *find(const std::vector<Field> &fields,
                             std::initializer_list<std::uint32_t> path);
};

} // namespace podtap
