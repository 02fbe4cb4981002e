#pragma once

#include <QJsonObject>
#include <QString>

namespace kubesim {

// Legacy discovery documents (kubectl asks for aggregated discovery first and falls back to
// these when the answer is plain application/json).
class Discovery
{
public:
    static QJsonObject version();
    static QJsonObject apiVersions(const QString &serverAddress);
    static QJsonObject apiGroupList();
    static QJsonObject group(const QString &name); // /apis/<group>; empty when unknown
    // /api/v1, /apis/apps/v1, /apis/authorization.k8s.io/v1; empty when unknown.
    static QJsonObject resourceList(const QString &groupVersion);
    // Kind of a resource in a group version ("pods" → "Pod"); empty when not served.
    static QString kindOf(const QString &group, const QString &resource);
    static bool isNamespaced(const QString &group, const QString &resource);
};

} // namespace kubesim
