#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>

#include "tapprofile.h"

namespace podtap {

struct ContainerPortInfo
{
    QString name;
    int port = 0;
    QString protocol;
};

struct ContainerInfo
{
    QString name;
    QString image;
    QList<ContainerPortInfo> ports;
};

// A container status: exactly one of waiting / running / terminated is set.
struct ContainerStateInfo
{
    QString name;
    QString image;
    bool ready = false;
    int restarts = 0;
    enum class State { Unknown, Waiting, Running, Terminated } state = State::Unknown;
    QString reason;  // waiting/terminated reason (ErrImagePull, Completed, …)
    QString message; // waiting/terminated message
    int exitCode = 0;
};

// The parts of a Pod that podtap needs, parsed from its JSON.
struct PodInfo
{
    QString ns;
    QString name;
    QString uid;
    QString resourceVersion;
    QString phase;
    QString nodeName;
    QString podIp;
    QStringList podIps;
    QMap<QString, QString> labels;
    QDateTime created;
    QDateTime deleting; // valid when a deletion is pending
    bool ready = false;
    QList<ContainerInfo> containers;
    QList<ContainerStateInfo> containerStatuses;
    QList<QJsonObject> ephemeralContainers; // spec objects as the server returned them
    QList<ContainerStateInfo> ephemeralStatuses;
    // A service-mesh sidecar's name ("istio-proxy", "linkerd-proxy") when the pod has one:
    // such a container (or a native sidecar: an init container with restartPolicy Always),
    // the injectors' annotations (sidecar.istio.io/status, linkerd.io/proxy-version) or their
    // init containers (istio-init, linkerd-init). Empty otherwise.
    QString meshSidecar;

    static PodInfo fromJson(const QJsonObject &pod);
    int restarts() const;
    std::optional<ContainerStateInfo> ephemeralStatus(const QString &name) const;
    // The newest podtap tap in the pod (by name pattern), if any: for display.
    std::optional<QJsonObject> latestTap() const;
    // The newest tap that may be reused for `image` and `profile`: named like a tap, running
    // that image, and holding exactly that profile's securityContext (NET_RAW only). A
    // container that only borrows the name gets nothing from us, nor does a tap of the other
    // profile; `skipped` says what was passed over.
    struct SkippedTap
    {
        QString name;
        QString why;
        bool breaksContract = false; // not an old tap of ours with another image: a lookalike
    };
    std::optional<QJsonObject> reusableTap(const QString &image,
                                           QList<SkippedTap> *skipped = nullptr) const
    {
        return reusableTap(image, TapProfile::Default, skipped);
    }
    std::optional<QJsonObject> reusableTap(const QString &image, TapProfile profile,
                                           QList<SkippedTap> *skipped = nullptr) const;
    QString readyText() const; // "1/2"
};

} // namespace podtap
