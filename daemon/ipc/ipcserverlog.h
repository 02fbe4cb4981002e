#pragma once

#include <QLoggingCategory>

// podtap.ipc.server: podtapd's socket: clients, peer checks, refused connections.
Q_DECLARE_LOGGING_CATEGORY(lcIpcServer)
