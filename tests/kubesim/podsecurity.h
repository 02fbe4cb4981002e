#pragma once

#include <QJsonObject>
#include <QString>

namespace kubesim {

// Pod Security Admission (psa policy/check_*.go) for the enforce level of a namespace, applied
// to the whole pod including ephemeral containers, as the admission plugin does on an update.
class PodSecurity
{
public:
    // Empty when admitted, else the text after `forbidden: `, e.g.
    // `violates PodSecurity "baseline:latest": non-default capabilities (…)`.
    static QString check(const QString &level, const QString &version, const QJsonObject &pod);
};

} // namespace kubesim
