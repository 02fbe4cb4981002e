#pragma once

#include <QString>
#include <QStringList>

namespace podtap {

// The GUI's preferences, typed, over QSettings (INI, organisation "podtap", application
// "podtap-gui"). Only the keys listed here are ever written, and none of them holds a secret:
// credentials stay in the kubeconfig files the user names. Tests redirect the file with
// QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir).
class Settings
{
public:
    static constexpr const char *DefaultImage = "docker.io/nicolaka/netshoot:v0.16";
    static constexpr int DefaultRecentCount = 5;
    static constexpr int DefaultMirrorPort = 9000;

    // Every key Settings writes (tests check the file holds nothing else).
    static QStringList knownKeys();
    static QString fileName();

    // Empty: $KUBECONFIG's files, else ~/.kube/config (as the CLI does).
    static QStringList kubeconfigPaths();
    static void setKubeconfigPaths(const QStringList &paths);
    static QString tapImage();
    static void setTapImage(const QString &image);
    // The tap profile the target picker starts with (the user still sees and may change it
    // there): "default", "nonroot" or "baseline"; anything else reads as "default".
    static QStringList tapProfiles();
    static QString tapProfile();
    static void setTapProfile(const QString &profile);
    // Why `image` deserves a second look (floating tag, not the default, …); empty if fine.
    static QString imageWarning(const QString &image);

    // Capture limits; 0 = no limit.
    static qint64 maxMegabytes();
    static void setMaxMegabytes(qint64 mb);
    static qint64 maxAgeSeconds();
    static void setMaxAgeSeconds(qint64 seconds);
    static int durationSeconds();
    static void setDurationSeconds(int seconds);

    static bool mirrorJoinMidstream();
    static void setMirrorJoinMidstream(bool join);
    static int defaultMirrorPort();
    static void setDefaultMirrorPort(int port);

    static bool startMinimized();
    static void setStartMinimized(bool minimized);
    static int recentTargetCount();
    static void setRecentTargetCount(int n);

    // The program "Open in Wireshark" launches: $PODTAP_WIRESHARK, else this setting, else
    // `wireshark` on PATH; empty when none is found.
    static QString wiresharkProgram();
    static QString wiresharkSetting();
    static void setWiresharkSetting(const QString &program);

    // RecentTargets' storage (JSON text).
    static QByteArray recentTargetsJson();
    static void setRecentTargetsJson(const QByteArray &json);
    static QByteArray mirrorPortsJson();
    static void setMirrorPortsJson(const QByteArray &json);
};

} // namespace podtap
