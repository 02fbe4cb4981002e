#include "projectmirrors.h"

#include "daemonclient.h"
#include "daemonlink.h"
#include "guard/contextguard.h"
#include "project/projectconfigparser.h"
#include "sessioncontroller.h"
#include "sessionlistmodel.h"

#include <QDir>
#include <QFileInfo>

namespace podtap {

ProjectMirrors::ProjectMirrors(DaemonLink *link, SessionListModel *sessions, QObject *parent)
    : QObject(parent)
    , m_link(link)
    , m_sessions(sessions)
{
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(m_sessions, signal, this, &ProjectMirrors::checkWaiting);
    connect(m_sessions, &QAbstractItemModel::dataChanged, this, &ProjectMirrors::checkWaiting);
    connect(m_sessions, &QAbstractItemModel::modelReset, this, &ProjectMirrors::checkWaiting);
}

void ProjectMirrors::setProject(const QString &dirOrFile)
{
    m_project = dirOrFile;
    reload();
}

void ProjectMirrors::reload()
{
    const QString where = m_project.isEmpty() ? QDir::currentPath() : m_project;
    m_file = QFileInfo(where).isDir() ? ProjectConfigParser::find(where) : where;
    m_config = ProjectConfig();
    m_error.clear();
    if (m_file.isEmpty()) {
        if (!m_project.isEmpty())
            m_error = QStringLiteral("no %1 in %2 or a parent folder")
                              .arg(QLatin1String(ProjectConfigParser::FileName), where);
    } else {
        const auto loaded = ProjectConfigParser::load(m_file);
        if (loaded)
            m_config = loaded.value();
        else
            m_error = loaded.error();
    }
    Q_EMIT changed();
}

bool ProjectMirrors::isProtected(const ProjectConfig::Mirror &mirror)
{
    const ContextGuard guard = ContextGuard::load();
    if (guard.isProtected(mirror.context))
        return true;
    // "context/namespace/pod" names a context too.
    const QStringList parts = mirror.target.split(QLatin1Char('/'));
    return parts.size() == 3 && guard.isProtected(parts.constFirst());
}

void ProjectMirrors::start(const QString &name, bool confirmProtected)
{
    if (isStarting()) {
        Q_EMIT failed(name, QStringLiteral("mirror %1 is still starting").arg(m_starting));
        return;
    }
    const ProjectConfig::Mirror *m = m_config.find(name);
    if (!m) {
        Q_EMIT failed(name, QStringLiteral("%1 has no mirror '%2'").arg(m_file, name));
        return;
    }
    m_starting = name;
    m_mirror = *m;
    m_confirmed = confirmProtected;
    m_ids.clear();
    m_waitingFor.clear();
    startNext();
}

void ProjectMirrors::startNext()
{
    const int i = int(m_ids.size());
    if (i >= m_mirror.ports.size()) {
        const QString name = m_starting;
        const QStringList ids = m_ids;
        m_starting.clear();
        Q_EMIT started(name, ids);
        return;
    }
    // The kubeconfig and environment exactly as the window's sessions send them.
    // The tap and limits are the file's (else the daemon's defaults), as for the CLI.
    const SessionStartRequest client
            = SessionController::startRequest(SessionController::StartRequest());
    SessionStartRequest request = m_mirror.sessionRequest(i);
    request.kubeconfig = client.kubeconfig;
    request.environment = client.environment;
    request.confirmProtected = m_confirmed;
    DaemonClient(m_link).sessionStart(request, this, [this](const DaemonClient::SessionAnswer &r) {
        if (m_starting.isEmpty())
            return;
        if (r.error.code == IpcError::ProtectedContext && !m_confirmed && m_ids.isEmpty()) {
            // The daemon names the context it resolved (maybe the current one).
            const QString name = m_starting;
            m_starting.clear();
            Q_EMIT confirmationNeeded(
                    name, r.error.context.isEmpty() ? m_mirror.context : r.error.context,
                    r.error.message);
            return;
        }
        if (!r.ok()) {
            abort(r.error.message);
            return;
        }
        if (!r.value.session) {
            abort(QStringLiteral("podtapd's answer to session.start names no session"));
            return;
        }
        m_waitingFor = r.value.session->id;
        m_ids << m_waitingFor;
        m_sessions->refresh();
        checkWaiting();
    });
}

void ProjectMirrors::checkWaiting()
{
    if (m_waitingFor.isEmpty())
        return;
    const QJsonObject s = m_sessions->summary(m_waitingFor);
    const QString state = s.value(QLatin1String("state")).toString();
    if (state == QLatin1String("capturing")) {
        m_waitingFor.clear();
        startNext();
    } else if (SessionListModel::isFinalState(state)) {
        abort(QStringLiteral("session %1 %2: %3")
                      .arg(m_waitingFor, state, s.value(QLatin1String("reason")).toString()));
    }
}

void ProjectMirrors::abort(const QString &message)
{
    // All or nothing: the sessions this mirror already started are stopped.
    for (const QString &id : std::as_const(m_ids))
        DaemonClient(m_link).sessionStop(SessionStopRequest{id}, this,
                                         [](const DaemonClient::SessionAnswer &) {});
    const QString name = m_starting;
    m_starting.clear();
    m_waitingFor.clear();
    m_ids.clear();
    Q_EMIT failed(name, message);
}

} // namespace podtap
