#pragma once

#include <QByteArray>

#include <cstdint>

// Builds small classic-pcap streams of TCP packets for unit tests. Real-traffic tests
// live in tests/capture; this is for exact control over sequence numbers and headers.
class PcapBuilder
{
public:
    enum class Link { Ethernet = 1, Raw = 101, Sll = 113, Sll2 = 276 };

    explicit PcapBuilder(Link link = Link::Ethernet, bool nanoseconds = false,
                         bool bigEndian = false);

    struct Tcp
    {
        bool ipv6 = false;
        quint32 srcIp = 0xc6120002; // 198.18.0.2
        quint32 dstIp = 0xc6120001; // 198.18.0.1
        quint16 srcPort = 40000;
        quint16 dstPort = 8080;
        quint32 seq = 0;
        quint32 ack = 0;
        quint8 flags = 0x10;
        QByteArray payload;
        int vlanTags = 0;
        quint32 snapTo = 0; // cut the record to this many bytes (0 = whole)
    };

    // Appends one packet at `tsUs` microseconds.
    void add(const Tcp &t, qint64 tsUs);
    // Raw frame bytes as a record.
    void addRaw(const QByteArray &frame, qint64 tsUs, quint32 wireLength = 0);
    QByteArray bytes() const { return m_out; }

    static QByteArray frame(const Tcp &t, Link link);

private:
    void putU32(quint32 v);
    void putU16(quint16 v);

    QByteArray m_out;
    Link m_link;
    bool m_nano;
    bool m_bigEndian;
};
