#include "objectfactory.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonArray>

namespace kubesim {

namespace {

QJsonObject labelsObject(const QMap<QString, QString> &labels)
{
    QJsonObject o;
    for (auto it = labels.constBegin(); it != labels.constEnd(); ++it)
        o.insert(it.key(), it.value());
    return o;
}

QString containerId(const QString &seed, const QString &runtime)
{
    return runtime + QStringLiteral("://")
           + QString::fromLatin1(
                   QCryptographicHash::hash(seed.toUtf8(), QCryptographicHash::Sha256).toHex());
}

QJsonObject selectorObject(const QMap<QString, QString> &sel)
{
    return {{QStringLiteral("matchLabels"), labelsObject(sel)}};
}

QJsonObject templateFrom(const QMap<QString, QString> &sel, const QList<QJsonObject> &pods)
{
    QJsonObject spec;
    if (!pods.isEmpty()) {
        const QJsonObject ps = pods.first().value(QStringLiteral("spec")).toObject();
        spec.insert(QStringLiteral("containers"), ps.value(QStringLiteral("containers")));
        spec.insert(QStringLiteral("restartPolicy"), QStringLiteral("Always"));
    }
    return {{QStringLiteral("metadata"),
             QJsonObject{{QStringLiteral("labels"), labelsObject(sel)}}},
            {QStringLiteral("spec"), spec}};
}

int readyCount(const QList<QJsonObject> &pods)
{
    int n = 0;
    for (const auto &p : pods)
        if (p.value(QStringLiteral("status")).toObject().value(QStringLiteral("phase"))
            == QLatin1String("Running"))
            ++n;
    return n;
}

} // namespace

QString ObjectFactory::nowTimestamp()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
}

QString ObjectFactory::normalizeImage(const QString &image)
{
    QString name = image;
    QString digest;
    const int at = name.indexOf(QLatin1Char('@'));
    if (at >= 0) {
        digest = name.mid(at);
        name = name.left(at);
    }
    const int slash = name.indexOf(QLatin1Char('/'));
    const QString first = slash < 0 ? QString() : name.left(slash);
    const bool hasRegistry
            = slash >= 0
              && (first.contains(QLatin1Char('.')) || first.contains(QLatin1Char(':'))
                  || first == QLatin1String("localhost"));
    if (!hasRegistry)
        name = (slash < 0 ? QStringLiteral("docker.io/library/") : QStringLiteral("docker.io/"))
               + name;
    const int lastSlash = name.lastIndexOf(QLatin1Char('/'));
    if (digest.isEmpty() && name.indexOf(QLatin1Char(':'), lastSlash) < 0)
        name += QStringLiteral(":latest");
    return name + digest;
}

QJsonObject ObjectFactory::imageIdFor(const QString &image)
{
    const QString norm = normalizeImage(image);
    QString repo = norm;
    const int at = repo.indexOf(QLatin1Char('@'));
    if (at >= 0)
        repo = repo.left(at);
    const int colon = repo.lastIndexOf(QLatin1Char(':'));
    if (colon > repo.lastIndexOf(QLatin1Char('/')))
        repo = repo.left(colon);
    const QString digest = QString::fromLatin1(
            QCryptographicHash::hash(norm.toUtf8(), QCryptographicHash::Sha256).toHex());
    return {{QStringLiteral("image"), norm},
            {QStringLiteral("imageID"), QString(repo + QStringLiteral("@sha256:") + digest)}};
}

QJsonObject ObjectFactory::namespaceObject(const ScenarioNamespace &ns)
{
    QMap<QString, QString> labels = ns.labels;
    labels.insert(QStringLiteral("kubernetes.io/metadata.name"), ns.name);
    return {{QStringLiteral("kind"), QStringLiteral("Namespace")},
            {QStringLiteral("apiVersion"), QStringLiteral("v1")},
            {QStringLiteral("metadata"),
             QJsonObject{{QStringLiteral("name"), ns.name},
                         {QStringLiteral("labels"), labelsObject(labels)}}},
            {QStringLiteral("spec"),
             QJsonObject{{QStringLiteral("finalizers"), QJsonArray{QStringLiteral("kubernetes")}}}},
            {QStringLiteral("status"),
             QJsonObject{{QStringLiteral("phase"), QStringLiteral("Active")}}}};
}

QJsonObject ObjectFactory::nodeObject(const ScenarioNode &node)
{
    const QString now = nowTimestamp();
    const QJsonObject nodeInfo{
            {QStringLiteral("architecture"), QStringLiteral("amd64")},
            {QStringLiteral("operatingSystem"), QStringLiteral("linux")},
            {QStringLiteral("osImage"), QStringLiteral("Debian GNU/Linux 12 (bookworm)")},
            {QStringLiteral("kubeletVersion"), QStringLiteral("v1.32.4")},
            {QStringLiteral("kubeProxyVersion"), QStringLiteral("v1.32.4")},
            {QStringLiteral("containerRuntimeVersion"), node.containerRuntimeVersion()}};
    const QJsonArray conditions{
            QJsonObject{{QStringLiteral("type"), QStringLiteral("Ready")},
                        {QStringLiteral("status"), QStringLiteral("True")},
                        {QStringLiteral("reason"), QStringLiteral("KubeletReady")},
                        {QStringLiteral("lastHeartbeatTime"), now},
                        {QStringLiteral("lastTransitionTime"), now}}};
    return {{QStringLiteral("kind"), QStringLiteral("Node")},
            {QStringLiteral("apiVersion"), QStringLiteral("v1")},
            {QStringLiteral("metadata"),
             QJsonObject{
                     {QStringLiteral("name"), node.name},
                     {QStringLiteral("labels"),
                      QJsonObject{{QStringLiteral("kubernetes.io/hostname"), node.name},
                                  {QStringLiteral("kubernetes.io/os"), QStringLiteral("linux")}}}}},
            {QStringLiteral("spec"), QJsonObject()},
            {QStringLiteral("status"), QJsonObject{{QStringLiteral("conditions"), conditions},
                                                   {QStringLiteral("nodeInfo"), nodeInfo}}}};
}

QJsonObject ObjectFactory::podObject(const ScenarioPod &pod, const QString &podIp,
                                     const QString &podIpv6)
{
    const QString now = nowTimestamp();
    QJsonArray containers, statuses;
    for (const auto &c : pod.containers) {
        QJsonArray ports;
        for (const auto &p : c.ports) {
            QJsonObject po{{QStringLiteral("containerPort"), p.port},
                           {QStringLiteral("protocol"), p.protocol}};
            if (!p.name.isEmpty())
                po.insert(QStringLiteral("name"), p.name);
            ports.append(po);
        }
        QJsonObject co{
                {QStringLiteral("name"), c.name},
                {QStringLiteral("image"), c.image},
                {QStringLiteral("resources"), QJsonObject()},
                {QStringLiteral("terminationMessagePath"), QStringLiteral("/dev/termination-log")},
                {QStringLiteral("terminationMessagePolicy"), QStringLiteral("File")},
                {QStringLiteral("imagePullPolicy"), QStringLiteral("IfNotPresent")}};
        if (!ports.isEmpty())
            co.insert(QStringLiteral("ports"), ports);
        QJsonObject sc;
        if (c.runAsNonRoot)
            sc.insert(QStringLiteral("runAsNonRoot"), *c.runAsNonRoot);
        if (c.runAsUser)
            sc.insert(QStringLiteral("runAsUser"), *c.runAsUser);
        if (!sc.isEmpty())
            co.insert(QStringLiteral("securityContext"), sc);
        containers.append(co);
        const QJsonObject img = imageIdFor(c.image);
        statuses.append(
                QJsonObject{{QStringLiteral("name"), c.name},
                            {QStringLiteral("state"),
                             QJsonObject{{QStringLiteral("running"),
                                          QJsonObject{{QStringLiteral("startedAt"), now}}}}},
                            {QStringLiteral("lastState"), QJsonObject()},
                            {QStringLiteral("ready"), true},
                            {QStringLiteral("restartCount"), 0},
                            {QStringLiteral("image"), img.value(QStringLiteral("image"))},
                            {QStringLiteral("imageID"), img.value(QStringLiteral("imageID"))},
                            {QStringLiteral("containerID"),
                             containerId(pod.ns + pod.name + c.name, pod.nodeRuntime)},
                            {QStringLiteral("started"), true}});
    }
    QJsonArray conditions;
    for (const char *type :
         {"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"})
        conditions.append(QJsonObject{{QStringLiteral("type"), QLatin1String(type)},
                                      {QStringLiteral("status"), QStringLiteral("True")},
                                      {QStringLiteral("lastProbeTime"), QJsonValue::Null},
                                      {QStringLiteral("lastTransitionTime"), now}});
    QJsonArray podIps{QJsonObject{{QStringLiteral("ip"), podIp}}};
    if (!podIpv6.isEmpty())
        podIps.append(QJsonObject{{QStringLiteral("ip"), podIpv6}});
    const QJsonObject spec{
            {QStringLiteral("containers"), containers},
            {QStringLiteral("restartPolicy"), QStringLiteral("Always")},
            {QStringLiteral("terminationGracePeriodSeconds"), 30},
            {QStringLiteral("dnsPolicy"), QStringLiteral("ClusterFirst")},
            {QStringLiteral("serviceAccountName"), QStringLiteral("default")},
            {QStringLiteral("serviceAccount"), QStringLiteral("default")},
            {QStringLiteral("nodeName"), pod.node},
            {QStringLiteral("securityContext"), QJsonObject()},
            {QStringLiteral("schedulerName"), QStringLiteral("default-scheduler")},
            {QStringLiteral("enableServiceLinks"), true},
            {QStringLiteral("preemptionPolicy"), QStringLiteral("PreemptLowerPriority")},
            {QStringLiteral("priority"), 0}};
    const QJsonObject status{
            {QStringLiteral("phase"), QStringLiteral("Running")},
            {QStringLiteral("conditions"), conditions},
            {QStringLiteral("hostIP"), QStringLiteral("198.18.0.1")},
            {QStringLiteral("hostIPs"),
             QJsonArray{QJsonObject{{QStringLiteral("ip"), QStringLiteral("198.18.0.1")}}}},
            {QStringLiteral("podIP"), podIp},
            {QStringLiteral("podIPs"), podIps},
            {QStringLiteral("startTime"), now},
            {QStringLiteral("containerStatuses"), statuses},
            {QStringLiteral("qosClass"), QStringLiteral("BestEffort")}};
    QJsonObject md{{QStringLiteral("name"), pod.name}, {QStringLiteral("namespace"), pod.ns}};
    if (!pod.labels.isEmpty())
        md.insert(QStringLiteral("labels"), labelsObject(pod.labels));
    if (!pod.annotations.isEmpty())
        md.insert(QStringLiteral("annotations"), labelsObject(pod.annotations));
    return {{QStringLiteral("kind"), QStringLiteral("Pod")},
            {QStringLiteral("apiVersion"), QStringLiteral("v1")},
            {QStringLiteral("metadata"), md},
            {QStringLiteral("spec"), spec},
            {QStringLiteral("status"), status}};
}

QJsonObject ObjectFactory::deploymentObject(const ScenarioWorkloadObject &d,
                                            const QList<QJsonObject> &pods)
{
    const int ready = readyCount(pods);
    return {{QStringLiteral("kind"), QStringLiteral("Deployment")},
            {QStringLiteral("apiVersion"), QStringLiteral("apps/v1")},
            {QStringLiteral("metadata"), QJsonObject{{QStringLiteral("name"), d.name},
                                                     {QStringLiteral("namespace"), d.ns},
                                                     {QStringLiteral("generation"), 1}}},
            {QStringLiteral("spec"),
             QJsonObject{{QStringLiteral("replicas"), d.replicas},
                         {QStringLiteral("selector"), selectorObject(d.selector)},
                         {QStringLiteral("template"), templateFrom(d.selector, pods)},
                         {QStringLiteral("strategy"),
                          QJsonObject{{QStringLiteral("type"), QStringLiteral("RollingUpdate")}}}}},
            {QStringLiteral("status"),
             QJsonObject{{QStringLiteral("observedGeneration"), 1},
                         {QStringLiteral("replicas"), int(pods.size())},
                         {QStringLiteral("updatedReplicas"), int(pods.size())},
                         {QStringLiteral("readyReplicas"), ready},
                         {QStringLiteral("availableReplicas"), ready}}}};
}

QJsonObject ObjectFactory::statefulSetObject(const ScenarioWorkloadObject &s,
                                             const QList<QJsonObject> &pods)
{
    const int ready = readyCount(pods);
    return {{QStringLiteral("kind"), QStringLiteral("StatefulSet")},
            {QStringLiteral("apiVersion"), QStringLiteral("apps/v1")},
            {QStringLiteral("metadata"), QJsonObject{{QStringLiteral("name"), s.name},
                                                     {QStringLiteral("namespace"), s.ns},
                                                     {QStringLiteral("generation"), 1}}},
            {QStringLiteral("spec"),
             QJsonObject{{QStringLiteral("replicas"), s.replicas},
                         {QStringLiteral("serviceName"), s.name},
                         {QStringLiteral("selector"), selectorObject(s.selector)},
                         {QStringLiteral("template"), templateFrom(s.selector, pods)},
                         {QStringLiteral("podManagementPolicy"), QStringLiteral("OrderedReady")}}},
            {QStringLiteral("status"),
             QJsonObject{{QStringLiteral("observedGeneration"), 1},
                         {QStringLiteral("replicas"), int(pods.size())},
                         {QStringLiteral("currentReplicas"), int(pods.size())},
                         {QStringLiteral("updatedReplicas"), int(pods.size())},
                         {QStringLiteral("readyReplicas"), ready},
                         {QStringLiteral("availableReplicas"), ready}}}};
}

QJsonObject ObjectFactory::serviceObject(const ScenarioService &svc, const QString &clusterIp)
{
    QJsonArray ports;
    for (const auto &p : svc.ports) {
        QJsonObject po{{QStringLiteral("protocol"), p.protocol}, {QStringLiteral("port"), p.port}};
        if (!p.name.isEmpty())
            po.insert(QStringLiteral("name"), p.name);
        if (p.targetPortName.isEmpty())
            po.insert(QStringLiteral("targetPort"), p.targetPort);
        else
            po.insert(QStringLiteral("targetPort"), p.targetPortName);
        ports.append(po);
    }
    QJsonObject spec{{QStringLiteral("ports"), ports},
                     {QStringLiteral("clusterIP"), clusterIp},
                     {QStringLiteral("clusterIPs"), QJsonArray{clusterIp}},
                     {QStringLiteral("type"), QStringLiteral("ClusterIP")},
                     {QStringLiteral("sessionAffinity"), QStringLiteral("None")},
                     {QStringLiteral("ipFamilies"), QJsonArray{QStringLiteral("IPv4")}},
                     {QStringLiteral("ipFamilyPolicy"), QStringLiteral("SingleStack")}};
    if (!svc.selector.isEmpty())
        spec.insert(QStringLiteral("selector"), labelsObject(svc.selector));
    return {{QStringLiteral("kind"), QStringLiteral("Service")},
            {QStringLiteral("apiVersion"), QStringLiteral("v1")},
            {QStringLiteral("metadata"), QJsonObject{{QStringLiteral("name"), svc.name},
                                                     {QStringLiteral("namespace"), svc.ns}}},
            {QStringLiteral("spec"), spec},
            {QStringLiteral("status"),
             QJsonObject{{QStringLiteral("loadBalancer"), QJsonObject()}}}};
}

} // namespace kubesim
