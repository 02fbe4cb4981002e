#pragma once

#include "httprequest.h"

#include <QString>

class QIODevice;

namespace kubesim {

// Incremental HTTP/1.1 request reader. It consumes from the device only what belongs to the
// current request (header lines one by one, then exactly Content-Length body bytes), so bytes
// that follow an upgrade request stay in the socket for whoever takes it over.
class HttpRequestParser
{
public:
    enum class State { RequestLine, Headers, Body, Complete, Error };

    static constexpr int MaxHeaderBytes = 64 * 1024;
    static constexpr qint64 MaxBodyBytes = 8 * 1024 * 1024;

    // Reads what is available; returns the new state. Call again on the next readyRead.
    State advance(QIODevice *device);
    State state() const { return m_state; }
    // Status code and reason to answer with when state() == Error.
    int errorStatus() const { return m_errorStatus; }
    QString errorText() const { return m_errorText; }

    HttpRequest takeRequest();

private:
    bool fail(int status, const QString &text);
    bool parseRequestLine(const QByteArray &line);
    bool parseHeaderLine(const QByteArray &line);
    bool headersDone();

    State m_state = State::RequestLine;
    HttpRequest m_req;
    QByteArray m_partialLine;
    int m_headerBytes = 0;
    qint64 m_bodyRemaining = 0;
    int m_errorStatus = 0;
    QString m_errorText;
};

} // namespace kubesim
