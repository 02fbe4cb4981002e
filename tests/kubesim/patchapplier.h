#pragma once

#include "result.h"

#include <QJsonObject>
#include <QJsonValue>

namespace kubesim {

// The three PATCH flavours the apiserver accepts for built-in types.
class PatchApplier
{
public:
    // RFC 7386 JSON merge patch.
    static QJsonValue mergePatch(const QJsonValue &target, const QJsonValue &patch);
    // Strategic merge patch for core/v1 Pod: lists with a patchMergeKey (containers,
    // ephemeralContainers, initContainers, env, ports, volumes, volumeMounts…) merge by key;
    // other lists are replaced; null deletes; $patch/$setElementOrder/$retainKeys handled.
    static podtap::Result<QJsonObject> strategicMerge(const QJsonObject &target,
                                                      const QJsonObject &patch);
    // RFC 6902 JSON patch.
    static podtap::Result<QJsonObject> jsonPatch(const QJsonObject &target, const QJsonArray &ops);
};

} // namespace kubesim
