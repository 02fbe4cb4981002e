#pragma once

#include <QJsonObject>
#include <QString>

namespace podtap {

// podtapd's audit trail: every tap injection or reuse and every capture/mirror start and
// stop (and every refusal by the context guard), appended as one JSON object per line to
// `$XDG_STATE_HOME/podtap/audit.log` (else ~/.local/state/podtap/audit.log): folder 0700,
// file 0600. Only the fields listed in fields() are written — names of things and the
// outcome, never an environment, a kubeconfig or a credential. A write that fails is warned
// about (once per cause) and never stops a session.
class AuditLog
{
public:
    explicit AuditLog(const QString &path = defaultPath());

    static QString defaultPath();
    // The keys an entry may carry, in the order written: time (ISO-8601 UTC, ms), event
    // (inject, reuse, inject-failed, capture-start, capture-stop, mirror-start, mirror-stop,
    // refused), session, context, namespace, target, pod, tap, image, profile, port, mirror,
    // protected, confirmed, outcome.
    static const QStringList &fields();

    QString path() const { return m_path; }
    // Adds the time and writes the known fields of `entry`; false (and a warning) on failure.
    bool append(const QString &event, const QJsonObject &entry);

private:
    QString m_path;
    QString m_lastError;
};

} // namespace podtap
