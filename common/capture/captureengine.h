#pragma once

#include "capturesink.h"
#include "connectiontracker.h"
#include "engineconfig.h"
#include "packetdecoder.h"
#include "packetfilter.h"
#include "pcapstreamreader.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace podtap {

// The whole capture pipeline: pcap byte stream → packets → (BPF filter) → decoded TCP
// segments → connections → reassembled bytes, delivered to a CaptureSink.
class CaptureEngine
{
public:
    explicit CaptureEngine(const EngineConfig &config = {});

    void setSink(CaptureSink *sink) { m_tracker.setSink(sink); }
    // Packets that are not TCP (or do not decode) never reach the sink; a store that must
    // keep every packet gets them here.
    void setOtherPacketCallback(std::function<void(const RawPacket &)> callback)
    {
        m_otherPacket = std::move(callback);
    }
    // A display filter applied before tracking; compiled for each stream's link type.
    void setFilter(const std::string &expression) { m_filterExpression = expression; }

    // Bytes of the current pcap stream, in chunks of any size.
    bool feed(const std::uint8_t *data, std::size_t size);
    // The stream broke off and a new one (new pcap header) follows; connections stay.
    void beginStream() { m_reader.beginStream(); }
    void endOfStream() { m_reader.endOfStream(); }
    // Ends the stream and closes every connection (flushing gaps).
    void finish();
    void advanceTime(std::int64_t nowNs) { m_tracker.advanceTime(nowNs); }

    const PcapStreamReader &reader() const { return m_reader; }
    const DecodeStats &decodeStats() const { return m_decoder.stats(); }
    const ConnectionTracker &tracker() const { return m_tracker; }
    std::uint64_t filteredOut() const { return m_filteredOut; }
    // Stream and filter errors, in the order they happened.
    const std::vector<StreamError> &streamErrors() const { return m_reader.errors(); }
    const std::string &filterError() const { return m_filterError; }

private:
    void onPacket(const RawPacket &packet);

    PcapStreamReader m_reader;
    PacketDecoder m_decoder;
    ConnectionTracker m_tracker;
    PacketFilter m_filter;
    std::string m_filterExpression;
    std::string m_filterError;
    std::uint64_t m_filteredOut = 0;
    TcpSegment m_segment;
    std::function<void(const RawPacket &)> m_otherPacket;
};

} // namespace podtap
