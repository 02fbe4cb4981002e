#pragma once

// Where GUI tests save their screenshots: $PODTAP_SCREENSHOT_DIR when scripts/screenshots
// runs them under Xvfb, else the build tree (tests/gui/screenshots).
#include <QDir>
#include <QPixmap>
#include <QString>
#include <QWidget>

namespace podtap::test {

inline QString screenshotPath(const QString &name)
{
    QString dir = qEnvironmentVariable("PODTAP_SCREENSHOT_DIR");
    if (dir.isEmpty())
        dir = QStringLiteral(BINDIR "/tests/gui/screenshots");
    QDir().mkpath(dir);
    return dir + QLatin1Char('/') + name + QStringLiteral(".png");
}

// Grabs `widget` (shown or not) into NAME.png; the path it wrote, or empty on failure.
inline QString saveScreenshot(QWidget *widget, const QString &name)
{
    const QString path = screenshotPath(name);
    return widget->grab().save(path) ? path : QString();
}

} // namespace podtap::test
