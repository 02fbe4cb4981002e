#include "sessioncontroller.h"

#include "daemonlink.h"
#include "settings.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QProcessEnvironment>
#include <QRegularExpression>

namespace podtap {

SessionController::SessionController(DaemonLink *link, QObject *parent)
    : QObject(parent)
    , m_link(link)
{}

QJsonObject SessionController::startParams(const StartRequest &request)
{
    QJsonArray files;
    QStringList kubeconfig = request.kubeconfig;
    if (kubeconfig.isEmpty())
        kubeconfig = Settings::kubeconfigPaths();
    if (kubeconfig.isEmpty())
        kubeconfig = qEnvironmentVariable("KUBECONFIG").split(QLatin1Char(':'), Qt::SkipEmptyParts);
    for (const QString &f : kubeconfig)
        files.append(QFileInfo(f).absoluteFilePath());
    // Exec credential plugins run in the daemon but must see this desktop session's
    // environment (the daemon keeps it in memory only).
    QJsonObject environment;
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QStringList keys = env.keys();
    for (const QString &key : keys)
        environment[key] = env.value(key);
    QJsonObject p{{QStringLiteral("kubeconfig"), files},
                  {QStringLiteral("environment"), environment},
                  {QStringLiteral("context"), request.context.trimmed()},
                  {QStringLiteral("namespace"), request.ns.trimmed()},
                  {QStringLiteral("target"), request.target.trimmed()},
                  {QStringLiteral("port"), request.port},
                  {QStringLiteral("allPods"), true}};
    if (request.confirmProtected)
        p[QLatin1String("confirmProtected")] = true;
    if (request.mirrorPort > 0)
        p[QLatin1String("mirror")]
                = QJsonObject{{QStringLiteral("host"), QStringLiteral("127.0.0.1")},
                              {QStringLiteral("port"), request.mirrorPort},
                              {QStringLiteral("joinMidstream"), request.joinMidstream},
                              {QStringLiteral("compare"), request.compare}};
    // The daemon's default image is Settings' default: send only a choice of the user's.
    const QString image
            = request.image.trimmed().isEmpty() ? Settings::tapImage() : request.image.trimmed();
    if (image != QLatin1String(Settings::DefaultImage))
        p[QLatin1String("image")] = image;
    // nonroot has no default image: with Settings' default the daemon's preflight says why.
    if (!request.tapProfile.isEmpty() && request.tapProfile != QLatin1String("default"))
        p[QLatin1String("tapProfile")] = request.tapProfile;
    const qint64 maxBytes
            = request.maxBytes >= 0 ? request.maxBytes : Settings::maxMegabytes() * 1024 * 1024;
    const qint64 maxAge
            = request.maxAgeSeconds >= 0 ? request.maxAgeSeconds : Settings::maxAgeSeconds();
    const int duration
            = request.durationSeconds >= 0 ? request.durationSeconds : Settings::durationSeconds();
    if (maxBytes > 0 || maxAge > 0 || duration > 0)
        p[QLatin1String("limits")] = QJsonObject{{QStringLiteral("maxBytes"), maxBytes},
                                                 {QStringLiteral("maxAgeSeconds"), maxAge},
                                                 {QStringLiteral("durationSeconds"), duration}};
    return p;
}

void SessionController::start(const StartRequest &request)
{
    m_link->request(QStringLiteral("session.start"), startParams(request), this,
                    [this, request](const IpcClient::Reply &r) {
                        if (!r.ok && r.errorCode == QLatin1String("protected-context")
                            && !request.confirmProtected) {
                            // The daemon knows the context it resolved (maybe the current
                            // one): its message names it.
                            static const QRegularExpression named(
                                    QStringLiteral("context '([^']+)' is protected"));
                            const auto m = named.match(r.errorMessage);
                            Q_EMIT confirmationNeeded(
                                    request, m.hasMatch() ? m.captured(1) : request.context,
                                    r.errorMessage);
                            return;
                        }
                        if (!r.ok) {
                            Q_EMIT failed(QStringLiteral("Start"), r.errorMessage);
                            return;
                        }
                        Q_EMIT started(r.result.value(QLatin1String("session")).toObject());
                    });
}

void SessionController::stop(const QString &id)
{
    m_link->request(QStringLiteral("session.stop"), QJsonObject{{QStringLiteral("id"), id}}, this,
                    [this, id](const IpcClient::Reply &r) {
                        if (!r.ok) {
                            Q_EMIT failed(QStringLiteral("Stop"), r.errorMessage);
                            return;
                        }
                        Q_EMIT stopped(id, r.result.value(QLatin1String("session")).toObject());
                    });
}

void SessionController::remove(const QStringList &ids)
{
    m_link->request(QStringLiteral("session.delete"),
                    QJsonObject{{QStringLiteral("ids"), QJsonArray::fromStringList(ids)}}, this,
                    [this](const IpcClient::Reply &r) {
                        if (!r.ok) {
                            Q_EMIT failed(QStringLiteral("Delete"), r.errorMessage);
                            return;
                        }
                        QStringList gone;
                        qint64 bytes = 0;
                        for (const QJsonValue v :
                             r.result.value(QLatin1String("removed")).toArray()) {
                            gone << v[QLatin1String("id")].toString();
                            bytes += v[QLatin1String("diskBytes")].toInteger();
                        }
                        if (!gone.isEmpty())
                            Q_EMIT removed(gone, bytes);
                        QStringList why;
                        for (const QJsonValue v : r.result.value(QLatin1String("errors")).toArray())
                            why << v[QLatin1String("message")].toString();
                        if (!why.isEmpty())
                            Q_EMIT failed(QStringLiteral("Delete"), why.join(QLatin1Char('\n')));
                    });
}

void SessionController::setMirror(const QString &id, int port, bool joinMidstream, bool compare)
{
    m_link->request(QStringLiteral("session.mirror"),
                    QJsonObject{{QStringLiteral("id"), id},
                                {QStringLiteral("host"), QStringLiteral("127.0.0.1")},
                                {QStringLiteral("port"), port},
                                {QStringLiteral("joinMidstream"), joinMidstream},
                                {QStringLiteral("compare"), compare}},
                    this, [this, id](const IpcClient::Reply &r) {
                        if (!r.ok) {
                            Q_EMIT failed(QStringLiteral("Mirror"), r.errorMessage);
                            return;
                        }
                        Q_EMIT mirrorChanged(id,
                                             r.result.value(QLatin1String("mirror")).toObject());
                    });
}

void SessionController::exportSession(const QString &id, const QString &path, const QString &format)
{
    m_link->request(QStringLiteral("session.export"),
                    QJsonObject{{QStringLiteral("id"), id},
                                {QStringLiteral("path"), QFileInfo(path).absoluteFilePath()},
                                {QStringLiteral("format"), format}},
                    this, [this, id](const IpcClient::Reply &r) {
                        if (!r.ok) {
                            Q_EMIT failed(QStringLiteral("Export"), r.errorMessage);
                            return;
                        }
                        Q_EMIT exported(id, r.result.value(QLatin1String("path")).toString(),
                                        r.result.value(QLatin1String("packets")).toInteger(),
                                        r.result.value(QLatin1String("bytes")).toInteger());
                    });
}

} // namespace podtap
