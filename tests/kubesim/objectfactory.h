#pragma once

#include "scenario.h"

#include <QJsonObject>
#include <QList>
#include <QString>

namespace kubesim {

// Builds API objects (as the apiserver would serialise them) from scenario entries.
class ObjectFactory
{
public:
    static QString nowTimestamp();
    static QJsonObject namespaceObject(const ScenarioNamespace &ns);
    // A Ready node with status.nodeInfo.containerRuntimeVersion.
    static QJsonObject nodeObject(const ScenarioNode &node);
    static QJsonObject podObject(const ScenarioPod &pod, const QString &podIp,
                                 const QString &podIpv6);
    static QJsonObject deploymentObject(const ScenarioWorkloadObject &d,
                                        const QList<QJsonObject> &pods);
    static QJsonObject statefulSetObject(const ScenarioWorkloadObject &s,
                                         const QList<QJsonObject> &pods);
    static QJsonObject serviceObject(const ScenarioService &svc, const QString &clusterIp);
    // docker.io/library/busybox:latest style, for image comparison.
    static QString normalizeImage(const QString &image);
    static QJsonObject imageIdFor(const QString &image);
};

} // namespace kubesim
