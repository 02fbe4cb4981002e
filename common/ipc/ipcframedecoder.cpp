#include "ipcframedecoder.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace podtap {

namespace {
std::uint32_t getU32(const char *p)
{
    return std::uint32_t(std::uint8_t(p[0])) << 24 | std::uint32_t(std::uint8_t(p[1])) << 16
           | std::uint32_t(std::uint8_t(p[2])) << 8 | std::uint32_t(std::uint8_t(p[3]));
}
} // namespace

IpcFrameDecoder::IpcFrameDecoder(std::uint32_t maxFrameBytes)
    : m_max(maxFrameBytes)
{}

QList<IpcFrame> IpcFrameDecoder::feed(const QByteArray &bytes)
{
    QList<IpcFrame> out;
    if (failed())
        return out;
    m_buffer.append(bytes);
    qsizetype pos = 0;
    while (m_buffer.size() - pos >= 4) {
        const std::uint32_t len = getU32(m_buffer.constData() + pos);
        if (len == 0 || len > m_max) {
            m_error = QStringLiteral("frame length %1 outside 1..%2").arg(len).arg(m_max);
            break;
        }
        if (std::uint64_t(m_buffer.size() - pos - 4) < len)
            break; // wait for the rest
        const char *body = m_buffer.constData() + pos + 5;
        const auto kind = std::uint8_t(m_buffer.at(pos + 4));
        const qsizetype bodyLen = qsizetype(len) - 1;
        IpcFrame f;
        if (kind == IpcFrame::Json) {
            QJsonParseError pe{};
            const QJsonDocument doc = QJsonDocument::fromJson(QByteArray(body, bodyLen), &pe);
            if (!doc.isObject()) {
                m_error = QStringLiteral("JSON frame is not an object: %1").arg(pe.errorString());
                break;
            }
            f.kind = IpcFrame::Json;
            f.json = doc.object();
        } else if (kind == IpcFrame::Binary) {
            if (bodyLen < 4) {
                m_error = QStringLiteral("binary frame without a stream id");
                break;
            }
            f.kind = IpcFrame::Binary;
            f.streamId = getU32(body);
            f.data = QByteArray(body + 4, bodyLen - 4);
        } else {
            m_error = QStringLiteral("unknown frame kind %1").arg(kind);
            break;
        }
        out.append(std::move(f));
        pos += 4 + qsizetype(len);
    }
    if (failed())
        m_buffer.clear();
    else
        m_buffer.remove(0, pos);
    return out;
}

} // namespace podtap
