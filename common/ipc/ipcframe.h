#pragma once

#include <QByteArray>
#include <QJsonObject>

#include <cstdint>

namespace podtap {

// The local IPC wire format shared by podtapd, podtap-gui and the podtap CLI
// (docs/ipc.md). Every frame is:
//   u32 big-endian length of what follows | u8 kind | body
// kind 1: a JSON object (UTF-8); kind 2: binary data for a stream:
//   u32 big-endian stream id | bytes.
struct IpcFrame
{
    enum Kind : std::uint8_t { Json = 1, Binary = 2 };

    static constexpr std::uint32_t MaxFrameBytes = 16 * 1024 * 1024;
    static constexpr int ProtocolVersion = 1;

    Kind kind = Json;
    QJsonObject json;           // kind Json
    std::uint32_t streamId = 0; // kind Binary
    QByteArray data;            // kind Binary

    static QByteArray encodeJson(const QJsonObject &object);
    static QByteArray encodeBinary(std::uint32_t streamId, const QByteArray &bytes);
};

} // namespace podtap
