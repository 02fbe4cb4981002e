#pragma once

#include "capture/capturesink.h"

#include <QByteArray>

#include <array>
#include <string>
#include <vector>

struct evp_md_ctx_st;

namespace podtap {

// A CaptureSink that hashes each direction's reassembled bytes (SHA-256) and keeps one
// summary record per connection, in order of first appearance.
class InspectCollector : public CaptureSink
{
public:
    struct Record
    {
        std::uint64_t id = 0;
        std::string client;
        std::string server;
        const char *state = "";
        const char *closeReason = "";
        bool midstream = false;
        std::int64_t firstTsNs = 0;
        std::int64_t lastTsNs = 0;
        std::int64_t handshakeRttNs = -1;
        std::array<DirectionStats, 2> stats{};
        std::array<QByteArray, 2> sha256; // lower-case hex
    };

    InspectCollector();
    ~InspectCollector() override;

    void connectionOpened(TcpConnection &c) override;
    void data(TcpConnection &c, Direction d, const std::uint8_t *bytes, std::size_t size,
              std::int64_t tsNs) override;
    void connectionRemoved(TcpConnection &c) override;

    // Records sorted by connection id (valid after the engine finished).
    const std::vector<Record> &records();

private:
    std::vector<Record> m_records;
    bool m_sorted = true;
};

} // namespace podtap
