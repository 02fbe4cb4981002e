#pragma once

#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QStringList>

#include <optional>

namespace kubesim {

class ChildProcess;

// What a container's PID namespace would contain: the process groups its execs started
// (including orphans whose stream broke). Scopes `pkill` to one container, as on a node.
class ContainerProcesses : public QObject
{
    Q_OBJECT
public:
    explicit ContainerProcesses(QObject *parent = nullptr);

    static QString key(const QString &ns, const QString &pod, const QString &container);
    void add(const QString &containerKey, ChildProcess *process);
    // pkill [-SIGNAL|--signal S] [-x] [-f] PATTERN over this container's processes only:
    // exit 0 if one matched (signalled), 1 if none, 2 on a syntax error. nullopt: not pkill.
    std::optional<int> emulate(const QString &containerKey, const QStringList &argv);
    void killAll();

private:
    QHash<QString, QList<QPointer<ChildProcess>>> m_processes;
};

} // namespace kubesim
