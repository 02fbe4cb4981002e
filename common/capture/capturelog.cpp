#include "capturelog.h"

Q_LOGGING_CATEGORY(lcCapture, "podtap.capture")
