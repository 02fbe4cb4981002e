#pragma once

#include "kubeapiclient.h"
#include "podinfo.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

namespace podtap {

class WatchStream;

// Makes sure a running podtap tap exists in a pod: reuses a running one, otherwise adds
// one with a strategic merge PATCH of pods/ephemeralcontainers (the fixed contract of
// TapSpec, image override allowed) and waits through a watch until it runs. Every
// failure becomes a plain explanation: RBAC, Pod Security (level and label), subresource
// missing, invalid, image pull errors with the registry's message, terminated tap.
class TapInjector : public QObject
{
    Q_OBJECT

public:
    TapInjector(KubeApiClient *api, QObject *parent = nullptr);
    ~TapInjector() override;

    // The profile of the tap to reuse or add (default: TapProfile::Default).
    void setProfile(TapProfile profile) { m_profile = profile; }
    void start(const PodInfo &pod, const QString &image, int timeoutMs = 60000);
    // The exact container object sent (for audit and tests); empty when reused.
    QJsonObject sentContainer() const { return m_sent; }

Q_SIGNALS:
    void progress(const QString &message);
    void ready(const QString &tapName, bool reused);
    void failed(const QString &message);

private:
    static bool isPullFailure(const QString &waitingReason);
    void inject();
    void watchFrom(const QString &resourceVersion);
    bool examine(const PodInfo &pod); // true when finished (ready or failed)
    void fail(const QString &message);

    KubeApiClient *m_api;
    PodInfo m_pod;
    QString m_image;
    TapProfile m_profile = TapProfile::Default;
    QString m_name;
    QJsonObject m_sent;
    QTimer m_timeout;
    QPointer<WatchStream> m_watch;
    QString m_lastState;
    bool m_done = false;
};

} // namespace podtap
