#include "kubelog.h"

Q_LOGGING_CATEGORY(lcKube, "podtap.kube")
Q_LOGGING_CATEGORY(lcKubeCredentials, "podtap.kube.credentials")
