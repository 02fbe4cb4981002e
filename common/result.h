#pragma once

#include <QString>

#include <optional>
#include <utility>

namespace podtap {

// A value or a human-readable error (what happened, why, what to do). Used across Qt
// boundaries instead of exceptions. (failure() moves its message: tidy 14 misses that.)
template<typename T>
class Result
{
public:
    Result(T value)
        : m_value(std::move(value))
    {}
    static Result failure(QString message) // NOLINT(performance-unnecessary-value-param)
    {
        Result r;
        r.m_error = std::move(message);
        return r;
    }

    bool ok() const { return m_value.has_value(); }
    explicit operator bool() const { return ok(); }
    const T &value() const { return *m_value; }
    T &value() { return *m_value; }
    const T *operator->() const { return &*m_value; }
    T *operator->() { return &*m_value; }
    const QString &error() const { return m_error; }

private:
    Result() = default;
    std::optional<T> m_value;
    QString m_error;
};

} // namespace podtap
