#include "capturestreamaccounting.h"

#include "capture/packetdecoder.h"

namespace podtap {

void CaptureStreamAccounting::beginStream()
{
    m_receivedInStream = 0;
    m_loopbackInStream = 0;
    m_bytesInStream = 0;
}

void CaptureStreamAccounting::packetArrived(const RawPacket &packet)
{
    ++m_received;
    ++m_receivedInStream;
    m_loopbackInStream += PacketDecoder::isLinuxLoopback(packet) ? 1 : 0;
}

CaptureStreamAccounting::StreamLoss
CaptureStreamAccounting::streamEnded(const CaptureCommand::Counts &counts)
{
    StreamLoss loss;
    loss.received = m_receivedInStream;
    loss.counted = counts.captured >= 0;
    loss.captured = counts.captured;
    if (!loss.counted)
        m_everyStreamCounted = false;
    else
        m_tcpdumpCaptured += counts.captured;
    if (counts.droppedByKernel > 0) {
        loss.kernelDrops = counts.droppedByKernel;
        m_kernelDrops += counts.droppedByKernel;
    }
    // tcpdump's own count of what it wrote is the check that nothing was lost on the way.
    if (loss.counted && counts.captured > m_receivedInStream) {
        loss.lostOnTheWay = counts.captured - m_receivedInStream;
        m_lostOnTheWay += loss.lostOnTheWay;
    }
    if (const qint64 unread = counts.unread(m_loopbackInStream); unread > 0) {
        loss.unread = unread;
        m_unread += unread;
    }
    return loss;
}

} // namespace podtap
