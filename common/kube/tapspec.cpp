#include "tapspec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QRegularExpression>

namespace podtap {

QString TapSpec::randomName()
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    QString name = QString::fromLatin1(NamePrefix);
    for (int i = 0; i < 5; ++i)
        name += QLatin1Char(alphabet[QRandomGenerator::system()->bounded(36)]);
    return name;
}

bool TapSpec::isTapName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^podtap-[a-z0-9]{5}$"));
    return re.match(name).hasMatch();
}

QJsonObject TapSpec::securityContext(TapProfile profile)
{
    QJsonObject caps;
    if (profile == TapProfile::Baseline) {
        // No `add` at all (Pod Security baseline only restricts `add`): every capability but
        // NET_RAW is dropped by name, so the runtime's default set leaves NET_RAW alone.
        QJsonArray drop;
        for (const QString &c : linuxCapabilities())
            if (c != QLatin1String("NET_RAW"))
                drop.append(c);
        caps[QLatin1String("drop")] = drop;
    } else {
        caps[QLatin1String("drop")] = QJsonArray{QStringLiteral("ALL")};
        caps[QLatin1String("add")] = QJsonArray{QStringLiteral("NET_RAW")};
    }
    QJsonObject sc;
    sc[QLatin1String("capabilities")] = caps;
    sc[QLatin1String("readOnlyRootFilesystem")] = true;
    sc[QLatin1String("seccompProfile")]
            = QJsonObject{{QStringLiteral("type"), QStringLiteral("RuntimeDefault")}};
    if (profile == TapProfile::NonRoot) {
        // allowPrivilegeEscalation stays unset (true): no_new_privs would disable the file
        // capability that is tcpdump's only way to NET_RAW. The bounding set is still
        // NET_RAW alone, so nothing in the image can gain more.
        sc[QLatin1String("runAsNonRoot")] = true;
        sc[QLatin1String("runAsUser")] = NonRootTapUid;
        sc[QLatin1String("runAsGroup")] = NonRootTapUid;
    } else {
        sc[QLatin1String("allowPrivilegeEscalation")] = false;
    }
    return sc;
}

QJsonObject TapSpec::container(const QString &name, const QString &image, TapProfile profile)
{
    const QJsonObject sc = securityContext(profile);
    QJsonObject c;
    c[QLatin1String("name")] = name;
    c[QLatin1String("image")] = image;
    // Inert: capture runs later as an exec, so tap and capture lifecycles stay apart.
    c[QLatin1String("command")] = QJsonArray{QStringLiteral("sleep"), QStringLiteral("infinity")};
    c[QLatin1String("imagePullPolicy")] = QStringLiteral("IfNotPresent");
    c[QLatin1String("terminationMessagePolicy")] = QStringLiteral("File");
    c[QLatin1String("securityContext")] = sc;
    return c;
}

QByteArray TapSpec::strategicMergePatch(const QJsonObject &container)
{
    QJsonObject spec;
    spec[QLatin1String("ephemeralContainers")] = QJsonArray{container};
    QJsonObject root;
    root[QLatin1String("spec")] = spec;
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

bool TapSpec::isValidImage(const QString &image, QString *why)
{
    // registry/path:tag or @sha256:digest, as the reference grammar allows.
    static const QRegularExpression re(
            QStringLiteral("^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
                           "(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$"));
    if (image.isEmpty() || !re.match(image).hasMatch()) {
        if (why)
            *why = QStringLiteral("'%1' is not a valid image reference").arg(image);
        return false;
    }
    return true;
}

QString TapSpec::imageWarning(const QString &image)
{
    if (image.contains(QLatin1String("@sha256:")))
        return {};
    const int slash = image.lastIndexOf(QLatin1Char('/'));
    const int colon = image.lastIndexOf(QLatin1Char(':'));
    const QString tag = colon > slash ? image.mid(colon + 1) : QString();
    if (tag.isEmpty() || tag == QLatin1String("latest"))
        return QStringLiteral(
                       "tap image '%1' is not pinned: a floating tag can change what runs in "
                       "your pod; pin a release tag or, better, a digest (…@sha256:…)")
                .arg(image);
    return {};
}

bool TapSpec::hasContractSecurityContext(const QJsonObject &c, TapProfile profile)
{
    // QJsonObject compares numbers as doubles: a uid read back as 65532 equals ours.
    return c.value(QLatin1String("securityContext")).toObject() == securityContext(profile);
}

std::optional<TapProfile> TapSpec::contractProfile(const QJsonObject &c)
{
    for (const TapProfile p : tapProfiles())
        if (hasContractSecurityContext(c, p))
            return p;
    return std::nullopt;
}

bool TapSpec::lacksFileCapabilities(const QString &image)
{
    static const QRegularExpression re(
            QStringLiteral("^(docker\\.io/)?nicolaka/netshoot([:@].*)?$"));
    return re.match(image).hasMatch();
}

} // namespace podtap
