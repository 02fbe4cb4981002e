#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>

// Reading the JSON that podtap --json, podtapd and trafficgen's records write.
namespace podtap::test {

// at(o, "mirror.completed") → o["mirror"]["completed"]
QJsonValue at(const QJsonObject &o, const char *path);
qint64 num(const QJsonObject &o, const char *path);
QString str(const QJsonObject &o, const char *path);
QString pretty(const QJsonObject &o);
QString compact(const QJsonObject &o);
// One object a line (JSON Lines); empty when the file cannot be read.
QList<QJsonObject> readRecords(const QString &path);
// Losses a session summary reports: the kernel's or the exec stream's, or payload holes.
bool lossReported(const QJsonObject &summary);

} // namespace podtap::test
