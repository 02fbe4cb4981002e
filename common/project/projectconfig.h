#pragma once

#include "ipc/sessionstartrequest.h"

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace podtap {

// A project's `.podtap.yaml`, parsed and validated (ProjectConfigParser): named mirrors the
// CLI (`podtap mirror NAME`) and the GUI start. docs/project-config.md,
// docs/podtap.schema.json.
struct ProjectConfig
{
    // One remote (pod or Service) port mirrored to one local port.
    struct PortMapping
    {
        int remote = 0;
        int local = 0;
        QString host = QStringLiteral("127.0.0.1");
        bool hostGiven = false; // a host written in the file is an explicit choice
    };

    // HTTP filters for the mirror (method, path regex, header regexes). Validated here and
    // sent as session.start's mirror.httpFilter; podtapd applies them once its HTTP layer does.
    struct HttpFilter
    {
        QStringList methods;
        QString path;                   // regex
        QMap<QString, QString> headers; // header name -> value regex
        bool isEmpty() const { return methods.isEmpty() && path.isEmpty() && headers.isEmpty(); }
        QJsonObject toJson() const;
    };

    struct Mirror
    {
        QString name;
        QString description;
        int line = 0; // where the mirror is defined (1-based)
        QString context;
        QString ns;
        QString target;
        QList<PortMapping> ports;
        QString image;   // empty: the daemon's pinned default
        QString profile; // empty: "default"
        qint64 maxMegabytes = 0;
        qint64 maxAgeSeconds = 0;
        int durationSeconds = 0;
        bool joinMidstream = false;
        bool allPods = true;
        HttpFilter http;

        // session.start for port mapping `portIndex` (docs/ipc.md), without the client's
        // kubeconfig and environment; image, profile and limits the file leaves out are the
        // daemon's defaults.
        SessionStartRequest sessionRequest(int portIndex) const;
        // "deployment/web 8080→18080, 9090→19090 (context dev, namespace shop)"
        QString summary() const;
    };

    QString file; // the file read (as given)
    QList<Mirror> mirrors;
    // `store: {quota: 10G, max_age: 3d}`: podtapd's store retention while this project's
    // mirrors run, as store.retention params ({"quota", "maxAge"}); empty when not given.
    QJsonObject storeRetention;

    const Mirror *find(const QString &name) const;
    QStringList names() const;
};

} // namespace podtap
