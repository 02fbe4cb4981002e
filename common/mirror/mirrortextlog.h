#pragma once

#include <QLoggingCategory>

// podtap.mirror.text: the mirror summaries the CLI and GUI share.
Q_DECLARE_LOGGING_CATEGORY(lcMirrorText)
