#pragma once

#include <QLoggingCategory>

// podtap.ipc: the IPC codec and client (framing, handshake, starting podtapd).
Q_DECLARE_LOGGING_CATEGORY(lcIpc)
