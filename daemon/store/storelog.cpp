#include "storelog.h"

Q_LOGGING_CATEGORY(lcStore, "podtap.store", QtInfoMsg)
