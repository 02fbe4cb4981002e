#include "tapprofile.h"

namespace podtap {

QString tapProfileName(TapProfile profile)
{
    switch (profile) {
    case TapProfile::NonRoot:
        return QStringLiteral("nonroot");
    case TapProfile::Baseline:
        return QStringLiteral("baseline");
    case TapProfile::Default:
        break;
    }
    return QStringLiteral("default");
}

std::optional<TapProfile> tapProfileFromName(const QString &name)
{
    for (const TapProfile p : tapProfiles())
        if (name == tapProfileName(p))
            return p;
    return std::nullopt;
}

QList<TapProfile> tapProfiles()
{
    return {TapProfile::Default, TapProfile::NonRoot, TapProfile::Baseline};
}

QString tapProfileChoices()
{
    return QStringLiteral("default, nonroot or baseline");
}

QStringList linuxCapabilities()
{
    // linux/capability.h, CAP_CHOWN (0) … CAP_CHECKPOINT_RESTORE (40); Kubernetes passes the
    // names through to the runtime, which accepts them with or without the CAP_ prefix.
    return {QStringLiteral("CHOWN"),
            QStringLiteral("DAC_OVERRIDE"),
            QStringLiteral("DAC_READ_SEARCH"),
            QStringLiteral("FOWNER"),
            QStringLiteral("FSETID"),
            QStringLiteral("KILL"),
            QStringLiteral("SETGID"),
            QStringLiteral("SETUID"),
            QStringLiteral("SETPCAP"),
            QStringLiteral("LINUX_IMMUTABLE"),
            QStringLiteral("NET_BIND_SERVICE"),
            QStringLiteral("NET_BROADCAST"),
            QStringLiteral("NET_ADMIN"),
            QStringLiteral("NET_RAW"),
            QStringLiteral("IPC_LOCK"),
            QStringLiteral("IPC_OWNER"),
            QStringLiteral("SYS_MODULE"),
            QStringLiteral("SYS_RAWIO"),
            QStringLiteral("SYS_CHROOT"),
            QStringLiteral("SYS_PTRACE"),
            QStringLiteral("SYS_PACCT"),
            QStringLiteral("SYS_ADMIN"),
            QStringLiteral("SYS_BOOT"),
            QStringLiteral("SYS_NICE"),
            QStringLiteral("SYS_RESOURCE"),
            QStringLiteral("SYS_TIME"),
            QStringLiteral("SYS_TTY_CONFIG"),
            QStringLiteral("MKNOD"),
            QStringLiteral("LEASE"),
            QStringLiteral("AUDIT_WRITE"),
            QStringLiteral("AUDIT_CONTROL"),
            QStringLiteral("SETFCAP"),
            QStringLiteral("MAC_OVERRIDE"),
            QStringLiteral("MAC_ADMIN"),
            QStringLiteral("SYSLOG"),
            QStringLiteral("WAKE_ALARM"),
            QStringLiteral("BLOCK_SUSPEND"),
            QStringLiteral("AUDIT_READ"),
            QStringLiteral("PERFMON"),
            QStringLiteral("BPF"),
            QStringLiteral("CHECKPOINT_RESTORE")};
}

QString tapProfileTradeOff(TapProfile profile)
{
    switch (profile) {
    case TapProfile::NonRoot:
        return QStringLiteral(
                       "nonroot: tcpdump runs as uid %1 and gets NET_RAW from its file "
                       "capability, which needs privilege escalation allowed (no no_new_privs); "
                       "still NET_RAW only, and it needs an image built for it (--image)")
                .arg(NonRootTapUid);
    case TapProfile::Baseline:
        return QStringLiteral(
                "baseline: adds no capability and drops every one but NET_RAW, so Pod Security "
                "\"baseline\" admits it; tcpdump runs as root with NET_RAW only when the node's "
                "runtime grants NET_RAW by default (containerd, Docker; not CRI-O)");
    case TapProfile::Default:
        break;
    }
    return QStringLiteral("default: tcpdump runs as root (uid 0) with NET_RAW only and privilege "
                          "escalation disabled; admission policies that forbid root containers "
                          "reject it");
}

} // namespace podtap
