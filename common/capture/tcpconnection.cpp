#include "tcpconnection.h"

namespace podtap {

const char *stateName(ConnectionState state)
{
    switch (state) {
    case ConnectionState::SynSent:
        return "syn-sent";
    case ConnectionState::SynReceived:
        return "syn-received";
    case ConnectionState::Established:
        return "established";
    case ConnectionState::HalfClosed:
        return "half-closed";
    case ConnectionState::Closed:
        return "closed";
    case ConnectionState::Reset:
        return "reset";
    }
    return "unknown";
}

const char *closeReasonName(CloseReason reason)
{
    switch (reason) {
    case CloseReason::None:
        return "open";
    case CloseReason::Fin:
        return "fin";
    case CloseReason::Reset:
        return "reset";
    case CloseReason::Idle:
        return "idle";
    case CloseReason::EndOfCapture:
        return "end-of-capture";
    case CloseReason::Reused:
        return "reused";
    case CloseReason::Evicted:
        return "evicted";
    }
    return "unknown";
}

} // namespace podtap
