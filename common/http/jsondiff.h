#pragma once

#include <QJsonArray>
#include <QJsonValue>
#include <QStringList>

namespace podtap {

// Compares two JSON documents as values: object member order does not matter, array order
// does. Gives the paths that differ ("$.address.zip", "$.items[2]", "$.tags (length 3 ≠ 4)"),
// at most `maxPaths` of them.
class JsonDiff
{
public:
    struct Result
    {
        bool bothJson = false; // both inputs parsed as JSON
        bool equal = false;
        QStringList paths; // where they differ (bounded)
        // For each path: {"path", "pod", "local"}, the values as compact JSON (at most 200
        // characters each; a side is missing when the member exists on one side only).
        QJsonArray values;
        int differences = 0;
    };
    static Result compare(const QByteArray &a, const QByteArray &b, int maxPaths = 20);
    static void compareValues(const QJsonValue &a, const QJsonValue &b, const QString &path,
                              Result *out, int maxPaths);
};

} // namespace podtap
