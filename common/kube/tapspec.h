#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include "tapprofile.h"

namespace podtap {

// The tap: the only thing podtap ever puts into a cluster (../shared/spec/tap.md).
// Its security context is fixed here per profile (TapProfile) and is not configurable
// otherwise; only the image may be overridden. Every profile holds NET_RAW and nothing else.
class TapSpec
{
public:
    static constexpr const char *DefaultImage = "docker.io/nicolaka/netshoot:v0.16";
    static constexpr const char *NamePrefix = "podtap-";

    // "podtap-" + 5 random lower-case alphanumerics.
    static QString randomName();
    static bool isTapName(const QString &name);

    // The ephemeral container object for spec.ephemeralContainers.
    static QJsonObject container(const QString &name,
                                 const QString &image = QString::fromLatin1(DefaultImage),
                                 TapProfile profile = TapProfile::Default);
    // The exact securityContext of a profile.
    static QJsonObject securityContext(TapProfile profile);
    // The strategic merge patch body kubectl-style clients send to pods/ephemeralcontainers.
    static QByteArray strategicMergePatch(const QJsonObject &container);

    // Advice about an image reference: empty when pinned by digest or a release tag;
    // a warning for :latest, no tag, or other floating tags.
    static QString imageWarning(const QString &image);
    // Checks an image reference's syntax (no spaces, control characters, shell syntax).
    static bool isValidImage(const QString &image, QString *why);

    // True when `securityContext` is exactly the tap contract of `profile` (used to audit
    // what we send and to recognise a reusable tap).
    static bool hasContractSecurityContext(const QJsonObject &container,
                                           TapProfile profile = TapProfile::Default);
    // The profile whose contract the container holds exactly, if any.
    static std::optional<TapProfile> contractProfile(const QJsonObject &container);
    // True when the image is one whose tcpdump is known to carry no file capability
    // (nicolaka/netshoot), so the nonroot profile cannot capture with it.
    static bool lacksFileCapabilities(const QString &image);
};

} // namespace podtap
