#include "mainwindow.h"

#include "appicons.h"
#include "connectionfeed.h"
#include "connectionfiltermodel.h"
#include "connectiontablemodel.h"
#include "daemonclient.h"
#include "daemonlink.h"
#include "displayformat.h"
#include "mirrordialog.h"
#include "packetpane.h"
#include "placeholderstack.h"
#include "projectmirrors.h"
#include "protectedcontextdialog.h"
#include "recenttargets.h"
#include "replaydialog.h"
#include "requestspane.h"
#include "sessioncontroller.h"
#include "sessionlistmodel.h"
#include "settings.h"
#include "settingsdialog.h"
#include "tablesetup.h"
#include "targetpickerdialog.h"
#include "wiresharklauncher.h"

#include <QAction>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>

#include <utility>

namespace podtap {

namespace {
constexpr int MessageTimeoutMs = 10000;
} // namespace

MainWindow::MainWindow(DaemonLink *link, SessionListModel *sessions, SessionController *controller,
                       QWidget *parent)
    : QMainWindow(parent)
    , m_link(link)
    , m_sessions(sessions)
    , m_controller(controller)
    , m_connections(new ConnectionTableModel(this))
    , m_connectionFilter(new ConnectionFilterModel(m_connections, this))
    , m_feed(new ConnectionFeed(link, m_connections, this))
    , m_sessionSort(new QSortFilterProxyModel(this))
    , m_sessionView(new QTableView)
    , m_connectionView(new QTableView)
    , m_sessionStack(new PlaceholderStack(m_sessionView))
    , m_connectionStack(new PlaceholderStack(m_connectionView))
    , m_filter(new QLineEdit)
    , m_connectionCount(new QLabel)
    , m_banner(new QLabel)
    , m_linkStatus(new QLabel)
    , m_wireshark(new WiresharkLauncher(link, this))
{
    setWindowTitle(QStringLiteral("podtap"));
    setWindowIcon(AppIcons::icon(AppIcons::Kind::Idle));
    resize(1100, 700);

    m_sessionSort->setSourceModel(m_sessions);
    m_sessionSort->setSortRole(SessionListModel::SortRole);
    m_sessionView->setObjectName(QStringLiteral("sessionsView"));
    m_sessionView->setModel(m_sessionSort);
    TableSetup::apply(m_sessionView);
    m_sessionView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_sessionView->sortByColumn(SessionListModel::Id, Qt::DescendingOrder);
    m_sessionView->setColumnWidth(SessionListModel::Id, 40);
    m_sessionView->setColumnWidth(SessionListModel::Target, 300);
    m_sessionView->setColumnWidth(SessionListModel::Mirror, 220);
    m_sessionStack->setObjectName(QStringLiteral("sessionsPlaceholder"));

    m_connectionView->setObjectName(QStringLiteral("connectionsView"));
    m_connectionView->setModel(m_connectionFilter);
    TableSetup::apply(m_connectionView);
    m_connectionView->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_connectionView->setColumnWidth(ConnectionTableModel::Client, 170);
    m_connectionView->setColumnWidth(ConnectionTableModel::State, 170);
    m_connectionView->setColumnWidth(ConnectionTableModel::FirstRequest, 200);
    TableSetup::showHttpColumns(m_connectionView, false);
    m_connectionStack->setObjectName(QStringLiteral("connectionsPlaceholder"));

    m_filter->setObjectName(QStringLiteral("connectionFilter"));
    m_filter->setPlaceholderText(QStringLiteral("Filter by client address, state or close reason"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_connectionFilter,
            &ConnectionFilterModel::setTextFilter);
    m_connectionCount->setObjectName(QStringLiteral("connectionCount"));

    m_banner->setObjectName(QStringLiteral("banner"));
    m_banner->setWordWrap(true);
    m_banner->setTextFormat(Qt::RichText);
    m_banner->setStyleSheet(QStringLiteral(
            "QLabel { background: #fdecea; color: #611a15; padding: 6px; border-radius: 3px; }"));
    m_banner->hide();
    connect(m_banner, &QLabel::linkActivated, m_banner, &QLabel::hide);

    auto *connectionsPane = new QWidget;
    auto *bar = new QHBoxLayout;
    auto *title = new QLabel(QStringLiteral("<b>Connections</b>"));
    bar->addWidget(title);
    bar->addWidget(m_connectionCount);
    bar->addStretch(1);
    bar->addWidget(m_filter, 2);
    auto *paneLayout = new QVBoxLayout(connectionsPane);
    paneLayout->setContentsMargins(0, 0, 0, 0);
    paneLayout->addLayout(bar);
    paneLayout->addWidget(m_connectionStack);

    // Connections | Requests (HTTP exchanges and shadow-comparison verdicts) of the session.
    m_requestsPane = new RequestsPane(m_link);
    m_requestsPane->setObjectName(QStringLiteral("requestsPane"));
    m_detailTabs = new QTabWidget;
    m_detailTabs->setObjectName(QStringLiteral("detailTabs"));
    m_detailTabs->addTab(connectionsPane, QStringLiteral("Connections"));
    m_detailTabs->addTab(m_requestsPane, QStringLiteral("Requests"));

    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(m_sessionStack);
    splitter->addWidget(m_detailTabs);
    // Timeline | Packets | Stream of the selected session and connections.
    m_packetPane = new PacketPane(m_link);
    m_packetPane->setObjectName(QStringLiteral("packetPane"));
    splitter->addWidget(m_packetPane);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    splitter->setStretchFactor(2, 3);
    auto *central = new QWidget;
    auto *layout = new QVBoxLayout(central);
    layout->addWidget(m_banner);
    layout->addWidget(splitter);
    setCentralWidget(central);

    m_linkStatus->setObjectName(QStringLiteral("linkStatus"));
    statusBar()->addPermanentWidget(m_linkStatus, 1);

    m_wiresharkAvailable = WiresharkLauncher::isAvailable();
    createActions();

    connect(m_link, &DaemonLink::stateChanged, this, [this] {
        m_linkStatus->setText(m_link->statusText());
        updatePlaceholders();
        updateActions();
    });
    connect(m_sessions, &SessionListModel::loaded, this, &MainWindow::updatePlaceholders);
    for (const auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(m_sessions, signal, this, [this] {
            if (!m_pendingSelection.isEmpty() && m_sessions->rowOf(m_pendingSelection) >= 0)
                selectSession(std::exchange(m_pendingSelection, QString()));
            updatePlaceholders();
            updateActions();
        });
    connect(m_sessions, &QAbstractItemModel::modelReset, this, [this] {
        updatePlaceholders();
        updateActions();
    });
    connect(m_sessions, &QAbstractItemModel::dataChanged, this, &MainWindow::updateActions);
    connect(m_sessionView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::onSelectionChanged);
    connect(m_connectionView->selectionModel(), &QItemSelectionModel::selectionChanged,
            m_packetPane, [this] { m_packetPane->setConnections(selectedConnectionIds()); });
    auto countConnections = [this] {
        const int all = m_connections->rowCount();
        const int shown = m_connectionFilter->rowCount();
        m_connectionCount->setText(
                all == shown
                        ? QStringLiteral("%1").arg(DisplayFormat::count(all))
                        : QStringLiteral("%1 of %2 shown")
                                  .arg(DisplayFormat::count(shown), DisplayFormat::count(all)));
        TableSetup::showHttpColumns(m_connectionView, m_connections->hasHttp());
        updatePlaceholders();
    };
    connect(m_connections, &QAbstractItemModel::rowsInserted, this, countConnections);
    connect(m_connections, &QAbstractItemModel::rowsRemoved, this, countConnections);
    connect(m_connections, &QAbstractItemModel::modelReset, this, countConnections);
    connect(m_connectionFilter, &QAbstractItemModel::layoutChanged, this, countConnections);
    connect(m_connectionFilter, &QAbstractItemModel::rowsRemoved, this, countConnections);
    connect(m_connectionFilter, &QAbstractItemModel::rowsInserted, this, countConnections);
    connect(m_feed, &ConnectionFeed::loadingChanged, this, &MainWindow::updatePlaceholders);
    connect(m_feed, &ConnectionFeed::failed, this, [this](const QString &why) {
        showProblem(QStringLiteral("Could not load the connections: ") + why);
    });
    connect(m_requestsPane, &RequestsPane::failed, this, [this](const QString &why) {
        showProblem(QStringLiteral("Could not load the requests: ") + why);
    });
    // The pod side of a request: its connection's reassembled stream.
    connect(m_requestsPane, &RequestsPane::followStreamRequested, this, [this](qint64 id) {
        m_packetPane->setConnections({id});
        m_packetPane->tabs()->setCurrentIndex(PacketPane::StreamTab);
    });
    // The per-route comparison counts come with the session's summary (stats, 500 ms).
    connect(m_sessions, &QAbstractItemModel::dataChanged, m_requestsPane,
            [this] { m_requestsPane->setSummary(selectedSummary()); });

    connect(m_controller, &SessionController::started, this, [this](const QJsonObject &s) {
        if (m_recent && m_pendingRecent && m_pendingRecent->matches(s))
            m_recent->add(*m_pendingRecent);
        m_pendingRecent.reset();
        const QString id = s.value(QLatin1String("id")).toString();
        showInfo(QStringLiteral("Session %1 started: %2")
                         .arg(id, s.value(QLatin1String("title")).toString()));
        if (m_sessions->rowOf(id) >= 0)
            selectSession(id);
        else
            m_pendingSelection = id;
    });
    connect(m_controller, &SessionController::stopped, this,
            [this](const QString &id, const QJsonObject &s) {
                showInfo(QStringLiteral("Session %1 %2")
                                 .arg(id, s.value(QLatin1String("state")).toString()));
            });
    connect(m_controller, &SessionController::mirrorChanged, this,
            [this](const QString &id, const QJsonObject &m) {
                showInfo(m.value(QLatin1String("enabled")).toBool()
                                 ? QStringLiteral("Session %1 mirrors new connections to %2")
                                           .arg(id, m.value(QLatin1String("to")).toString())
                                 : QStringLiteral("Session %1: mirror off").arg(id));
                m_sessions->refresh();
            });
    connect(m_controller, &SessionController::removed, this,
            [this](const QStringList &ids, qint64 bytes) {
                for (const QString &id : ids)
                    m_sessions->applyRemoved(id); // the "removed" event may come later
                showInfo(QStringLiteral("Deleted session %1 (%2 freed)")
                                 .arg(ids.join(QStringLiteral(", ")), DisplayFormat::bytes(bytes)));
            });
    connect(m_controller, &SessionController::exported, this,
            [this](const QString &id, const QString &path, qint64 packets, qint64 bytes) {
                showInfo(QStringLiteral("Session %1: %2 packets (%3) exported to %4")
                                 .arg(id, DisplayFormat::count(packets),
                                      DisplayFormat::bytes(bytes), path));
            });
    connect(m_wireshark, &WiresharkLauncher::launched, this,
            [this](const QString &program, const QString &file, qint64) {
                showInfo(QStringLiteral("Opened %1 in %2").arg(file, program));
            });
    connect(m_wireshark, &WiresharkLauncher::failed, this, [this](const QString &why) {
        showProblem(QStringLiteral("Open in Wireshark failed: ") + why);
    });
    // The context guard: podtapd refused a protected context; the user types its name.
    connect(m_controller, &SessionController::confirmationNeeded, this,
            [this](SessionController::StartRequest request, const QString &context,
                   const QString &message) {
                ProtectedContextDialog dialog(context, message, this);
                if (dialog.exec() != QDialog::Accepted) {
                    m_pendingRecent.reset();
                    showInfo(QStringLiteral("Not started: %1 is protected").arg(context));
                    return;
                }
                request.confirmProtected = true;
                m_controller->start(request);
            });
    // A persistent marker while any session taps a protected context.
    connect(m_sessions, &QAbstractItemModel::modelReset, this, &MainWindow::updateProtectedMarker);
    connect(m_sessions, &QAbstractItemModel::dataChanged, this, &MainWindow::updateProtectedMarker);
    connect(m_sessions, &QAbstractItemModel::rowsInserted, this,
            &MainWindow::updateProtectedMarker);
    connect(m_sessions, &QAbstractItemModel::rowsRemoved, this, &MainWindow::updateProtectedMarker);
    connect(m_controller, &SessionController::failed, this,
            [this](const QString &action, const QString &message) {
                if (action == QLatin1String("Start"))
                    m_pendingRecent.reset();
                showProblem(QStringLiteral("%1 failed: %2").arg(action, message));
            });

    m_linkStatus->setText(m_link->statusText());
    updatePlaceholders();
    updateActions();
}

MainWindow::~MainWindow() = default;

void MainWindow::setProjectMirrors(ProjectMirrors *project)
{
    m_project = project;
    if (!m_projectMenu) {
        m_projectMenu = menuBar()->addMenu(QStringLiteral("&Project"));
        m_projectMenu->setObjectName(QStringLiteral("projectMenu"));
    }
    connect(project, &ProjectMirrors::changed, this, &MainWindow::rebuildProjectMenu);
    connect(project, &ProjectMirrors::failed, this,
            [this](const QString &name, const QString &message) {
                showProblem(QStringLiteral("Project mirror %1 failed: %2").arg(name, message));
            });
    connect(project, &ProjectMirrors::started, this,
            [this](const QString &name, const QStringList &ids) {
                showInfo(QStringLiteral("Project mirror %1 started: session %2")
                                 .arg(name, ids.join(QStringLiteral(", "))));
            });
    connect(project, &ProjectMirrors::confirmationNeeded, this,
            [this](const QString &name, const QString &context, const QString &message) {
                ProtectedContextDialog dialog(context, message, this);
                if (dialog.exec() == QDialog::Accepted)
                    m_project->start(name, true);
            });
    rebuildProjectMenu();
}

void MainWindow::rebuildProjectMenu()
{
    m_projectMenu->clear();
    if (!m_project->error().isEmpty()) {
        m_projectMenu->addAction(m_project->error())->setEnabled(false);
        showProblem(m_project->error());
    } else if (m_project->file().isEmpty()) {
        m_projectMenu->addAction(QStringLiteral("No .podtap.yaml (podtap-gui --project DIR)"))
                ->setEnabled(false);
    } else {
        m_projectMenu->addSection(m_project->file());
    }
    for (const ProjectConfig::Mirror &m : m_project->mirrors()) {
        const bool guarded = ProjectMirrors::isProtected(m);
        QAction *a
                = m_projectMenu->addAction((guarded ? QStringLiteral("PRODUCTION · ") : QString())
                                           + m.name + QStringLiteral(": ") + m.summary());
        a->setObjectName(QStringLiteral("projectMirror_") + m.name);
        a->setToolTip(m.description);
        const QString name = m.name;
        const QString context = m.context;
        connect(a, &QAction::triggered, this, [this, name, context, guarded] {
            if (!guarded) {
                m_project->start(name);
                return;
            }
            ProtectedContextDialog dialog(context, QStringLiteral("the context guard protects it"),
                                          this);
            if (dialog.exec() == QDialog::Accepted)
                m_project->start(name, true);
        });
    }
    m_projectMenu->addSeparator();
    m_projectMenu->addAction(QStringLiteral("Reload .podtap.yaml"), m_project,
                             &ProjectMirrors::reload);
}

void MainWindow::updateProtectedMarker()
{
    QStringList contexts;
    for (const QJsonObject &s : m_sessions->runningSessions()) {
        const QString c = s.value(QLatin1String("context")).toString();
        if (s.value(QLatin1String("protected")).toBool() && !contexts.contains(c))
            contexts << c;
    }
    const QString title = contexts.isEmpty() ? QStringLiteral("podtap")
                                             : QStringLiteral("podtap — PRODUCTION: tapping %1")
                                                       .arg(contexts.join(QStringLiteral(", ")));
    if (windowTitle() != title)
        setWindowTitle(title);
}

void MainWindow::createActions()
{
    m_newAction = new QAction(AppIcons::icon(AppIcons::Kind::Capturing),
                              QStringLiteral("&New capture/mirror…"), this);
    m_newAction->setObjectName(QStringLiteral("newAction"));
    m_newAction->setShortcut(QKeySequence::New);
    connect(m_newAction, &QAction::triggered, this, &MainWindow::newSession);

    m_stopAction = new QAction(QStringLiteral("&Stop"), this);
    m_stopAction->setObjectName(QStringLiteral("stopAction"));
    m_stopAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    m_stopAction->setToolTip(QStringLiteral("Stop the selected session (its capture is kept)"));
    connect(m_stopAction, &QAction::triggered, this, &MainWindow::stopSelected);

    m_mirrorAction = new QAction(AppIcons::icon(AppIcons::Kind::Mirroring),
                                 QStringLiteral("&Mirror to local port…"), this);
    m_mirrorAction->setObjectName(QStringLiteral("mirrorAction"));
    m_mirrorAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_M));
    connect(m_mirrorAction, &QAction::triggered, this, &MainWindow::mirrorSelected);

    m_stopMirrorAction = new QAction(QStringLiteral("Mirror &off"), this);
    m_stopMirrorAction->setObjectName(QStringLiteral("stopMirrorAction"));
    m_stopMirrorAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_M));
    connect(m_stopMirrorAction, &QAction::triggered, this, &MainWindow::stopMirrorSelected);

    m_exportAction = new QAction(QStringLiteral("&Export…"), this);
    m_exportAction->setObjectName(QStringLiteral("exportAction"));
    m_exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_exportAction->setToolTip(QStringLiteral("Save the selected session as pcap or pcapng"));
    connect(m_exportAction, &QAction::triggered, this, &MainWindow::exportSelected);

    m_deleteAction = new QAction(QStringLiteral("&Delete…"), this);
    m_deleteAction->setObjectName(QStringLiteral("deleteAction"));
    m_deleteAction->setShortcut(QKeySequence::Delete);
    m_deleteAction->setToolTip(QStringLiteral("Delete the selected stopped session and its "
                                              "stored files"));
    connect(m_deleteAction, &QAction::triggered, this, &MainWindow::deleteSelected);

    m_startDaemonAction = new QAction(QStringLiteral("Start pod&tapd"), this);
    m_startDaemonAction->setObjectName(QStringLiteral("startDaemonAction"));
    m_startDaemonAction->setToolTip(QStringLiteral("Start the podtap daemon if it is not running"));
    connect(m_startDaemonAction, &QAction::triggered, m_link, &DaemonLink::startDaemonNow);

    m_replayAction = new QAction(QStringLiteral("&Replay…"), this);
    m_replayAction->setObjectName(QStringLiteral("replayAction"));
    m_replayAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    m_replayAction->setToolTip(QStringLiteral("Send a stored session or a pcap file again to a "
                                              "local port"));
    connect(m_replayAction, &QAction::triggered, this, &MainWindow::replaySelected);

    m_wiresharkAction = new QAction(QStringLiteral("Open in &Wireshark"), this);
    m_wiresharkAction->setObjectName(QStringLiteral("wiresharkAction"));
    m_wiresharkAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_W));
    connect(m_wiresharkAction, &QAction::triggered, this, &MainWindow::openInWireshark);
    m_wiresharkLiveAction = new QAction(QStringLiteral("Open &live in Wireshark"), this);
    m_wiresharkLiveAction->setObjectName(QStringLiteral("wiresharkLiveAction"));
    connect(m_wiresharkLiveAction, &QAction::triggered, this, [this] {
        const QString id = selectedSessionId();
        if (!id.isEmpty())
            m_wireshark->openLive(id);
    });

    m_settingsAction = new QAction(QStringLiteral("Se&ttings…"), this);
    m_settingsAction->setObjectName(QStringLiteral("settingsAction"));
    m_settingsAction->setShortcuts(
            {QKeySequence(Qt::CTRL | Qt::Key_Comma), QKeySequence(QKeySequence::Preferences)});
    m_settingsAction->setMenuRole(QAction::PreferencesRole);
    connect(m_settingsAction, &QAction::triggered, this, &MainWindow::editSettings);

    auto *closeAction = new QAction(QStringLiteral("&Close window"), this);
    closeAction->setShortcut(QKeySequence::Close);
    connect(closeAction, &QAction::triggered, this, &QWidget::close);
    auto *quitAction = new QAction(QStringLiteral("&Quit"), this);
    quitAction->setShortcut(QKeySequence::Quit);
    quitAction->setToolTip(QStringLiteral("Quit podtap-gui; sessions keep running in podtapd"));
    connect(quitAction, &QAction::triggered, this, &MainWindow::quitRequested);

    QMenu *file = menuBar()->addMenu(QStringLiteral("&File"));
    file->addAction(m_newAction);
    file->addAction(m_exportAction);
    file->addAction(m_wiresharkAction);
    file->addAction(m_wiresharkLiveAction);
    file->addAction(m_replayAction);
    file->addSeparator();
    file->addAction(m_settingsAction);
    file->addSeparator();
    file->addAction(m_startDaemonAction);
    file->addSeparator();
    file->addAction(closeAction);
    file->addAction(quitAction);
    QMenu *session = menuBar()->addMenu(QStringLiteral("&Session"));
    session->addAction(m_stopAction);
    session->addAction(m_mirrorAction);
    session->addAction(m_stopMirrorAction);
    session->addAction(m_wiresharkLiveAction);

    QToolBar *tools = addToolBar(QStringLiteral("Session"));
    tools->setObjectName(QStringLiteral("sessionToolBar"));
    tools->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tools->setMovable(false);
    tools->addAction(m_newAction);
    tools->addSeparator();
    tools->addAction(m_stopAction);
    tools->addAction(m_mirrorAction);
    tools->addAction(m_stopMirrorAction);
    tools->addAction(m_exportAction);
    tools->addAction(m_wiresharkAction);
    tools->addAction(m_replayAction);
    // Last in the Session menu, apart: the one action that destroys data.
    session->addSeparator();
    session->addAction(m_deleteAction);
}

QString MainWindow::selectedSessionId() const
{
    const QModelIndexList rows = m_sessionView->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString()
                          : rows.constFirst().data(SessionListModel::SessionIdRole).toString();
}

QList<qint64> MainWindow::selectedConnectionIds() const
{
    QList<qint64> ids;
    const QModelIndexList rows = m_connectionView->selectionModel()->selectedRows();
    for (const QModelIndex &row : rows)
        ids << row.data(ConnectionTableModel::ConnectionIdRole).toLongLong();
    return ids;
}

QJsonObject MainWindow::selectedSummary() const
{
    return m_sessions->summary(selectedSessionId());
}

void MainWindow::selectSession(const QString &id)
{
    const int row = m_sessions->rowOf(id);
    if (row < 0)
        return;
    const QModelIndex index = m_sessionSort->mapFromSource(m_sessions->index(row, 0));
    m_sessionView->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect
                                                           | QItemSelectionModel::Rows);
    m_sessionView->scrollTo(index);
}

void MainWindow::onSelectionChanged()
{
    const QString id = selectedSessionId();
    if (id != m_followed) {
        m_followed = id;
        m_filter->clear();
        m_feed->setSession(id, m_sessions->isRunning(m_sessions->rowOf(id)));
        m_packetPane->setSession(id, m_sessions->isRunning(m_sessions->rowOf(id)));
        m_requestsPane->setSession(id, m_sessions->isRunning(m_sessions->rowOf(id)));
        m_requestsPane->setSummary(selectedSummary());
    }
    updateActions();
    updatePlaceholders();
}

void MainWindow::updateActions()
{
    const QString id = selectedSessionId();
    const int row = m_sessions->rowOf(id);
    const bool running = m_sessions->isRunning(row);
    const QJsonObject s = m_sessions->summaryAt(row);
    const bool connected = m_link->isConnected();
    m_newAction->setEnabled(connected);
    m_startDaemonAction->setEnabled(m_link->state() == DaemonLink::State::Waiting);
    m_stopAction->setEnabled(connected && running);
    m_mirrorAction->setEnabled(connected && running);
    m_stopMirrorAction->setEnabled(connected && running && SessionListModel::isMirroring(s));
    m_exportAction->setEnabled(connected && row >= 0
                               && s.value(QLatin1String("state")).toString()
                                          != QLatin1String("damaged"));
    // Never a running session: stop it first (podtapd refuses it too).
    m_deleteAction->setEnabled(connected && row >= 0 && !running);
    m_replayAction->setEnabled(connected);
    const bool wireshark = m_wiresharkAvailable;
    m_wiresharkAction->setEnabled(wireshark && m_exportAction->isEnabled());
    m_wiresharkAction->setToolTip(wireshark ? QStringLiteral("Export the selected session (or "
                                                             "connections) and open it in "
                                                             "Wireshark")
                                            : WiresharkLauncher::unavailableReason());
    m_wiresharkLiveAction->setEnabled(wireshark && connected && running);
    m_wiresharkLiveAction->setToolTip(
            wireshark ? QStringLiteral("Follow the running session in Wireshark, live, through "
                                       "podtap's capture interface; the session goes on when "
                                       "Wireshark stops")
                      : WiresharkLauncher::unavailableReason());
}

void MainWindow::updatePlaceholders()
{
    if (m_sessions->rowCount() > 0) {
        m_sessionStack->showContent();
    } else if (!m_sessions->isLoaded()) {
        if (m_link->state() == DaemonLink::State::Waiting)
            m_sessionStack->showMessage(
                    QStringLiteral("podtapd is not reachable"),
                    m_link->lastError()
                            + QStringLiteral(".\n\npodtap-gui keeps retrying by itself. File ▸ "
                                             "Start podtapd starts the daemon, as do podtapd or "
                                             "systemctl --user start podtapd."));
        else
            m_sessionStack->showMessage(
                    QStringLiteral("Starting podtapd…"),
                    QStringLiteral("podtapd is the background service that runs your captures "
                                   "and mirrors, so that they go on when this window is closed. "
                                   "It is being started for you; this takes a moment."));
    } else {
        m_sessionStack->showMessage(
                QStringLiteral("No sessions yet"),
                QStringLiteral("Start one with New capture/mirror (Ctrl+N): name a pod, "
                               "deployment or service and the port it serves. podtap adds a "
                               "NET_RAW-only tap container; the pods keep running.\n\nFrom a "
                               "terminal: podtap mirror shop/web --port 8080 --to 9000"));
    }

    if (m_followed.isEmpty()) {
        m_connectionStack->showMessage(QStringLiteral("No session selected"),
                                       QStringLiteral("Select a session above to see its "
                                                      "connections."));
    } else if (m_connections->rowCount() > 0) {
        m_connectionStack->showContent();
    } else if (m_feed->isLoading()) {
        m_connectionStack->showMessage(QStringLiteral("Loading connections…"), QString());
    } else if (m_sessions->isRunning(m_sessions->rowOf(m_followed))) {
        m_connectionStack->showMessage(
                QStringLiteral("No connection yet"),
                QStringLiteral("Connections appear here as soon as their first packet is "
                               "captured, open ones with live counters."));
    } else {
        m_connectionStack->showMessage(QStringLiteral("No connections"),
                                       QStringLiteral("This session recorded no complete "
                                                      "connection."));
    }
}

void MainWindow::showProblem(const QString &text)
{
    m_banner->setText(text.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"))
                      + QStringLiteral(" &nbsp;<a href=\"#\">Dismiss</a>"));
    m_banner->show();
    statusBar()->showMessage(text.section(QLatin1Char('\n'), 0, 0), MessageTimeoutMs);
}

void MainWindow::showInfo(const QString &text)
{
    statusBar()->showMessage(text, MessageTimeoutMs);
}

void MainWindow::newSession()
{
    TargetPickerDialog dialog(m_link, this);
    dialog.setTapProfile(Settings::tapProfile());
    if (dialog.exec() != QDialog::Accepted)
        return;
    const SessionController::StartRequest r = dialog.request();
    if (r.mirrorPort > 0)
        m_pendingRecent = RecentTargets::Entry{r.context, r.ns, r.target, r.port, r.mirrorPort};
    m_controller->start(r);
}

void MainWindow::stopSelected()
{
    const QString id = selectedSessionId();
    if (!id.isEmpty())
        m_controller->stop(id);
}

void MainWindow::mirrorSelected()
{
    const QString id = selectedSessionId();
    if (id.isEmpty())
        return;
    const QJsonObject s = selectedSummary();
    const QString to
            = s.value(QLatin1String("mirror")).toObject().value(QLatin1String("to")).toString();
    const RecentTargets::Entry target{s.value(QLatin1String("context")).toString(),
                                      s.value(QLatin1String("namespace")).toString(),
                                      s.value(QLatin1String("target")).toString(),
                                      s.value(QLatin1String("port")).toInt(), 0};
    int port = to.section(QLatin1Char(':'), -1).toInt();
    if (port <= 0 && m_recent)
        port = m_recent->rememberedLocalPort(target.context, target.ns, target.target, target.port);
    MirrorDialog dialog(s.value(QLatin1String("title")).toString(),
                        port > 0 ? port : Settings::defaultMirrorPort(), this);
    dialog.setJoinMidstream(Settings::mirrorJoinMidstream());
    if (dialog.exec() != QDialog::Accepted)
        return;
    if (m_recent) {
        RecentTargets::Entry e = target;
        e.localPort = dialog.port();
        m_recent->add(e);
    }
    m_controller->setMirror(id, dialog.port(), dialog.joinMidstream(), dialog.compare());
}

void MainWindow::stopMirrorSelected()
{
    const QString id = selectedSessionId();
    if (!id.isEmpty())
        m_controller->setMirror(id, 0);
}

void MainWindow::exportSelected()
{
    const QString id = selectedSessionId();
    if (id.isEmpty())
        return;
    const QString pcapng = QStringLiteral("pcapng (*.pcapng)");
    const QString pcap = QStringLiteral("pcap (*.pcap)");
    QString filter = pcapng;
    QString path = QFileDialog::getSaveFileName(
            this, QStringLiteral("Export session %1").arg(id),
            QDir::home().filePath(QStringLiteral("podtap-session-%1.pcapng").arg(id)),
            pcapng + QStringLiteral(";;") + pcap, &filter);
    if (path.isEmpty())
        return;
    const bool classic = path.endsWith(QLatin1String(".pcap"))
                         || (filter == pcap && !path.endsWith(QLatin1String(".pcapng")));
    if (!path.endsWith(QLatin1String(".pcap")) && !path.endsWith(QLatin1String(".pcapng")))
        path += classic ? QStringLiteral(".pcap") : QStringLiteral(".pcapng");
    m_controller->exportSession(id, path,
                                classic ? QStringLiteral("pcap") : QStringLiteral("pcapng"));
}

void MainWindow::deleteSelected()
{
    const QString id = selectedSessionId();
    const int row = m_sessions->rowOf(id);
    if (id.isEmpty() || m_sessions->isRunning(row))
        return;
    const QJsonObject s = m_sessions->summaryAt(row);
    QMessageBox box(QMessageBox::Warning, QStringLiteral("Delete session %1").arg(id),
                    QStringLiteral("Delete session %1 (%2) and its stored capture?")
                            .arg(id, s.value(QLatin1String("title")).toString()),
                    QMessageBox::Cancel, this);
    box.setObjectName(QStringLiteral("deleteConfirmation"));
    box.setInformativeText(
            QStringLiteral("%1 of packets, connections and requests are removed from the disk; "
                           "this cannot be undone. Export it first to keep a copy.")
                    .arg(DisplayFormat::bytes(s.value(QLatin1String("diskBytes")).toInteger())));
    QPushButton *remove = box.addButton(QStringLiteral("Delete"), QMessageBox::DestructiveRole);
    remove->setObjectName(QStringLiteral("confirmDelete"));
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    if (box.clickedButton() == remove)
        m_controller->remove({id});
}

void MainWindow::replaySelected()
{
    // Not modal, one per request: a long replay must not block the window.
    auto *dialog = new ReplayDialog(m_link, m_sessions, selectedSessionId(),
                                    selectedConnectionIds(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

void MainWindow::openInWireshark()
{
    const QString id = selectedSessionId();
    if (id.isEmpty() || !WiresharkLauncher::isAvailable()) {
        if (!WiresharkLauncher::isAvailable())
            showProblem(WiresharkLauncher::unavailableReason());
        return;
    }
    m_wireshark->open(id, selectedConnectionIds());
    showInfo(QStringLiteral("Exporting session %1 for Wireshark…").arg(id));
}

void MainWindow::editSettings()
{
    SettingsDialog dialog(this, m_link);
    if (dialog.exec() == QDialog::Accepted && m_recent)
        m_recent->reload(); // the count may have changed
    if (const QJsonObject change = dialog.retentionChange();
        dialog.result() == QDialog::Accepted && !change.isEmpty())
        DaemonClient(m_link).storeRetention(
                change, this, [this](const DaemonClient::JsonAnswer &r) {
                    if (!r.ok()) {
                        showProblem(QStringLiteral("Store retention not changed: ")
                                    + r.error.message);
                        return;
                    }
                    const QJsonObject p = r.value.value(QLatin1String("retention")).toObject();
                    showInfo(
                            QStringLiteral("Store retention: at most %1, stopped sessions "
                                           "kept %2; %3 sessions removed")
                                    .arg(p.value(QLatin1String("quota")).toString(),
                                         p.value(QLatin1String("maxAge")).toString())
                                    .arg(r.value.value(QLatin1String("removed")).toArray().size()));
                });
    m_wiresharkAvailable = WiresharkLauncher::isAvailable();
    updateActions();
}

void MainWindow::showAndRaise()
{
    show();
    setWindowState(windowState() & ~Qt::WindowMinimized);
    raise();
    activateWindow();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_keepRunningInTray) {
        hide();
        event->ignore();
        if (!m_toldAboutTray) {
            m_toldAboutTray = true;
            Q_EMIT hiddenToTray();
        }
        return;
    }
    QMainWindow::closeEvent(event);
}

} // namespace podtap
