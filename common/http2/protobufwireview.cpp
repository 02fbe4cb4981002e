#include "protobufwireview.h"

#include <QJsonObject>
#include <QStringDecoder>

namespace podtap {

namespace {

struct Reader
{
    const std::uint8_t *p;
    std::size_t size;
    std::size_t pos = 0;
    std::size_t *fieldBudget;

    bool atEnd() const { return pos >= size; }
    // Base-128 varint, at most 10 bytes (the 10th may only hold the top bit).
    bool varint(std::uint64_t &out)
    {
        out = 0;
        for (int i = 0; i < 10; ++i) {
            if (pos >= size)
                return false;
            const std::uint8_t b = p[pos++];
            if (i == 9 && b > 1)
                return false;
            out |= std::uint64_t(b & 0x7f) << (7 * i);
            if (!(b & 0x80))
                return true;
        }
        return false;
    }
    bool fixed(int n, std::uint64_t &out)
    {
        if (size - pos < std::size_t(n))
            return false;
        out = 0;
        for (int i = 0; i < n; ++i)
            out |= std::uint64_t(p[pos + std::size_t(i)]) << (8 * i);
        pos += std::size_t(n);
        return true;
    }
};

bool isPrintableUtf8(QByteArrayView bytes)
{
    if (bytes.isEmpty())
        return true;
    for (const char c : bytes) {
        const auto u = std::uint8_t(c);
        if (u < 0x20 && u != '\n' && u != '\r' && u != '\t')
            return false;
        if (u == 0x7f)
            return false;
    }
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = utf8(bytes);
    return !utf8.hasError() && !text.isEmpty();
}

using Field = ProtobufWireView::Field;
using WireType = ProtobufWireView::WireType;

// Parses fields until the end of the reader, or (in a group) until the EGROUP of `group`.
bool parseFields(Reader &r, int depth, std::uint32_t group, std::vector<Field> &out)
{
    if (depth <= 0)
        return false;
    while (!r.atEnd()) {
        std::uint64_t key = 0;
        if (!r.varint(key) || key > 0xffffffffULL)
            return false;
        const auto number = std::uint32_t(key >> 3);
        const auto type = std::uint8_t(key & 7);
        if (number == 0 || type > 5)
            return false;
        if (*r.fieldBudget == 0)
            return false;
        --*r.fieldBudget;
        Field f;
        f.number = number;
        f.type = WireType(type);
        switch (f.type) {
        case WireType::Varint:
            if (!r.varint(f.value))
                return false;
            break;
        case WireType::I64:
            if (!r.fixed(8, f.value))
                return false;
            break;
        case WireType::I32:
            if (!r.fixed(4, f.value))
                return false;
            break;
        case WireType::Len: {
            std::uint64_t len = 0;
            if (!r.varint(len) || len > r.size - r.pos)
                return false;
            f.bytes = QByteArray(reinterpret_cast<const char *>(r.p + r.pos), qsizetype(len));
            r.pos += std::size_t(len);
            f.isText = isPrintableUtf8(f.bytes);
            if (!f.isText && depth > 1) {
                Reader inner{reinterpret_cast<const std::uint8_t *>(f.bytes.constData()),
                             std::size_t(f.bytes.size()), 0, r.fieldBudget};
                const std::size_t budget = *r.fieldBudget;
                std::vector<Field> nested;
                if (parseFields(inner, depth - 1, 0, nested)) {
                    f.isMessage = true;
                    f.nested = std::move(nested);
                } else {
                    *r.fieldBudget = budget; // a failed attempt costs nothing
                }
            }
            break;
        }
        case WireType::SGroup: {
            f.isMessage = true;
            if (!parseFields(r, depth - 1, number, f.nested))
                return false;
            break;
        }
        case WireType::EGroup:
            if (group != number)
                return false;
            return true; // the group's end: not a field of its own
        }
        out.push_back(std::move(f));
    }
    return group == 0; // an open group at the end is not a whole message
}

} // namespace

std::optional<std::vector<ProtobufWireView::Field>> ProtobufWireView::parse(QByteArrayView data,
                                                                            int maxDepth)
{
    std::size_t budget = MaxFields;
    Reader r{reinterpret_cast<const std::uint8_t *>(data.data()), std::size_t(data.size()), 0,
             &budget};
    std::vector<Field> fields;
    if (!parseFields(r, maxDepth, 0, fields))
        return std::nullopt;
    return fields;
}

const char *ProtobufWireView::wireTypeName(WireType type)
{
    switch (type) {
    case WireType::Varint:
        return "varint";
    case WireType::I64:
        return "i64";
    case WireType::Len:
        return "len";
    case WireType::SGroup:
        return "group";
    case WireType::EGroup:
        return "egroup";
    case WireType::I32:
        return "i32";
    }
    return "?";
}

QJsonArray ProtobufWireView::toJson(const std::vector<Field> &fields)
{
    QJsonArray a;
    for (const Field &f : fields) {
        QJsonObject o;
        o[QLatin1String("field")] = qint64(f.number);
        o[QLatin1String("type")] = QLatin1String(wireTypeName(f.type));
        if (f.isMessage)
            o[QLatin1String("message")] = toJson(f.nested);
        else if (f.type == WireType::Len && f.isText)
            o[QLatin1String("text")] = QString::fromUtf8(f.bytes);
        else if (f.type == WireType::Len)
            o[QLatin1String("bytes")] = QString::fromLatin1(f.bytes.toBase64());
        else // JSON numbers lose precision past 2^53: a string keeps the whole value
            o[QLatin1String("value")] = QString::number(f.value);
        a.append(o);
    }
    return a;
}

QByteArray ProtobufWireView::toText(const std::vector<Field> &fields, int indent)
{
    QByteArray out;
    const QByteArray pad(indent * 2, ' ');
    for (const Field &f : fields) {
        out += pad + QByteArray::number(f.number);
        if (f.isMessage) {
            out += " {\n" + toText(f.nested, indent + 1) + pad + "}\n";
        } else if (f.type == WireType::Len) {
            if (f.isText)
                out += ": \"" + f.bytes + "\"\n";
            else
                out += ": 0x" + f.bytes.toHex() + '\n';
        } else {
            out += ": " + QByteArray::number(qulonglong(f.value));
            if (f.type == WireType::I64)
                out += " (i64)";
            else if (f.type == WireType::I32)
                out += " (i32)";
            out += '\n';
        }
    }
    return out;
}

const ProtobufWireView::Field *ProtobufWireView::find(const std::vector<Field> &fields,
                                                      std::initializer_list<std::uint32_t> path)
{
    const std::vector<Field> *level = &fields;
    const Field *found = nullptr;
    for (const std::uint32_t number : path) {
        found = nullptr;
        if (!level)
            return nullptr;
        for (const Field &f : *level) {
            if (f.number == number) {
                found = &f;
                break;
            }
        }
        if (!found)
            return nullptr;
        level = found->isMessage ? &found->nested : nullptr;
    }
    return found;
}

} // namespace podtap
