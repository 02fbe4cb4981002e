#include "capturefilesource.h"

#include "capture/packetdecoder.h"

#include <QFile>

#include <pcap/pcap.h>

namespace podtap {

CaptureFileSource::~CaptureFileSource()
{
    close();
}

void CaptureFileSource::close()
{
    if (m_pcap) {
        pcap_close(m_pcap);
        m_pcap = nullptr;
    }
}

bool CaptureFileSource::open(const QString &first, const QStringList &more, QString *error)
{
    m_queue = more;
    m_error.clear();
    m_records = 0;
    if (openFile(first))
        return true;
    if (error)
        *error = m_error;
    return false;
}

bool CaptureFileSource::openFile(const QString &path)
{
    close();
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    m_pcap = pcap_open_offline_with_tstamp_precision(QFile::encodeName(path).constData(),
                                                     PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!m_pcap) {
        m_error = QStringLiteral("cannot read %1: %2").arg(path, QString::fromLocal8Bit(errbuf));
        return false;
    }
    const int link = pcap_datalink(m_pcap);
    if (!PacketDecoder::supportsLinkType(link)) {
        m_error = QStringLiteral("%1: link type %2 is not supported").arg(path).arg(link);
        close();
        return false;
    }
    m_current = path;
    return true;
}

CaptureFileSource::Status CaptureFileSource::next(RawPacket &packet)
{
    while (m_pcap) {
        pcap_pkthdr *h = nullptr;
        const unsigned char *data = nullptr;
        const int r = pcap_next_ex(m_pcap, &h, &data);
        if (r == 1) {
            packet = RawPacket{};
            packet.data = data;
            packet.caplen = h->caplen;
            packet.len = h->len;
            // Nanosecond precision: tv_usec holds nanoseconds.
            packet.tsNs = std::int64_t(h->ts.tv_sec) * 1000000000 + h->ts.tv_usec;
            packet.linkType = pcap_datalink(m_pcap);
            packet.recordIndex = m_records++;
            return Status::Packet;
        }
        if (r == PCAP_ERROR) {
            m_error = QStringLiteral("%1: %2").arg(m_current,
                                                   QString::fromLocal8Bit(pcap_geterr(m_pcap)));
            close();
            return Status::Error;
        }
        if (m_queue.isEmpty())
            return Status::End;
        if (!openFile(m_queue.takeFirst()))
            return Status::Error;
    }
    return m_error.isEmpty() ? Status::End : Status::Error;
}

} // namespace podtap
