// podtap-rendericons SVG OUTDIR SIZE...: renders the app icon into OUTDIR/podtap-SIZE.png
// for each size, at build time, so the hicolor theme has PNGs for desktops and tools that
// do not read SVG (tst_packaging_files checks them). Exit status 1 on any failure.
#include <QGuiApplication>
#include <QImage>
#include <QPainter>
#include <QSvgRenderer>

#include <cstdio>

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen"); // no display needed in a build
    QGuiApplication app(argc, argv);
    const QStringList args = app.arguments().mid(1);
    if (args.size() < 3) {
        std::fprintf(stderr, "usage: podtap-rendericons SVG OUTDIR SIZE...\n");
        return 2;
    }
    QSvgRenderer svg(args.at(0));
    if (!svg.isValid()) {
        std::fprintf(stderr, "podtap-rendericons: %s is not a valid SVG\n", qPrintable(args.at(0)));
        return 1;
    }
    for (const QString &sizeText : args.mid(2)) {
        bool ok = false;
        const int size = sizeText.toInt(&ok);
        if (!ok || size < 8 || size > 1024) {
            std::fprintf(stderr, "podtap-rendericons: bad size %s\n", qPrintable(sizeText));
            return 1;
        }
        QImage image(size, size, QImage::Format_ARGB32_Premultiplied);
        image.fill(Qt::transparent);
        QPainter p(&image);
        p.setRenderHint(QPainter::Antialiasing);
        svg.render(&p, QRectF(0, 0, size, size));
        p.end();
        const QString out
                = args.at(1) + QStringLiteral("/podtap-") + sizeText + QStringLiteral(".png");
        if (!image.save(out)) {
            std::fprintf(stderr, "podtap-rendericons: cannot write %s\n", qPrintable(out));
            return 1;
        }
    }
    return 0;
}
