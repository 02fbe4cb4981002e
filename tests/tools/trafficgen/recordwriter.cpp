#include "recordwriter.h"

#include <cstdio>

namespace trafficgen {

RecordWriter::~RecordWriter()
{
    if (m_file)
        std::fclose(m_file);
}

bool RecordWriter::open(const std::string &path)
{
    m_file = std::fopen(path.c_str(), "w");
    return m_file != nullptr;
}

void RecordWriter::write(const ConnectionRecord &r)
{
    if (!m_file)
        return;
    const std::string line = toJson(r) + '\n';
    std::lock_guard lock(m_mutex);
    std::fwrite(line.data(), 1, line.size(), m_file);
    std::fflush(m_file);
}

void RecordWriter::writeLine(const std::string &jsonObject)
{
    if (!m_file)
        return;
    const std::string line = jsonObject + '\n';
    std::lock_guard lock(m_mutex);
    std::fwrite(line.data(), 1, line.size(), m_file);
    std::fflush(m_file);
}

void RecordWriter::flush()
{
    std::lock_guard lock(m_mutex);
    if (m_file)
        std::fflush(m_file);
}

std::string RecordWriter::escape(const std::string &s)
{
    std::string out;
    for (const char c : s) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\u%04x", c);
            out += buf;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string RecordWriter::toJson(const ConnectionRecord &r)
{
    char ts[96];
    std::snprintf(ts, sizeof(ts), "\"start_ts\":%.6f,\"end_ts\":%.6f", r.startTs, r.endTs);
    return "{\"role\":\"" + r.role + "\",\"local\":\"" + escape(r.local) + "\",\"remote\":\""
           + escape(r.remote) + "\",\"sent\":{\"bytes\":" + std::to_string(r.sentBytes)
           + ",\"sha256\":\"" + r.sentSha256
           + "\"},\"received\":{\"bytes\":" + std::to_string(r.receivedBytes) + ",\"sha256\":\""
           + r.receivedSha256 + "\"},\"requests\":" + std::to_string(r.requests) + ",\"close\":\""
           + r.close + "\",\"error\":\"" + escape(r.error) + "\"," + ts + "}";
}

} // namespace trafficgen
