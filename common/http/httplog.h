#pragma once

#include <QLoggingCategory>

// podtap.http: HTTP parsing, pairing and shadow comparison.
Q_DECLARE_LOGGING_CATEGORY(lcHttp)
