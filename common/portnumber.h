#pragma once

#include "result.h"

#include <QString>

namespace podtap {

// A TCP port as written on a command line: 1–65535, digits only. "80x", "0" or "70000" is
// refused with a message that quotes it, never read as 0 (which QString::toInt gives for
// garbage, and which means "any port" to some commands).
class PortNumber
{
public:
    static Result<quint16> parse(const QString &text);
};

} // namespace podtap
