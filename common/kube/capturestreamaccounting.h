#pragma once

#include "capturecommand.h"

#include "capture/rawpacket.h"

#include <QtGlobal>

namespace podtap {

// The books of one tap's capture: its pcap streams (one per tcpdump run, TapCapture's
// streamStarted) and, when each ends, tcpdump's counts (countsReported) checked against what
// arrived. It keeps the three losses podtap reports: packets the kernel dropped, packets
// tcpdump wrote that never arrived ("lost on the way"), and packets still in the ring when
// tcpdump stopped ("unread at stop"). podtapd's PodTapPipeline and `podtap capture --direct`
// both keep their books here, so a pod's loss is counted one way wherever it is captured.
class CaptureStreamAccounting
{
public:
    // What the counts of one stream revealed.
    struct StreamLoss
    {
        bool counted = false;    // tcpdump printed its counts (not killed, not cut)
        qint64 captured = -1;    // tcpdump's "packets captured", -1 when not counted
        qint64 received = 0;     // packets of this stream that arrived
        qint64 kernelDrops = 0;  // "dropped by kernel"
        qint64 lostOnTheWay = 0; // captured but never arrived
        qint64 unread = 0;       // accepted by the filter, neither written nor dropped
    };

    // A new stream begins (tcpdump restarted): the per-stream counts start again.
    void beginStream();
    // Bytes of the current stream arrived (before they are parsed).
    void bytesArrived(qint64 n) { m_bytesInStream += n; }
    // One packet of the current stream was parsed out of it.
    void packetArrived(const RawPacket &packet);
    // tcpdump's counts for the stream that just ended, folded into the totals.
    StreamLoss streamEnded(const CaptureCommand::Counts &counts);

    // The current stream sent bytes: at the end the parser's endOfStream() is due (a stream
    // that never sent a byte, stalled or cut at once, is not a damaged one).
    bool streamHasBytes() const { return m_bytesInStream > 0; }
    qint64 receivedInStream() const { return m_receivedInStream; }

    quint64 received() const { return m_received; } // packets, all streams
    qint64 kernelDrops() const { return m_kernelDrops; }
    qint64 lostOnTheWay() const { return m_lostOnTheWay; }
    qint64 unreadAtStop() const { return m_unread; }
    // The sum of tcpdump's "packets captured" over the streams that reported counts.
    qint64 tcpdumpCaptured() const { return m_tcpdumpCaptured; }
    // False once a stream ended without counts: losses at its end cannot be ruled out.
    bool everyStreamCounted() const { return m_everyStreamCounted; }

private:
    quint64 m_received = 0;
    qint64 m_receivedInStream = 0;
    qint64 m_loopbackInStream = 0; // see CaptureCommand::Counts::unread()
    qint64 m_bytesInStream = 0;
    qint64 m_kernelDrops = 0;
    qint64 m_lostOnTheWay = 0;
    qint64 m_unread = 0;
    qint64 m_tcpdumpCaptured = 0;
    bool m_everyStreamCounted = true;
};

} // namespace podtap
