#pragma once

#include <QJsonArray>
#include <QSet>
#include <QString>

namespace podtap {

// gRPC messages as podtap decodes them without a schema (GrpcCall JSON: [{length, compressed,
// fields | bytes | error}], fields as ProtobufWireView::toJson) shown like
// `protoc --decode_raw`, as HTML for the request diff view. Fields at the comparator's body
// paths are highlighted: "$[i]" is message i (0-based), ".N" field number N of that message
// (nested messages go on: "$[0].2.1"), "[k]" after a field that occurs more than once its
// k-th occurrence; with a descriptor set's names in the JSON ("name") the named paths the
// comparator then writes ("$[0].detail.serial") are marked too.
class ProtobufWireHtml
{
public:
    static QString messages(const QJsonArray &messages, const QSet<QString> &marked);
    // "$[0].2.1" → "message 1 › field 2 › field 1", "$[0].detail.note" → "message 1 › detail ›
    // note"; other paths as they are.
    static QString pathLabel(const QString &path);
};

} // namespace podtap
