#pragma once

#include <QLoggingCategory>

// podtap.daemon: podtapd as a service: start, stop, signals.
Q_DECLARE_LOGGING_CATEGORY(lcDaemon)
