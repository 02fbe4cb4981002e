#include "livepcapng.h"

#include "capture/pcapwriter.h"
#include "kube/capturecommand.h"

namespace podtap {

LivePcapng::LivePcapng(const QString &sectionComment, int port)
    : m_comment(sectionComment)
    , m_port(port)
{}

QByteArray LivePcapng::interfaceBlock(const Interface &i) const
{
    PcapWriter::Options o;
    o.interfaceName = i.label;
    o.interfaceDescription = QStringLiteral("pod %1, tcp port %2 (podtap tap, tcpdump -i any)")
                                     .arg(i.label)
                                     .arg(m_port);
    o.snapLength = std::uint32_t(CaptureCommand::DefaultSnapLength);
    return PcapWriter::pcapngInterface(i.linkType, o);
}

QByteArray LivePcapng::header() const
{
    PcapWriter::Options o;
    o.sectionComment = m_comment;
    QByteArray out = PcapWriter::pcapngSectionHeader(o);
    for (const Interface &i : m_interfaces)
        out += interfaceBlock(i);
    return out;
}

QByteArray LivePcapng::declare(int podIndex, const QString &podLabel, int linkType)
{
    for (const Interface &i : std::as_const(m_interfaces))
        if (i.podIndex == podIndex && i.linkType == linkType)
            return {};
    m_interfaces.append({podIndex, linkType, podLabel});
    return interfaceBlock(m_interfaces.constLast());
}

QByteArray LivePcapng::packet(const RawPacket &packet, int podIndex, const QString &podLabel,
                              bool *newInterface)
{
    QByteArray out;
    qsizetype id = -1;
    for (qsizetype i = 0; i < m_interfaces.size(); ++i) {
        if (m_interfaces[i].podIndex == podIndex && m_interfaces[i].linkType == packet.linkType) {
            id = i;
            break;
        }
    }
    if (id < 0) {
        m_interfaces.append({podIndex, packet.linkType, podLabel});
        id = m_interfaces.size() - 1;
        out += interfaceBlock(m_interfaces.constLast());
    }
    if (newInterface)
        *newInterface = out.size() > 0;
    ++m_interfaces[id].packets;
    PcapWriter::appendPcapngPacket(out, packet, std::uint32_t(id));
    return out;
}

QByteArray LivePcapng::statistics(const QList<PodLoss> &pods, std::int64_t endNs) const
{
    QByteArray out;
    QList<int> podsDone;
    for (qsizetype i = 0; i < m_interfaces.size(); ++i) {
        const Interface &itf = m_interfaces[i];
        PcapWriter::InterfaceStatistics s;
        s.tsNs = endNs;
        s.received = itf.packets;
        if (!podsDone.contains(itf.podIndex)) {
            podsDone << itf.podIndex;
            for (const PodLoss &p : pods) {
                if (p.podIndex != itf.podIndex)
                    continue;
                s.dropped = p.kernelDrops + p.lostOnTheWay + p.unreadAtStop;
                s.comment = QStringLiteral("podtap: pod %1: %2 packets dropped by the kernel, %3 "
                                           "lost on the way, %4 unread when tcpdump stopped")
                                    .arg(itf.label)
                                    .arg(p.kernelDrops)
                                    .arg(p.lostOnTheWay)
                                    .arg(p.unreadAtStop);
            }
        }
        out += PcapWriter::pcapngStatistics(std::uint32_t(i), s);
    }
    return out;
}

} // namespace podtap
