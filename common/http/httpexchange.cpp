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
    return o;
}

} // namespace podtap
