#include "mirrortextlog.h"

Q_LOGGING_CATEGORY(lcMirrorText, "podtap.mirror.text")
