#pragma once

#include "endpoint.h"
#include "streamreassembler.h"
#include "tcpsegment.h"

#include <array>
#include <cstdint>

namespace podtap {

enum class Direction : std::uint8_t { ClientToServer = 0, ServerToClient = 1 };

inline Direction opposite(Direction d)
{
    return d == Direction::ClientToServer ? Direction::ServerToClient : Direction::ClientToServer;
}

enum class ConnectionState : std::uint8_t {
    SynSent,     // client SYN seen
    SynReceived, // server SYN-ACK seen
    Established,
    HalfClosed, // one direction finished with FIN
    Closed,     // both directions finished with FIN
    Reset,
};

enum class CloseReason : std::uint8_t { None, Fin, Reset, Idle, EndOfCapture, Reused, Evicted };

const char *stateName(ConnectionState state);
const char *closeReasonName(CloseReason reason);

// One TCP connection as the tracker sees it. Consumers may keep their own state in
// `userData` (the tracker never touches it).
class TcpConnection
{
public:
    std::uint64_t id = 0; // 1-based, in order of first appearance
    Endpoint client;
    Endpoint server;
    ConnectionState state = ConnectionState::Established;
    CloseReason closeReason = CloseReason::None;
    bool midstream = false;
    std::int64_t firstTsNs = 0;
    std::int64_t lastTsNs = 0;
    std::int64_t synTsNs = -1;
    std::int64_t synAckTsNs = -1;
    std::int64_t establishedTsNs = -1;
    std::int64_t closedTsNs = -1;
    TcpOptions clientOptions;
    TcpOptions serverOptions;
    std::array<DirectionStats, 2> stats{};
    std::array<StreamReassembler, 2> half{};
    void *userData = nullptr;

    bool isClosed() const { return closeReason != CloseReason::None; }
    DirectionStats &statsFor(Direction d) { return stats[std::size_t(d)]; }
    const DirectionStats &statsFor(Direction d) const { return stats[std::size_t(d)]; }
    StreamReassembler &halfFor(Direction d) { return half[std::size_t(d)]; }
    // SYN → SYN-ACK → ACK as seen at the capture point; -1 when not all were seen.
    std::int64_t handshakeRttNs() const
    {
        return synTsNs >= 0 && establishedTsNs >= 0 ? establishedTsNs - synTsNs : -1;
    }
};

} // namespace podtap
