#pragma once

#include <QLoggingCategory>

// podtap.cli: diagnostics of the CLI (its output to the user is not logging).
Q_DECLARE_LOGGING_CATEGORY(lcCli)
