#pragma once

#include <QString>

#include <optional>

namespace podtap {

// The tap's security profile (docs/tap-contract.md#profiles). Both hold NET_RAW and nothing
// else; they differ in how NET_RAW reaches tcpdump:
// - Default: uid 0 (the image's user) with no_new_privs (allowPrivilegeEscalation: false).
// - NonRoot: a fixed non-zero uid; NET_RAW reaches tcpdump only through the image's file
//   capability (cap_net_raw+ep), which no_new_privs would disable, so allowPrivilegeEscalation
//   stays unset. For clusters whose admission policies forbid root containers.
enum class TapProfile { Default, NonRoot };

// Why 65532: the "nonroot" user of distroless and Chainguard/Wolfi images, so a tap image
// built on them needs no extra user; not 65534 (nobody, the kernel's overflow id, which owns
// unmapped files); far from the 1000+ range of host accounts. runAsGroup is set to the same
// id so the process never gets gid 0, which Kubernetes would pick when runAsUser has no
// passwd entry in the image.
constexpr qint64 NonRootTapUid = 65532;

QString tapProfileName(TapProfile profile); // "default" | "nonroot"
std::optional<TapProfile> tapProfileFromName(const QString &name);
// One plain sentence on what the profile trades, for the CLI, the GUI and preflight.
QString tapProfileTradeOff(TapProfile profile);

} // namespace podtap
