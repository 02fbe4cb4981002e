#include "sessioncontroller.h"

#include "daemonclient.h"
#include "daemonlink.h"
#include "settings.h"

#include <QFileInfo>
#include <QJsonArray>

namespace podtap {

SessionController::SessionController(DaemonLink *link, QObject *parent)
    : QObject(parent)
    , m_link(link)
{}

SessionStartRequest SessionController::startRequest(const StartRequest &request)
{
    SessionStartRequest r;
    QStringList kubeconfig = request.kubeconfig;
    if (kubeconfig.isEmpty())
        kubeconfig = Settings::kubeconfigPaths();
    if (kubeconfig.isEmpty())
        r.kubeconfig = SessionStartRequest::kubeconfigFromEnvironment();
    else
        for (const QString &f : std::as_const(kubeconfig))
            r.kubeconfig << QFileInfo(f).absoluteFilePath();
    // Exec credential plugins run in the daemon but must see this desktop session's
    // environment (the daemon keeps it in memory only).
    r.environment = SessionStartRequest::processEnvironment();
    r.context = request.context.trimmed();
    r.ns = request.ns.trimmed();
    r.target = request.target.trimmed();
    r.port = request.port;
    r.allPods = true;
    r.confirmProtected = request.confirmProtected;
    if (request.mirrorPort > 0) {
        r.mirror.host = QStringLiteral("127.0.0.1");
        r.mirror.port = request.mirrorPort;
        r.mirror.joinMidstream = request.joinMidstream;
        r.mirror.compare = request.compare;
    }
    // The daemon's default image is Settings' default: send only a choice of the user's.
    const QString image
            = request.image.trimmed().isEmpty() ? Settings::tapImage() : request.image.trimmed();
    if (image != QLatin1String(Settings::DefaultImage))
        r.image = image;
    // nonroot has no default image: with Settings' default the daemon's preflight says why.
    if (!request.tapProfile.isEmpty())
        r.tapProfile = request.tapProfile;
    r.limits.maxBytes
            = request.maxBytes >= 0 ? request.maxBytes : Settings::maxMegabytes() * 1024 * 1024;
    r.limits.maxAgeSeconds
            = request.maxAgeSeconds >= 0 ? request.maxAgeSeconds : Settings::maxAgeSeconds();
    r.limits.durationSeconds
            = request.durationSeconds >= 0 ? request.durationSeconds : Settings::durationSeconds();
    return r;
}

void SessionController::start(const StartRequest &request)
{
    DaemonClient(m_link).sessionStart(
            startRequest(request), this, [this, request](const DaemonClient::SessionAnswer &r) {
                if (r.error.code == IpcError::ProtectedContext && !request.confirmProtected) {
                    // The daemon names the context it resolved (maybe the current one).
                    Q_EMIT confirmationNeeded(
                            request, r.error.context.isEmpty() ? request.context : r.error.context,
                            r.error.message);
                    return;
                }
                if (!r.ok()) {
                    Q_EMIT failed(QStringLiteral("Start"), r.error.message);
                    return;
                }
                Q_EMIT started(r.value.session ? r.value.session->toJson() : QJsonObject());
            });
}

void SessionController::stop(const QString &id)
{
    DaemonClient(m_link).sessionStop(
            SessionStopRequest{id}, this, [this, id](const DaemonClient::SessionAnswer &r) {
                if (!r.ok()) {
                    Q_EMIT failed(QStringLiteral("Stop"), r.error.message);
                    return;
                }
                Q_EMIT stopped(id, r.value.session ? r.value.session->toJson() : QJsonObject());
            });
}

void SessionController::remove(const QStringList &ids)
{
    DaemonClient(m_link).sessionDelete(ids, this, [this](const DaemonClient::JsonAnswer &r) {
        if (!r.ok()) {
            Q_EMIT failed(QStringLiteral("Delete"), r.error.message);
            return;
        }
        QStringList gone;
        qint64 bytes = 0;
        for (const QJsonValue v : r.value.value(QLatin1String("removed")).toArray()) {
            gone << v[QLatin1String("id")].toString();
            bytes += v[QLatin1String("diskBytes")].toInteger();
        }
        if (!gone.isEmpty())
            Q_EMIT removed(gone, bytes);
        QStringList why;
        for (const QJsonValue v : r.value.value(QLatin1String("errors")).toArray())
            why << v[QLatin1String("message")].toString();
        if (!why.isEmpty())
            Q_EMIT failed(QStringLiteral("Delete"), why.join(QLatin1Char('\n')));
    });
}

void SessionController::setMirror(const QString &id, int port, bool joinMidstream, bool compare)
{
    DaemonClient(m_link).sessionMirror(
            QJsonObject{{QStringLiteral("id"), id},
                        {QStringLiteral("host"), QStringLiteral("127.0.0.1")},
                        {QStringLiteral("port"), port},
                        {QStringLiteral("joinMidstream"), joinMidstream},
                        {QStringLiteral("compare"), compare}},
            this, [this, id](const DaemonClient::JsonAnswer &r) {
                if (!r.ok()) {
                    Q_EMIT failed(QStringLiteral("Mirror"), r.error.message);
                    return;
                }
                Q_EMIT mirrorChanged(id, r.value.value(QLatin1String("mirror")).toObject());
            });
}

void SessionController::exportSession(const QString &id, const QString &path, const QString &format)
{
    DaemonClient(m_link).sessionExport(
            QJsonObject{{QStringLiteral("id"), id},
                        {QStringLiteral("path"), QFileInfo(path).absoluteFilePath()},
                        {QStringLiteral("format"), format}},
            this, [this, id](const DaemonClient::JsonAnswer &r) {
                if (!r.ok()) {
                    Q_EMIT failed(QStringLiteral("Export"), r.error.message);
                    return;
                }
                Q_EMIT exported(id, r.value.value(QLatin1String("path")).toString(),
                                r.value.value(QLatin1String("packets")).toInteger(),
                                r.value.value(QLatin1String("bytes")).toInteger());
            });
}

} // namespace podtap
