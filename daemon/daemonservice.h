#pragma once

#include "ipc/ipcserver.h"

#include <QDateTime>
#include <QObject>

namespace podtap {

// podtapd's request handler. Sessions (capture, mirror, replay) attach here as they land;
// for now it answers the daemon-level methods.
class DaemonService : public QObject
{
    Q_OBJECT

public:
    explicit DaemonService(QObject *parent = nullptr);

    Result<bool> start(const QString &socketPath);
    IpcServer *server() { return &m_server; }

private:
    void handle(IpcPeer *peer, qint64 id, const QString &method, const QJsonObject &params);

    IpcServer m_server;
    QDateTime m_started;
};

} // namespace podtap
