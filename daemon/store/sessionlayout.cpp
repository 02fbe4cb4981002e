#include "sessionlayout.h"

#include <QStringBuilder>

namespace podtap {

namespace {
QString stem(int number)
{
    return QStringLiteral("capture-") % QStringLiteral("%1").arg(number, 6, 10, QLatin1Char('0'));
}
} // namespace

QString SessionLayout::captureFile(int number)
{
    return stem(number) % QStringLiteral(".pcapng");
}

QString SessionLayout::indexFile(int number)
{
    return stem(number) % QStringLiteral(".idx");
}

int SessionLayout::fileNumber(const QString &fileName)
{
    static const QLatin1String prefix("capture-");
    if (!fileName.startsWith(prefix))
        return 0;
    qsizetype dot = fileName.indexOf(QLatin1Char('.'), prefix.size());
    if (dot < 0)
        return 0;
    const QStringView suffix = QStringView(fileName).mid(dot);
    if (suffix != QLatin1String(".pcapng") && suffix != QLatin1String(".idx"))
        return 0;
    bool ok = false;
    const int n = QStringView(fileName).mid(prefix.size(), dot - prefix.size()).toInt(&ok);
    return ok && n > 0 && n <= MaxFileNumber ? n : 0;
}

} // namespace podtap
