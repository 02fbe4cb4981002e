#include "apistatus.h"

namespace kubesim {

QJsonObject ApiStatus::failure(int code, const QString &reason, const QString &message,
                               const QJsonObject &details, bool withDetails)
{
    QJsonObject o{{QStringLiteral("kind"), QStringLiteral("Status")},
                  {QStringLiteral("apiVersion"), QStringLiteral("v1")},
                  {QStringLiteral("metadata"), QJsonObject()},
                  {QStringLiteral("status"), QStringLiteral("Failure")},
                  {QStringLiteral("message"), message}};
    if (!reason.isEmpty())
        o.insert(QStringLiteral("reason"), reason);
    if (withDetails)
        o.insert(QStringLiteral("details"), details);
    o.insert(QStringLiteral("code"), code);
    return o;
}

QJsonObject ApiStatus::notFound(const QString &resource, const QString &name)
{
    return failure(404, QStringLiteral("NotFound"),
                   QStringLiteral("%1 \"%2\" not found").arg(resource, name),
                   {{QStringLiteral("name"), name}, {QStringLiteral("kind"), resource}});
}

QJsonObject ApiStatus::notFoundResource()
{
    return failure(404, QStringLiteral("NotFound"),
                   QStringLiteral("the server could not find the requested resource"), {});
}

QJsonObject ApiStatus::forbidden(const QString &resource, const QString &name,
                                 const QString &message)
{
    QJsonObject details;
    if (!name.isEmpty())
        details.insert(QStringLiteral("name"), name);
    details.insert(QStringLiteral("kind"), resource);
    const QString subject
            = name.isEmpty() ? resource : QStringLiteral("%1 \"%2\"").arg(resource, name);
    return failure(403, QStringLiteral("Forbidden"),
                   QStringLiteral("%1 is forbidden: %2").arg(subject, message), details);
}

QJsonObject ApiStatus::rbacForbidden(const QString &user, const QString &verb, const QString &group,
                                     const QString &resource, const QString &subresource,
                                     const QString &ns, const QString &name)
{
    const QString full
            = subresource.isEmpty() ? resource : resource + QLatin1Char('/') + subresource;
    QString msg = QStringLiteral("User \"%1\" cannot %2 resource \"%3\" in API group \"%4\"")
                          .arg(user, verb, full, group);
    msg += ns.isEmpty() ? QStringLiteral(" at the cluster scope")
                        : QStringLiteral(" in the namespace \"%1\"").arg(ns);
    // details.kind is the resource (apiserver's NewForbidden uses the GroupResource).
    const QString kind = group.isEmpty() ? resource : resource + QLatin1Char('.') + group;
    return forbidden(kind, name, msg);
}

QJsonObject ApiStatus::unauthorized()
{
    return failure(401, QStringLiteral("Unauthorized"), QStringLiteral("Unauthorized"), {}, false);
}

QJsonObject ApiStatus::badRequest(const QString &message)
{
    return failure(400, QStringLiteral("BadRequest"), message, {}, false);
}

QJsonObject ApiStatus::invalid(const QString &kind, const QString &name, const QJsonArray &causes)
{
    QStringList parts;
    for (const auto &c : causes) {
        const QJsonObject o = c.toObject();
        parts << o.value(QStringLiteral("field")).toString() + QStringLiteral(": ")
                         + o.value(QStringLiteral("message")).toString();
    }
    const QString joined = parts.size() == 1 ? parts.first()
                                             : QLatin1Char('[') + parts.join(QStringLiteral(", "))
                                                       + QLatin1Char(']');
    return failure(422, QStringLiteral("Invalid"),
                   QStringLiteral("%1 \"%2\" is invalid: %3").arg(kind, name, joined),
                   {{QStringLiteral("name"), name},
                    {QStringLiteral("kind"), kind},
                    {QStringLiteral("causes"), causes}});
}

QJsonObject ApiStatus::conflict(const QString &resource, const QString &name, const QString &msg)
{
    return failure(409, QStringLiteral("Conflict"),
                   QStringLiteral("Operation cannot be fulfilled on %1 \"%2\": %3")
                           .arg(resource, name, msg),
                   {{QStringLiteral("name"), name}, {QStringLiteral("kind"), resource}});
}

QJsonObject ApiStatus::expired(const QString &message)
{
    return failure(410, QStringLiteral("Expired"), message, {}, false);
}

QJsonObject ApiStatus::methodNotAllowed()
{
    return failure(
            405, QStringLiteral("MethodNotAllowed"),
            QStringLiteral("the server does not allow this method on the requested resource"), {});
}

QJsonObject ApiStatus::unsupportedMediaType(const QString &contentType)
{
    return failure(415, QStringLiteral("UnsupportedMediaType"),
                   QStringLiteral("the body of the request was in an unknown format - accepted "
                                  "media types include: application/json-patch+json, "
                                  "application/merge-patch+json, "
                                  "application/strategic-merge-patch+json (got %1)")
                           .arg(contentType),
                   {}, false);
}

QJsonObject ApiStatus::tooManyRequests()
{
    return failure(429, QStringLiteral("TooManyRequests"),
                   QStringLiteral("Too many requests, please try again later."),
                   {{QStringLiteral("retryAfterSeconds"), 1}});
}

QJsonObject ApiStatus::internalError(const QString &err)
{
    return failure(500, QStringLiteral("InternalError"),
                   QStringLiteral("Internal error occurred: %1").arg(err),
                   {{QStringLiteral("causes"),
                     QJsonArray{QJsonObject{{QStringLiteral("message"), err}}}}});
}

QJsonObject ApiStatus::serviceUnavailable()
{
    return failure(503, QStringLiteral("ServiceUnavailable"),
                   QStringLiteral("the server is currently unable to handle the request"), {});
}

QJsonObject ApiStatus::forCode(int code)
{
    switch (code) {
    case 401:
        return unauthorized();
    case 429:
        return tooManyRequests();
    case 500:
        return internalError(QStringLiteral("injected fault"));
    case 503:
        return serviceUnavailable();
    default:
        return failure(code, QString(), QStringLiteral("injected fault"), {});
    }
}

} // namespace kubesim
