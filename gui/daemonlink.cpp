#include "daemonlink.h"
#include "guilog.h"

#include "ipc/daemonlauncher.h"

namespace podtap {

namespace {
constexpr int HandshakeTimeoutMs = 5000;
constexpr int StartPollMs = 200; // while a podtapd we launched comes up
} // namespace

DaemonLink::DaemonLink(const Options &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
{
    if (m_options.socketPath.isEmpty())
        m_options.socketPath = DaemonLauncher::socketPath();
    m_mayStartDaemon = m_options.startDaemon;
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &DaemonLink::attempt);
    m_attemptTimeout.setSingleShot(true);
    connect(&m_attemptTimeout, &QTimer::timeout, this, [this] {
        onAttemptFailed(QStringLiteral("podtapd accepted the connection but did not answer the "
                                       "handshake within %1 s")
                                .arg(HandshakeTimeoutMs / 1000));
    });
}

DaemonLink::~DaemonLink()
{
    dropClient();
}

void DaemonLink::start()
{
    if (m_state == State::Idle)
        attempt();
}

void DaemonLink::startDaemonNow()
{
    if (m_state == State::Connected || m_state == State::StartingDaemon)
        return;
    m_mayStartDaemon = true;
    m_retryTimer.stop();
    attempt();
}

void DaemonLink::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

void DaemonLink::dropClient()
{
    m_attemptTimeout.stop();
    if (!m_client)
        return;
    // Signals from a client we gave up on must not reach us; it may be inside one now.
    m_client->disconnect(this);
    m_client->socket()->abort();
    m_client->deleteLater();
    m_client = nullptr;
}

void DaemonLink::attempt()
{
    dropClient();
    ++m_attempts;
    if (m_state != State::StartingDaemon)
        setState(State::Connecting);
    auto *client = new IpcClient(this);
    m_client = client;
    connect(client, &IpcClient::ready, this, &DaemonLink::onReady);
    connect(client, &IpcClient::event, this, &DaemonLink::event);
    connect(client, &IpcClient::failed, this, [this, client](const QString &why) {
        if (client == m_client && m_state != State::Connected)
            onAttemptFailed(why);
    });
    connect(client, &IpcClient::disconnected, this, [this, client] {
        if (client != m_client)
            return;
        if (m_state == State::Connected)
            onLost();
        else
            onAttemptFailed(QStringLiteral("podtapd closed the connection during the handshake"));
    });
    m_attemptTimeout.start(HandshakeTimeoutMs);
    client->connectToDaemon(m_options.socketPath, m_options.clientName);
}

void DaemonLink::onReady(const QJsonObject &welcome)
{
    m_attemptTimeout.stop();
    m_retryMs = 0;
    m_mayStartDaemon = false;
    m_lastError.clear();
    ++m_connections;
    m_daemonPid = welcome.value(QLatin1String("pid")).toInteger();
    m_daemonVersion = welcome.value(QLatin1String("server")).toString();
    qCInfo(lcLink) << "connected to" << m_daemonVersion << "pid" << m_daemonPid;
    setState(State::Connected);
    // Subscriptions first: a subscriber that asks for a snapshot when it hears `connected`
    // then sees every event that follows that snapshot.
    const QStringList keys = m_subscriptions.keys();
    for (const QString &key : keys)
        sendSubscription(key);
    Q_EMIT connected(welcome);
}

void DaemonLink::onAttemptFailed(const QString &why)
{
    dropClient();
    m_lastError = why;
    if (m_mayStartDaemon) {
        m_mayStartDaemon = false;
        const QString program = m_options.daemonProgram.isEmpty() ? DaemonLauncher::findDaemon()
                                                                  : m_options.daemonProgram;
        if (program.isEmpty()) {
            m_lastError = QStringLiteral("podtapd is not running and was not found next to "
                                         "podtap-gui or on PATH; install podtap or start "
                                         "podtapd yourself");
        } else {
            const auto started = DaemonLauncher::startDetached(program, m_options.socketPath);
            if (started) {
                m_startedPid = started.value();
                m_startClock.start();
                qCInfo(lcLink) << "started" << program << "pid" << m_startedPid;
                setState(State::StartingDaemon);
                Q_EMIT daemonStarted(m_startedPid);
                m_retryTimer.start(StartPollMs);
                return;
            }
            m_lastError = started.error();
        }
    }
    if (m_state == State::StartingDaemon && m_startClock.elapsed() < m_options.startTimeoutMs) {
        m_retryTimer.start(StartPollMs);
        return;
    }
    if (m_state == State::StartingDaemon)
        m_lastError = QStringLiteral("the podtapd we started did not answer within %1 s (see %2)")
                              .arg(m_options.startTimeoutMs / 1000)
                              .arg(DaemonLauncher::logFile());
    scheduleRetry();
}

void DaemonLink::onLost()
{
    dropClient();
    m_lastError = QStringLiteral("the connection to podtapd was lost");
    qCWarning(lcLink) << "lost the connection to podtapd";
    scheduleRetry();
    Q_EMIT connectionLost(m_lastError);
}

void DaemonLink::scheduleRetry()
{
    m_retryMs = m_retryMs == 0 ? m_options.firstRetryMs
                               : std::min(m_retryMs * 2, m_options.maxRetryMs);
    setState(State::Waiting);
    m_retryTimer.start(m_retryMs);
}

QString DaemonLink::statusText() const
{
    const double seconds = m_retryMs / 1000.0;
    switch (m_state) {
    case State::Idle:
        return QStringLiteral("Not connected to podtapd");
    case State::Connecting:
        return m_connections > 0
                       ? QStringLiteral("Reconnecting to podtapd (attempt %1)…").arg(m_attempts)
                       : QStringLiteral("Connecting to podtapd at %1…").arg(m_options.socketPath);
    case State::StartingDaemon:
        return QStringLiteral("podtapd was not running: starting it (pid %1)…").arg(m_startedPid);
    case State::Connected:
        return QStringLiteral("Connected to %1 (pid %2)")
                .arg(m_daemonVersion.isEmpty() ? QStringLiteral("podtapd") : m_daemonVersion)
                .arg(m_daemonPid);
    case State::Waiting:
        if (m_connections > 0)
            return QStringLiteral("Lost podtapd (%1): retrying in %2 s — what you see is kept; "
                                  "File ▸ Start podtapd starts it again")
                    .arg(m_lastError)
                    .arg(seconds, 0, 'g', 3);
        return QStringLiteral("podtapd is not running (%1): retrying in %2 s")
                .arg(m_lastError)
                .arg(seconds, 0, 'g', 3);
    }
    return {};
}

void DaemonLink::request(const QString &method, const QJsonObject &params, QObject *context,
                         IpcClient::Callback callback)
{
    if (m_client && isConnected()) {
        m_client->request(method, params, context, std::move(callback));
        return;
    }
    // Same contract as a lost connection: an answer, never silence, and never re-entrant.
    const bool guarded = context != nullptr;
    QPointer<QObject> ctx(context);
    const QString why = QStringLiteral("podtapd is not connected: %1").arg(statusText());
    QTimer::singleShot(0, this, [guarded, ctx, why, callback = std::move(callback)] {
        if (!guarded || ctx)
            callback(IpcClient::Reply::failure(IpcError::simple(IpcError::Disconnected, why)));
    });
}

QString DaemonLink::keyOf(const QJsonObject &params)
{
    QString stream = params.value(QLatin1String("stream")).toString();
    if (!stream.isEmpty())
        return stream;
    const QJsonValue id = params.value(QLatin1String("id"));
    return QStringLiteral("session/")
           + (id.isDouble() ? QString::number(id.toInteger()) : id.toString());
}

void DaemonLink::subscribe(const QJsonObject &params, QObject *context,
                           IpcClient::Callback callback)
{
    Q_ASSERT(context);
    const QString key = keyOf(params);
    Subscription &sub = m_subscriptions[key];
    sub.params = params;
    sub.subscribers.removeIf([context](const Subscriber &s) { return s.context == context; });
    sub.subscribers.append({QPointer<QObject>(context), std::move(callback)});
    // A subscriber destroyed without unsubscribing must not keep the stream coming.
    if (!m_watched.contains(context)) {
        m_watched.insert(context);
        connect(context, &QObject::destroyed, this, [this](QObject *gone) {
            m_watched.remove(gone);
            const QStringList keys = m_subscriptions.keys();
            for (const QString &k : keys)
                removeSubscriber(k, gone);
        });
    }
    if (isConnected())
        sendSubscription(key, context);
}

void DaemonLink::unsubscribe(const QJsonObject &params, QObject *context)
{
    removeSubscriber(keyOf(params), context);
}

void DaemonLink::removeSubscriber(const QString &key, const QObject *context)
{
    const auto it = m_subscriptions.find(key);
    if (it == m_subscriptions.end())
        return;
    const qsizetype before = it->subscribers.size();
    it->subscribers.removeIf(
            [context](const Subscriber &s) { return !s.context || s.context == context; });
    if (it->subscribers.size() == before || !it->subscribers.isEmpty())
        return;
    const QJsonObject params = it->params;
    m_subscriptions.erase(it);
    if (isConnected())
        m_client->request(QStringLiteral("session.unsubscribe"), params, this,
                          [](const IpcClient::Reply &) {});
}

bool DaemonLink::isSubscribed(const QJsonObject &params) const
{
    return subscriberCount(params) > 0;
}

int DaemonLink::subscriberCount(const QJsonObject &params) const
{
    const auto it = m_subscriptions.constFind(keyOf(params));
    if (it == m_subscriptions.cend())
        return 0;
    return int(std::count_if(it->subscribers.cbegin(), it->subscribers.cend(),
                             [](const Subscriber &s) { return !s.context.isNull(); }));
}

void DaemonLink::sendSubscription(const QString &key, QObject *only)
{
    const auto it = m_subscriptions.constFind(key);
    if (it == m_subscriptions.cend())
        return;
    m_client->request(QStringLiteral("session.subscribe"), it->params, this,
                      [this, key, only = QPointer<QObject>(only),
                       toOne = only != nullptr](const IpcClient::Reply &reply) {
                          if (toOne && !only)
                              return; // that subscriber is gone
                          const auto found = m_subscriptions.constFind(key);
                          if (found == m_subscriptions.cend())
                              return;
                          // Copies: a callback may (un)subscribe, which edits the map.
                          const QList<Subscriber> subscribers = found->subscribers;
                          for (const Subscriber &s : subscribers)
                              if (s.context && s.callback && (!toOne || s.context == only))
                                  s.callback(reply);
                      });
}

} // namespace podtap
