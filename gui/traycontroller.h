#pragma once

#include "appicons.h"
#include "daemonlink.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>

class QMenu;
class QSystemTrayIcon;

namespace podtap {

class ProjectMirrors;
class RecentTargets;
class SessionController;
class SessionListModel;

// The tray: an icon that says idle / capturing / mirroring / error, and a menu with the
// running sessions (stop), "Quick mirror" for the recent targets (one click starts a mirror
// session, another stops it), "Open podtap" and "Quit". Failures (a session failed, a mirror's
// local port refused connections) are notified once per cause and minute. The menu and the status
// exist without a system tray too (the window uses the status for its icon; tests read the menu).
class TrayController : public QObject
{
    Q_OBJECT

public:
    using Status = AppIcons::Kind;

    TrayController(DaemonLink *link, SessionListModel *sessions, SessionController *controller,
                   QObject *parent = nullptr);
    ~TrayController() override;

    // Error when podtapd cannot be reached or a session failed unseen; else mirroring or
    // capturing when a running session does; else idle.
    static Status statusFor(DaemonLink::State link, const QList<QJsonObject> &running,
                            bool failureUnseen);
    static QString statusName(Status status);

    Status status() const { return m_status; }
    QString toolTip() const;
    QMenu *menu() const { return m_menu; }
    // Shows the icon when the desktop has a system tray; false otherwise.
    bool showTrayIcon();
    bool hasTrayIcon() const { return m_tray != nullptr; }
    // Offers these in "Quick mirror" (not owned; may be null).
    void setRecentTargets(RecentTargets *recent);
    // Offers the project's mirrors (.podtap.yaml) in "Project mirrors", except those on a
    // protected context (not owned; may be null).
    void setProjectMirrors(ProjectMirrors *project);
    // The running session tapping `entry`'s target, if any.
    static QString runningSessionFor(const QList<QJsonObject> &running, int entryIndex,
                                     const RecentTargets *recent);
    // A notification with the same key within this time is dropped.
    static constexpr qint64 NotifyRepeatMs = 60000;

public Q_SLOTS:
    void acknowledgeFailures();
    void refresh();

Q_SIGNALS:
    void statusChanged(podtap::TrayController::Status status);
    void openWindowRequested();
    void quitRequested();
    // Every notification that got past de-duplication (shown in the tray if there is one;
    // the window shows it in its status bar when there is none).
    void notified(const QString &title, const QString &message);

private:
    void rebuildMenu(const QList<QJsonObject> &running);
    void notify(const QString &key, const QString &title, const QString &message);
    void checkMirrorErrors(const QList<QJsonObject> &running);
    void quickMirror(int entryIndex);

    DaemonLink *m_link;
    SessionListModel *m_sessions;
    SessionController *m_controller;
    QMenu *m_menu;
    QSystemTrayIcon *m_tray = nullptr;
    Status m_status = Status::Idle;
    QString m_menuSignature;
    bool m_failureUnseen = false;
    QString m_lastFailure;
    RecentTargets *m_recent = nullptr;
    ProjectMirrors *m_project = nullptr;
    bool m_quickPending = false;           // a quick mirror click waits for its answer
    QHash<QString, qint64> m_lastNotified; // key → ms since epoch
    QHash<QString, qint64> m_mirrorErrors; // session id → localErrors already seen
};

} // namespace podtap
