#pragma once

#include <QLoggingCategory>

// podtap.replay: replay of stored sessions (bytes and HTTP).
Q_DECLARE_LOGGING_CATEGORY(lcReplay)
