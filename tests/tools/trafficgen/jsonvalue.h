#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace trafficgen {

// A minimal JSON tree for the REST mode's responses. Objects keep their members in insertion
// order; serialize(true) writes every object's members in reverse order (the "local" variant:
// different bytes, equal JSON).
class JsonValue
{
public:
    using Members = std::vector<std::pair<std::string, JsonValue>>;

    JsonValue()
        : m_type(Type::Null)
    {}
    JsonValue(bool b)
        : m_type(Type::Bool)
        , m_int(b)
    {}
    JsonValue(int v)
        : m_type(Type::Int)
        , m_int(v)
    {}
    JsonValue(std::int64_t v)
        : m_type(Type::Int)
        , m_int(v)
    {}
    JsonValue(std::uint64_t v)
        : m_type(Type::Int)
        , m_int(static_cast<std::int64_t>(v))
    {}
    JsonValue(const char *s)
        : m_type(Type::String)
        , m_string(s)
    {}
    JsonValue(std::string s)
        : m_type(Type::String)
        , m_string(std::move(s))
    {}

    static JsonValue object(Members members = {});
    static JsonValue array(std::vector<JsonValue> items = {});

    // Objects: appends a member. Arrays: appends an item (name ignored).
    JsonValue &add(std::string name, JsonValue value);
    JsonValue &push(JsonValue value);

    std::string serialize(bool reverseKeys) const;
    static void appendEscaped(std::string &out, const std::string &s);

private:
    enum class Type { Null, Bool, Int, String, Array, Object };
    explicit JsonValue(Type t)
        : m_type(t)
    {}
    void write(std::string &out, bool reverseKeys) const;

    Type m_type;
    std::int64_t m_int = 0;
    std::string m_string;
    std::vector<JsonValue> m_items;
    Members m_members;
};

} // namespace trafficgen
