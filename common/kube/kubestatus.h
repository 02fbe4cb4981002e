#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace podtap {

// A Kubernetes metav1.Status error (from an HTTP body, a watch ERROR event or the exec
// error channel), decoded and explained in plain words.
class KubeStatus
{
public:
    int httpCode = 0;
    QString status;  // Success | Failure
    QString reason;  // Forbidden, NotFound, Invalid, Expired, NonZeroExitCode, …
    QString message; // the server's text
    QJsonObject details;
    bool parsed = false;

    static KubeStatus fromBody(int httpCode, const QByteArray &body);
    static KubeStatus fromJson(const QJsonObject &o, int httpCode = 0);

    bool isPodSecurity() const { return message.contains(QLatin1String("violates PodSecurity")); }
    // "baseline" from `violates PodSecurity "baseline:latest": …`
    QString podSecurityLevel() const;
    // The items after the colon: "non-default capabilities (…)", …
    QStringList podSecurityViolations() const;
    // NonZeroExitCode → the exit code (from details.causes[reason=ExitCode]); -1 otherwise.
    int exitCode() const;

    // What happened, why, and what to do, for the user.
    QString explain() const;
};

} // namespace podtap
