#include "settings.h"
#include "guilog.h"
#include "units.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>

#include <algorithm>
#include <limits>

namespace podtap {

namespace {
const QString KubeconfigKey = QStringLiteral("kube/kubeconfig");
const QString ImageKey = QStringLiteral("tap/image");
const QString ProfileKey = QStringLiteral("tap/profile");
const QString MaxMbKey = QStringLiteral("capture/maxMegabytes");
const QString MaxAgeKey = QStringLiteral("capture/maxAgeSeconds");
const QString DurationKey = QStringLiteral("capture/durationSeconds");
const QString JoinKey = QStringLiteral("mirror/joinMidstream");
const QString MirrorPortKey = QStringLiteral("mirror/defaultLocalPort");
const QString MirrorPortsKey = QStringLiteral("mirror/rememberedPorts");
const QString MinimizedKey = QStringLiteral("ui/startMinimized");
const QString RecentCountKey = QStringLiteral("recent/count");
const QString RecentKey = QStringLiteral("recent/targets");
const QString WiresharkKey = QStringLiteral("tools/wireshark");

QSettings store()
{
    return QSettings(QSettings::IniFormat, QSettings::UserScope, QStringLiteral("podtap"),
                     QStringLiteral("podtap-gui"));
}

QVariant value(const QString &key, const QVariant &fallback)
{
    return store().value(key, fallback);
}

// A capture limit as the dialog writes it (a whole number), or hand-edited with a unit where
// the key counts seconds ("10m"). What cannot be read is logged and read as no limit (0), the
// default, rather than as whatever toLongLong() makes of it.
qint64 limit(const QString &key, bool seconds)
{
    const QVariant v = value(key, 0);
    const QString text = v.toString().trimmed();
    bool ok = false;
    qint64 n = text.toLongLong(&ok);
    if (!ok && seconds) {
        const Result<qint64> r = Units::parseSeconds(text);
        ok = r.ok();
        n = ok ? r.value() : 0;
    }
    if (!ok || n < 0) {
        qCWarning(lcGui, "settings %s: '%s' is not %s; no limit is used", qPrintable(key),
                  qPrintable(text),
                  seconds ? "a number of seconds or a duration such as 10m"
                          : "a whole number of MiB");
        return 0;
    }
    return n;
}

void setValue(const QString &key, const QVariant &v)
{
    QSettings s = store();
    s.setValue(key, v);
    s.sync();
}
} // namespace

QStringList Settings::knownKeys()
{
    return {KubeconfigKey,  ImageKey,  ProfileKey,    MaxMbKey,       MaxAgeKey,
            DurationKey,    JoinKey,   MirrorPortKey, MirrorPortsKey, MinimizedKey,
            RecentCountKey, RecentKey, WiresharkKey};
}

QString Settings::fileName()
{
    return store().fileName();
}

QStringList Settings::kubeconfigPaths()
{
    return value(KubeconfigKey, QStringList()).toStringList();
}

void Settings::setKubeconfigPaths(const QStringList &paths)
{
    QStringList clean;
    for (const QString &p : paths)
        if (!p.trimmed().isEmpty())
            clean << p.trimmed();
    setValue(KubeconfigKey, clean);
}

QString Settings::tapImage()
{
    const QString image = value(ImageKey, QString()).toString().trimmed();
    return image.isEmpty() ? QLatin1String(DefaultImage) : image;
}

void Settings::setTapImage(const QString &image)
{
    setValue(ImageKey, image.trimmed());
}

QStringList Settings::tapProfiles()
{
    // common/kube/tapprofile.h names them; the daemon validates what is sent.
    return {QStringLiteral("default"), QStringLiteral("nonroot"), QStringLiteral("baseline")};
}

QString Settings::tapProfile()
{
    const QString profile = value(ProfileKey, QString()).toString().trimmed();
    return tapProfiles().contains(profile) ? profile : QStringLiteral("default");
}

void Settings::setTapProfile(const QString &profile)
{
    setValue(ProfileKey, tapProfiles().contains(profile.trimmed()) ? profile.trimmed()
                                                                   : QStringLiteral("default"));
}

QString Settings::imageWarning(const QString &imageIn)
{
    const QString image = imageIn.trimmed();
    if (image.isEmpty())
        return {};
    static const QRegularExpression digest(QStringLiteral("@sha256:[0-9a-f]{64}$"));
    if (digest.match(image).hasMatch())
        return {};
    const QString def = QLatin1String(DefaultImage);
    if (image == def || QStringLiteral("docker.io/") + image == def)
        return {};
    // The tag is what follows the last ':' after the last '/' (a registry may have a port).
    const QString last = image.section(QLatin1Char('/'), -1);
    const QString tag
            = last.contains(QLatin1Char(':')) ? last.section(QLatin1Char(':'), -1) : QString();
    const QString pin = QStringLiteral(" Pin it by digest (image@sha256:…) so that every tap "
                                       "runs the image you checked; it must contain tcpdump.");
    if (tag.isEmpty() || tag == QLatin1String("latest"))
        return QStringLiteral("Warning: '%1' floats (no tag or :latest): the image a tap "
                              "runs can change under you.")
                       .arg(image)
               + pin;
    return QStringLiteral("Warning: '%1' is not the default tap image and a tag can be moved.")
                   .arg(image)
           + pin;
}

qint64 Settings::maxMegabytes()
{
    return limit(MaxMbKey, false);
}

void Settings::setMaxMegabytes(qint64 mb)
{
    setValue(MaxMbKey, qMax<qint64>(0, mb));
}

qint64 Settings::maxAgeSeconds()
{
    return limit(MaxAgeKey, true);
}

void Settings::setMaxAgeSeconds(qint64 seconds)
{
    setValue(MaxAgeKey, qMax<qint64>(0, seconds));
}

int Settings::durationSeconds()
{
    return int(std::min<qint64>(limit(DurationKey, true), std::numeric_limits<int>::max() / 1000));
}

void Settings::setDurationSeconds(int seconds)
{
    setValue(DurationKey, qMax(0, seconds));
}

bool Settings::mirrorJoinMidstream()
{
    return value(JoinKey, false).toBool();
}

void Settings::setMirrorJoinMidstream(bool join)
{
    setValue(JoinKey, join);
}

int Settings::defaultMirrorPort()
{
    const int port = value(MirrorPortKey, DefaultMirrorPort).toInt();
    return port >= 1 && port <= 65535 ? port : DefaultMirrorPort;
}

void Settings::setDefaultMirrorPort(int port)
{
    setValue(MirrorPortKey, port);
}

bool Settings::startMinimized()
{
    return value(MinimizedKey, false).toBool();
}

void Settings::setStartMinimized(bool minimized)
{
    setValue(MinimizedKey, minimized);
}

int Settings::recentTargetCount()
{
    return qBound(0, value(RecentCountKey, DefaultRecentCount).toInt(), 50);
}

void Settings::setRecentTargetCount(int n)
{
    setValue(RecentCountKey, qBound(0, n, 50));
}

QString Settings::wiresharkProgram()
{
    const QString env = qEnvironmentVariable("PODTAP_WIRESHARK");
    const QString program = env.isEmpty() ? wiresharkSetting() : env;
    if (program.isEmpty())
        return QStandardPaths::findExecutable(QStringLiteral("wireshark"));
    if (QDir::isAbsolutePath(program))
        return QFileInfo(program).isExecutable() ? program : QString();
    return QStandardPaths::findExecutable(program);
}

QString Settings::wiresharkSetting()
{
    return value(WiresharkKey, QString()).toString().trimmed();
}

void Settings::setWiresharkSetting(const QString &program)
{
    setValue(WiresharkKey, program.trimmed());
}

QByteArray Settings::recentTargetsJson()
{
    return value(RecentKey, QByteArray()).toByteArray();
}

void Settings::setRecentTargetsJson(const QByteArray &json)
{
    setValue(RecentKey, QString::fromUtf8(json));
}

QByteArray Settings::mirrorPortsJson()
{
    return value(MirrorPortsKey, QByteArray()).toByteArray();
}

void Settings::setMirrorPortsJson(const QByteArray &json)
{
    setValue(MirrorPortsKey, QString::fromUtf8(json));
}

} // namespace podtap
