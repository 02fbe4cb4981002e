#pragma once

#include "ipc/ipcclient.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>

namespace podtap {

// The GUI's one connection to podtapd. Connects (starting podtapd when nobody answers at
// start-up, with the same socket and daemon rules as the CLI), keeps trying with back-off
// when the daemon is gone, and re-sends every subscription after a reconnect so that models
// keep what they showed and catch up. A daemon that went away after we were connected is not
// started again behind the user's back (it may have been shut down on purpose):
// startDaemonNow() does that when asked. Requests made while disconnected fail at once
// (code "disconnected").
class DaemonLink : public QObject
{
    Q_OBJECT

public:
    enum class State {
        Idle,           // start() not called yet
        Connecting,     // first attempt, or a retry in flight
        StartingDaemon, // podtapd launched by us, waiting for its socket
        Connected,      // handshake done
        Waiting,        // no daemon: the next attempt is scheduled (back-off)
    };
    Q_ENUM(State)

    struct Options
    {
        QString socketPath;    // absolute; empty = DaemonLauncher::socketPath()
        QString daemonProgram; // empty = DaemonLauncher::findDaemon()
        bool startDaemon = true;
        int firstRetryMs = 500; // back-off: doubled after each failed attempt …
        int maxRetryMs = 10000; // … up to this
        int startTimeoutMs = 10000;
        QString clientName = QStringLiteral("podtap-gui");
    };

    explicit DaemonLink(const Options &options, QObject *parent = nullptr);
    ~DaemonLink() override;

    void start();
    // Starts podtapd now if nobody answers (the user asked), then connects.
    void startDaemonNow();
    State state() const { return m_state; }
    bool isConnected() const { return m_state == State::Connected; }
    QString socketPath() const { return m_options.socketPath; }
    // One line for the status bar: what is going on and what happens next.
    QString statusText() const;
    QString lastError() const { return m_lastError; }
    int nextRetryMs() const { return m_retryMs; }
    int attempts() const { return m_attempts; }
    // Connections made so far (1 after the first, 2 after a reconnect, …).
    int connections() const { return m_connections; }
    qint64 daemonPid() const { return m_daemonPid; }
    QString daemonVersion() const { return m_daemonVersion; }
    qint64 startedDaemonPid() const { return m_startedPid; }

    // `callback` runs unless `context` is gone; at once (queued) when not connected.
    void request(const QString &method, const QJsonObject &params, QObject *context,
                 IpcClient::Callback callback);
    // session.subscribe with `params` now and after every reconnect; `callback` gets each
    // answer (the state at that moment), so the subscriber can resynchronise. Several
    // subscribers (contexts) may follow one stream: the daemon is told to stop sending it
    // once the last one unsubscribed or was destroyed.
    void subscribe(const QJsonObject &params, QObject *context, IpcClient::Callback callback);
    void unsubscribe(const QJsonObject &params, QObject *context);
    bool isSubscribed(const QJsonObject &params) const;
    int subscriberCount(const QJsonObject &params) const;

Q_SIGNALS:
    void stateChanged(podtap::DaemonLink::State state);
    void connected(const QJsonObject &welcome);
    // A connection that was up is gone (the daemon died or closed it).
    void connectionLost(const QString &why);
    void event(const QJsonObject &event);
    void daemonStarted(qint64 pid);

private:
    struct Subscriber
    {
        QPointer<QObject> context;
        IpcClient::Callback callback;
    };
    struct Subscription
    {
        QJsonObject params;
        QList<Subscriber> subscribers;
    };

    static QString keyOf(const QJsonObject &params);
    void attempt();
    void onReady(const QJsonObject &welcome);
    void onAttemptFailed(const QString &why);
    void onLost();
    void scheduleRetry();
    void setState(State state);
    // Asks the daemon for `key`; the answer goes to `only`, or to every subscriber if null.
    void sendSubscription(const QString &key, QObject *only = nullptr);
    // Drops `context` (and destroyed subscribers) from `key`; the last one out unsubscribes.
    void removeSubscriber(const QString &key, const QObject *context);
    void dropClient();

    Options m_options;
    IpcClient *m_client = nullptr;
    State m_state = State::Idle;
    QTimer m_retryTimer;
    QTimer m_attemptTimeout;
    QElapsedTimer m_startClock; // since we launched podtapd
    int m_retryMs = 0;
    int m_attempts = 0;
    int m_connections = 0;
    bool m_mayStartDaemon = false;
    qint64 m_startedPid = 0;
    qint64 m_daemonPid = 0;
    QString m_daemonVersion;
    QString m_lastError;
    QMap<QString, Subscription> m_subscriptions;
    QSet<const QObject *> m_watched; // subscribers whose destruction we listen for
};

} // namespace podtap
