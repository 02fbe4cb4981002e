#pragma once

#include "ipcframe.h"

#include <QList>
#include <QString>

namespace podtap {

// Incremental decoder for IpcFrame: accepts bytes in any chunking, returns whole frames.
// A frame over the size limit, an unknown kind or a body that is not a JSON object puts
// the decoder in a failed state with a reason: the connection must then be closed
// (the stream cannot be resynchronised), and nothing else is disturbed.
class IpcFrameDecoder
{
public:
    explicit IpcFrameDecoder(std::uint32_t maxFrameBytes = IpcFrame::MaxFrameBytes);

    QList<IpcFrame> feed(const QByteArray &bytes);
    bool failed() const { return !m_error.isEmpty(); }
    const QString &error() const { return m_error; }
    qsizetype buffered() const { return m_buffer.size(); }

private:
    QByteArray m_buffer;
    QString m_error;
    std::uint32_t m_max;
};

} // namespace podtap
