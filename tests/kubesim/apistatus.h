#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QString>

namespace kubesim {

// metav1.Status bodies exactly as the apiserver writes them
// (am pkg/api/errors/errors.go, spec kubernetes-wire.md §1.6, §1.10, §2.6, §7).
class ApiStatus
{
public:
    static QJsonObject failure(int code, const QString &reason, const QString &message,
                               const QJsonObject &details = {}, bool withDetails = true);
    static QJsonObject notFound(const QString &resource, const QString &name);
    static QJsonObject notFoundResource(); // "the server could not find the requested resource"
    static QJsonObject forbidden(const QString &resource, const QString &name,
                                 const QString &message);
    static QJsonObject rbacForbidden(const QString &user, const QString &verb, const QString &group,
                                     const QString &resource, const QString &subresource,
                                     const QString &ns, const QString &name);
    static QJsonObject unauthorized();
    static QJsonObject badRequest(const QString &message);
    static QJsonObject invalid(const QString &kind, const QString &name, const QJsonArray &causes);
    static QJsonObject conflict(const QString &resource, const QString &name, const QString &msg);
    static QJsonObject expired(const QString &message);
    static QJsonObject methodNotAllowed();
    static QJsonObject unsupportedMediaType(const QString &contentType);
    static QJsonObject tooManyRequests();
    static QJsonObject internalError(const QString &err);
    static QJsonObject serviceUnavailable();
    static QJsonObject forCode(int code); // generic body for fault injection
};

} // namespace kubesim
