#include "websocketcodec.h"

#include <QCryptographicHash>
#include <QRandomGenerator>

namespace kubesim {

WebSocketCodec::WebSocketCodec(qint64 maxMessageSize, bool requireMask)
    : m_maxMessageSize(maxMessageSize)
    , m_requireMask(requireMask)
{}

QByteArray WebSocketCodec::acceptKey(const QByteArray &secWebSocketKey)
{
    const QByteArray input
            = secWebSocketKey.trimmed() + QByteArrayLiteral("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    return QCryptographicHash::hash(input, QCryptographicHash::Sha1).toBase64();
}

QByteArray WebSocketCodec::encodeFrame(Opcode opcode, const QByteArray &payload, bool mask)
{
    QByteArray frame;
    frame.reserve(payload.size() + 14);
    frame.append(char(0x80 | opcode));
    const quint8 maskBit = mask ? 0x80 : 0;
    const quint64 len = quint64(payload.size());
    if (len < 126) {
        frame.append(char(maskBit | len));
    } else if (len <= 0xFFFF) {
        frame.append(char(maskBit | 126));
        frame.append(char(len >> 8)).append(char(len & 0xFF));
    } else {
        frame.append(char(maskBit | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            frame.append(char((len >> shift) & 0xFF));
    }
    if (!mask)
        return frame.append(payload);
    const quint32 key = QRandomGenerator::global()->generate();
    const char k[4] = {char(key >> 24), char(key >> 16), char(key >> 8), char(key)};
    frame.append(k, 4);
    const qsizetype start = frame.size();
    frame.append(payload);
    for (qsizetype i = 0; i < payload.size(); ++i)
        frame[start + i] = char(frame[start + i] ^ k[i % 4]);
    return frame;
}

QByteArray WebSocketCodec::encodeClose(quint16 code, const QByteArray &reason)
{
    QByteArray payload;
    payload.append(char(code >> 8)).append(char(code & 0xFF)).append(reason.left(123));
    return encodeFrame(Close, payload);
}

bool WebSocketCodec::fail(quint16 code, const QString &why)
{
    m_errorCode = code;
    m_errorString = why;
    m_buffer.clear();
    m_fragments.clear();
    return false;
}

bool WebSocketCodec::takeMessage(Message *message)
{
    while (!hasError()) {
        // Header: 2 bytes, extended length (0/2/8), mask key (0/4); advance only when complete.
        if (m_buffer.size() < 2)
            return false;
        const auto b0 = quint8(m_buffer.at(0)), b1 = quint8(m_buffer.at(1));
        const bool fin = b0 & 0x80;
        if (b0 & 0x70)
            return fail(ProtocolError, QStringLiteral("reserved bits set"));
        const auto opcode = Opcode(b0 & 0x0F);
        const bool masked = b1 & 0x80;
        if (m_requireMask && !masked)
            return fail(ProtocolError, QStringLiteral("client frame not masked"));
        quint64 len = b1 & 0x7F;
        qsizetype pos = 2;
        if (len == 126) {
            if (m_buffer.size() < 4)
                return false;
            len = (quint64(quint8(m_buffer.at(2))) << 8) | quint8(m_buffer.at(3));
            pos = 4;
        } else if (len == 127) {
            if (m_buffer.size() < 10)
                return false;
            len = 0;
            for (int i = 2; i < 10; ++i)
                len = (len << 8) | quint8(m_buffer.at(i));
            pos = 10;
            if (len >> 63)
                return fail(ProtocolError, QStringLiteral("bad frame length"));
        }
        const bool control = opcode & 0x8;
        if (control && (!fin || len > 125))
            return fail(ProtocolError, QStringLiteral("bad control frame"));
        if (!control && quint64(m_fragments.size()) + len > quint64(m_maxMessageSize))
            return fail(TooBig,
                        QStringLiteral("message larger than %1 bytes").arg(m_maxMessageSize));
        if (opcode != Continuation && opcode != Text && opcode != Binary && opcode != Close
            && opcode != Ping && opcode != Pong)
            return fail(ProtocolError, QStringLiteral("unknown opcode %1").arg(int(opcode)));
        const qsizetype maskPos = pos;
        if (masked)
            pos += 4;
        if (quint64(m_buffer.size() - pos) < len)
            return false;
        QByteArray payload = m_buffer.mid(pos, qsizetype(len));
        if (masked) {
            const char *k = m_buffer.constData() + maskPos;
            for (qsizetype i = 0; i < payload.size(); ++i)
                payload[i] = char(payload[i] ^ k[i % 4]);
        }
        m_buffer.remove(0, pos + qsizetype(len));

        if (control) {
            message->opcode = opcode;
            message->payload = payload;
            return true;
        }
        if (opcode == Continuation) {
            if (!m_inFragmentedMessage)
                return fail(ProtocolError, QStringLiteral("continuation without a message"));
            m_fragments.append(payload);
        } else {
            if (m_inFragmentedMessage)
                return fail(ProtocolError, QStringLiteral("new message inside a fragmented one"));
            m_fragmentOpcode = opcode;
            m_fragments = payload;
            m_inFragmentedMessage = true;
        }
        if (fin) {
            message->opcode = m_fragmentOpcode;
            message->payload = m_fragments;
            m_fragments.clear();
            m_inFragmentedMessage = false;
            return true;
        }
    }
    return false;
}

} // namespace kubesim
