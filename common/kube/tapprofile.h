#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace podtap {

// The tap's security profile (docs/tap-contract.md#profiles). All hold NET_RAW and nothing
// else; they differ in how NET_RAW reaches tcpdump:
// - Default: uid 0 (the image's user) with no_new_privs (allowPrivilegeEscalation: false);
//   drop [ALL], add [NET_RAW].
// - NonRoot: a fixed non-zero uid; NET_RAW reaches tcpdump only through the image's file
//   capability (cap_net_raw+ep), which no_new_privs would disable, so allowPrivilegeEscalation
//   stays unset. For clusters whose admission policies forbid root containers.
// - Baseline: like Default but with no `add` at all: `drop` names every capability except
//   NET_RAW, so the tap keeps NET_RAW from the runtime's default set (containerd, Docker) and
//   Pod Security "baseline", which only restricts `add`, admits it. On CRI-O (no NET_RAW in
//   its default set since 1.18) it holds nothing and tcpdump is refused.
enum class TapProfile { Default, NonRoot, Baseline };

// Why 65532: the "nonroot" user of distroless and Chainguard/Wolfi images, so a tap image
// built on them needs no extra user; not 65534 (nobody, the kernel's overflow id, which owns
// unmapped files); far from the 1000+ range of host accounts. runAsGroup is set to the same
// id so the process never gets gid 0, which Kubernetes would pick when runAsUser has no
// passwd entry in the image.
constexpr qint64 NonRootTapUid = 65532;

QString tapProfileName(TapProfile profile); // "default" | "nonroot" | "baseline"
std::optional<TapProfile> tapProfileFromName(const QString &name);
// Every profile, in the order the CLI and the GUI offer them.
QList<TapProfile> tapProfiles();
// "default, nonroot or baseline", for "unknown tap profile" errors.
QString tapProfileChoices();
// Every Linux capability (5.9+: CHOWN … CHECKPOINT_RESTORE) in Kubernetes spelling (no CAP_
// prefix), in the kernel's numbering order (linux/capability.h).
QStringList linuxCapabilities();
// One plain sentence on what the profile trades, for the CLI, the GUI and preflight.
QString tapProfileTradeOff(TapProfile profile);

} // namespace podtap
