#include "tapinjector.h"

#include "tapspec.h"
#include "watchstream.h"

namespace podtap {

TapInjector::TapInjector(KubeApiClient *api, QObject *parent)
    : QObject(parent)
    , m_api(api)
{
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        fail(QStringLiteral("the tap %1 did not start within %2 s (last state: %3)")
                     .arg(m_name)
                     .arg(m_timeout.interval() / 1000)
                     .arg(m_lastState.isEmpty() ? QStringLiteral("unknown") : m_lastState));
    });
}

TapInjector::~TapInjector() = default;

bool TapInjector::isPullFailure(const QString &waitingReason)
{
    return waitingReason == QLatin1String("ErrImagePull")
           || waitingReason == QLatin1String("ImagePullBackOff")
           || waitingReason == QLatin1String("InvalidImageName");
}

void TapInjector::fail(const QString &message)
{
    if (m_done)
        return;
    m_done = true;
    m_timeout.stop();
    if (m_watch)
        m_watch->stop();
    Q_EMIT failed(message);
}

void TapInjector::start(const PodInfo &pod, const QString &image, int timeoutMs)
{
    m_pod = pod;
    m_image = image;
    m_timeout.setInterval(timeoutMs);
    QString why;
    if (!TapSpec::isValidImage(image, &why)) {
        fail(why);
        return;
    }
    QList<PodInfo::SkippedTap> skipped;
    const auto tap = pod.reusableTap(image, m_profile, &skipped);
    for (const PodInfo::SkippedTap &s : std::as_const(skipped))
        Q_EMIT progress(QStringLiteral("not reusing %1: %2").arg(s.name, s.why));
    if (tap) {
        const QString name = tap->value(QLatin1String("name")).toString();
        const auto st = pod.ephemeralStatus(name);
        if (st && st->state == ContainerStateInfo::State::Running) {
            m_done = true;
            Q_EMIT ready(name, true);
            return;
        }
        // A tap whose image cannot be pulled never starts: ephemeral containers cannot be
        // removed, so leave it and add a new one (with the image asked for now).
        const bool pullFailed = st && st->state == ContainerStateInfo::State::Waiting
                                && isPullFailure(st->reason);
        if (pullFailed)
            Q_EMIT progress(QStringLiteral("the earlier tap %1 cannot start (%2); adding a new one")
                                    .arg(name, st->reason));
        else if (!st || st->state == ContainerStateInfo::State::Waiting) {
            // A tap still starting (e.g. from a previous run): wait for it instead of adding one.
            m_name = name;
            Q_EMIT progress(QStringLiteral("waiting for the existing tap %1").arg(name));
            m_timeout.start();
            if (!examine(pod))
                watchFrom(pod.resourceVersion);
            return;
        }
    }
    inject();
}

void TapInjector::inject()
{
    m_name = TapSpec::randomName();
    m_sent = TapSpec::container(m_name, m_image, m_profile);
    Q_EMIT progress(QStringLiteral("adding tap %1 (%2, NET_RAW only%3) to %4/%5")
                            .arg(m_name, m_image,
                                 m_profile == TapProfile::NonRoot
                                         ? QStringLiteral(", uid %1").arg(NonRootTapUid)
                                 : m_profile == TapProfile::Baseline
                                         ? QStringLiteral(" kept from the runtime's defaults, "
                                                          "nothing added")
                                         : QString(),
                                 m_pod.ns, m_pod.name));
    m_timeout.start();
    m_api->request(
            "PATCH",
            QStringLiteral("/api/v1/namespaces/%1/pods/%2/ephemeralcontainers")
                    .arg(m_pod.ns, m_pod.name),
            {}, TapSpec::strategicMergePatch(m_sent), "application/strategic-merge-patch+json",
            this, [this](const KubeApiClient::Response &r) {
                if (!r.ok()) {
                    if (r.httpCode == 404
                        && r.status.details.value(QLatin1String("name")).toString().isEmpty())
                        fail(QStringLiteral(
                                "this cluster does not offer ephemeral containers "
                                "(pods/ephemeralcontainers not found): it may be older than 1.25 "
                                "or have the feature disabled"));
                    else
                        fail(QStringLiteral("the cluster refused the tap: %1").arg(r.errorText()));
                    return;
                }
                const PodInfo pod = PodInfo::fromJson(r.json);
                if (!examine(pod))
                    watchFrom(pod.resourceVersion);
            });
}

bool TapInjector::examine(const PodInfo &pod)
{
    const auto st = pod.ephemeralStatus(m_name);
    if (!st) {
        m_lastState = QStringLiteral("no status yet");
        return false;
    }
    switch (st->state) {
    case ContainerStateInfo::State::Running:
        m_done = true;
        m_timeout.stop();
        if (m_watch)
            m_watch->stop();
        Q_EMIT ready(m_name, false);
        return true;
    case ContainerStateInfo::State::Terminated:
        fail(QStringLiteral("the tap %1 terminated (%2, exit code %3%4)")
                     .arg(m_name, st->reason)
                     .arg(st->exitCode)
                     .arg(st->message.isEmpty() ? QString() : QStringLiteral(": ") + st->message));
        return true;
    case ContainerStateInfo::State::Waiting:
        m_lastState = st->reason
                      + (st->message.isEmpty() ? QString() : QStringLiteral(": ") + st->message);
        if (st->reason == QLatin1String("CreateContainerConfigError")) {
            // The kubelet refuses the container's configuration (e.g. runAsNonRoot with an
            // image that runs as root): it will not start however long we wait.
            fail(QStringLiteral("the node refused to start the tap %1 (%2%3)")
                         .arg(m_name, st->reason,
                              st->message.isEmpty() ? QString()
                                                    : QStringLiteral(": ") + st->message));
            return true;
        }
        if (isPullFailure(st->reason)) {
            fail(QStringLiteral("the tap image %1 cannot be pulled (%2)%3")
                         .arg(m_image, st->reason,
                              st->message.isEmpty() ? QString()
                                                    : QStringLiteral(": ") + st->message));
            return true;
        }
        Q_EMIT progress(QStringLiteral("tap %1: %2").arg(m_name, m_lastState));
        return false;
    case ContainerStateInfo::State::Unknown:
        return false;
    }
    return false;
}

void TapInjector::watchFrom(const QString &resourceVersion)
{
    if (m_done)
        return;
    QUrlQuery q;
    KubeApiClient::addQueryValue(q, QStringLiteral("fieldSelector"),
                                 QStringLiteral("metadata.name=") + m_pod.name);
    if (!resourceVersion.isEmpty())
        q.addQueryItem(QStringLiteral("resourceVersion"), resourceVersion);
    q.addQueryItem(QStringLiteral("allowWatchBookmarks"), QStringLiteral("true"));
    q.addQueryItem(QStringLiteral("timeoutSeconds"), QStringLiteral("60"));
    if (m_watch)
        m_watch->deleteLater();
    m_watch = new WatchStream(m_api, QStringLiteral("/api/v1/namespaces/%1/pods").arg(m_pod.ns), q,
                              this);
    connect(m_watch, &WatchStream::event, this,
            [this](const QString &type, const QJsonObject &object) {
                if (type == QLatin1String("DELETED")) {
                    fail(QStringLiteral("the pod %1/%2 was deleted while the tap was starting")
                                 .arg(m_pod.ns, m_pod.name));
                    return;
                }
                if (type == QLatin1String("ADDED") || type == QLatin1String("MODIFIED"))
                    examine(PodInfo::fromJson(object));
            });
    auto relist = [this] {
        if (m_done)
            return;
        // History expired or the watch ended: re-read the pod and watch from there.
        m_api->get(QStringLiteral("/api/v1/namespaces/%1/pods/%2").arg(m_pod.ns, m_pod.name), {},
                   this, [this](const KubeApiClient::Response &r) {
                       if (!r.ok()) {
                           fail(r.errorText());
                           return;
                       }
                       const PodInfo pod = PodInfo::fromJson(r.json);
                       if (!examine(pod))
                           watchFrom(pod.resourceVersion);
                   });
    };
    connect(m_watch, &WatchStream::expired, this, relist);
    connect(m_watch, &WatchStream::ended, this, relist);
    connect(m_watch, &WatchStream::failed, this, [this](const QString &m) {
        fail(QStringLiteral("watching the pod failed: %1").arg(m));
    });
    m_watch->start();
}

} // namespace podtap
