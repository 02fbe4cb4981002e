#include "projectmirrors.h"

#include "daemonlink.h"
#include "guard/contextguard.h"
#include "project/projectconfigparser.h"
#include "sessioncontroller.h"
#include "sessionlistmodel.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

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
    QJsonObject params = SessionController::startParams(SessionController::StartRequest());
    for (const char *key : {"image", "tapProfile", "limits", "mirror"})
        params.remove(QLatin1String(key));
    const QJsonObject own = m_mirror.sessionParams(i);
    for (auto it = own.begin(); it != own.end(); ++it)
        params[it.key()] = it.value();
    if (m_confirmed)
        params[QLatin1String("confirmProtected")] = true;
    m_link->request(QStringLiteral("session.start"), params, this,
                    [this](const IpcClient::Reply &r) {
                        if (m_starting.isEmpty())
                            return;
                        if (!r.ok && r.errorCode == QLatin1String("protected-context")
                            && !m_confirmed && m_ids.isEmpty()) {
                            static const QRegularExpression named(
                                    QStringLiteral("context '([^']+)' is protected"));
                            const auto match = named.match(r.errorMessage);
                            const QString name = m_starting;
                            m_starting.clear();
                            Q_EMIT confirmationNeeded(
                                    name, match.hasMatch() ? match.captured(1) : m_mirror.context,
                                    r.errorMessage);
                            return;
                        }
                        if (!r.ok) {
                            abort(r.errorMessage);
                            return;
                        }
                        m_waitingFor = r.result.value(QLatin1String("session"))
                                               .toObject()
                                               .value(QLatin1String("id"))
                                               .toString();
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
        m_link->request(QStringLiteral("session.stop"), QJsonObject{{QStringLiteral("id"), id}},
                        this, [](const IpcClient::Reply &) {});
    const QString name = m_starting;
    m_starting.clear();
    m_waitingFor.clear();
    m_ids.clear();
    Q_EMIT failed(name, message);
}

} // namespace podtap
