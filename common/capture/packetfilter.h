#pragma once

#include "rawpacket.h"

#include <memory>
#include <string>

struct bpf_program;

namespace podtap {

// A BPF expression compiled by libpcap for one link type and run with
// pcap_offline_filter(). Compilation is serialised: pcap_compile is not thread-safe.
class PacketFilter
{
public:
    PacketFilter();
    ~PacketFilter();
    PacketFilter(const PacketFilter &) = delete;
    PacketFilter &operator=(const PacketFilter &) = delete;

    // Compiles `expression` for `linkType`; on failure `error` holds libpcap's text.
    bool compile(const std::string &expression, int linkType, int snapLength, std::string *error);
    bool isCompiled() const { return m_compiled; }
    int linkType() const { return m_linkType; }
    const std::string &expression() const { return m_expression; }
    bool matches(const RawPacket &packet) const;

    // Checks an expression's syntax against a link type without keeping the program.
    static bool validate(const std::string &expression, int linkType, std::string *error);

private:
    void release();

    std::unique_ptr<bpf_program> m_program;
    std::string m_expression;
    int m_linkType = -1;
    bool m_compiled = false;
};

} // namespace podtap
