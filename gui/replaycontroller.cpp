#include "replaycontroller.h"

#include "daemonclient.h"
#include "daemonlink.h"

#include <QFileInfo>
#include <QJsonArray>

namespace podtap {

ReplayController::ReplayController(DaemonLink *link, QObject *parent)
    : QObject(parent)
    , m_link(link)
{
    connect(m_link, &DaemonLink::event, this, &ReplayController::onEvent);
    connect(m_link, &DaemonLink::connectionLost, this, [this](const QString &why) {
        if (!m_running)
            return;
        m_running = false;
        Q_EMIT failed(QStringLiteral("lost podtapd while replaying (%1)").arg(why));
    });
}

QJsonObject ReplayController::startParams(const Request &request)
{
    // The daemon tells a file from a session id by its absolute path.
    const QString source = request.file.trimmed().isEmpty()
                                   ? request.sessionId.trimmed()
                                   : QFileInfo(request.file.trimmed()).absoluteFilePath();
    QJsonObject p{{QStringLiteral("source"), source},
                  {QStringLiteral("host"), QStringLiteral("127.0.0.1")},
                  {QStringLiteral("port"), request.port},
                  {QStringLiteral("speed"), request.speed},
                  {QStringLiteral("subscribe"), true}};
    if (!request.connections.isEmpty()) {
        QJsonArray ids;
        for (const qint64 c : request.connections)
            ids.append(c);
        p[QLatin1String("connections")] = ids;
    }
    return p;
}

void ReplayController::start(const Request &request)
{
    if (m_running) {
        Q_EMIT failed(QStringLiteral("a replay is already running; stop it first"));
        return;
    }
    if (request.sessionId.trimmed().isEmpty() && request.file.trimmed().isEmpty()) {
        Q_EMIT failed(QStringLiteral("choose a stored session or a pcap/pcapng file to replay"));
        return;
    }
    if (request.port < 1 || request.port > 65535) {
        Q_EMIT failed(QStringLiteral("the local port must be 1-65535"));
        return;
    }
    if (request.speed < 0) {
        Q_EMIT failed(QStringLiteral("the speed cannot be negative"));
        return;
    }
    m_running = true;
    m_id.clear();
    m_done = {};
    const quint64 generation = ++m_generation;
    DaemonClient(m_link).replayStart(startParams(request), this,
                                     [this, generation](const DaemonClient::JsonAnswer &r) {
                                         if (generation != m_generation)
                                             return;
                                         if (!r.ok()) {
                                             m_running = false;
                                             Q_EMIT failed(r.error.message);
                                             return;
                                         }
                                         m_id = r.value.value(QLatin1String("id")).toString();
                                         Q_EMIT started(m_id);
                                     });
}

void ReplayController::stop()
{
    if (!m_running)
        return;
    if (m_id.isEmpty()) {
        // Not started yet: forget it; a late success is ignored (generation).
        ++m_generation;
        m_running = false;
        Q_EMIT failed(QStringLiteral("replay cancelled"));
        return;
    }
    DaemonClient(m_link).replayStop(m_id, this, [this](const DaemonClient::JsonAnswer &r) {
        if (!r.ok())
            Q_EMIT failed(r.error.message);
    });
}

void ReplayController::onEvent(const QJsonObject &event)
{
    if (m_id.isEmpty()
        || event.value(QLatin1String("stream")).toString() != QStringLiteral("replay/") + m_id)
        return;
    const QString name = event.value(QLatin1String("event")).toString();
    const QJsonObject data = event.value(QLatin1String("data")).toObject();
    if (name == QLatin1String("progress")) {
        Q_EMIT progress(data.value(QLatin1String("packets")).toInteger(),
                        data.value(QLatin1String("connections")).toInteger(),
                        data.value(QLatin1String("bytesSent")).toInteger());
    } else if (name == QLatin1String("done")) {
        m_running = false;
        m_done = data;
        Q_EMIT finished(data);
    }
}

} // namespace podtap
