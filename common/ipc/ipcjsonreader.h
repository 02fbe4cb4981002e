#pragma once

#include <QJsonObject>
#include <QLatin1String>
#include <QMap>
#include <QString>
#include <QStringList>

namespace podtap {

// Reads the fields of one IPC message with their types checked. Absent (or null) fields
// give the fallback; a field of the wrong type records an error naming the message, the
// field and what it should have been, e.g. "session.start: 'port' must be an integer (got a
// string)". The first error is kept; reading on is harmless.
class IpcJsonReader
{
public:
    // `where` prefixes every error: the method ("session.start") and, for nested objects,
    // the path ("session.start: mirror").
    IpcJsonReader(const QJsonObject &object, QString where);

    bool has(QLatin1String key) const;
    // Records "'key' is missing" when absent.
    bool require(QLatin1String key);
    QString string(QLatin1String key, const QString &fallback = {});
    bool boolean(QLatin1String key, bool fallback = false);
    qint64 integer(QLatin1String key, qint64 fallback = 0);
    QStringList strings(QLatin1String key);
    QMap<QString, QString> stringMap(QLatin1String key);
    QJsonObject object(QLatin1String key);
    // A string, or an integer written as a number (session ids travel as both).
    QString stringOrInteger(QLatin1String key);

    bool ok() const { return m_error.isEmpty(); }
    QString error() const { return m_error; }
    // Takes on a nested reader's error (the first one wins).
    void merge(const IpcJsonReader &nested);
    // Copies the error to `*out` if both are set; returns ok().
    bool report(QString *out) const;

private:
    void fail(QLatin1String key, const char *expected, const QJsonValue &got);
    static const char *typeName(const QJsonValue &v);

    QJsonObject m_object;
    QString m_where;
    QString m_error;
};

} // namespace podtap
