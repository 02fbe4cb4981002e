#pragma once

#include "scenario.h"

#include <QJsonObject>
#include <QString>

namespace kubesim {

// Validating admission webhooks of a scenario (`admission:`), emulated in-process. The one
// kind is Kyverno's require-run-as-nonroot (kyverno/policies pod-security/restricted), which
// checks every container of the whole updated pod, ephemeral ones included, on CREATE and
// UPDATE (the ephemeralcontainers subresource too). Its denial is what the apiserver makes of
// a webhook's answer (webhookerrors.ToStatusErr): 400, no reason,
// `admission webhook "validate.kyverno.svc-fail" denied the request: …`.
class AdmissionPolicy
{
public:
    // Empty when every policy for the namespace admits the pod, else the Status message.
    static QString check(const QList<ScenarioAdmissionPolicy> &policies, const QString &ns,
                         const QJsonObject &pod);
};

} // namespace kubesim
