#include "httpexchange.h"

namespace podtap {

QJsonObject HttpExchange::toJson() const
{
    QJsonObject o;
    o[QLatin1String("index")] = qint64(index);
    o[QLatin1String("request")] = request.toJson();
    if (hasResponse) {
        o[QLatin1String("response")] = response.toJson();
        o[QLatin1String("latencyUs")] = double(latencyNs()) / 1000.0;
    }
    if (interimResponses > 0)
        o[QLatin1String("interim")] = interimResponses;
    if (protocol == Protocol::Http2) {
        o[QLatin1String("protocol")] = QLatin1String("h2");
        o[QLatin1String("stream")] = qint64(streamId);
        if (wasReset)
            o[QLatin1String("resetCode")] = qint64(resetCode);
        if (grpc)
            o[QLatin1String("grpc")] = grpc->toJson();
    }
    return o;
}

} // namespace podtap
