#include "protobufdiff.h"

#include <QJsonObject>

#include <bit>
#include <map>

namespace podtap {

namespace {

constexpr int MaxValue = 200;

QString bounded(const QString &text)
{
    return text.size() > MaxValue ? text.left(MaxValue - 1) + QChar(0x2026) : text;
}

QString hex(QByteArrayView bytes)
{
    return QStringLiteral("0x") + QString::fromLatin1(bytes.toByteArray().toHex());
}

QString quoted(const QByteArray &text)
{
    return QLatin1Char('"') + QString::fromUtf8(text) + QLatin1Char('"');
}

QString braced(const QString &inner)
{
    return inner.isEmpty() ? QStringLiteral("{ }")
                           : QStringLiteral("{ ") + inner + QStringLiteral(" }");
}

} // namespace

ProtobufDiff::ProtobufDiff(const ProtoDescriptorSet *descriptors, int maxPaths)
    : m_descriptors(descriptors)
    , m_maxPaths(maxPaths)
{}

void ProtobufDiff::note(const QString &path, const QString *pod, const QString *local)
{
    ++m_result.differences;
    if (m_result.paths.size() >= m_maxPaths)
        return;
    m_result.paths << path;
    QJsonObject v{{QStringLiteral("path"), path}};
    if (pod)
        v[QLatin1String("pod")] = *pod;
    if (local)
        v[QLatin1String("local")] = *local;
    m_result.values.append(v);
}

void ProtobufDiff::compareMessages(const std::vector<GrpcCall::Message> &pod,
                                   const std::vector<GrpcCall::Message> &local,
                                   QByteArrayView messageType)
{
    if (pod.size() != local.size())
        note(QStringLiteral("%1 messages ≠ %2 messages").arg(pod.size()).arg(local.size()), nullptr,
             nullptr);
    const std::size_t common = std::min(pod.size(), local.size());
    for (std::size_t i = 0; i < common; ++i) {
        const GrpcCall::Message &a = pod[i];
        const GrpcCall::Message &b = local[i];
        const QString path = QStringLiteral("$[%1]").arg(i);
        if (!a.whole || !b.whole) {
            const QString why = !a.whole ? QStringLiteral("the pod's: ") + a.error
                                         : QStringLiteral("the local: ") + b.error;
            note(path + QStringLiteral(" (not compared, %1)").arg(why), nullptr, nullptr);
            continue;
        }
        compareMessage(a.data, b.data, path, messageType);
    }
}

void ProtobufDiff::compareMessage(QByteArrayView pod, QByteArrayView local, const QString &path,
                                  QByteArrayView messageType)
{
    if (pod == local)
        return;
    const auto a = ProtobufWireView::parse(pod);
    const auto b = ProtobufWireView::parse(local);
    if (!a || !b) { // not protobuf (another codec, or broken): the bytes
        const QString pa = bounded(a ? braced(text(*a)) : hex(pod));
        const QString pb = bounded(b ? braced(text(*b)) : hex(local));
        note(path
                     + QStringLiteral(" (not protobuf on %1)")
                               .arg(!a && !b ? QStringLiteral("either side")
                                    : !a     ? QStringLiteral("the pod's side")
                                             : QStringLiteral("the local side")),
             &pa, &pb);
        return;
    }
    const ProtoDescriptorSet::Message *type = m_descriptors && !messageType.isEmpty()
                                                      ? m_descriptors->message(messageType)
                                                      : nullptr;
    compareFields(*a, *b, path, type, 0);
}

void ProtobufDiff::compareFields(const std::vector<WireField> &pod,
                                 const std::vector<WireField> &local, const QString &path,
                                 const ProtoDescriptorSet::Message *type, int depth)
{
    // Occurrences by field number, in wire order within a number.
    std::map<std::uint32_t,
             std::pair<std::vector<const WireField *>, std::vector<const WireField *>>>
            byNumber;
    for (const WireField &f : pod)
        byNumber[f.number].first.push_back(&f);
    for (const WireField &f : local)
        byNumber[f.number].second.push_back(&f);
    for (const auto &[number, sides] : byNumber) {
        const auto &[a, b] = sides;
        const ProtoDescriptorSet::Field *declared = type ? type->field(number) : nullptr;
        const QString name = declared ? declared->name : QString::number(number);
        const std::size_t count = std::max(a.size(), b.size());
        for (std::size_t k = 0; k < count; ++k) {
            const QString p = path + QLatin1Char('.') + name
                              + (count > 1 ? QStringLiteral("[%1]").arg(k) : QString());
            if (k < a.size() && k < b.size()) {
                compareValues(*a[k], *b[k], p, declared, depth);
            } else if (k < a.size()) {
                const QString v = render(*a[k], declared, m_descriptors);
                note(p, &v, nullptr);
            } else {
                const QString v = render(*b[k], declared, m_descriptors);
                note(p, nullptr, &v);
            }
        }
    }
}

void ProtobufDiff::compareValues(const WireField &pod, const WireField &local, const QString &path,
                                 const ProtoDescriptorSet::Field *declared, int depth)
{
    using WireType = ProtobufWireView::WireType;
    if (pod.type == local.type && pod.type != WireType::SGroup && pod.value == local.value
        && pod.bytes == local.bytes)
        return;
    if (depth < ProtobufWireView::DefaultMaxDepth) {
        const bool declaredMessage = declared
                                     && (declared->type == ProtoDescriptorSet::FieldType::Message
                                         || declared->type == ProtoDescriptorSet::FieldType::Group);
        if (declaredMessage) {
            // The schema says message: parse what the schema-less pass took for text.
            std::optional<std::vector<WireField>> pa;
            std::optional<std::vector<WireField>> pb;
            const std::vector<WireField> *a = pod.isMessage ? &pod.nested : nullptr;
            const std::vector<WireField> *b = local.isMessage ? &local.nested : nullptr;
            if (!a && pod.type == WireType::Len && (pa = ProtobufWireView::parse(pod.bytes)))
                a = &*pa;
            if (!b && local.type == WireType::Len && (pb = ProtobufWireView::parse(local.bytes)))
                b = &*pb;
            if (a && b) {
                compareFields(*a, *b, path,
                              m_descriptors ? m_descriptors->nestedType(*declared) : nullptr,
                              depth + 1);
                return;
            }
        } else if (!declared && pod.isMessage && local.isMessage) {
            compareFields(pod.nested, local.nested, path, nullptr, depth + 1);
            return;
        }
    }
    const QString a = render(pod, declared, m_descriptors);
    const QString b = render(local, declared, m_descriptors);
    note(path, &a, &b);
}

QString ProtobufDiff::render(const ProtobufWireView::Field &field,
                             const ProtoDescriptorSet::Field *declared,
                             const ProtoDescriptorSet *descriptors)
{
    using WireType = ProtobufWireView::WireType;
    using T = ProtoDescriptorSet::FieldType;
    const std::uint64_t v = field.value;
    if (declared) { // by the declared type, when the wire type fits it
        switch (field.type) {
        case WireType::Varint:
            switch (declared->type) {
            case T::Int32:
            case T::Int64:
            case T::Enum:
                return QString::number(qint64(v));
            case T::Sint32:
            case T::Sint64:
                return QString::number(qint64(v >> 1) ^ -qint64(v & 1));
            case T::Bool:
                return v ? QStringLiteral("true") : QStringLiteral("false");
            default:
                break;
            }
            break;
        case WireType::I64:
            if (declared->type == T::Double)
                return QString::number(std::bit_cast<double>(v), 'g', 17);
            if (declared->type == T::Sfixed64)
                return QString::number(qint64(v));
            break;
        case WireType::I32:
            if (declared->type == T::Float)
                return QString::number(double(std::bit_cast<float>(std::uint32_t(v))), 'g', 9);
            if (declared->type == T::Sfixed32)
                return QString::number(std::int32_t(std::uint32_t(v)));
            break;
        case WireType::Len:
            if (declared->type == T::String)
                return bounded(quoted(field.bytes));
            if (declared->type == T::Bytes)
                return bounded(hex(field.bytes));
            if (declared->type == T::Message) {
                const auto *type = descriptors ? descriptors->nestedType(*declared) : nullptr;
                if (field.isMessage)
                    return bounded(braced(text(field.nested, descriptors, type)));
                if (const auto fields = ProtobufWireView::parse(field.bytes))
                    return bounded(braced(text(*fields, descriptors, type)));
            }
            break;
        default:
            break;
        }
    }
    switch (field.type) {
    case WireType::Varint:
    case WireType::I64:
    case WireType::I32:
        return QString::number(qulonglong(v));
    case WireType::Len:
        if (field.isMessage)
            return bounded(braced(text(field.nested)));
        return bounded(field.isText ? quoted(field.bytes) : hex(field.bytes));
    case WireType::SGroup:
        return bounded(braced(text(field.nested)));
    case WireType::EGroup:
        break;
    }
    return {};
}

QString ProtobufDiff::text(const std::vector<ProtobufWireView::Field> &fields,
                           const ProtoDescriptorSet *descriptors,
                           const ProtoDescriptorSet::Message *type)
{
    using T = ProtoDescriptorSet::FieldType;
    QString out;
    for (const ProtobufWireView::Field &f : fields) {
        if (!out.isEmpty())
            out += QLatin1Char(' ');
        const ProtoDescriptorSet::Field *declared = type ? type->field(f.number) : nullptr;
        out += declared ? declared->name : QString::number(f.number);
        const bool declaredMessage
                = declared && (declared->type == T::Message || declared->type == T::Group);
        std::optional<std::vector<ProtobufWireView::Field>> parsed;
        const std::vector<ProtobufWireView::Field> *nested = f.isMessage ? &f.nested : nullptr;
        if (declaredMessage && !nested && f.type == ProtobufWireView::WireType::Len
            && (parsed = ProtobufWireView::parse(f.bytes)))
            nested = &*parsed;
        if (nested && (declaredMessage || !declared)) {
            const auto *inner
                    = declaredMessage && descriptors ? descriptors->nestedType(*declared) : nullptr;
            out += QLatin1Char(' ') + braced(text(*nested, descriptors, inner));
        } else {
            out += QStringLiteral(": ") + render(f, declared);
        }
    }
    return out;
}

QString ProtobufDiff::excerpt(const std::vector<GrpcCall::Message> &messages, int maxChars,
                              const ProtoDescriptorSet *descriptors, QByteArrayView messageType)
{
    const ProtoDescriptorSet::Message *type
            = descriptors && !messageType.isEmpty() ? descriptors->message(messageType) : nullptr;
    QString out;
    for (std::size_t i = 0; i < messages.size() && out.size() < maxChars; ++i) {
        const GrpcCall::Message &m = messages[i];
        out += QStringLiteral("[%1] ").arg(i);
        if (!m.whole)
            out += QStringLiteral("(%1)").arg(m.error);
        else if (const auto fields = ProtobufWireView::parse(m.data))
            out += braced(text(*fields, descriptors, type));
        else
            out += hex(m.data.left(maxChars));
        out += QLatin1Char('\n');
    }
    if (out.size() > maxChars)
        out = out.left(maxChars - 1) + QChar(0x2026);
    return out;
}

} // namespace podtap
