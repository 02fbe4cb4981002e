#include "ipcframe.h"

#include <QJsonDocument>

namespace podtap {

namespace {
void putU32(QByteArray &b, std::uint32_t v)
{
    b.append(char(v >> 24)).append(char(v >> 16)).append(char(v >> 8)).append(char(v));
}
} // namespace

QByteArray IpcFrame::encodeJson(const QJsonObject &object)
{
    const QByteArray body = QJsonDocument(object).toJson(QJsonDocument::Compact);
    QByteArray out;
    out.reserve(body.size() + 5);
    putU32(out, std::uint32_t(body.size() + 1));
    out.append(char(Json));
    out.append(body);
    return out;
}

QByteArray IpcFrame::encodeBinary(std::uint32_t streamId, const QByteArray &bytes)
{
    QByteArray out;
    out.reserve(bytes.size() + 9);
    putU32(out, std::uint32_t(bytes.size() + 5));
    out.append(char(Binary));
    putU32(out, streamId);
    out.append(bytes);
    return out;
}

} // namespace podtap
