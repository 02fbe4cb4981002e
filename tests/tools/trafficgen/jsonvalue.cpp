#include "jsonvalue.h"

#include <cstdio>

namespace trafficgen {

JsonValue JsonValue::object(Members members)
{
    JsonValue v(Type::Object);
    v.m_members = std::move(members);
    return v;
}

JsonValue JsonValue::array(std::vector<JsonValue> items)
{
    JsonValue v(Type::Array);
    v.m_items = std::move(items);
    return v;
}

JsonValue &JsonValue::add(std::string name, JsonValue value)
{
    m_members.emplace_back(std::move(name), std::move(value));
    return *this;
}

JsonValue &JsonValue::push(JsonValue value)
{
    m_items.push_back(std::move(value));
    return *this;
}

std::string JsonValue::serialize(bool reverseKeys) const
{
    std::string out;
    write(out, reverseKeys);
    return out;
}

void JsonValue::appendEscaped(std::string &out, const std::string &s)
{
    out.push_back('"');
    for (const char c : s) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned char>(c));
            out += buf;
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
}

void JsonValue::write(std::string &out, bool reverseKeys) const
{
    switch (m_type) {
    case Type::Null:
        out += "null";
        break;
    case Type::Bool:
        out += m_int ? "true" : "false";
        break;
    case Type::Int:
        out += std::to_string(m_int);
        break;
    case Type::String:
        appendEscaped(out, m_string);
        break;
    case Type::Array:
        out.push_back('[');
        for (std::size_t i = 0; i < m_items.size(); ++i) {
            if (i)
                out.push_back(',');
            m_items[i].write(out, reverseKeys);
        }
        out.push_back(']');
        break;
    case Type::Object:
        out.push_back('{');
        for (std::size_t i = 0; i < m_members.size(); ++i) {
            const auto &m = m_members[reverseKeys ? m_members.size() - 1 - i : i];
            if (i)
                out.push_back(',');
            appendEscaped(out, m.first);
            out.push_back(':');
            m.second.write(out, reverseKeys);
        }
        out.push_back('}');
        break;
    }
}

} // namespace trafficgen
