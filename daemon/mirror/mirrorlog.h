#pragma once

#include <QLoggingCategory>

// podtap.mirror: mirroring to the local port and shadow comparison.
Q_DECLARE_LOGGING_CATEGORY(lcMirror)
