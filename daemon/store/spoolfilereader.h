#pragma once

#include "capture/rawpacket.h"

#include <QByteArray>
#include <QString>

#include <cstdint>

namespace podtap {

// Reads enhanced packet blocks of a spool file at offsets taken from its index. Every length
// is checked against the block and the file; with a read-ahead window, sequential reads
// (exports) cost one pread per window instead of two per packet.
class SpoolFileReader
{
public:
    explicit SpoolFileReader(qint64 readAhead = 0);
    ~SpoolFileReader();
    SpoolFileReader(const SpoolFileReader &) = delete;
    SpoolFileReader &operator=(const SpoolFileReader &) = delete;

    bool open(const QString &path, QString *error);
    void close();
    bool isOpen() const { return m_fd >= 0; }
    QString path() const { return m_path; }

    // The EPB at `offset` (nanosecond timestamps, as the spool writes them). packet->data
    // points into an internal buffer valid until the next read; linkType is left to the caller.
    bool readPacket(quint64 offset, RawPacket *packet, std::uint32_t *interfaceId, QString *error);

private:
    bool ensure(quint64 offset, qint64 size, QString *error);

    QString m_path;
    int m_fd = -1;
    qint64 m_readAhead;
    QByteArray m_buffer;
    quint64 m_bufferStart = 0;
    qint64 m_bufferLength = 0;
};

} // namespace podtap
