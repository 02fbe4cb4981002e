#pragma once

#include <QLoggingCategory>

// podtap.gui: the desktop app.
Q_DECLARE_LOGGING_CATEGORY(lcGui)
// podtap.gui.link: the GUI's connection to podtapd.
Q_DECLARE_LOGGING_CATEGORY(lcLink)
