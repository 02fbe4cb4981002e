#include "jsonhelpers.h"

#include <QFile>
#include <QJsonDocument>

namespace podtap::test {

QJsonValue at(const QJsonObject &o, const char *path)
{
    QJsonValue v = o;
    for (const QString &key : QString::fromLatin1(path).split(QLatin1Char('.')))
        v = v.toObject().value(key);
    return v;
}

qint64 num(const QJsonObject &o, const char *path)
{
    return at(o, path).toInteger();
}

QString str(const QJsonObject &o, const char *path)
{
    return at(o, path).toString();
}

QString pretty(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented));
}

QString compact(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

QList<QJsonObject> readRecords(const QString &path)
{
    QList<QJsonObject> records;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return records;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (!line.trimmed().isEmpty())
            records << QJsonDocument::fromJson(line).object();
    return records;
}

bool lossReported(const QJsonObject &summary)
{
    return num(summary, "loss.kernelDrops") + num(summary, "loss.lostOnTheWay")
                   + num(summary, "loss.unreadAtStop") + num(summary, "gapBytes")
                   + num(summary, "mirror.gaps") + num(summary, "mirror.skippedMidstream")
           > 0;
}

} // namespace podtap::test
