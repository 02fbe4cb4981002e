#include "ipcjsonreader.h"

#include <QJsonArray>

#include <cmath>

namespace podtap {

IpcJsonReader::IpcJsonReader(const QJsonObject &object, QString where)
    : m_object(object)
    , m_where(std::move(where))
{}

bool IpcJsonReader::has(QLatin1String key) const
{
    const QJsonValue v = m_object.value(key);
    return !v.isUndefined() && !v.isNull();
}

bool IpcJsonReader::require(QLatin1String key)
{
    if (has(key))
        return true;
    if (m_error.isEmpty())
        m_error = QStringLiteral("%1: '%2' is missing").arg(m_where, key);
    return false;
}

const char *IpcJsonReader::typeName(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Bool:
        return "a boolean";
    case QJsonValue::Double:
        return "a number";
    case QJsonValue::String:
        return "a string";
    case QJsonValue::Array:
        return "an array";
    case QJsonValue::Object:
        return "an object";
    default:
        return "null";
    }
}

void IpcJsonReader::fail(QLatin1String key, const char *expected, const QJsonValue &got)
{
    if (m_error.isEmpty())
        m_error = QStringLiteral("%1: '%2' must be %3 (got %4)")
                          .arg(m_where, key, QLatin1String(expected), QLatin1String(typeName(got)));
}

QString IpcJsonReader::string(QLatin1String key, const QString &fallback)
{
    if (!has(key))
        return fallback;
    const QJsonValue v = m_object.value(key);
    if (!v.isString()) {
        fail(key, "a string", v);
        return fallback;
    }
    return v.toString();
}

bool IpcJsonReader::boolean(QLatin1String key, bool fallback)
{
    if (!has(key))
        return fallback;
    const QJsonValue v = m_object.value(key);
    if (!v.isBool()) {
        fail(key, "true or false", v);
        return fallback;
    }
    return v.toBool();
}

qint64 IpcJsonReader::integer(QLatin1String key, qint64 fallback)
{
    if (!has(key))
        return fallback;
    const QJsonValue v = m_object.value(key);
    const double d = v.toDouble();
    // Doubles hold integers exactly up to 2^53: the largest a JSON number can carry safely.
    if (!v.isDouble() || std::trunc(d) != d || std::fabs(d) > 9007199254740992.0) {
        fail(key, "an integer", v);
        return fallback;
    }
    return v.toInteger();
}

QStringList IpcJsonReader::strings(QLatin1String key)
{
    if (!has(key))
        return {};
    const QJsonValue v = m_object.value(key);
    QStringList out;
    bool good = v.isArray();
    if (good)
        for (const QJsonValue e : v.toArray()) {
            good = good && e.isString();
            out << e.toString();
        }
    if (!good) {
        fail(key, "an array of strings", v);
        return {};
    }
    return out;
}

QMap<QString, QString> IpcJsonReader::stringMap(QLatin1String key)
{
    if (!has(key))
        return {};
    const QJsonValue v = m_object.value(key);
    QMap<QString, QString> out;
    bool good = v.isObject();
    if (good) {
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it) {
            good = good && it.value().isString();
            out.insert(it.key(), it.value().toString());
        }
    }
    if (!good) {
        fail(key, "an object of strings", v);
        return {};
    }
    return out;
}

QJsonObject IpcJsonReader::object(QLatin1String key)
{
    if (!has(key))
        return {};
    const QJsonValue v = m_object.value(key);
    if (!v.isObject()) {
        fail(key, "an object", v);
        return {};
    }
    return v.toObject();
}

QString IpcJsonReader::stringOrInteger(QLatin1String key)
{
    if (!has(key))
        return {};
    const QJsonValue v = m_object.value(key);
    if (v.isString())
        return v.toString();
    if (v.isDouble())
        return QString::number(integer(key));
    fail(key, "a string or an integer", v);
    return {};
}

void IpcJsonReader::merge(const IpcJsonReader &nested)
{
    if (m_error.isEmpty())
        m_error = nested.m_error;
}

bool IpcJsonReader::report(QString *out) const
{
    if (out && !ok())
        *out = m_error;
    return ok();
}

} // namespace podtap
