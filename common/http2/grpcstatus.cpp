#include "grpcstatus.h"

#include <array>

namespace podtap {

QString GrpcStatus::name(int code)
{
    static constexpr std::array<const char *, 17> names{"OK",
                                                        "CANCELLED",
                                                        "UNKNOWN",
                                                        "INVALID_ARGUMENT",
                                                        "DEADLINE_EXCEEDED",
                                                        "NOT_FOUND",
                                                        "ALREADY_EXISTS",
                                                        "PERMISSION_DENIED",
                                                        "RESOURCE_EXHAUSTED",
                                                        "FAILED_PRECONDITION",
                                                        "ABORTED",
                                                        "OUT_OF_RANGE",
                                                        "UNIMPLEMENTED",
                                                        "INTERNAL",
                                                        "UNAVAILABLE",
                                                        "DATA_LOSS",
                                                        "UNAUTHENTICATED"};
    if (code < 0)
        return {};
    if (code < int(names.size()))
        return QLatin1String(names[std::size_t(code)]);
    return QStringLiteral("CODE_%1").arg(code);
}

QString GrpcStatus::text(int code)
{
    if (code < 0)
        return {};
    return QStringLiteral("%1 (%2)").arg(name(code)).arg(code);
}

} // namespace podtap
