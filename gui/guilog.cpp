#include "guilog.h"

Q_LOGGING_CATEGORY(lcGui, "podtap.gui")
Q_LOGGING_CATEGORY(lcLink, "podtap.gui.link")
