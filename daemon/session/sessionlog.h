#pragma once

#include <QLoggingCategory>

// podtap.session: capture sessions, their pipelines and housekeeping.
Q_DECLARE_LOGGING_CATEGORY(lcSession)
