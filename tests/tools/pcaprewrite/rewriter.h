#pragma once

#include "packet.h"

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace pcaprewrite {

// Applies seeded rewrites to a whole capture held in memory and keeps the books needed to say
// exactly which payload bytes a drop removed for good.
class Rewriter
{
public:
    Rewriter(int linkType, std::vector<Packet> packets, std::uint64_t seed);

    void shiftIsn(std::uint32_t delta); // client→server seq (and server→client ack/SACK)
    void wrapIsn(std::uint32_t before); // both directions start `before` bytes below 2^32
    void split(double p);
    void overlap(double p);
    void dropData(double p);
    // Drops chosen packets towards `port`: data segments by ordinal among the TCP segments with
    // payload to that port (0-based, capture order), and with `syn` its SYNs (without ACK).
    void dropChosen(std::uint16_t port, const std::vector<std::uint64_t> &ordinals, bool syn);
    void retransmitLater(double p, std::size_t distance);
    void duplicate(double p);
    // Shuffles records within windows; SYN and RST stay put (and FIN too with pinFin).
    void permute(std::size_t window, bool pinFin = false);
    void fixChecksums();

    const std::vector<Packet> &packets() const { return m_packets; }
    std::string reportJson(std::size_t inputRecords) const;

private:
    struct Direction
    {
        bool haveBase = false;
        std::uint32_t base = 0; // SYN seq + 1, else the first seq seen
        std::uint32_t isn = 0;  // SYN seq, else first seq - 1
        std::vector<std::pair<std::int64_t, std::int64_t>> kept;
        std::vector<std::pair<std::int64_t, std::int64_t>> dropped;
        std::uint64_t droppedPackets = 0;
    };
    struct Connection
    {
        std::string client;
        std::string server;
        bool sawSyn = false;
        Direction dir[2]; // 0: client→server, 1: server→client
    };

    void indexConnections();
    Connection *find(const Packet &p, int *direction);
    const Connection *find(const Packet &p, int *direction) const;
    bool chance(double p);
    std::int64_t relative(const Direction &d, std::uint32_t seq) const;

    int m_linkType;
    std::vector<Packet> m_packets;
    std::mt19937_64 m_rng;
    std::map<std::string, Connection> m_connections; // key: lower endpoint | higher endpoint
    std::vector<std::string> m_order;
    std::map<std::string, std::uint64_t> m_counts; // what each operation did
    struct DroppedPacket
    {
        std::uint64_t ordinal = 0; // among data segments to the port; SYN: none
        bool syn = false;
        std::string client;
        std::int64_t offset = 0; // from the client's ISN + 1
        std::uint32_t length = 0;
    };
    std::vector<DroppedPacket> m_droppedList; // dropChosen()
    bool m_dropped = false;
};

} // namespace pcaprewrite
