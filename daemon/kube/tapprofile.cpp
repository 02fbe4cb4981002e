#include "tapprofile.h"

namespace podtap {

QString tapProfileName(TapProfile profile)
{
    return profile == TapProfile::NonRoot ? QStringLiteral("nonroot") : QStringLiteral("default");
}

std::optional<TapProfile> tapProfileFromName(const QString &name)
{
    if (name == QLatin1String("default"))
        return TapProfile::Default;
    if (name == QLatin1String("nonroot"))
        return TapProfile::NonRoot;
    return std::nullopt;
}

QString tapProfileTradeOff(TapProfile profile)
{
    if (profile == TapProfile::NonRoot)
        return QStringLiteral(
                       "nonroot: tcpdump runs as uid %1 and gets NET_RAW from its file "
                       "capability, which needs privilege escalation allowed (no no_new_privs); "
                       "still NET_RAW only, and it needs an image built for it (--image)")
                .arg(NonRootTapUid);
    return QStringLiteral("default: tcpdump runs as root (uid 0) with NET_RAW only and privilege "
                          "escalation disabled; admission policies that forbid root containers "
                          "reject it");
}

} // namespace podtap
