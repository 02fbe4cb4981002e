#include "traycontroller.h"

#include "guard/contextguard.h"
#include "projectmirrors.h"
#include "recenttargets.h"
#include "sessioncontroller.h"
#include "sessionlistmodel.h"
#include "settings.h"

#include <QDateTime>
#include <QMenu>
#include <QSystemTrayIcon>

namespace podtap {

TrayController::TrayController(DaemonLink *link, SessionListModel *sessions,
                               SessionController *controller, QObject *parent)
    : QObject(parent)
    , m_link(link)
    , m_sessions(sessions)
    , m_controller(controller)
    , m_menu(new QMenu)
{
    m_menu->setObjectName(QStringLiteral("trayMenu"));
    connect(m_link, &DaemonLink::stateChanged, this, &TrayController::refresh);
    connect(m_sessions, &QAbstractItemModel::dataChanged, this, &TrayController::refresh);
    connect(m_sessions, &QAbstractItemModel::rowsInserted, this, &TrayController::refresh);
    connect(m_sessions, &QAbstractItemModel::rowsRemoved, this, &TrayController::refresh);
    connect(m_sessions, &QAbstractItemModel::modelReset, this, &TrayController::refresh);
    connect(m_sessions, &SessionListModel::sessionFailed, this,
            [this](const QString &id, const QString &title, const QString &reason) {
                m_failureUnseen = true;
                m_lastFailure = QStringLiteral("Session %1 (%2) failed: %3").arg(id, title, reason);
                notify(QStringLiteral("failed:") + id, QStringLiteral("podtap session failed"),
                       m_lastFailure);
                refresh();
            });
    // A click in the tray has no window to answer in: a refusal is a notification, and the
    // entry's check mark (toggled by the click) is put right.
    auto settled = [this] {
        m_quickPending = false;
        m_menuSignature.clear();
        refresh();
    };
    connect(m_controller, &SessionController::started, this, settled);
    connect(m_controller, &SessionController::stopped, this, settled);
    connect(m_controller, &SessionController::failed, this,
            [this, settled](const QString &action, const QString &message) {
                if (m_quickPending)
                    notify(QStringLiteral("quick:") + action + message,
                           QStringLiteral("podtap: quick mirror failed"),
                           QStringLiteral("%1 failed: %2").arg(action, message));
                settled();
            });
    connect(m_link, &DaemonLink::connectionLost, this, [this](const QString &why) {
        notify(QStringLiteral("daemon-lost"), QStringLiteral("podtap lost its daemon"),
               why + QStringLiteral("; reconnecting (sessions may have ended with it)"));
    });
    refresh();
}

TrayController::~TrayController()
{
    delete m_menu; // a QMenu has no QObject parent here: the tray does not own it
}

TrayController::Status TrayController::statusFor(DaemonLink::State link,
                                                 const QList<QJsonObject> &running,
                                                 bool failureUnseen)
{
    if (link == DaemonLink::State::Waiting || failureUnseen)
        return Status::Error;
    bool capturing = false;
    for (const QJsonObject &s : running) {
        if (SessionListModel::isMirroring(s))
            return Status::Mirroring;
        capturing = true;
    }
    return capturing ? Status::Capturing : Status::Idle;
}

QString TrayController::statusName(Status status)
{
    switch (status) {
    case Status::Idle:
        return QStringLiteral("idle");
    case Status::Capturing:
        return QStringLiteral("capturing");
    case Status::Mirroring:
        return QStringLiteral("mirroring");
    case Status::Error:
        return QStringLiteral("error");
    }
    return {};
}

QString TrayController::toolTip() const
{
    const int running = int(m_sessions->runningSessions().size());
    QString text = QStringLiteral("podtap: ");
    if (!m_link->isConnected())
        text += m_link->statusText();
    else if (running == 0)
        text += QStringLiteral("no session running");
    else
        text += QStringLiteral("%1 session(s) running").arg(running);
    if (m_failureUnseen)
        text += QLatin1Char('\n') + m_lastFailure;
    return text;
}

bool TrayController::showTrayIcon()
{
    if (m_tray)
        return true;
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return false;
    m_tray = new QSystemTrayIcon(AppIcons::icon(m_status), this);
    m_tray->setContextMenu(m_menu);
    m_tray->setToolTip(toolTip());
    connect(m_tray, &QSystemTrayIcon::activated, this,
            [this](QSystemTrayIcon::ActivationReason reason) {
                if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick)
                    Q_EMIT openWindowRequested();
            });
    connect(m_tray, &QSystemTrayIcon::messageClicked, this, &TrayController::openWindowRequested);
    m_tray->show();
    return true;
}

void TrayController::acknowledgeFailures()
{
    if (!m_failureUnseen)
        return;
    m_failureUnseen = false;
    refresh();
}

void TrayController::notify(const QString &key, const QString &title, const QString &message)
{
    // A flapping stream or a local server that stays down must not flood the desktop.
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const auto last = m_lastNotified.constFind(key);
    if (last != m_lastNotified.cend() && now - *last < NotifyRepeatMs)
        return;
    m_lastNotified.insert(key, now);
    if (m_tray && QSystemTrayIcon::supportsMessages())
        m_tray->showMessage(title, message, QSystemTrayIcon::Warning);
    Q_EMIT notified(title, message);
}

void TrayController::checkMirrorErrors(const QList<QJsonObject> &running)
{
    QHash<QString, qint64> seen;
    for (const QJsonObject &s : running) {
        const QString id = s.value(QLatin1String("id")).toString();
        const QJsonObject mirror = s.value(QLatin1String("mirror")).toObject();
        const qint64 errors = mirror.value(QLatin1String("localErrors")).toInteger();
        const qint64 before = m_mirrorErrors.value(id, 0);
        seen.insert(id, errors);
        if (errors > before)
            notify(QStringLiteral("mirror-local:") + id,
                   QStringLiteral("podtap mirror: local port refused"),
                   QStringLiteral("Session %1 (%2): %3 connection(s) could not be mirrored to "
                                  "%4 (is the local server running?)")
                           .arg(id, s.value(QLatin1String("title")).toString(),
                                QString::number(errors),
                                mirror.value(QLatin1String("to")).toString()));
    }
    m_mirrorErrors = seen;
}

void TrayController::setProjectMirrors(ProjectMirrors *project)
{
    if (m_project)
        disconnect(m_project, nullptr, this, nullptr);
    m_project = project;
    if (m_project) {
        connect(m_project, &ProjectMirrors::changed, this, [this] {
            m_menuSignature.clear(); // the file's content may differ under the same names
            refresh();
        });
        connect(m_project, &ProjectMirrors::failed, this,
                [this](const QString &name, const QString &message) {
                    notify(QStringLiteral("project:") + name + message,
                           QStringLiteral("podtap: project mirror %1 failed").arg(name), message);
                });
    }
    refresh();
}

void TrayController::setRecentTargets(RecentTargets *recent)
{
    if (m_recent)
        disconnect(m_recent, nullptr, this, nullptr);
    m_recent = recent;
    if (m_recent)
        connect(m_recent, &RecentTargets::changed, this, &TrayController::refresh);
    refresh();
}

QString TrayController::runningSessionFor(const QList<QJsonObject> &running, int entryIndex,
                                          const RecentTargets *recent)
{
    if (!recent || entryIndex < 0 || entryIndex >= recent->entries().size())
        return {};
    const RecentTargets::Entry e = recent->entries().at(entryIndex);
    for (const QJsonObject &s : running)
        if (e.matches(s))
            return s.value(QLatin1String("id")).toString();
    return {};
}

void TrayController::quickMirror(int entryIndex)
{
    if (!m_recent || entryIndex >= m_recent->entries().size())
        return;
    if (ContextGuard::load().isProtected(m_recent->entries().at(entryIndex).context))
        return; // guard.conf changed since the menu was built
    const QString running = runningSessionFor(m_sessions->runningSessions(), entryIndex, m_recent);
    if (!running.isEmpty()) {
        m_quickPending = true;
        m_controller->stop(running);
        return;
    }
    const RecentTargets::Entry e = m_recent->entries().at(entryIndex);
    SessionController::StartRequest r;
    r.context = e.context;
    r.ns = e.ns;
    r.target = e.target;
    r.port = e.port;
    r.mirrorPort = e.localPort;
    r.joinMidstream = Settings::mirrorJoinMidstream();
    m_quickPending = true;
    m_controller->start(r);
}

void TrayController::refresh()
{
    const QList<QJsonObject> running = m_sessions->runningSessions();
    const Status status = statusFor(m_link->state(), running, m_failureUnseen);
    if (m_tray) {
        m_tray->setToolTip(toolTip());
        if (status != m_status)
            m_tray->setIcon(AppIcons::icon(status));
    }
    rebuildMenu(running);
    checkMirrorErrors(running);
    if (status != m_status) {
        m_status = status;
        Q_EMIT statusChanged(status);
    }
}

void TrayController::rebuildMenu(const QList<QJsonObject> &running)
{
    // Rebuilt only when what it lists changes: stats every second must not flicker it.
    QString signature;
    for (const QJsonObject &s : running)
        signature += s.value(QLatin1String("id")).toString() + QLatin1Char('|')
                     + s.value(QLatin1String("title")).toString() + QLatin1Char('|')
                     + s.value(QLatin1String("state")).toString() + QLatin1Char('|')
                     + (SessionListModel::isMirroring(s) ? QLatin1Char('m') : QLatin1Char('c'))
                     + QLatin1Char('\n');
    const QList<RecentTargets::Entry> recent
            = m_recent ? m_recent->entries() : QList<RecentTargets::Entry>();
    // The context guard: a protected context is never a one-click mirror (patterns re-read,
    // so an edit of guard.conf shows at the next refresh).
    const ContextGuard guard = ContextGuard::load();
    QList<bool> offered;
    for (const RecentTargets::Entry &e : recent) {
        offered << !guard.isProtected(e.context);
        signature += e.key() + QLatin1Char('>') + QString::number(e.localPort)
                     + (offered.constLast() ? QLatin1Char('\n') : QLatin1Char('!'));
    }
    QList<const ProjectConfig::Mirror *> projectMirrors;
    if (m_project) {
        for (const ProjectConfig::Mirror &m : m_project->mirrors())
            if (!ProjectMirrors::isProtected(m))
                projectMirrors << &m;
        signature += m_project->file() + m_project->error();
        for (const ProjectConfig::Mirror *m : std::as_const(projectMirrors))
            signature += QLatin1Char('#') + m->name;
    }
    if (!m_menu->isEmpty() && signature == m_menuSignature)
        return;
    m_menuSignature = signature;
    m_menu->clear();
    QAction *open = m_menu->addAction(QStringLiteral("Open podtap"), this,
                                      &TrayController::openWindowRequested);
    QFont bold = open->font();
    bold.setBold(true);
    open->setFont(bold);
    m_menu->addSection(QStringLiteral("Running sessions"));
    if (running.isEmpty()) {
        m_menu->addAction(QStringLiteral("No session running"))->setEnabled(false);
    }
    for (const QJsonObject &s : running) {
        const QString id = s.value(QLatin1String("id")).toString();
        const QString what = SessionListModel::isMirroring(s)
                                     ? QStringLiteral("mirroring to %1")
                                               .arg(s.value(QLatin1String("mirror"))
                                                            .toObject()
                                                            .value(QLatin1String("to"))
                                                            .toString())
                                     : s.value(QLatin1String("state")).toString();
        QAction *stop
                = m_menu->addAction(QStringLiteral("Stop #%1 %2%3 (%4)")
                                            .arg(id,
                                                 s.value(QLatin1String("protected")).toBool()
                                                         ? QStringLiteral("PRODUCTION · ")
                                                         : QString(),
                                                 s.value(QLatin1String("title")).toString(), what));
        stop->setIcon(AppIcons::icon(SessionListModel::isMirroring(s) ? Status::Mirroring
                                                                      : Status::Capturing));
        connect(stop, &QAction::triggered, this, [this, id] { m_controller->stop(id); });
    }
    if (offered.contains(true)) {
        m_menu->addSection(QStringLiteral("Quick mirror"));
        for (int i = 0; i < recent.size(); ++i) {
            if (!offered.at(i))
                continue;
            QAction *quick = m_menu->addAction(recent.at(i).label());
            quick->setObjectName(QStringLiteral("quickMirror%1").arg(i));
            quick->setCheckable(true);
            const bool on = !runningSessionFor(running, i, m_recent).isEmpty();
            quick->setChecked(on);
            quick->setToolTip(on ? QStringLiteral("Stop this mirror session")
                                 : QStringLiteral("Start a session mirroring to this port"));
            // triggered() toggles the check mark first; the session list sets it right.
            connect(quick, &QAction::triggered, this, [this, i] { quickMirror(i); });
        }
    }
    if (m_project && (!projectMirrors.isEmpty() || !m_project->error().isEmpty())) {
        m_menu->addSection(QStringLiteral("Project mirrors"));
        if (!m_project->error().isEmpty())
            m_menu->addAction(m_project->error())->setEnabled(false);
        for (const ProjectConfig::Mirror *m : std::as_const(projectMirrors)) {
            QAction *a = m_menu->addAction(m->name + QStringLiteral(": ") + m->summary());
            a->setObjectName(QStringLiteral("projectMirror_") + m->name);
            a->setToolTip(m->description);
            const QString name = m->name;
            connect(a, &QAction::triggered, this, [this, name] { m_project->start(name); });
        }
    }
    m_menu->addSeparator();
    m_menu->addAction(QStringLiteral("Quit (sessions keep running in podtapd)"), this,
                      &TrayController::quitRequested);
}

} // namespace podtap
