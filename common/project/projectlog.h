#pragma once

#include <QLoggingCategory>

// podtap.project: .podtap.yaml and the context guard.
Q_DECLARE_LOGGING_CATEGORY(lcProject)
