#include "preflight.h"

#include "tapspec.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <memory>

namespace podtap {

const char *PreflightItem::statusName(Status s)
{
    switch (s) {
    case Status::Ok:
        return "ok";
    case Status::Warn:
        return "warn";
    case Status::Fail:
        return "fail";
    }
    return "?";
}

bool PreflightReport::passed() const
{
    for (const auto &i : items)
        if (i.status == PreflightItem::Status::Fail)
            return false;
    return true;
}

QJsonArray PreflightReport::toJson() const
{
    QJsonArray a;
    for (const auto &i : items) {
        QJsonObject o;
        o[QLatin1String("id")] = i.id;
        o[QLatin1String("title")] = i.title;
        o[QLatin1String("status")] = QLatin1String(PreflightItem::statusName(i.status));
        o[QLatin1String("why")] = i.why;
        if (!i.ask.isEmpty())
            o[QLatin1String("ask")] = i.ask;
        a.append(o);
    }
    return a;
}

QString PreflightReport::toText() const
{
    QString out;
    for (const auto &i : items) {
        const char *mark = i.status == PreflightItem::Status::Ok     ? "ok  "
                           : i.status == PreflightItem::Status::Warn ? "warn"
                                                                     : "FAIL";
        out += QStringLiteral("[%1] %2: %3\n").arg(QLatin1String(mark), i.title, i.why);
        if (!i.ask.isEmpty())
            out += QStringLiteral("       ask your cluster admin for: %1\n").arg(i.ask);
    }
    return out;
}

QList<Preflight::Verb> Preflight::contractVerbs()
{
    return {{QStringLiteral("get"), QStringLiteral("pods"), QString()},
            {QStringLiteral("list"), QStringLiteral("pods"), QString()},
            {QStringLiteral("watch"), QStringLiteral("pods"), QString()},
            {QStringLiteral("patch"), QStringLiteral("pods"),
             QStringLiteral("ephemeralcontainers")},
            {QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("exec")},
            {QStringLiteral("create"), QStringLiteral("pods"), QStringLiteral("exec")}};
}

PreflightItem Preflight::podSecurityItem(const QString &ns, const QString &level, bool readable,
                                         const QString &readError)
{
    PreflightItem i;
    i.id = QStringLiteral("podsecurity");
    i.title = QStringLiteral("Pod Security admission");
    if (!readable) {
        i.status = PreflightItem::Status::Warn;
        i.why = QStringLiteral(
                        "could not read namespace %1 to check its Pod Security level (%2); "
                        "the tap may be rejected if the namespace enforces baseline or restricted")
                        .arg(ns, readError);
        return i;
    }
    if (level.isEmpty() || level == QLatin1String("privileged")) {
        i.why = level.isEmpty()
                        ? QStringLiteral("namespace %1 has no enforce label: NET_RAW may be added "
                                         "(cluster-wide defaults may still apply)")
                                  .arg(ns)
                        : QStringLiteral(
                                  "namespace %1 enforces \"privileged\": NET_RAW may be added")
                                  .arg(ns);
        return i;
    }
    i.status = PreflightItem::Status::Fail;
    i.why = QStringLiteral(
                    "namespace %1 enforces Pod Security \"%2\" (label "
                    "pod-security.kubernetes.io/enforce=%2), "
                    "which rejects any container that adds NET_RAW; the tap would be refused")
                    .arg(ns, level);
    i.ask = QStringLiteral("kubectl label namespace %1 "
                           "pod-security.kubernetes.io/enforce=privileged --overwrite "
                           "(or tap the pod in a namespace that allows NET_RAW)")
                    .arg(ns);
    return i;
}

void Preflight::run(KubeApiClient *api, const PodInfo &pod, const QString &image, QObject *context,
                    Callback callback)
{
    struct State
    {
        PreflightReport report;
        QList<PreflightItem> rbac;
        int pending = 0;
        Callback done;
    };
    auto st = std::make_shared<State>();
    st->done = std::move(callback);

    // The pod itself.
    PreflightItem podItem;
    podItem.id = QStringLiteral("pod");
    podItem.title = QStringLiteral("Pod %1/%2").arg(pod.ns, pod.name);
    if (pod.phase != QLatin1String("Running") || pod.nodeName.isEmpty()) {
        podItem.status = PreflightItem::Status::Fail;
        podItem.why = QStringLiteral("the pod is %1%2: only a running pod on a node can be tapped")
                              .arg(pod.phase.isEmpty() ? QStringLiteral("in an unknown phase")
                                                       : pod.phase,
                                   pod.nodeName.isEmpty() ? QStringLiteral(" and not scheduled")
                                                          : QString());
    } else {
        podItem.why = QStringLiteral("running on %1, ready %2").arg(pod.nodeName, pod.readyText());
    }
    st->report.items << podItem;

    // An existing tap (ephemeral containers can never be removed: reuse, don't pile up).
    PreflightItem tapItem;
    tapItem.id = QStringLiteral("tap");
    tapItem.title = QStringLiteral("Existing tap");
    QList<PodInfo::SkippedTap> skipped;
    const auto tap = pod.reusableTap(image, &skipped);
    if (tap) {
        const QString name = tap->value(QLatin1String("name")).toString();
        const auto status = pod.ephemeralStatus(name);
        if (status && status->state == ContainerStateInfo::State::Running) {
            st->report.existingTap = name;
            tapItem.why
                    = QStringLiteral("%1 is running and will be reused (nothing new is injected)")
                              .arg(name);
        } else {
            tapItem.status = PreflightItem::Status::Warn;
            tapItem.why
                    = QStringLiteral("%1 exists but is not running (%2); a new tap will be added")
                              .arg(name, status ? status->reason : QStringLiteral("no status"));
        }
    } else if (skipped.isEmpty()) {
        tapItem.why = QStringLiteral("none yet; one ephemeral container will be added (it cannot "
                                     "be removed, only the pod's deletion removes it)");
    } else {
        tapItem.why = QStringLiteral("no reusable tap: a new tap will be added");
    }
    for (const PodInfo::SkippedTap &s : std::as_const(skipped)) {
        tapItem.why += QStringLiteral("; not reused: %1 (%2)").arg(s.name, s.why);
        // Named like our tap, but with other rights: never run tcpdump in it, and say so.
        if (s.breaksContract)
            tapItem.status = PreflightItem::Status::Warn;
    }
    st->report.items << tapItem;

    // The image.
    PreflightItem imageItem;
    imageItem.id = QStringLiteral("image");
    imageItem.title = QStringLiteral("Tap image");
    QString why;
    if (!TapSpec::isValidImage(image, &why)) {
        imageItem.status = PreflightItem::Status::Fail;
        imageItem.why = why;
    } else if (const QString w = TapSpec::imageWarning(image); !w.isEmpty()) {
        imageItem.status = PreflightItem::Status::Warn;
        imageItem.why = w;
    } else {
        imageItem.why = image;
    }
    st->report.items << imageItem;

    auto finishOne = [st] {
        if (--st->pending > 0)
            return;
        st->report.items << st->rbac;
        st->done(st->report);
    };

    const QList<Verb> verbs = contractVerbs();
    st->pending = int(verbs.size()) + 1;
    for (const Verb &v : verbs) {
        QJsonObject attrs;
        attrs[QLatin1String("namespace")] = pod.ns;
        attrs[QLatin1String("verb")] = v.verb;
        attrs[QLatin1String("group")] = QString();
        attrs[QLatin1String("resource")] = v.resource;
        if (!v.subresource.isEmpty())
            attrs[QLatin1String("subresource")] = v.subresource;
        if (v.verb != QLatin1String("list") && v.verb != QLatin1String("watch"))
            attrs[QLatin1String("name")] = pod.name;
        QJsonObject body;
        body[QLatin1String("kind")] = QStringLiteral("SelfSubjectAccessReview");
        body[QLatin1String("apiVersion")] = QStringLiteral("authorization.k8s.io/v1");
        body[QLatin1String("spec")] = QJsonObject{{QStringLiteral("resourceAttributes"), attrs}};
        const QString resource = v.subresource.isEmpty()
                                         ? v.resource
                                         : v.resource + QLatin1Char('/') + v.subresource;
        api->request(
                "POST", QStringLiteral("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"),
                {}, QJsonDocument(body).toJson(QJsonDocument::Compact), "application/json", context,
                [st, v, resource, pod, finishOne](const KubeApiClient::Response &r) {
                    PreflightItem i;
                    i.id = QStringLiteral("rbac.%1-%2")
                                   .arg(v.verb, QString(resource).replace(QLatin1Char('/'),
                                                                          QLatin1Char('-')));
                    i.title = QStringLiteral("RBAC: %1 %2").arg(v.verb, resource);
                    const QString rule
                            = QStringLiteral("a Role in namespace %1 with {apiGroups: [\"\"], "
                                             "resources: [\"%2\"], verbs: [\"%3\"]} bound to you")
                                      .arg(pod.ns, resource, v.verb);
                    if (!r.ok()) {
                        i.status = PreflightItem::Status::Warn;
                        i.why = QStringLiteral("could not check (%1)").arg(r.errorText());
                    } else if (r.json[QLatin1String("status")][QLatin1String("allowed")].toBool()) {
                        i.why = QStringLiteral("allowed");
                    } else {
                        i.status = PreflightItem::Status::Fail;
                        const QString reason
                                = r.json[QLatin1String("status")][QLatin1String("reason")]
                                          .toString();
                        i.why = QStringLiteral("not allowed in namespace %1%2")
                                        .arg(pod.ns, reason.isEmpty()
                                                             ? QString()
                                                             : QStringLiteral(" (") + reason
                                                                       + QLatin1Char(')'));
                        i.ask = rule;
                    }
                    st->rbac << i;
                    finishOne();
                });
    }
    api->get(QStringLiteral("/api/v1/namespaces/%1").arg(pod.ns), {}, context,
             [st, pod, finishOne](const KubeApiClient::Response &r) {
                 const QString level = r.json[QLatin1String("metadata")][QLatin1String("labels")]
                                             [QLatin1String("pod-security.kubernetes.io/enforce")]
                                                     .toString();
                 st->report.items << podSecurityItem(pod.ns, level, r.ok(), r.errorText());
                 finishOne();
             });
}

} // namespace podtap
