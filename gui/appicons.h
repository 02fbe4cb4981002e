#pragma once

#include <QIcon>

namespace podtap {

// The application's SVG icons (resources/icons, compiled in), rendered with QtSvg at the
// usual sizes so they stay sharp at any scale and do not depend on an icon-engine plugin.
class AppIcons
{
public:
    enum class Kind { Idle, Capturing, Mirroring, Error };

    static QIcon icon(Kind kind);
    static QString resourcePath(Kind kind);
};

} // namespace podtap
