#include "commonlog.h"

Q_LOGGING_CATEGORY(lcAudit, "podtap.audit")
