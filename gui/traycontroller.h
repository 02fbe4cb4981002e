#pragma once

#include "appicons.h"
#include "daemonlink.h"

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>

class QMenu;
class QSystemTrayIcon;

namespace podtap {

class SessionController;
class SessionListModel;

// The tray: an icon that says idle / capturing / mirroring / error, and a menu with the
// running sessions (stop), "Open podtap" and "Quit". The menu and the status exist without a
// system tray too (the window uses the status for its icon; tests read the menu).
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

public Q_SLOTS:
    void acknowledgeFailures();
    void refresh();

Q_SIGNALS:
    void statusChanged(podtap::TrayController::Status status);
    void openWindowRequested();
    void quitRequested();

private:
    void rebuildMenu(const QList<QJsonObject> &running);
    void notify(const QString &title, const QString &message);

    DaemonLink *m_link;
    SessionListModel *m_sessions;
    SessionController *m_controller;
    QMenu *m_menu;
    QSystemTrayIcon *m_tray = nullptr;
    Status m_status = Status::Idle;
    QString m_menuSignature;
    bool m_failureUnseen = false;
    QString m_lastFailure;
};

} // namespace podtap
