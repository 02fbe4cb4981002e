#pragma once

#include <QByteArray>
#include <QString>

namespace kubesim {

// RFC 6455 framing, server side: an incremental parser for client frames (masked, possibly
// fragmented, control frames interleaved) with a bound on message size, and a frame encoder.
class WebSocketCodec
{
public:
    enum Opcode : quint8 {
        Continuation = 0x0,
        Text = 0x1,
        Binary = 0x2,
        Close = 0x8,
        Ping = 0x9,
        Pong = 0xA
    };
    enum CloseCode : quint16 { Normal = 1000, ProtocolError = 1002, TooBig = 1009 };

    struct Message
    {
        Opcode opcode = Binary; // Text/Binary for data (reassembled), or a control opcode
        QByteArray payload;
    };

    explicit WebSocketCodec(qint64 maxMessageSize = 1 << 20, bool requireMask = true);

    // RFC 6455 §4.2.2: base64(SHA-1(key + GUID)).
    static QByteArray acceptKey(const QByteArray &secWebSocketKey);
    static QByteArray encodeFrame(Opcode opcode, const QByteArray &payload, bool mask = false);
    static QByteArray encodeClose(quint16 code, const QByteArray &reason = {});

    void append(const QByteArray &bytes) { m_buffer.append(bytes); }
    // Takes the next complete message; false when more bytes are needed or on error.
    bool takeMessage(Message *message);
    bool hasError() const { return m_errorCode != 0; }
    quint16 errorCode() const { return m_errorCode; }
    QString errorString() const { return m_errorString; }
    qint64 bufferedBytes() const { return m_buffer.size() + m_fragments.size(); }

private:
    bool fail(quint16 code, const QString &why);

    QByteArray m_buffer;
    QByteArray m_fragments;
    Opcode m_fragmentOpcode = Binary;
    bool m_inFragmentedMessage = false;
    qint64 m_maxMessageSize;
    bool m_requireMask;
    quint16 m_errorCode = 0;
    QString m_errorString;
};

} // namespace kubesim
