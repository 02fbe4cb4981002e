#include "ipclog.h"

Q_LOGGING_CATEGORY(lcIpc, "podtap.ipc")
