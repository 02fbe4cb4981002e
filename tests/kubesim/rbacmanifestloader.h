#pragma once

#include "result.h"
#include "scenario.h"

#include <QByteArray>
#include <QString>

namespace kubesim {

// Loads RBAC manifests as `kubectl apply -f` takes them (multi-document YAML of Role,
// ClusterRole, RoleBinding and ClusterRoleBinding, rbac.authorization.k8s.io/v1) and binds them
// to the scenario's users: each binding's rules become ScenarioRules of the users it names
// (kind User by name, kind Group through the users' groups), in the RoleBinding's namespace or
// cluster-wide for a ClusterRoleBinding. So a test loads podtap's generated YAML as it is.
// Stricter than an API server on purpose: unknown fields, a binding to a role not in the
// files, and a subject the scenario does not define are errors (a placeholder subject left
// unfilled must not load silently).
class RbacManifestLoader
{
public:
    static podtap::Result<bool> applyFile(const QString &path, Scenario *scenario);
    static podtap::Result<bool> applyData(const QByteArray &yaml, const QString &origin,
                                          Scenario *scenario);
};

} // namespace kubesim
