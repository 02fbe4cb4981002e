#pragma once

#include "grpccall.h"
#include "protobufwireview.h"
#include "protodescriptorset.h"

#include <QJsonArray>
#include <QStringList>

namespace podtap {

// Compares protobuf messages field by field, like JsonDiff compares JSON values. Paths:
// `$[i]` is message i (0-based), then a field number per level (`$[0].2.1`: field 1 inside
// field 2 of message 0); a field that occurs more than once on a side gets its occurrence
// (`$[0].3[1]`). With a descriptor set and the message type, declared fields are named
// (`$[0].detail.note`) and values rendered by their declared type. Without one a nested
// message is recognised as ProtobufWireView does (bytes that parse whole and are not text).
class ProtobufDiff
{
public:
    struct Result
    {
        QStringList paths; // where they differ (bounded)
        // {"path", "pod", "local"} per path; a side is missing when the field is.
        QJsonArray values;
        int differences = 0;
    };

    ProtobufDiff(const ProtoDescriptorSet *descriptors, int maxPaths);

    // The messages of one direction of two calls, in order; a count difference is a path
    // "N messages ≠ M messages" before those of the common messages.
    void compareMessages(const std::vector<GrpcCall::Message> &pod,
                         const std::vector<GrpcCall::Message> &local, QByteArrayView messageType);
    // Two serialized messages under `path`.
    void compareMessage(QByteArrayView pod, QByteArrayView local, const QString &path,
                        QByteArrayView messageType);
    const Result &result() const { return m_result; }

    // A value for display (at most 200 characters): a varint as a number, text quoted, bytes
    // as 0x…, a message as `{ 1: 5 2: "x" }`; by the declared type when `declared` is set
    // (a message's fields then named from `descriptors`: `{ serial: 7 note: "x" }`).
    static QString render(const ProtobufWireView::Field &field,
                          const ProtoDescriptorSet::Field *declared = nullptr,
                          const ProtoDescriptorSet *descriptors = nullptr);
    // decode_raw-like text on one line (`1: 5 3 { 1: "x" }`), with names and declared types
    // for the fields `type` declares (`count: 5 detail { note: "x" }`).
    static QString text(const std::vector<ProtobufWireView::Field> &fields,
                        const ProtoDescriptorSet *descriptors = nullptr,
                        const ProtoDescriptorSet::Message *type = nullptr);
    // The messages as text (bounded), for side-by-side excerpts: `[0] { … }` a line.
    static QString excerpt(const std::vector<GrpcCall::Message> &messages, int maxChars = 512,
                           const ProtoDescriptorSet *descriptors = nullptr,
                           QByteArrayView messageType = {});

private:
    using WireField = ProtobufWireView::Field;
    void compareFields(const std::vector<WireField> &pod, const std::vector<WireField> &local,
                       const QString &path, const ProtoDescriptorSet::Message *type, int depth);
    void compareValues(const WireField &pod, const WireField &local, const QString &path,
                       const ProtoDescriptorSet::Field *declared, int depth);
    void note(const QString &path, const QString *pod, const QString *local);

    const ProtoDescriptorSet *m_descriptors;
    int m_maxPaths;
    Result m_result;
};

} // namespace podtap
