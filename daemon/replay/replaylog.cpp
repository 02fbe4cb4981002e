#include "replaylog.h"

Q_LOGGING_CATEGORY(lcReplay, "podtap.replay")
