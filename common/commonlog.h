#pragma once

#include <QLoggingCategory>

// podtap.audit: the audit log of cluster actions (podtapd and capture --direct).
Q_DECLARE_LOGGING_CATEGORY(lcAudit)
