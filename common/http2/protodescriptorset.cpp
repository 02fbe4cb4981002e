#include "protodescriptorset.h"

#include "protobufwireview.h"

#include <QFile>
#include <QJsonObject>

namespace podtap {

namespace {

using WireField = ProtobufWireView::Field;
using WireType = ProtobufWireView::WireType;

// google/protobuf/descriptor.proto field numbers.
namespace Fd {
constexpr std::uint32_t SetFile = 1;         // FileDescriptorSet.file
constexpr std::uint32_t FileName = 1;        // FileDescriptorProto.name
constexpr std::uint32_t FilePackage = 2;     // .package
constexpr std::uint32_t FileMessage = 4;     // .message_type
constexpr std::uint32_t FileService = 6;     // .service
constexpr std::uint32_t MessageName = 1;     // DescriptorProto.name
constexpr std::uint32_t MessageField = 2;    // .field
constexpr std::uint32_t MessageNested = 3;   // .nested_type
constexpr std::uint32_t FieldName = 1;       // FieldDescriptorProto.name
constexpr std::uint32_t FieldNumber = 3;     // .number
constexpr std::uint32_t FieldLabel = 4;      // .label (3: LABEL_REPEATED)
constexpr std::uint32_t FieldType = 5;       // .type
constexpr std::uint32_t FieldTypeName = 6;   // .type_name
constexpr std::uint32_t ServiceName = 1;     // ServiceDescriptorProto.name
constexpr std::uint32_t ServiceMethod = 2;   // .method
constexpr std::uint32_t MethodName = 1;      // MethodDescriptorProto.name
constexpr std::uint32_t MethodInput = 2;     // .input_type
constexpr std::uint32_t MethodOutput = 3;    // .output_type
constexpr std::uint32_t MethodClientStr = 5; // .client_streaming
constexpr std::uint32_t MethodServerStr = 6; // .server_streaming
constexpr std::uint32_t LabelRepeated = 3;
} // namespace Fd

constexpr int MaxNesting = 64; // nested_type levels

struct Parsed
{
    QHash<QByteArray, ProtoDescriptorSet::Message> messages;
    QHash<QByteArray, ProtoDescriptorSet::Method> methods;
    QString error; // the first thing that did not make sense, with where it was
};

// One level of a message (nested values are parsed on demand, by the schema).
std::optional<std::vector<WireField>> level(QByteArrayView bytes)
{
    return ProtobufWireView::parse(bytes, 1);
}

bool expect(const WireField &f, WireType type, const QString &where, const char *what, Parsed *out)
{
    if (f.type == type)
        return true;
    out->error = QStringLiteral("%1: %2 (field %3) has wire type %4, not %5")
                         .arg(where, QLatin1String(what))
                         .arg(f.number)
                         .arg(QLatin1String(ProtobufWireView::wireTypeName(f.type)),
                              QLatin1String(ProtobufWireView::wireTypeName(type)));
    return false;
}

std::optional<std::vector<WireField>> sublevel(const WireField &f, const QString &where,
                                               Parsed *out)
{
    auto fields = level(f.bytes);
    if (!fields)
        out->error = QStringLiteral("%1: the bytes are not a protobuf message").arg(where);
    return fields;
}

QByteArray typeRef(const QByteArray &name)
{
    return name.startsWith('.') ? name.mid(1) : name;
}

QByteArray qualified(const QByteArray &scope, const QByteArray &name)
{
    return scope.isEmpty() ? name : scope + '.' + name;
}

bool parseField(const WireField &wire, const QString &where, ProtoDescriptorSet::Field *field,
                Parsed *out)
{
    const auto fields = sublevel(wire, where, out);
    if (!fields)
        return false;
    bool haveNumber = false;
    for (const WireField &f : *fields) {
        switch (f.number) {
        case Fd::FieldName:
            if (!expect(f, WireType::Len, where, "name", out))
                return false;
            field->name = QString::fromUtf8(f.bytes);
            break;
        case Fd::FieldNumber:
            if (!expect(f, WireType::Varint, where, "number", out))
                return false;
            if (f.value < 1 || f.value > 536870911) { // 2^29 - 1
                out->error = QStringLiteral("%1: field number %2 is out of range")
                                     .arg(where)
                                     .arg(f.value);
                return false;
            }
            field->number = std::uint32_t(f.value);
            haveNumber = true;
            break;
        case Fd::FieldLabel:
            if (!expect(f, WireType::Varint, where, "label", out))
                return false;
            field->repeated = f.value == Fd::LabelRepeated;
            break;
        case Fd::FieldType:
            if (!expect(f, WireType::Varint, where, "type", out))
                return false;
            field->type = f.value >= 1 && f.value <= 18 ? ProtoDescriptorSet::FieldType(f.value)
                                                        : ProtoDescriptorSet::FieldType::Unknown;
            break;
        case Fd::FieldTypeName:
            if (!expect(f, WireType::Len, where, "type_name", out))
                return false;
            field->typeName = typeRef(f.bytes);
            break;
        default:
            break; // options, json_name, oneof_index, …
        }
    }
    if (field->name.isEmpty() || !haveNumber) {
        out->error = QStringLiteral("%1: a field without a name or a number").arg(where);
        return false;
    }
    return true;
}

bool parseMessage(const WireField &wire, const QByteArray &scope, const QString &where, int depth,
                  Parsed *out)
{
    if (depth > MaxNesting) {
        out->error = QStringLiteral("%1: messages nested more than %2 deep")
                             .arg(where)
                             .arg(MaxNesting);
        return false;
    }
    const auto fields = sublevel(wire, where, out);
    if (!fields)
        return false;
    ProtoDescriptorSet::Message message;
    for (const WireField &f : *fields) {
        if (f.number == Fd::MessageName) {
            if (!expect(f, WireType::Len, where, "name", out))
                return false;
            if (!f.bytes.isEmpty())
                message.fullName = qualified(scope, f.bytes);
        }
    }
    if (message.fullName.isEmpty()) {
        out->error = QStringLiteral("%1: a message without a name").arg(where);
        return false;
    }
    const QString here = QStringLiteral("message %1").arg(QString::fromUtf8(message.fullName));
    int fieldIndex = 0;
    for (const WireField &f : *fields) {
        if (f.number == Fd::MessageField) {
            const QString fieldWhere = QStringLiteral("%1 field %2").arg(here).arg(fieldIndex++);
            ProtoDescriptorSet::Field field;
            if (!expect(f, WireType::Len, here, "field", out)
                || !parseField(f, fieldWhere, &field, out))
                return false;
            message.fields.push_back(std::move(field));
        } else if (f.number == Fd::MessageNested) {
            if (!expect(f, WireType::Len, here, "nested_type", out)
                || !parseMessage(f, message.fullName, here, depth + 1, out))
                return false;
        }
    }
    std::sort(message.fields.begin(), message.fields.end(),
              [](const auto &a, const auto &b) { return a.number < b.number; });
    if (!out->messages.contains(message.fullName)) // the same file twice: the first one
        out->messages.insert(message.fullName, message);
    return true;
}

bool parseService(const WireField &wire, const QByteArray &package, const QString &where,
                  Parsed *out)
{
    const auto fields = sublevel(wire, where, out);
    if (!fields)
        return false;
    QByteArray service;
    for (const WireField &f : *fields) {
        if (f.number == Fd::ServiceName) {
            if (!expect(f, WireType::Len, where, "name", out))
                return false;
            if (!f.bytes.isEmpty())
                service = qualified(package, f.bytes);
        }
    }
    if (service.isEmpty()) {
        out->error = QStringLiteral("%1: a service without a name").arg(where);
        return false;
    }
    const QString here = QStringLiteral("service %1").arg(QString::fromUtf8(service));
    for (const WireField &f : *fields) {
        if (f.number != Fd::ServiceMethod)
            continue;
        if (!expect(f, WireType::Len, here, "method", out))
            return false;
        const auto methodFields = sublevel(f, here, out);
        if (!methodFields)
            return false;
        ProtoDescriptorSet::Method m;
        m.service = service;
        for (const WireField &mf : *methodFields) {
            const bool ok = [&] {
                switch (mf.number) {
                case Fd::MethodName:
                    m.name = mf.bytes;
                    return expect(mf, WireType::Len, here, "method name", out);
                case Fd::MethodInput:
                    m.inputType = typeRef(mf.bytes);
                    return expect(mf, WireType::Len, here, "input_type", out);
                case Fd::MethodOutput:
                    m.outputType = typeRef(mf.bytes);
                    return expect(mf, WireType::Len, here, "output_type", out);
                case Fd::MethodClientStr:
                    m.clientStreaming = mf.value != 0;
                    return expect(mf, WireType::Varint, here, "client_streaming", out);
                case Fd::MethodServerStr:
                    m.serverStreaming = mf.value != 0;
                    return expect(mf, WireType::Varint, here, "server_streaming", out);
                default:
                    return true;
                }
            }();
            if (!ok)
                return false;
        }
        if (m.name.isEmpty()) {
            out->error = QStringLiteral("%1: a method without a name").arg(here);
            return false;
        }
        const QByteArray key = service + '/' + m.name;
        if (!out->methods.contains(key))
            out->methods.insert(key, m);
    }
    return true;
}

bool parseFile(const WireField &wire, int index, Parsed *out)
{
    const QString at = QStringLiteral("file %1").arg(index);
    const auto fields = sublevel(wire, at, out);
    if (!fields)
        return false;
    QByteArray name;
    QByteArray package;
    for (const WireField &f : *fields) {
        if (f.number == Fd::FileName) {
            if (!expect(f, WireType::Len, at, "name", out))
                return false;
            name = f.bytes;
        } else if (f.number == Fd::FilePackage) {
            if (!expect(f, WireType::Len, at, "package", out))
                return false;
            package = f.bytes;
        }
    }
    if (name.isEmpty()) {
        out->error = QStringLiteral("%1: no file name, so not a FileDescriptorProto").arg(at);
        return false;
    }
    const QString where = QStringLiteral("%1 (%2)").arg(at, QString::fromUtf8(name));
    int messages = 0;
    int services = 0;
    for (const WireField &f : *fields) {
        if (f.number == Fd::FileMessage) {
            const QString here = QStringLiteral("%1 message_type %2").arg(where).arg(messages++);
            if (!expect(f, WireType::Len, where, "message_type", out)
                || !parseMessage(f, package, here, 1, out))
                return false;
        } else if (f.number == Fd::FileService) {
            const QString here = QStringLiteral("%1 service %2").arg(where).arg(services++);
            if (!expect(f, WireType::Len, where, "service", out)
                || !parseService(f, package, here, out))
                return false;
        }
    }
    return true;
}

} // namespace

const ProtoDescriptorSet::Field *ProtoDescriptorSet::Message::field(std::uint32_t number) const
{
    const auto it = std::lower_bound(fields.begin(), fields.end(), number,
                                     [](const Field &f, std::uint32_t n) { return f.number < n; });
    return it != fields.end() && it->number == number ? &*it : nullptr;
}

Result<ProtoDescriptorSet> ProtoDescriptorSet::parse(QByteArrayView data)
{
    using R = Result<ProtoDescriptorSet>;
    const QString what = QStringLiteral("not a FileDescriptorSet (make one with protoc "
                                        "--descriptor_set_out=FILE --include_imports)");
    if (data.isEmpty())
        return R::failure(QStringLiteral("the descriptor set is empty: %1").arg(what));
    const auto top = level(data);
    if (!top)
        return R::failure(QStringLiteral("the bytes are not protobuf wire format: %1").arg(what));
    Parsed parsed;
    ProtoDescriptorSet set;
    for (const WireField &f : *top) {
        if (f.number != Fd::SetFile || f.type != WireType::Len)
            return R::failure(
                    QStringLiteral("field %1 (%2) at the top level: %3")
                            .arg(f.number)
                            .arg(QLatin1String(ProtobufWireView::wireTypeName(f.type)), what));
        if (!parseFile(f, int(set.m_fileCount), &parsed))
            return R::failure(QStringLiteral("%1: %2").arg(parsed.error, what));
        ++set.m_fileCount;
    }
    if (set.m_fileCount == 0)
        return R::failure(QStringLiteral("the descriptor set holds no files: %1").arg(what));
    set.m_messages = std::move(parsed.messages);
    set.m_methods = std::move(parsed.methods);
    return set;
}

Result<QByteArray> ProtoDescriptorSet::readFileBytes(const QString &path, qint64 maxBytes)
{
    using R = Result<QByteArray>;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return R::failure(QStringLiteral("cannot read the descriptor set %1: %2")
                                  .arg(path, file.errorString()));
    // Read one byte past the limit: a pipe or device has no size to check first.
    QByteArray data = file.read(maxBytes + 1);
    if (file.error() != QFileDevice::NoError)
        return R::failure(QStringLiteral("cannot read the descriptor set %1: %2")
                                  .arg(path, file.errorString()));
    if (data.size() > maxBytes)
        return R::failure(QStringLiteral("the descriptor set %1 is larger than %2 bytes")
                                  .arg(path)
                                  .arg(maxBytes));
    if (const auto set = parse(data); !set)
        return R::failure(QStringLiteral("%1: %2").arg(path, set.error()));
    return data;
}

Result<ProtoDescriptorSet> ProtoDescriptorSet::readFile(const QString &path, qint64 maxBytes)
{
    const auto data = readFileBytes(path, maxBytes);
    if (!data)
        return Result<ProtoDescriptorSet>::failure(data.error());
    return parse(data.value());
}

const ProtoDescriptorSet::Method *ProtoDescriptorSet::method(QByteArrayView path) const
{
    QByteArrayView key = path;
    if (key.startsWith('/'))
        key = key.sliced(1);
    const auto it = m_methods.constFind(key.toByteArray());
    return it == m_methods.constEnd() ? nullptr : &*it;
}

const ProtoDescriptorSet::Message *ProtoDescriptorSet::message(QByteArrayView fullName) const
{
    QByteArrayView key = fullName;
    if (key.startsWith('.'))
        key = key.sliced(1);
    const auto it = m_messages.constFind(key.toByteArray());
    return it == m_messages.constEnd() ? nullptr : &*it;
}

const ProtoDescriptorSet::Field *ProtoDescriptorSet::field(QByteArrayView messageType,
                                                           std::uint32_t number) const
{
    const Message *m = message(messageType);
    return m ? m->field(number) : nullptr;
}

const ProtoDescriptorSet::Message *ProtoDescriptorSet::nestedType(const Field &field) const
{
    if (field.type != FieldType::Message && field.type != FieldType::Group)
        return nullptr;
    return message(field.typeName);
}

QJsonArray ProtoDescriptorSet::annotate(const QJsonArray &wireJson,
                                        QByteArrayView messageType) const
{
    const Message *type = message(messageType);
    if (!type)
        return wireJson;
    QJsonArray out;
    for (const QJsonValue v : wireJson) {
        QJsonObject o = v.toObject();
        const auto number = o.value(QLatin1String("field")).toInteger();
        const Field *f = number > 0 && number <= 0xffffffffLL ? type->field(std::uint32_t(number))
                                                              : nullptr;
        if (f) {
            o[QLatin1String("name")] = f->name;
            o[QLatin1String("declared")] = QLatin1String(typeName(f->type));
            if (const Message *nested = nestedType(*f)) {
                if (o.contains(QLatin1String("message"))) {
                    o[QLatin1String("message")] = annotate(
                            o.value(QLatin1String("message")).toArray(), nested->fullName);
                } else if (o.contains(QLatin1String("text"))) {
                    // Printable bytes that the schema says are a message.
                    const QByteArray bytes = o.value(QLatin1String("text")).toString().toUtf8();
                    if (const auto fields = ProtobufWireView::parse(bytes)) {
                        o.remove(QLatin1String("text"));
                        o[QLatin1String("message")]
                                = annotate(ProtobufWireView::toJson(*fields), nested->fullName);
                    }
                }
            }
        }
        out.append(o);
    }
    return out;
}

const char *ProtoDescriptorSet::typeName(FieldType type)
{
    switch (type) {
    case FieldType::Unknown:
        return "unknown";
    case FieldType::Double:
        return "double";
    case FieldType::Float:
        return "float";
    case FieldType::Int64:
        return "int64";
    case FieldType::Uint64:
        return "uint64";
    case FieldType::Int32:
        return "int32";
    case FieldType::Fixed64:
        return "fixed64";
    case FieldType::Fixed32:
        return "fixed32";
    case FieldType::Bool:
        return "bool";
    case FieldType::String:
        return "string";
    case FieldType::Group:
        return "group";
    case FieldType::Message:
        return "message";
    case FieldType::Bytes:
        return "bytes";
    case FieldType::Uint32:
        return "uint32";
    case FieldType::Enum:
        return "enum";
    case FieldType::Sfixed32:
        return "sfixed32";
    case FieldType::Sfixed64:
        return "sfixed64";
    case FieldType::Sint32:
        return "sint32";
    case FieldType::Sint64:
        return "sint64";
    }
    return "unknown";
}

} // namespace podtap
