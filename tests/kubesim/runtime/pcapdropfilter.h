#pragma once

#include "runtimetypes.h"

#include <QByteArray>

#include <memory>

class QFile;

namespace kubesim {

// The `dropPackets` exec fault: reads a classic pcap byte stream (tcpdump -w -) as it comes
// off the command's stdout and removes the chosen records before they reach the WebSocket,
// as if the tap's kernel had lost them. Eligible records are TCP segments with payload
// towards PacketDropSpec::port (Ethernet incl. one VLAN tag, Linux SLL/SLL2, raw IP, NULL;
// unfragmented IPv4, IPv6 without extension headers). A stream that is not a pcap (other
// commands, pcapng) passes through untouched. Holds at most one incomplete record.
class PcapDropFilter
{
public:
    explicit PcapDropFilter(const PacketDropSpec &spec);
    ~PcapDropFilter();
    PcapDropFilter(const PcapDropFilter &) = delete;
    PcapDropFilter &operator=(const PcapDropFilter &) = delete;

    // The bytes of `chunk` (and of earlier held ones) to forward now.
    QByteArray filter(const QByteArray &chunk);
    // What is still held at the end of the stream (a truncated last record), as it came.
    QByteArray takeRemainder();
    qint64 dropped() const { return m_dropped; }
    qint64 eligible() const { return m_eligible; }

private:
    bool eligibleRecord(const char *data, quint32 caplen) const;
    bool chosen(qint64 ordinal) const;
    void log(const QByteArray &record);
    quint32 u32(const char *p) const;

    PacketDropSpec m_spec;
    QByteArray m_buf;
    QByteArray m_globalHeader;
    bool m_passThrough = false; // not a pcap stream (or a corrupt one): forward as is
    bool m_swapped = false;     // file written in the other byte order
    quint32 m_linkType = 0;
    qint64 m_eligible = 0;
    qint64 m_dropped = 0;
    std::unique_ptr<QFile> m_log;
};

} // namespace kubesim
