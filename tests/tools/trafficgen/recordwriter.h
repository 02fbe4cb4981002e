#pragma once

#include "sha256.h"

#include <cstdio>
#include <mutex>
#include <string>

namespace trafficgen {

// What one side of one connection saw; written as one JSON object per line.
struct ConnectionRecord
{
    std::string role; // "client" or "server"
    std::string local;
    std::string remote;
    std::uint64_t sentBytes = 0;
    std::string sentSha256;
    std::uint64_t receivedBytes = 0;
    std::string receivedSha256;
    std::uint64_t requests = 0; // HTTP requests sent (client) or answered (server)
    std::string close;          // "fin", "rst", "peer-rst", "open" (still open at exit)
    std::string error;          // empty when the connection did what it was asked
    double startTs = 0;         // wall-clock seconds
    double endTs = 0;
};

// JSON Lines writer: one record per line, flushed after every record so a killed
// process leaves every finished connection on disk. Thread-safe.
class RecordWriter
{
public:
    ~RecordWriter();
    bool open(const std::string &path);
    bool isOpen() const { return m_file != nullptr; }
    void write(const ConnectionRecord &r);
    void writeLine(const std::string &jsonObject); // any one-line JSON object
    void flush();

    static std::string toJson(const ConnectionRecord &r);
    static std::string escape(const std::string &s);

private:
    std::mutex m_mutex;
    std::FILE *m_file = nullptr;
};

} // namespace trafficgen
