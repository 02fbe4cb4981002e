#pragma once

#include "capture/rawpacket.h"

#include <QString>
#include <QStringList>

struct pcap;

namespace podtap {

// Reads the packets of a pcap/pcapng file, then of the files queued after it (a stored
// session's spool files continue the same connections), with nanosecond timestamps. Every
// file must have a link type the decoder supports.
class CaptureFileSource
{
public:
    enum class Status { Packet, End, Error };

    CaptureFileSource() = default;
    ~CaptureFileSource();
    CaptureFileSource(const CaptureFileSource &) = delete;
    CaptureFileSource &operator=(const CaptureFileSource &) = delete;

    // Opens `first`; `more` are read after it, in order.
    bool open(const QString &first, const QStringList &more, QString *error);
    // The next packet (recordIndex counts across the files); its data stay valid until the
    // next call. End after the last file; Error with errorString().
    Status next(RawPacket &packet);
    QString errorString() const { return m_error; }

private:
    bool openFile(const QString &path);
    void close();

    pcap *m_pcap = nullptr;
    QStringList m_queue;
    QString m_current;
    QString m_error;
    std::uint64_t m_records = 0;
};

} // namespace podtap
