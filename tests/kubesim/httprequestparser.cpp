#include "httprequestparser.h"

#include <QIODevice>

namespace kubesim {

HttpRequestParser::State HttpRequestParser::advance(QIODevice *device)
{
    while (m_state == State::RequestLine || m_state == State::Headers) {
        // readLine() stops at '\n' or at the size limit; a line without '\n' is partial.
        const qint64 room = qMax<qint64>(2, MaxHeaderBytes - m_headerBytes + 2);
        const QByteArray chunk = device->readLine(room);
        if (chunk.isEmpty())
            return m_state;
        m_headerBytes += chunk.size();
        if (m_headerBytes > MaxHeaderBytes) {
            fail(431, QStringLiteral("request header fields too large"));
            return m_state;
        }
        m_partialLine += chunk;
        if (!m_partialLine.endsWith('\n'))
            continue;
        QByteArray line = m_partialLine;
        m_partialLine.clear();
        line.chop(line.endsWith("\r\n") ? 2 : 1);
        if (m_state == State::RequestLine) {
            if (line.isEmpty())
                continue; // RFC 9112 §2.2: ignore leading empty lines
            if (!parseRequestLine(line))
                return m_state;
            m_state = State::Headers;
        } else if (line.isEmpty()) {
            if (!headersDone())
                return m_state;
        } else if (!parseHeaderLine(line)) {
            return m_state;
        }
    }
    if (m_state == State::Body) {
        const QByteArray data = device->read(m_bodyRemaining);
        m_req.body += data;
        m_bodyRemaining -= data.size();
        if (m_bodyRemaining == 0)
            m_state = State::Complete;
    }
    return m_state;
}

HttpRequest HttpRequestParser::takeRequest()
{
    HttpRequest r = std::move(m_req);
    m_req = {};
    m_state = State::RequestLine;
    m_headerBytes = 0;
    m_bodyRemaining = 0;
    m_partialLine.clear();
    return r;
}

bool HttpRequestParser::fail(int status, const QString &text)
{
    m_state = State::Error;
    m_errorStatus = status;
    m_errorText = text;
    return false;
}

bool HttpRequestParser::parseRequestLine(const QByteArray &line)
{
    const QList<QByteArray> parts = line.split(' ');
    if (parts.size() != 3 || parts[0].isEmpty() || !parts[1].startsWith('/')
        || !parts[2].startsWith("HTTP/1."))
        return fail(400, QStringLiteral("malformed request line"));
    m_req.method = parts[0];
    m_req.target = parts[1];
    m_req.version = parts[2];
    return true;
}

bool HttpRequestParser::parseHeaderLine(const QByteArray &line)
{
    const int colon = line.indexOf(':');
    if (colon <= 0 || line.at(0) == ' ' || line.at(0) == '\t')
        return fail(400, QStringLiteral("malformed header line"));
    const QByteArray name = line.left(colon);
    if (name.contains(' '))
        return fail(400, QStringLiteral("malformed header name"));
    m_req.headers.append({name, line.mid(colon + 1).trimmed()});
    if (m_req.headers.size() > 200)
        return fail(431, QStringLiteral("too many header fields"));
    return true;
}

bool HttpRequestParser::headersDone()
{
    if (!m_req.header("Transfer-Encoding").isEmpty())
        return fail(411, QStringLiteral(
                                 "chunked request bodies are not supported; send Content-Length"));
    const QByteArray cl = m_req.header("Content-Length");
    if (cl.isEmpty()) {
        m_state = State::Complete;
        return true;
    }
    bool ok = false;
    const qint64 len = cl.toLongLong(&ok);
    if (!ok || len < 0)
        return fail(400, QStringLiteral("invalid Content-Length"));
    if (len > MaxBodyBytes)
        return fail(413, QStringLiteral("request entity too large"));
    m_bodyRemaining = len;
    m_state = len == 0 ? State::Complete : State::Body;
    return true;
}

} // namespace kubesim
