#pragma once

#include "capture/rawpacket.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <cstdint>

namespace podtap {

// A session's live capture as one pcapng stream, for clients that want more than classic
// pcap can hold (the Wireshark extcap): one interface per pod and link type, described as
// the pod, and at the end one statistics block per interface with the pod's losses in
// numbers (isb_ifdrop) and words (a comment), so Wireshark shows what the capture missed.
class LivePcapng
{
public:
    struct PodLoss
    {
        int podIndex = 0;
        qint64 kernelDrops = 0;
        qint64 lostOnTheWay = 0;
        qint64 unreadAtStop = 0;
    };

    LivePcapng(const QString &sectionComment, int port);

    // The section header and every interface so far: what a client joining now needs first.
    QByteArray header() const;
    // `packet` as an enhanced packet block, preceded by an interface description block the
    // first time its pod and link type are seen. `podLabel` names the pod ("shop/web-1").
    // Declares a pod's interface before its first packet (with the link type `tcpdump -i any`
    // writes): Wireshark's dumpcap starts a pcapng pipe capture only once it has read an
    // interface, so a quiet pod must not keep it waiting. Empty when already declared.
    QByteArray declare(int podIndex, const QString &podLabel, int linkType = 276);
    // `newInterface` tells that the blocks hold a description later packets depend on.
    QByteArray packet(const RawPacket &packet, int podIndex, const QString &podLabel,
                      bool *newInterface = nullptr);
    // One statistics block per interface; interfaces of a pod share its losses (tcpdump
    // counts per pod), and the first of them carries them so nothing is counted twice.
    QByteArray statistics(const QList<PodLoss> &pods, std::int64_t endNs) const;
    int interfaceCount() const { return int(m_interfaces.size()); }

private:
    struct Interface
    {
        int podIndex;
        int linkType;
        QString label;
        std::int64_t packets = 0;
    };
    QByteArray interfaceBlock(const Interface &i) const;

    QString m_comment;
    int m_port;
    QList<Interface> m_interfaces;
};

} // namespace podtap
