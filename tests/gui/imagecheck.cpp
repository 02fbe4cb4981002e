// podtap-imagecheck FILE...: says whether each file is a real screenshot, not a blank or broken
// one: it loads as an image, is at least 200×100 and has at least 16 distinct colours (a
// window that failed to paint is one or two flat colours). Prints one line per file; exit
// status 1 if any file fails. Used by scripts/screenshots.
#include <QGuiApplication>
#include <QImage>
#include <QSet>

#include <cstdio>

int main(int argc, char **argv)
{
    // No window is shown: the offscreen platform keeps this usable without a display.
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QGuiApplication app(argc, argv);
    const QStringList files = app.arguments().mid(1);
    if (files.isEmpty()) {
        std::fprintf(stderr, "usage: podtap-imagecheck FILE...\n");
        return 2;
    }
    bool allGood = true;
    for (const QString &file : files) {
        QImage image(file);
        if (image.isNull()) {
            std::printf("%s: FAIL: missing or not an image\n", qPrintable(file));
            allGood = false;
            continue;
        }
        image = image.convertToFormat(QImage::Format_RGB32);
        QSet<QRgb> colours;
        for (int y = 0; y < image.height() && colours.size() < 4096; ++y) {
            const auto *line = reinterpret_cast<const QRgb *>(image.constScanLine(y));
            for (int x = 0; x < image.width(); ++x)
                colours.insert(line[x]);
        }
        const bool big = image.width() >= 200 && image.height() >= 100; // a tray menu is small
        const bool painted = colours.size() >= 16;
        std::printf("%s: %s: %d×%d, %s%lld colours\n", qPrintable(file),
                    big && painted ? "ok" : "FAIL", image.width(), image.height(),
                    colours.size() >= 4096 ? "≥" : "", static_cast<long long>(colours.size()));
        allGood = allGood && big && painted;
    }
    return allGood ? 0 : 1;
}
