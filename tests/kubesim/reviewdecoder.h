#pragma once

#include "result.h"

#include <QByteArray>
#include <QJsonObject>

namespace kubesim {

// Decodes a SelfSubjectAccessReview / SelfSubjectRulesReview request body, JSON or the
// Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown) that kubectl's typed clients send.
class ReviewDecoder
{
public:
    static podtap::Result<QJsonObject> decode(const QByteArray &contentType, const QByteArray &body,
                                              const QString &kind);
};

} // namespace kubesim
