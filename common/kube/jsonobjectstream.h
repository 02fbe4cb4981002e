#pragma once

#include <QByteArray>
#include <QList>

namespace podtap {

// Splits a stream of concatenated JSON objects (a Kubernetes watch body) into whole
// objects, whatever the chunking. Tracks strings and escapes; bounded object size.
class JsonObjectStream
{
public:
    explicit JsonObjectStream(qsizetype maxObjectBytes = 64 * 1024 * 1024);

    // Appends bytes; complete objects are returned in order.
    QList<QByteArray> feed(const QByteArray &bytes);
    bool failed() const { return m_failed; }
    const QString &error() const { return m_error; }
    // Bytes of an incomplete object held back.
    qsizetype pending() const { return m_start < 0 ? 0 : m_buffer.size() - m_start; }

private:
    QByteArray m_buffer;
    qsizetype m_scan = 0;   // next byte to examine
    qsizetype m_start = -1; // start of the current object, -1 between objects
    int m_depth = 0;
    bool m_inString = false;
    bool m_escape = false;
    bool m_failed = false;
    qsizetype m_max;
    QString m_error;
};

} // namespace podtap
