#include "ipcserverlog.h"

Q_LOGGING_CATEGORY(lcIpcServer, "podtap.ipc.server")
