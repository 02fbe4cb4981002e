#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>

namespace kubesim {

// Server-side printing (meta.k8s.io/v1 Table) as the apiserver does it for
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, with kubectl's usual columns
// (k/k pkg/printers/internalversion/printers.go). Row objects are PartialObjectMetadata
// unless includeObject=Object.
class TableConverter
{
public:
    static bool supports(const QString &resource);
    static QJsonObject table(const QString &resource, const QList<QJsonObject> &objects,
                             const QString &resourceVersion, bool includeObject,
                             bool withColumns = true);
    static QString humanAge(const QString &timestamp);
};

} // namespace kubesim
