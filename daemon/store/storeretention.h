#pragma once

#include "retentionpolicy.h"
#include "store/capturestore.h"

#include <QDateTime>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <functional>

namespace podtap {

// Keeps the capture store within its RetentionPolicy: at start-up, when a session ends and
// every few minutes, the oldest stopped sessions are removed (never a running one), each
// removal logged (podtap.store) and announced with removed(). The policy set over IPC is
// kept in the store (retention.json) so it survives restarts; podtapd's options override it.
class StoreRetention : public QObject
{
    Q_OBJECT

public:
    // `running`: the ids of the sessions still capturing (asked before each pass).
    StoreRetention(CaptureStore *store, std::function<QSet<QString>()> running,
                   QObject *parent = nullptr);

    RetentionPolicy policy() const { return m_policy; }
    // Loads retention.json (when present) under `overrides` given on podtapd's command line.
    Result<bool> load(const QJsonObject &overrides);
    // Sets and saves the policy (without enforcing it).
    Result<bool> setPolicy(const RetentionPolicy &policy);
    void setInterval(int ms) { m_timer.setInterval(ms); }
    void start() { m_timer.start(); }
    // For tests and the IPC: "now" as the age limit sees it.
    void setClock(std::function<QDateTime()> clock) { m_clock = std::move(clock); }

    // One pass: what it removed.
    QList<RetentionPolicy::Removal> enforce();
    QString policyFile() const;

Q_SIGNALS:
    void removed(const QString &id, const QString &reason, qint64 diskBytes);

private:
    CaptureStore *m_store;
    std::function<QSet<QString>()> m_running;
    std::function<QDateTime()> m_clock;
    RetentionPolicy m_policy;
    QTimer m_timer;
};

} // namespace podtap
