#include "kubestatus.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace podtap {

KubeStatus KubeStatus::fromJson(const QJsonObject &o, int httpCode)
{
    KubeStatus s;
    s.parsed = o.value(QLatin1String("kind")).toString() == QLatin1String("Status")
               || o.contains(QLatin1String("status"));
    s.status = o.value(QLatin1String("status")).toString();
    s.reason = o.value(QLatin1String("reason")).toString();
    s.message = o.value(QLatin1String("message")).toString();
    s.details = o.value(QLatin1String("details")).toObject();
    s.httpCode
            = o.contains(QLatin1String("code")) ? o.value(QLatin1String("code")).toInt() : httpCode;
    return s;
}

KubeStatus KubeStatus::fromBody(int httpCode, const QByteArray &body)
{
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    if (doc.isObject()) {
        KubeStatus s = fromJson(doc.object(), httpCode);
        if (s.httpCode == 0)
            s.httpCode = httpCode;
        return s;
    }
    KubeStatus s;
    s.httpCode = httpCode;
    s.status = QStringLiteral("Failure");
    s.message = QString::fromUtf8(body.left(500)).trimmed();
    return s;
}

QString KubeStatus::podSecurityLevel() const
{
    static const QRegularExpression re(
            QStringLiteral("violates PodSecurity \"([a-z]+):([^\"]*)\""));
    const auto m = re.match(message);
    return m.hasMatch() ? m.captured(1) : QString();
}

QStringList KubeStatus::podSecurityViolations() const
{
    const int i = message.indexOf(QLatin1String("\": "),
                                  message.indexOf(QLatin1String("violates PodSecurity")));
    if (i < 0)
        return {};
    // Items are "reason (detail)" joined by ", "; details contain commas only inside parens.
    QStringList items;
    QString cur;
    int depth = 0;
    for (const QChar ch : message.mid(i + 3)) {
        if (ch == QLatin1Char('('))
            ++depth;
        else if (ch == QLatin1Char(')'))
            --depth;
        if (ch == QLatin1Char(',') && depth == 0) {
            items << cur.trimmed();
            cur.clear();
            continue;
        }
        cur += ch;
    }
    if (!cur.trimmed().isEmpty())
        items << cur.trimmed();
    return items;
}

int KubeStatus::exitCode() const
{
    if (reason != QLatin1String("NonZeroExitCode"))
        return -1;
    for (const QJsonValue c : details.value(QLatin1String("causes")).toArray()) {
        if (c[QLatin1String("reason")].toString() == QLatin1String("ExitCode")) {
            bool ok = false;
            const int code = c[QLatin1String("message")].toString().toInt(&ok);
            return ok ? code : -1;
        }
    }
    return -1;
}

QString KubeStatus::explain() const
{
    if (isPodSecurity()) {
        const QString level = podSecurityLevel();
        // baseline restricts only `add`: the baseline profile (no add) is admitted there.
        // restricted requires drop [ALL] and allows adding only NET_BIND_SERVICE: no
        // container there can hold NET_RAW (docs/tap-contract.md, "Profiles").
        const QString what
                = level == QLatin1String("baseline")
                          ? QStringLiteral(" Or use --tap-profile baseline, which adds no "
                                           "capability and is admitted by \"baseline\" (it needs "
                                           "a containerd or Docker node).")
                  : level == QLatin1String("restricted")
                          ? QStringLiteral(" \"restricted\" requires dropping ALL capabilities "
                                           "and allows adding only NET_BIND_SERVICE, so no "
                                           "container there can hold NET_RAW and no tap profile "
                                           "can capture.")
                          : QString();
        return QStringLiteral(
                       "Pod Security admission refused the tap: the namespace enforces the \"%1\" "
                       "level, "
                       "which does not allow adding NET_RAW (%2). Ask a cluster admin to label the "
                       "namespace pod-security.kubernetes.io/enforce=privileged, or tap a pod in a "
                       "namespace that allows it.%3")
                .arg(level, podSecurityViolations().join(QStringLiteral("; ")), what);
    }
    if (httpCode == 401)
        return QStringLiteral("The cluster did not accept your credentials (401 Unauthorized): %1. "
                              "Log in again (e.g. refresh your cloud CLI session) and retry.")
                .arg(message.isEmpty() ? QStringLiteral("no reason given") : message);
    if (httpCode == 403 && reason == QLatin1String("Forbidden"))
        return QStringLiteral("Not allowed: %1").arg(message);
    if (httpCode == 404 && details.isEmpty() && reason == QLatin1String("NotFound"))
        return QStringLiteral("The cluster does not offer this API (%1): it may be too old or the "
                              "feature is disabled.")
                .arg(message);
    if (httpCode == 422)
        return QStringLiteral("The cluster rejected the request as invalid: %1").arg(message);
    if (httpCode == 429)
        return QStringLiteral("The cluster is rate limiting requests (429): %1").arg(message);
    if (httpCode >= 500)
        return QStringLiteral("The cluster had an internal error (%1): %2")
                .arg(httpCode)
                .arg(message);
    if (!message.isEmpty())
        return message;
    return QStringLiteral("HTTP %1 %2").arg(httpCode).arg(reason);
}

} // namespace podtap
