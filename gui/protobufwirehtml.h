#pragma once

#include <QJsonArray>
#include <QSet>
#include <QString>

namespace podtap {

// gRPC messages as podtap decodes them without a schema (GrpcCall JSON: [{length, compressed,
// fields | bytes | error}], fields as ProtobufWireView::toJson) shown like
// `protoc --decode_raw`, as HTML for the request diff view. Fields at the comparator's body
// paths are highlighted: "$[i]" is message i (0-based), ".N" field number N of that message
// (nested messages go on: "$[0].2.1"), "[k]" after a field the k-th of a repeated one.
class ProtobufWireHtml
{
public:
    static QString messages(const QJsonArray &messages, const QSet<QString> &marked);
    // "$[0].2.1" → "message 1 › field 2 › field 1"; other paths as they are.
    static QString pathLabel(const QString &path);
};

} // namespace podtap
