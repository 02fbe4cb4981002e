#pragma once

#include "runtimetypes.h"

#include <QJsonObject>
#include <QStringList>

#include <optional>

namespace kubesim {

// Turns a container's securityContext and image into the argv that runs a command with exactly
// the privileges a container runtime would give it (through util-linux setpriv).
class CapabilityExec
{
public:
    enum class ImageProfile {
        Generic,            // root with the granted capabilities (bounding + inheritable)
        NonDroppingTcpdump, // nicolaka/netshoot: uid 65534 holding the granted caps as ambient
        DroppingTcpdump,    // example.com/debian-tcpdump: root, granted caps only; tcpdump drops
        // example.com/podtap/tcpdump-nonroot: USER 65532, tcpdump carries cap_net_raw+ep
        // (packaging/tap-image/Dockerfile.nonroot)
        FileCapTcpdump,
    };

    static ImageProfile profileFor(const QString &image);
    // The uid the image's USER gives when runAsUser is not set (0 unless the profile says).
    static qint64 imageUser(const QString &image);
    // The securityContext fields the runtime applies, read from a container's JSON.
    static ContainerSecurity securityFromJson(const QJsonObject &securityContext);
    // The kubelet's runAsNonRoot check (k/k kuberuntime verifyRunAsNonRoot): empty when the
    // container may start, else its message (shown as CreateContainerConfigError).
    static QString verifyRunAsNonRoot(const QString &image, const ContainerSecurity &security,
                                      const QString &podDescription, const QString &container);
    // A runtime's default set, lower-case setpriv names: "containerd" (also Docker's,
    // NET_RAW included) or "cri-o" (since 1.18 without NET_RAW, MKNOD, SYS_CHROOT,
    // AUDIT_WRITE). Empty for a runtime kubesim does not know.
    static QStringList defaultCapabilities(const QString &runtime = QStringLiteral("containerd"));
    static QStringList allCapabilities();
    // The runtime's default (security.runtime) minus drop plus add (ALL handled as containerd
    // does); sorted lower-case.
    static std::optional<QStringList> grantedCapabilities(const ContainerSecurity &security,
                                                          QString *error);
    // The full argv (setpriv … -- argv) for an exec in a container with this image and context.
    static std::optional<QStringList> wrap(const QString &image, const ContainerSecurity &security,
                                           const QStringList &argv, QString *error);
};

} // namespace kubesim
