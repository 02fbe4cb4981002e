#pragma once

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
        int differences = 0;
    };
    static Result compare(const QByteArray &a, const QByteArray &b, int maxPaths = 20);
    static void compareValues(const QJsonValue &a, const QJsonValue &b, const QString &path,
                              Result *out, int maxPaths);
};

} // namespace podtap
