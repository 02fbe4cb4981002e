#include "appicons.h"

#include <QHash>
#include <QPainter>
#include <QPixmap>
#include <QSvgRenderer>

// Outside any namespace, as Q_INIT_RESOURCE requires: the icons live in this static library.
static void initIconResources()
{
    Q_INIT_RESOURCE(icons);
}

namespace podtap {

QString AppIcons::resourcePath(Kind kind)
{
    switch (kind) {
    case Kind::Idle:
        return QStringLiteral(":/icons/podtap-idle.svg");
    case Kind::Capturing:
        return QStringLiteral(":/icons/podtap-capturing.svg");
    case Kind::Mirroring:
        return QStringLiteral(":/icons/podtap-mirroring.svg");
    case Kind::Error:
        return QStringLiteral(":/icons/podtap-error.svg");
    }
    return {};
}

QIcon AppIcons::icon(Kind kind)
{
    static bool initialised = false;
    if (!initialised) {
        initIconResources();
        initialised = true;
    }
    static QHash<int, QIcon> cache;
    const auto it = cache.constFind(int(kind));
    if (it != cache.cend())
        return it.value();
    QIcon icon;
    QSvgRenderer renderer(resourcePath(kind));
    if (renderer.isValid()) {
        for (const int size : {16, 22, 24, 32, 48, 64, 128, 256}) {
            QPixmap pixmap(size, size);
            pixmap.fill(Qt::transparent);
            QPainter painter(&pixmap);
            renderer.render(&painter);
            painter.end();
            icon.addPixmap(pixmap);
        }
    }
    cache.insert(int(kind), icon);
    return icon;
}

} // namespace podtap
