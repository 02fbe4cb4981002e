#include "pcapstreamreader.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace podtap {

namespace {
constexpr std::uint32_t PcapngShb = 0x0A0D0D0A; // palindromic: same in both byte orders
constexpr std::uint32_t PcapngIdb = 1;
constexpr std::uint32_t PcapngPb = 2; // obsolete packet block
constexpr std::uint32_t PcapngSpb = 3;
constexpr std::uint32_t PcapngEpb = 6;

std::uint32_t readU32(const std::uint8_t *p, bool bigEndian)
{
    if (bigEndian)
        return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8
               | p[3];
    return std::uint32_t(p[3]) << 24 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[1]) << 8 | p[0];
}

bool isPacketBlock(std::uint32_t type)
{
    return type == PcapngEpb || type == PcapngSpb || type == PcapngPb;
}
} // namespace

PcapStreamReader::PcapStreamReader() = default;

PcapStreamReader::~PcapStreamReader()
{
    closePcap();
}

ssize_t PcapStreamReader::cookieRead(void *cookie, char *buf, std::size_t size)
{
    auto *self = static_cast<PcapStreamReader *>(cookie);
    const std::size_t n = std::min(size, self->m_srcLen - self->m_srcPos);
    if (n == 0)
        return 0; // m_src may be null (nothing pending): memcpy from null is undefined
    std::memcpy(buf, self->m_src + self->m_srcPos, n);
    self->m_srcPos += n;
    return ssize_t(n);
}

PcapStreamReader::Frame PcapStreamReader::frameHeader(const std::uint8_t *p, std::size_t n)
{
    if (n < 4)
        return {FrameStatus::NeedMore, 0, 4};
    static constexpr std::uint8_t leUsec[4] = {0xd4, 0xc3, 0xb2, 0xa1};
    static constexpr std::uint8_t beUsec[4] = {0xa1, 0xb2, 0xc3, 0xd4};
    static constexpr std::uint8_t leNsec[4] = {0x4d, 0x3c, 0xb2, 0xa1};
    static constexpr std::uint8_t beNsec[4] = {0xa1, 0xb2, 0x3c, 0x4d};
    if (!std::memcmp(p, leUsec, 4) || !std::memcmp(p, leNsec, 4) || !std::memcmp(p, beUsec, 4)
        || !std::memcmp(p, beNsec, 4)) {
        m_format = Format::Pcap;
        m_bigEndian = p[0] == 0xa1;
        // The 24-byte global header (pcap-savefile(5)).
        if (n < 24)
            return {FrameStatus::NeedMore, 0, 24};
        return {FrameStatus::Complete, 24, 0};
    }
    if (readU32(p, false) == PcapngShb) {
        m_format = Format::Pcapng;
        return framePcapngBlocks(p, n, true);
    }
    // Let libpcap name the problem ("unknown file format").
    m_format = Format::Other;
    return {FrameStatus::Immediate, 4, 0};
}

PcapStreamReader::Frame PcapStreamReader::frameRecord(const std::uint8_t *p, std::size_t n) const
{
    if (n < 16)
        return {FrameStatus::NeedMore, 0, 16};
    const std::uint32_t caplen = readU32(p + 8, m_bigEndian);
    if (caplen > MaxRecordCaplen)
        return {FrameStatus::Immediate, 16, 0}; // libpcap rejects it after the header
    const std::size_t total = 16 + std::size_t(caplen);
    if (n < total)
        return {FrameStatus::NeedMore, 0, total};
    return {FrameStatus::Complete, total, 0};
}

PcapStreamReader::Frame PcapStreamReader::framePcapngBlocks(const std::uint8_t *p, std::size_t n,
                                                            bool opening)
{
    bool bigEndian = m_bigEndian;
    std::size_t off = 0;
    for (;;) {
        if (off > MaxUnitBytes)
            return {FrameStatus::Error, 0, 0};
        if (n < off + 8)
            return {FrameStatus::NeedMore, 0, off + 8};
        std::size_t headerBytes = 8;
        const bool shb = readU32(p + off, false) == PcapngShb;
        if (shb) {
            // A section header carries its byte order in its byte-order magic.
            if (n < off + 12)
                return {FrameStatus::NeedMore, 0, off + 12};
            headerBytes = 12;
            if (readU32(p + off + 8, true) == 0x1A2B3C4D)
                bigEndian = true;
            else if (readU32(p + off + 8, false) == 0x1A2B3C4D)
                bigEndian = false;
            else
                return {FrameStatus::Immediate, off + headerBytes, 0};
        }
        const std::uint32_t length = readU32(p + off + 4, bigEndian);
        if (length < 12 || length % 4 != 0 || length > MaxPcapngBlock)
            return {FrameStatus::Immediate, off + headerBytes, 0};
        if (n < off + length)
            return {FrameStatus::NeedMore, 0, off + length};
        const std::uint32_t type = shb ? PcapngShb : readU32(p + off, bigEndian);
        off += length;
        if (isPacketBlock(type) || (opening && type == PcapngIdb)) {
            m_bigEndian = bigEndian;
            return {FrameStatus::Complete, off, 0};
        }
    }
}

PcapStreamReader::Frame PcapStreamReader::frame(const std::uint8_t *p, std::size_t n)
{
    if (!m_opened)
        return frameHeader(p, n);
    if (m_format == Format::Pcapng)
        return framePcapngBlocks(p, n, false);
    return frameRecord(p, n);
}

bool PcapStreamReader::openPcap()
{
    cookie_io_functions_t io{};
    io.read = &PcapStreamReader::cookieRead;
    m_file = fopencookie(this, "r", io);
    if (!m_file) {
        fail("cannot create an in-memory stream for libpcap", m_streamOffset);
        return false;
    }
    // Fully buffered: glibc reads an unbuffered cookie stream one byte per cookieRead call
    // (~40 ns a byte, 50x slower). Read-ahead cannot pass the unit being served, and
    // libpcap always consumes a unit whole, so nothing is left behind in the buffer.
    setvbuf(m_file, nullptr, _IOFBF, 256 * 1024);
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    m_pcap = pcap_fopen_offline_with_tstamp_precision(m_file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!m_pcap) {
        std::fclose(m_file); // libpcap leaves the FILE to us when it fails
        m_file = nullptr;
        fail(errbuf, m_streamOffset);
        return false;
    }
    m_opened = true;
    m_linkType = pcap_datalink(m_pcap);
    m_snapLength = pcap_snapshot(m_pcap);
    return true;
}

std::size_t PcapStreamReader::process(const std::uint8_t *p, std::size_t n, bool final)
{
    m_src = p;
    m_srcLen = n;
    m_srcPos = 0;
    if (m_file)
        clearerr(m_file); // glibc's EOF is sticky; a served unit always starts fresh
    if (!m_opened) {
        if (!openPcap())
            return n;
        if (!final)
            return m_srcPos;
    }
    const std::uint64_t unitOffset = m_streamOffset;
    for (;;) {
        pcap_pkthdr *hdr = nullptr;
        const u_char *data = nullptr;
        const int r = pcap_next_ex(m_pcap, &hdr, &data);
        if (r == 1) {
            RawPacket pkt;
            pkt.data = data;
            pkt.caplen = hdr->caplen;
            pkt.len = hdr->len;
            // pcapng timestamps are 64-bit: seconds past 2262 do not fit in int64 ns.
            constexpr std::int64_t MaxSeconds = INT64_MAX / 1000000000 - 1;
            const std::int64_t sec = std::clamp<std::int64_t>(hdr->ts.tv_sec, 0, MaxSeconds);
            pkt.tsNs = sec * 1000000000 + hdr->ts.tv_usec;
            pkt.linkType = m_linkType;
            pkt.recordIndex = m_records++;
            pkt.streamOffset = unitOffset;
            pkt.streamId = m_streamId;
            if (m_callback)
                m_callback(pkt);
            if (!final)
                break;
            continue;
        }
        if (r == PCAP_ERROR) {
            fail(pcap_geterr(m_pcap), unitOffset);
            return n;
        }
        break; // PCAP_ERROR_BREAK: clean end of the bytes we served
    }
    return m_srcPos;
}

void PcapStreamReader::fail(std::string message, std::uint64_t offset)
{
    m_failed = true;
    m_errors.push_back({std::move(message), offset, m_records, m_streamId});
}

bool PcapStreamReader::feed(const std::uint8_t *data, std::size_t size)
{
    m_bytesFed += size;
    if (m_failed) {
        m_bytesIgnored += size;
        return false;
    }
    std::size_t pos = 0;
    auto giveUp = [&] {
        m_bytesIgnored += size - pos + m_pending.size();
        m_pending.clear();
        return false;
    };

    // A unit that started in an earlier chunk: top it up only as far as it needs.
    while (!m_pending.empty()) {
        const Frame f = frame(m_pending.data(), m_pending.size());
        if (f.status == FrameStatus::NeedMore) {
            if (pos == size)
                return true;
            const std::size_t take = std::min(f.need - m_pending.size(), size - pos);
            m_pending.insert(m_pending.end(), data + pos, data + pos + take);
            pos += take;
            continue;
        }
        if (f.status == FrameStatus::Error) {
            fail("pcapng: more than 64 MiB of blocks without a packet block", m_streamOffset);
            return giveUp();
        }
        const std::size_t consumed = process(m_pending.data(), f.length, false);
        m_streamOffset += consumed;
        m_pending.erase(m_pending.begin(), m_pending.begin() + std::ptrdiff_t(consumed));
        if (m_failed)
            return giveUp();
        if (consumed == 0) {
            fail("libpcap made no progress on a complete record", m_streamOffset);
            return giveUp();
        }
    }

    // Complete units inside this chunk are parsed in place.
    while (pos < size) {
        const Frame f = frame(data + pos, size - pos);
        if (f.status == FrameStatus::NeedMore)
            break;
        if (f.status == FrameStatus::Error) {
            fail("pcapng: more than 64 MiB of blocks without a packet block", m_streamOffset);
            return giveUp();
        }
        const std::size_t consumed = process(data + pos, f.length, false);
        pos += std::min(consumed, size - pos);
        m_streamOffset += consumed;
        if (m_failed)
            return giveUp();
        if (consumed == 0) {
            fail("libpcap made no progress on a complete record", m_streamOffset);
            return giveUp();
        }
    }
    if (pos < size)
        m_pending.assign(data + pos, data + size);
    return true;
}

void PcapStreamReader::endOfStream()
{
    if (!m_failed) {
        // Hand libpcap whatever is left: a partial record becomes its "truncated" error,
        // trailing non-packet pcapng blocks end cleanly, and an empty stream says so.
        process(m_pending.data(), m_pending.size(), true);
    }
    closePcap();
    m_pending.clear();
    m_opened = false;
    m_failed = false;
    m_format = Format::Unknown;
    m_streamOffset = 0;
    ++m_streamId;
}

void PcapStreamReader::beginStream()
{
    if (m_opened || !m_pending.empty() || m_failed)
        endOfStream();
}

void PcapStreamReader::closePcap()
{
    if (m_pcap) {
        pcap_close(m_pcap); // also closes m_file
        m_pcap = nullptr;
        m_file = nullptr;
    } else if (m_file) {
        std::fclose(m_file);
        m_file = nullptr;
    }
}

} // namespace podtap
