#pragma once

#include "recenttargets.h"

#include <QJsonObject>
#include <QMainWindow>

#include <optional>

class QAction;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;

namespace podtap {

class ConnectionFeed;
class ConnectionFilterModel;
class ConnectionTableModel;
class DaemonLink;
class PacketPane;
class PlaceholderStack;
class ProjectMirrors;
class RequestsPane;
class SessionController;
class SessionListModel;
class WiresharkLauncher;

// The window: sessions above, the selected session's connections below, the daemon link in
// the status bar, and the actions (new, stop, mirror, export). Closing it leaves every
// session running in podtapd; with a tray the app stays there, else it quits.
class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    MainWindow(DaemonLink *link, SessionListModel *sessions, SessionController *controller,
               QWidget *parent = nullptr);
    ~MainWindow() override;

    void setKeepRunningInTray(bool keep) { m_keepRunningInTray = keep; }
    // Mirror sessions started here are recorded there (the tray's quick mirror).
    void setRecentTargets(RecentTargets *recent) { m_recent = recent; }
    // The Project menu: the project's mirrors (.podtap.yaml); a protected one asks for its
    // context's name first.
    void setProjectMirrors(ProjectMirrors *project);
    QMenu *projectMenu() const { return m_projectMenu; }
    // The selected connections' ids (replay / Wireshark take only those when there are some).
    QList<qint64> selectedConnectionIds() const;
    QString selectedSessionId() const;
    void selectSession(const QString &id);
    ConnectionTableModel *connectionModel() const { return m_connections; }
    ConnectionFilterModel *connectionFilter() const { return m_connectionFilter; }
    ConnectionFeed *connectionFeed() const { return m_feed; }
    PacketPane *packetPane() const { return m_packetPane; }
    RequestsPane *requestsPane() const { return m_requestsPane; }
    QTabWidget *detailTabs() const { return m_detailTabs; } // Connections | Requests

public Q_SLOTS:
    void newSession();
    void stopSelected();
    void mirrorSelected();
    void stopMirrorSelected();
    void exportSelected();
    // Deletes the selected stopped session from the store, after a confirmation.
    void deleteSelected();
    void replaySelected();
    void openInWireshark();
    void editSettings();
    void showAndRaise();

Q_SIGNALS:
    void hiddenToTray();
    void quitRequested();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void updateActions();
    void updatePlaceholders();
    void onSelectionChanged();
    // The window title says PRODUCTION while a session taps a protected context.
    void updateProtectedMarker();
    void rebuildProjectMenu();
    void showProblem(const QString &text);
    void showInfo(const QString &text);
    QJsonObject selectedSummary() const;

    DaemonLink *m_link;
    SessionListModel *m_sessions;
    SessionController *m_controller;
    ConnectionTableModel *m_connections;
    ConnectionFilterModel *m_connectionFilter;
    ConnectionFeed *m_feed;
    PacketPane *m_packetPane = nullptr;
    RequestsPane *m_requestsPane = nullptr;
    QTabWidget *m_detailTabs = nullptr;
    QSortFilterProxyModel *m_sessionSort;
    QTableView *m_sessionView;
    QTableView *m_connectionView;
    PlaceholderStack *m_sessionStack;
    PlaceholderStack *m_connectionStack;
    QLineEdit *m_filter;
    QLabel *m_connectionCount;
    QLabel *m_banner;
    QLabel *m_linkStatus;
    QAction *m_newAction = nullptr;
    QAction *m_stopAction = nullptr;
    QAction *m_mirrorAction = nullptr;
    QAction *m_stopMirrorAction = nullptr;
    QAction *m_exportAction = nullptr;
    QAction *m_deleteAction = nullptr;
    QAction *m_startDaemonAction = nullptr;
    QAction *m_replayAction = nullptr;
    QAction *m_wiresharkAction = nullptr;
    QAction *m_wiresharkLiveAction = nullptr;
    QAction *m_settingsAction = nullptr;
    RecentTargets *m_recent = nullptr;
    ProjectMirrors *m_project = nullptr;
    QMenu *m_projectMenu = nullptr;
    std::optional<RecentTargets::Entry> m_pendingRecent; // recorded once its session started
    WiresharkLauncher *m_wireshark = nullptr;
    bool m_wiresharkAvailable = false; // looked up at start and after Settings, not per update
    QString m_followed;                // the session whose connections are shown
    QString m_pendingSelection;        // a session we started, selected once it is listed
    bool m_keepRunningInTray = false;
    bool m_toldAboutTray = false;
};

} // namespace podtap
