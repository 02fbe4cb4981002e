#include "capabilityexec.h"

#include <QJsonArray>
#include <QSet>

namespace kubesim {

namespace {

// Unprivileged uid that stands in for netshoot's root (whose tcpdump never drops privileges).
constexpr int EmulationUid = 65534;
// USER of the file-capability tap image (packaging/tap-image/Dockerfile.nonroot).
constexpr qint64 NonRootImageUid = 65532;

bool isTcpdump(const QStringList &argv)
{
    return !argv.isEmpty()
           && argv.first().section(QLatin1Char('/'), -1) == QLatin1String("tcpdump");
}

QString normalise(const QString &cap)
{
    QString c = cap.trimmed().toLower();
    if (c.startsWith(QLatin1String("cap_")))
        c.remove(0, 4);
    return c;
}

QString capList(const QStringList &caps)
{
    QString s = QStringLiteral("-all");
    for (const QString &c : caps)
        s += QStringLiteral(",+") + c;
    return s;
}

} // namespace

CapabilityExec::ImageProfile CapabilityExec::profileFor(const QString &image)
{
    // Strip registry and tag/digest: docker.io/nicolaka/netshoot:v0.16 → nicolaka/netshoot
    QString repo = image;
    if (const auto at = repo.indexOf(QLatin1Char('@')); at >= 0)
        repo.truncate(at);
    if (const auto colon = repo.lastIndexOf(QLatin1Char(':'));
        colon > repo.lastIndexOf(QLatin1Char('/')))
        repo.truncate(colon);
    if (repo.startsWith(QLatin1String("docker.io/")))
        repo.remove(0, 10);
    if (repo == QLatin1String("nicolaka/netshoot"))
        return ImageProfile::NonDroppingTcpdump;
    if (repo == QLatin1String("example.com/debian-tcpdump"))
        return ImageProfile::DroppingTcpdump;
    if (repo == QLatin1String("example.com/podtap/tcpdump-nonroot"))
        return ImageProfile::FileCapTcpdump;
    return ImageProfile::Generic;
}

qint64 CapabilityExec::imageUser(const QString &image)
{
    return profileFor(image) == ImageProfile::FileCapTcpdump ? NonRootImageUid : 0;
}

ContainerSecurity CapabilityExec::securityFromJson(const QJsonObject &sc)
{
    ContainerSecurity s;
    const QJsonObject caps = sc.value(QStringLiteral("capabilities")).toObject();
    for (const auto &v : caps.value(QStringLiteral("add")).toArray())
        s.capAdd << v.toString();
    for (const auto &v : caps.value(QStringLiteral("drop")).toArray())
        s.capDrop << v.toString();
    s.privileged = sc.value(QStringLiteral("privileged")).toBool();
    if (sc.value(QStringLiteral("allowPrivilegeEscalation")).isBool())
        s.allowPrivilegeEscalation = sc.value(QStringLiteral("allowPrivilegeEscalation")).toBool();
    if (sc.value(QStringLiteral("runAsUser")).isDouble())
        s.runAsUser = sc.value(QStringLiteral("runAsUser")).toInteger();
    if (sc.value(QStringLiteral("runAsGroup")).isDouble())
        s.runAsGroup = sc.value(QStringLiteral("runAsGroup")).toInteger();
    if (sc.value(QStringLiteral("runAsNonRoot")).isBool())
        s.runAsNonRoot = sc.value(QStringLiteral("runAsNonRoot")).toBool();
    s.readOnlyRootFilesystem = sc.value(QStringLiteral("readOnlyRootFilesystem")).toBool();
    return s;
}

QString CapabilityExec::verifyRunAsNonRoot(const QString &image, const ContainerSecurity &security,
                                           const QString &podDescription, const QString &container)
{
    if (!security.runAsNonRoot.value_or(false))
        return {};
    if (security.runAsUser) {
        if (*security.runAsUser == 0)
            return QStringLiteral("container's runAsUser breaks non-root policy (pod: \"%1\", "
                                  "container: %2)")
                    .arg(podDescription, container);
        return {};
    }
    if (imageUser(image) == 0)
        return QStringLiteral("container has runAsNonRoot and image will run as root (pod: "
                              "\"%1\", container: %2)")
                .arg(podDescription, container);
    return {};
}

QStringList CapabilityExec::defaultCapabilities(const QString &runtime)
{
    if (runtime == QLatin1String("cri-o"))
        // cri-o pkg/config/config.go DefaultCapabilities (crio.conf default_capabilities).
        return {QStringLiteral("chown"),  QStringLiteral("dac_override"),
                QStringLiteral("fowner"), QStringLiteral("fsetid"),
                QStringLiteral("kill"),   QStringLiteral("net_bind_service"),
                QStringLiteral("setgid"), QStringLiteral("setpcap"),
                QStringLiteral("setuid")};
    if (runtime != QLatin1String("containerd"))
        return {};
    // containerd oci/spec.go defaultUnixCaps (the same set as Docker's and Moby's).
    return {QStringLiteral("audit_write"),  QStringLiteral("chown"),
            QStringLiteral("dac_override"), QStringLiteral("fowner"),
            QStringLiteral("fsetid"),       QStringLiteral("kill"),
            QStringLiteral("mknod"),        QStringLiteral("net_bind_service"),
            QStringLiteral("net_raw"),      QStringLiteral("setfcap"),
            QStringLiteral("setgid"),       QStringLiteral("setpcap"),
            QStringLiteral("setuid"),       QStringLiteral("sys_chroot")};
}

QStringList CapabilityExec::allCapabilities()
{
    static const char *const names[] = {"chown",
                                        "dac_override",
                                        "dac_read_search",
                                        "fowner",
                                        "fsetid",
                                        "kill",
                                        "setgid",
                                        "setuid",
                                        "setpcap",
                                        "linux_immutable",
                                        "net_bind_service",
                                        "net_broadcast",
                                        "net_admin",
                                        "net_raw",
                                        "ipc_lock",
                                        "ipc_owner",
                                        "sys_module",
                                        "sys_rawio",
                                        "sys_chroot",
                                        "sys_ptrace",
                                        "sys_pacct",
                                        "sys_admin",
                                        "sys_boot",
                                        "sys_nice",
                                        "sys_resource",
                                        "sys_time",
                                        "sys_tty_config",
                                        "mknod",
                                        "lease",
                                        "audit_write",
                                        "audit_control",
                                        "setfcap",
                                        "mac_override",
                                        "mac_admin",
                                        "syslog",
                                        "wake_alarm",
                                        "block_suspend",
                                        "audit_read",
                                        "perfmon",
                                        "bpf",
                                        "checkpoint_restore"};
    QStringList all;
    for (const char *n : names)
        all << QLatin1String(n);
    return all;
}

std::optional<QStringList> CapabilityExec::grantedCapabilities(const ContainerSecurity &security,
                                                               QString *error)
{
    const QStringList all = allCapabilities();
    const QSet<QString> known(all.cbegin(), all.cend());
    QSet<QString> add, drop;
    bool addAll = false, dropAll = false;
    for (const QString &c : security.capAdd) {
        const QString n = normalise(c);
        if (n == QLatin1String("all"))
            addAll = true;
        else if (known.contains(n))
            add << n;
        else {
            *error = QStringLiteral("unknown capability \"%1\"").arg(c);
            return std::nullopt;
        }
    }
    for (const QString &c : security.capDrop) {
        const QString n = normalise(c);
        if (n == QLatin1String("all"))
            dropAll = true;
        else if (known.contains(n))
            drop << n;
        else {
            *error = QStringLiteral("unknown capability \"%1\"").arg(c);
            return std::nullopt;
        }
    }
    if (security.privileged || addAll) {
        QSet<QString> set(all.cbegin(), all.cend());
        if (!security.privileged)
            set -= drop;
        QStringList out(set.cbegin(), set.cend());
        out.sort();
        return out;
    }
    const QStringList defaults = defaultCapabilities(security.runtime);
    if (defaults.isEmpty()) {
        *error = QStringLiteral("unknown container runtime \"%1\"").arg(security.runtime);
        return std::nullopt;
    }
    QSet<QString> set;
    if (!dropAll)
        set = QSet<QString>(defaults.cbegin(), defaults.cend()) - drop;
    set += add;
    QStringList out(set.cbegin(), set.cend());
    out.sort();
    return out;
}

std::optional<QStringList> CapabilityExec::wrap(const QString &image,
                                                const ContainerSecurity &security,
                                                const QStringList &argv, QString *error)
{
    const auto caps = grantedCapabilities(security, error);
    if (!caps)
        return std::nullopt;
    if (security.privileged && !security.runAsUser)
        return argv; // root with every capability
    const ImageProfile profile = profileFor(image);
    const qint64 uid = security.runAsUser.value_or(imageUser(image));
    const qint64 gid = security.runAsGroup.value_or(security.runAsUser ? uid : imageUser(image));
    // The kubelet never starts such a container; an exec into it cannot run either.
    if (const QString e
        = verifyRunAsNonRoot(image, security, QStringLiteral("pod"), QStringLiteral("container"));
        !e.isEmpty()) {
        *error = e;
        return std::nullopt;
    }
    // allowPrivilegeEscalation defaults to true in Kubernetes.
    const bool noNewPrivs = !security.allowPrivilegeEscalation.value_or(true);
    QStringList out{QStringLiteral("setpriv")};
    if (profile == ImageProfile::FileCapTcpdump && uid != 0) {
        // tcpdump's file capability cap_net_raw+ep: at execve the kernel gives it
        // (file permitted ∩ bounding set) as permitted and effective, unless no_new_privs is
        // set. setpriv cannot put a file capability on the host's tcpdump, so the same result
        // is handed over as an ambient capability, for tcpdump only; any other command of the
        // image gets nothing effective, like every non-root process in Kubernetes.
        const bool fileCapApplies
                = isTcpdump(argv) && !noNewPrivs && caps->contains(QLatin1String("net_raw"));
        out << QStringLiteral("--reuid") << QString::number(uid) << QStringLiteral("--regid")
            << QString::number(gid) << QStringLiteral("--clear-groups");
        if (fileCapApplies) {
            const QString netRaw = capList({QStringLiteral("net_raw")});
            out << QStringLiteral("--inh-caps") << netRaw << QStringLiteral("--ambient-caps")
                << netRaw;
        } else {
            out << QStringLiteral("--inh-caps") << capList(*caps);
        }
        out << QStringLiteral("--bounding-set") << capList(*caps);
    } else if ((profile == ImageProfile::NonDroppingTcpdump
                || profile == ImageProfile::FileCapTcpdump)
               && uid == 0) {
        const QString list = capList(*caps);
        out << QStringLiteral("--reuid") << QString::number(EmulationUid)
            << QStringLiteral("--regid") << QString::number(EmulationUid)
            << QStringLiteral("--clear-groups") << QStringLiteral("--inh-caps") << list
            << QStringLiteral("--ambient-caps") << list << QStringLiteral("--bounding-set") << list;
    } else {
        if (uid != 0) {
            // Kubernetes has no ambient capabilities: a non-root process gets none effective.
            out << QStringLiteral("--reuid") << QString::number(uid) << QStringLiteral("--regid")
                << QString::number(gid) << QStringLiteral("--clear-groups");
        }
        out << QStringLiteral("--inh-caps") << capList(*caps) << QStringLiteral("--bounding-set")
            << capList(*caps);
    }
    if (noNewPrivs)
        out << QStringLiteral("--no-new-privs");
    out << QStringLiteral("--") << argv;
    return out;
}

} // namespace kubesim
