#pragma once

#include "rawpacket.h"

#include <QByteArray>
#include <QString>

#include <cstdint>

class QIODevice;

namespace podtap {

// Writes packets as classic pcap (nanosecond magic) or pcapng (SHB, one IDB per link
// type, EPBs with ns timestamps, optional comments) to any QIODevice. Output opens in
// Wireshark, tshark and capinfos. Records are serialised into a buffer and written in
// batches; flush() pushes them out.
class PcapWriter
{
public:
    enum class Format { Pcap, Pcapng };

    struct Options
    {
        Format format = Format::Pcapng;
        int linkType = 276; // LINUX_SLL2, what `tcpdump -i any` writes
        std::uint32_t snapLength = 262144;
        QString interfaceName = QStringLiteral("any");
        QString interfaceDescription; // pcapng if_description, e.g. "pod shop/web-1, port 8080"
        QString sectionComment;       // pcapng shb_comment
        QString application = QStringLiteral("podtap");
    };

    PcapWriter(QIODevice *device, const Options &options);
    ~PcapWriter();

    // Writes the file header (and the interface block for pcapng).
    bool begin();
    // `comment` is written as an EPB option (pcapng only).
    bool write(const RawPacket &packet, const QString &comment = {});
    bool flush();
    QString errorString() const { return m_error; }
    std::uint64_t packetsWritten() const { return m_packets; }
    std::uint64_t bytesWritten() const { return m_bytes; }

    static QByteArray pcapHeader(int linkType, std::uint32_t snapLength);
    static QByteArray pcapRecord(const RawPacket &packet);
    static void appendPcapRecord(QByteArray &out, const RawPacket &packet);

    // pcapng blocks for writers that manage their own files (the capture store): the section
    // header (options' sectionComment and application), an interface description for
    // `linkType` (options' name, description, snap length; ns timestamps), and an enhanced
    // packet block on `interfaceId` appended to `out` without temporaries.
    static QByteArray pcapngSectionHeader(const Options &options);
    static QByteArray pcapngInterface(int linkType, const Options &options);
    static void appendPcapngPacket(QByteArray &out, const RawPacket &packet,
                                   std::uint32_t interfaceId, const QString &comment = {});
    // An interface statistics block: what `interfaceId` received and lost, at `tsNs`
    // (Wireshark shows them in Capture File Properties; negative counts are left out).
    struct InterfaceStatistics
    {
        std::int64_t tsNs = 0;
        std::int64_t received = -1; // isb_ifrecv
        std::int64_t dropped = -1;  // isb_ifdrop
        QString comment;            // opt_comment
    };
    static QByteArray pcapngStatistics(std::uint32_t interfaceId, const InterfaceStatistics &s);

private:
    bool writeOut(bool force);

    QIODevice *m_device;
    Options m_options;
    QByteArray m_buffer;
    QString m_error;
    std::uint64_t m_packets = 0;
    std::uint64_t m_bytes = 0;
    bool m_failed = false;
};

} // namespace podtap
