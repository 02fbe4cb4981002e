#pragma once

#include <QString>

namespace podtap {

// The names of gRPC status codes (grpc/doc/statuscodes.md): 0 OK … 16 UNAUTHENTICATED.
class GrpcStatus
{
public:
    // "NOT_FOUND" for 5; "CODE_N" for a code outside 0–16; empty for a negative one (no
    // status was seen).
    static QString name(int code);
    // "NOT_FOUND (5)", or empty for a negative code.
    static QString text(int code);
};

} // namespace podtap
