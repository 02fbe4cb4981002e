#include "jsonobjectstream.h"

namespace podtap {

JsonObjectStream::JsonObjectStream(qsizetype maxObjectBytes)
    : m_max(maxObjectBytes)
{}

QList<QByteArray> JsonObjectStream::feed(const QByteArray &bytes)
{
    QList<QByteArray> out;
    if (m_failed)
        return out;
    m_buffer.append(bytes);
    const qsizetype n = m_buffer.size();
    const char *d = m_buffer.constData();
    for (; m_scan < n; ++m_scan) {
        const char c = d[m_scan];
        if (m_start < 0) {
            if (c == '{') {
                m_start = m_scan;
                m_depth = 1;
            } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                m_failed = true;
                m_error = QStringLiteral("unexpected byte 0x%1 between JSON objects")
                                  .arg(quint8(c), 2, 16, QLatin1Char('0'));
                return out;
            }
            continue;
        }
        if (m_inString) {
            if (m_escape)
                m_escape = false;
            else if (c == '\\')
                m_escape = true;
            else if (c == '"')
                m_inString = false;
            continue;
        }
        if (c == '"') {
            m_inString = true;
        } else if (c == '{' || c == '[') {
            ++m_depth;
        } else if (c == '}' || c == ']') {
            if (--m_depth == 0) {
                out.append(m_buffer.mid(m_start, m_scan + 1 - m_start));
                m_start = -1;
            }
        }
    }
    // Drop consumed bytes so the buffer holds at most one partial object.
    const qsizetype keepFrom = m_start < 0 ? n : m_start;
    m_buffer.remove(0, keepFrom);
    m_scan -= keepFrom;
    if (m_start >= 0)
        m_start = 0;
    if (m_buffer.size() > m_max) {
        m_failed = true;
        m_error = QStringLiteral("a JSON object in the stream exceeds %1 bytes").arg(m_max);
        m_buffer.clear();
    }
    return out;
}

} // namespace podtap
