#pragma once

#include "capture/capturesink.h"

#include <QByteArray>
#include <QList>

#include <map>

// Keeps everything the engine emits, per connection, for assertions.
class RecordingSink : public podtap::CaptureSink
{
public:
    struct Conn
    {
        std::uint64_t id = 0;
        QByteArray bytes[2];
        QList<quint64> gaps[2]; // gap sizes in order
        QByteArray trace[2];    // bytes with '#' runs standing for gap bytes (small tests)
        podtap::TcpConnection final;
        bool opened = false, closed = false, removed = false;
        int packets = 0;
    };

    void connectionOpened(podtap::TcpConnection &c) override;
    void packet(podtap::TcpConnection &c, podtap::Direction, const podtap::TcpSegment &,
                const podtap::RawPacket &) override;
    void data(podtap::TcpConnection &c, podtap::Direction d, const std::uint8_t *bytes,
              std::size_t size, std::int64_t) override;
    void gap(podtap::TcpConnection &c, podtap::Direction d, std::uint64_t bytes,
             std::int64_t) override;
    void connectionClosed(podtap::TcpConnection &c) override;
    void connectionRemoved(podtap::TcpConnection &c) override;

    std::map<std::uint64_t, Conn> conns;
    bool orderViolation = false; // an event arrived out of the documented order
};
