#pragma once

#include "project/projectconfig.h"

#include <QObject>
#include <QStringList>

namespace podtap {

class DaemonLink;
class SessionListModel;

// The GUI's project mirrors: the `.podtap.yaml` of the project folder given with
// `podtap-gui --project DIR` (else the nearest one above the working directory), listed in
// the window's Project menu and, unless the context guard protects them, in the tray. Starting
// one opens a podtapd session per port mapping, the next once the previous one captures (so it
// reuses the tap just added). Config errors come with file:line:column.
class ProjectMirrors : public QObject
{
    Q_OBJECT

public:
    ProjectMirrors(DaemonLink *link, SessionListModel *sessions, QObject *parent = nullptr);

    // A folder (its .podtap.yaml or the nearest one above) or a file; reads it.
    void setProject(const QString &dirOrFile);
    void reload();
    QString file() const { return m_file; }
    QString error() const { return m_error; }
    const QList<ProjectConfig::Mirror> &mirrors() const { return m_config.mirrors; }
    // The mirror names a context the context guard protects (an empty context is the current
    // one: podtapd decides then).
    static bool isProtected(const ProjectConfig::Mirror &mirror);
    bool isStarting() const { return !m_starting.isEmpty(); }

    void start(const QString &name, bool confirmProtected = false);

Q_SIGNALS:
    void changed();
    // Every port mapping's session captures.
    void started(const QString &name, const QStringList &sessionIds);
    void failed(const QString &name, const QString &message);
    // podtapd refused: the context guard protects `context`; start again with confirmation.
    void confirmationNeeded(const QString &name, const QString &context, const QString &message);

private:
    void startNext();
    void checkWaiting();
    void abort(const QString &message);

    DaemonLink *m_link;
    SessionListModel *m_sessions;
    QString m_project;
    QString m_file;
    QString m_error;
    ProjectConfig m_config;
    // The mirror being started: its name, mapping, whether confirmed, sessions so far.
    QString m_starting;
    ProjectConfig::Mirror m_mirror;
    bool m_confirmed = false;
    QStringList m_ids;
    QString m_waitingFor; // the session that must capture before the next starts
};

} // namespace podtap
