#pragma once

#include <QLoggingCategory>

// podtap.kube: the Kubernetes client: API, watch, exec stream, tap.
Q_DECLARE_LOGGING_CATEGORY(lcKube)
// podtap.kube.credentials: exec credential plugins (never a token or a kubeconfig value).
Q_DECLARE_LOGGING_CATEGORY(lcKubeCredentials)
