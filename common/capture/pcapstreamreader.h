#pragma once

#include "rawpacket.h"

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

struct pcap;

namespace podtap {

struct StreamError
{
    std::string message;        // libpcap's or our own words
    std::uint64_t streamOffset; // byte offset within the stream where the damage starts
    std::uint64_t recordIndex;  // number of records read before it (across streams)
    std::uint32_t streamId;
};

// Turns a pcap or pcapng byte stream, cut into chunks of any size, into packets.
//
// libpcap parses the format (classic pcap in both byte orders, µs and ns, pcapng), fed
// through fopencookie() from memory. To keep libpcap's blocking reader from ever seeing
// a premature end of file, a small framer only hands it complete records: a 16-byte
// record header plus caplen bytes (pcap), or whole blocks up to the next packet block
// (pcapng). Complete records in a chunk are parsed in place; only a record split across
// chunks is copied. No threads, no pipes, memory bounded by the largest legal record.
class PcapStreamReader
{
public:
    using PacketCallback = std::function<void(const RawPacket &)>;

    PcapStreamReader();
    ~PcapStreamReader();
    PcapStreamReader(const PcapStreamReader &) = delete;
    PcapStreamReader &operator=(const PcapStreamReader &) = delete;

    void setPacketCallback(PacketCallback callback) { m_callback = std::move(callback); }

    // Feeds the next bytes of the current stream. Returns false once the stream failed
    // (error() says why); later bytes of the same stream are ignored and counted.
    bool feed(const std::uint8_t *data, std::size_t size);
    // The current stream ended: a partial trailing record is reported as truncation.
    void endOfStream();
    // A new stream starts (e.g. a new tcpdump after a reconnect). The previous stream is
    // ended first; a partial record it left behind is reported.
    void beginStream();

    bool failed() const { return m_failed; }
    const std::vector<StreamError> &errors() const { return m_errors; }
    int linkType() const { return m_linkType; } // -1 until the stream header was read
    int snapLength() const { return m_snapLength; }
    bool isPcapng() const { return m_format == Format::Pcapng; }
    std::uint64_t recordsRead() const { return m_records; }
    std::uint64_t bytesFed() const { return m_bytesFed; }
    std::uint64_t bytesIgnored() const { return m_bytesIgnored; }
    std::uint32_t streamId() const { return m_streamId; }

    // Largest record libpcap accepts for the link types we decode (MAXIMUM_SNAPLEN).
    static constexpr std::uint32_t MaxRecordCaplen = 262144;
    // libpcap rejects pcapng blocks above this size (INITIAL_MAX_BLOCKSIZE).
    static constexpr std::uint32_t MaxPcapngBlock = 16 * 1024 * 1024;
    // A pcapng stream may carry non-packet blocks before a packet; bound what we hold.
    static constexpr std::size_t MaxUnitBytes = 64 * 1024 * 1024;

private:
    enum class Format { Unknown, Pcap, Pcapng, Other };
    enum class FrameStatus { NeedMore, Complete, Immediate, Error };
    struct Frame
    {
        FrameStatus status;
        std::size_t length; // bytes in the unit (Complete/Immediate)
        std::size_t need;   // bytes needed to make progress (NeedMore)
    };

    Frame frameHeader(const std::uint8_t *p, std::size_t n);
    Frame frameRecord(const std::uint8_t *p, std::size_t n) const;
    Frame framePcapngBlocks(const std::uint8_t *p, std::size_t n, bool opening);
    Frame frame(const std::uint8_t *p, std::size_t n);
    // Runs libpcap over [p, p+n); returns the bytes it consumed.
    std::size_t process(const std::uint8_t *p, std::size_t n, bool final);
    bool openPcap();
    void fail(std::string message, std::uint64_t offset);
    void closePcap();

    static ssize_t cookieRead(void *cookie, char *buf, std::size_t size);

    PacketCallback m_callback;
    std::vector<std::uint8_t> m_pending; // a unit split across feed() calls
    const std::uint8_t *m_src = nullptr; // what the cookie serves to libpcap
    std::size_t m_srcLen = 0;
    std::size_t m_srcPos = 0;
    FILE *m_file = nullptr;
    pcap *m_pcap = nullptr;
    Format m_format = Format::Unknown;
    bool m_bigEndian = false; // byte order of the current pcap/pcapng section
    bool m_opened = false;
    bool m_failed = false;
    int m_linkType = -1;
    int m_snapLength = 0;
    std::uint64_t m_streamOffset = 0; // offset of m_pending[0] / the next unread byte
    std::uint64_t m_records = 0;
    std::uint64_t m_bytesFed = 0;
    std::uint64_t m_bytesIgnored = 0;
    std::uint32_t m_streamId = 0;
    std::vector<StreamError> m_errors;
};

} // namespace podtap
