#include "packetfilter.h"

#include <pcap/pcap.h>

#include <mutex>

namespace podtap {

namespace {
std::mutex &compileMutex()
{
    static std::mutex m;
    return m;
}
} // namespace

PacketFilter::PacketFilter()
    : m_program(std::make_unique<bpf_program>())
{}

PacketFilter::~PacketFilter()
{
    release();
}

void PacketFilter::release()
{
    if (m_compiled)
        pcap_freecode(m_program.get());
    m_compiled = false;
}

bool PacketFilter::compile(const std::string &expression, int linkType, int snapLength,
                           std::string *error)
{
    release();
    m_expression = expression;
    m_linkType = linkType;
    std::lock_guard<std::mutex> lock(compileMutex());
    pcap_t *dead = pcap_open_dead(linkType, snapLength > 0 ? snapLength : 262144);
    if (!dead) {
        if (error)
            *error = "cannot compile filters for link type " + std::to_string(linkType);
        return false;
    }
    const int r = pcap_compile(dead, m_program.get(), expression.c_str(), 1, PCAP_NETMASK_UNKNOWN);
    if (r != 0) {
        if (error)
            *error = pcap_geterr(dead);
        pcap_close(dead);
        return false;
    }
    pcap_close(dead);
    m_compiled = true;
    return true;
}

bool PacketFilter::matches(const RawPacket &packet) const
{
    if (!m_compiled)
        return true;
    pcap_pkthdr hdr{};
    hdr.caplen = packet.caplen;
    hdr.len = packet.len;
    return pcap_offline_filter(m_program.get(), &hdr, packet.data) != 0;
}

bool PacketFilter::validate(const std::string &expression, int linkType, std::string *error)
{
    PacketFilter f;
    return f.compile(expression, linkType, 262144, error);
}

} // namespace podtap
