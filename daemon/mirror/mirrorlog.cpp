#include "mirrorlog.h"

Q_LOGGING_CATEGORY(lcMirror, "podtap.mirror")
