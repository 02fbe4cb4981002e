#include "projectlog.h"

Q_LOGGING_CATEGORY(lcProject, "podtap.project")
