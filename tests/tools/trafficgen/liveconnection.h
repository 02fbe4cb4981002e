#pragma once

#include "recordwriter.h"
#include "sha256.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <set>

namespace trafficgen {

inline double wallClock()
{
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

// One connection in progress: digests of what this side wrote and read so far.
// The I/O thread holds m_mutex only around digest updates so a signal handler thread
// can take a consistent snapshot at any time.
struct LiveConnection
{
    std::mutex mutex;
    Sha256 sent;
    Sha256 received;
    ConnectionRecord record;

    void addSent(const char *p, std::size_t n)
    {
        std::lock_guard lock(mutex);
        sent.update(p, n);
    }
    void addReceived(const char *p, std::size_t n)
    {
        std::lock_guard lock(mutex);
        received.update(p, n);
    }
    ConnectionRecord snapshot()
    {
        std::lock_guard lock(mutex);
        ConnectionRecord r = record;
        r.sentBytes = sent.bytes();
        r.sentSha256 = sent.hexPeek();
        r.receivedBytes = received.bytes();
        r.receivedSha256 = received.hexPeek();
        if (r.endTs == 0)
            r.endTs = wallClock();
        return r;
    }
};

// Connections still open, so an exit on a signal or a deadline records them too.
class ConnectionRegistry
{
public:
    explicit ConnectionRegistry(RecordWriter &writer)
        : m_writer(writer)
    {}

    void add(const std::shared_ptr<LiveConnection> &c)
    {
        std::lock_guard lock(m_mutex);
        m_open.insert(c);
    }
    // Records the finished connection and forgets it.
    void finish(const std::shared_ptr<LiveConnection> &c)
    {
        const ConnectionRecord r = c->snapshot();
        std::lock_guard lock(m_mutex);
        if (m_closed)
            return; // dumpOpen() already wrote it; the process is exiting
        m_writer.write(r);
        m_open.erase(c);
    }
    // Writes every connection still open, marked close "open".
    void dumpOpen(const std::string &error)
    {
        std::lock_guard lock(m_mutex);
        for (const auto &c : m_open) {
            ConnectionRecord r = c->snapshot();
            r.close = "open";
            if (r.error.empty())
                r.error = error;
            m_writer.write(r);
        }
        m_open.clear();
        m_closed = true;
        m_writer.flush();
    }

private:
    RecordWriter &m_writer;
    std::mutex m_mutex;
    std::set<std::shared_ptr<LiveConnection>> m_open;
    bool m_closed = false;
};

} // namespace trafficgen
