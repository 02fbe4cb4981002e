#include "portnumber.h"

namespace podtap {

Result<quint16> PortNumber::parse(const QString &text)
{
    const QString t = text.trimmed();
    bool digits = !t.isEmpty() && t.size() <= 5;
    for (const QChar c : t)
        digits = digits && c >= QLatin1Char('0') && c <= QLatin1Char('9');
    const uint port = digits ? t.toUInt() : 0;
    if (port < 1 || port > 65535)
        return Result<quint16>::failure(
                QStringLiteral("invalid port '%1': expected a number from 1 to 65535").arg(text));
    return quint16(port);
}

} // namespace podtap
