#include "tableconverter.h"

#include <QDateTime>
#include <QJsonArray>
#include <QStringList>

namespace kubesim {

namespace {

QJsonObject column(const char *name, const char *type, int priority, const char *format = "")
{
    return {{QStringLiteral("name"), QLatin1String(name)},
            {QStringLiteral("type"), QLatin1String(type)},
            {QStringLiteral("format"), QLatin1String(format)},
            {QStringLiteral("description"), QString()},
            {QStringLiteral("priority"), priority}};
}

QJsonArray columnsFor(const QString &resource)
{
    if (resource == QLatin1String("pods"))
        return {column("Name", "string", 0, "name"),
                column("Ready", "string", 0),
                column("Status", "string", 0),
                column("Restarts", "string", 0),
                column("Age", "string", 0),
                column("IP", "string", 1),
                column("Node", "string", 1),
                column("Nominated Node", "string", 1),
                column("Readiness Gates", "string", 1)};
    if (resource == QLatin1String("namespaces"))
        return {column("Name", "string", 0, "name"), column("Status", "string", 0),
                column("Age", "string", 0)};
    if (resource == QLatin1String("services"))
        return {column("Name", "string", 0, "name"), column("Type", "string", 0),
                column("Cluster-IP", "string", 0),   column("External-IP", "string", 0),
                column("Port(s)", "string", 0),      column("Age", "string", 0),
                column("Selector", "string", 1)};
    if (resource == QLatin1String("deployments"))
        return {column("Name", "string", 0, "name"), column("Ready", "string", 0),
                column("Up-to-date", "integer", 0),  column("Available", "integer", 0),
                column("Age", "string", 0),          column("Containers", "string", 1),
                column("Images", "string", 1),       column("Selector", "string", 1)};
    if (resource == QLatin1String("statefulsets"))
        return {column("Name", "string", 0, "name"), column("Ready", "string", 0),
                column("Age", "string", 0), column("Containers", "string", 1),
                column("Images", "string", 1)};
    return {};
}

QString selectorText(const QJsonObject &labels)
{
    QStringList parts;
    for (auto it = labels.constBegin(); it != labels.constEnd(); ++it)
        parts << it.key() + QLatin1Char('=') + it.value().toString();
    return parts.isEmpty() ? QStringLiteral("<none>") : parts.join(QLatin1Char(','));
}

QJsonArray cellsFor(const QString &resource, const QJsonObject &o)
{
    const QJsonObject md = o.value(QStringLiteral("metadata")).toObject();
    const QJsonObject spec = o.value(QStringLiteral("spec")).toObject();
    const QJsonObject status = o.value(QStringLiteral("status")).toObject();
    const QString name = md.value(QStringLiteral("name")).toString();
    const QString age
            = TableConverter::humanAge(md.value(QStringLiteral("creationTimestamp")).toString());
    if (resource == QLatin1String("pods")) {
        const QJsonArray cs = status.value(QStringLiteral("containerStatuses")).toArray();
        int ready = 0, restarts = 0;
        for (const auto &c : cs) {
            ready += c.toObject().value(QStringLiteral("ready")).toBool() ? 1 : 0;
            restarts += c.toObject().value(QStringLiteral("restartCount")).toInt();
        }
        const int total = int(spec.value(QStringLiteral("containers")).toArray().size());
        return {name,
                QStringLiteral("%1/%2").arg(ready).arg(total),
                status.value(QStringLiteral("phase")).toString(),
                restarts,
                age,
                status.value(QStringLiteral("podIP")).toString(QStringLiteral("<none>")),
                spec.value(QStringLiteral("nodeName")).toString(QStringLiteral("<none>")),
                QStringLiteral("<none>"),
                QStringLiteral("<none>")};
    }
    if (resource == QLatin1String("namespaces"))
        return {name, status.value(QStringLiteral("phase")).toString(), age};
    if (resource == QLatin1String("services")) {
        QStringList ports;
        const QJsonArray ps = spec.value(QStringLiteral("ports")).toArray();
        for (const auto &p : ps)
            ports << QStringLiteral("%1/%2")
                             .arg(p.toObject().value(QStringLiteral("port")).toInt())
                             .arg(p.toObject().value(QStringLiteral("protocol")).toString());
        return {name,
                spec.value(QStringLiteral("type")).toString(),
                spec.value(QStringLiteral("clusterIP")).toString(),
                QStringLiteral("<none>"),
                ports.isEmpty() ? QStringLiteral("<none>") : ports.join(QLatin1Char(',')),
                age,
                selectorText(spec.value(QStringLiteral("selector")).toObject())};
    }
    QStringList containers, images;
    const QJsonArray cs = spec.value(QStringLiteral("template"))
                                  .toObject()
                                  .value(QStringLiteral("spec"))
                                  .toObject()
                                  .value(QStringLiteral("containers"))
                                  .toArray();
    for (const auto &c : cs) {
        containers << c.toObject().value(QStringLiteral("name")).toString();
        images << c.toObject().value(QStringLiteral("image")).toString();
    }
    const QString readyText = QStringLiteral("%1/%2")
                                      .arg(status.value(QStringLiteral("readyReplicas")).toInt())
                                      .arg(spec.value(QStringLiteral("replicas")).toInt());
    if (resource == QLatin1String("deployments"))
        return {name,
                readyText,
                status.value(QStringLiteral("updatedReplicas")).toInt(),
                status.value(QStringLiteral("availableReplicas")).toInt(),
                age,
                containers.join(QLatin1Char(',')),
                images.join(QLatin1Char(',')),
                selectorText(spec.value(QStringLiteral("selector"))
                                     .toObject()
                                     .value(QStringLiteral("matchLabels"))
                                     .toObject())};
    return {name, readyText, age, containers.join(QLatin1Char(',')), images.join(QLatin1Char(','))};
}

} // namespace

bool TableConverter::supports(const QString &resource)
{
    return !columnsFor(resource).isEmpty();
}

QString TableConverter::humanAge(const QString &timestamp)
{
    // k8s.io/apimachinery/pkg/util/duration HumanDuration, first ranges.
    const QDateTime t = QDateTime::fromString(timestamp, Qt::ISODate);
    if (!t.isValid())
        return QStringLiteral("<unknown>");
    const qint64 s = qMax<qint64>(0, t.secsTo(QDateTime::currentDateTimeUtc()));
    if (s < 120)
        return QStringLiteral("%1s").arg(s);
    const qint64 m = s / 60;
    if (m < 10 && s % 60 != 0)
        return QStringLiteral("%1m%2s").arg(m).arg(s % 60);
    if (m < 180)
        return QStringLiteral("%1m").arg(m);
    const qint64 h = m / 60;
    if (h < 8 && m % 60 != 0)
        return QStringLiteral("%1h%2m").arg(h).arg(m % 60);
    if (h < 48)
        return QStringLiteral("%1h").arg(h);
    return QStringLiteral("%1d").arg(h / 24);
}

QJsonObject TableConverter::table(const QString &resource, const QList<QJsonObject> &objects,
                                  const QString &resourceVersion, bool includeObject,
                                  bool withColumns)
{
    QJsonArray rows;
    for (const auto &o : objects) {
        QJsonObject obj = o;
        if (!includeObject) {
            QJsonObject md = o.value(QStringLiteral("metadata")).toObject();
            obj = {{QStringLiteral("kind"), QStringLiteral("PartialObjectMetadata")},
                   {QStringLiteral("apiVersion"), QStringLiteral("meta.k8s.io/v1")},
                   {QStringLiteral("metadata"), md}};
        }
        rows.append(QJsonObject{{QStringLiteral("cells"), cellsFor(resource, o)},
                                {QStringLiteral("object"), obj}});
    }
    QJsonObject t{{QStringLiteral("kind"), QStringLiteral("Table")},
                  {QStringLiteral("apiVersion"), QStringLiteral("meta.k8s.io/v1")},
                  {QStringLiteral("metadata"),
                   QJsonObject{{QStringLiteral("resourceVersion"), resourceVersion}}},
                  {QStringLiteral("rows"), rows}};
    t.insert(QStringLiteral("columnDefinitions"),
             withColumns ? columnsFor(resource) : QJsonArray());
    return t;
}

} // namespace kubesim
