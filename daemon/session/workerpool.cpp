#include "workerpool.h"

#include <QMutexLocker>
#include <QThread>

namespace podtap {

WorkerPool::WorkerPool(Limits limits, QObject *parent)
    : QObject(parent)
    , m_limits(limits)
{
    m_limits.threads = std::max(1, m_limits.threads);
    m_limits.maxQueued = std::max(0, m_limits.maxQueued);
    m_threads.setMaxThreadCount(m_limits.threads);
    // Threads stay once started: a daemon that answers queries all day creates `threads`
    // threads, not one per request or per idle period.
    m_threads.setExpiryTimeout(-1);
    m_threads.setObjectName(QStringLiteral("podtap-workers"));
}

WorkerPool::~WorkerPool()
{
    shutdown();
}

void WorkerPool::shutdown()
{
    m_shutDown = true;
    for (const auto &state : std::as_const(m_jobs))
        state->cancelled = true;
    // Queued jobs that never start would keep their key's count: they are gone with the pool.
    m_threads.clear();
    m_threads.waitForDone();
    // Results already posted find their jobs cancelled (or are discarded with this object).
}

quint64 WorkerPool::generation(const QString &key) const
{
    const auto it = m_keys.constFind(key);
    return it == m_keys.cend() ? 0 : it->current->load();
}

WorkerPool::Stats WorkerPool::stats() const
{
    QMutexLocker lock(&m_statsLock);
    Stats s = m_stats;
    s.threadsUsed = int(m_threadIds.size());
    return s;
}

WorkerPool::Outcome WorkerPool::submit(Job job)
{
    Q_ASSERT(job.receiver && job.work);
    Q_ASSERT(job.receiver->thread() == thread());
    if (m_shutDown || m_queued.load() >= m_limits.maxQueued) {
        QMutexLocker lock(&m_statsLock);
        ++m_stats.busy;
        return Outcome::Busy;
    }
    auto state = std::make_shared<JobState>();
    if (!job.key.isEmpty()) {
        KeyState &k = m_keys[job.key];
        if (!k.current) {
            k.current = std::make_shared<std::atomic<quint64>>(1);
            k.variant = job.variant;
        } else if (job.variant.isEmpty() || job.variant != k.variant) {
            // A newer request for this view: what is still pending for it is stale.
            k.current->fetch_add(1);
            k.variant = job.variant;
        }
        ++k.pending;
        state->current = k.current;
        state->generation = k.current->load();
    }
    m_jobs.insert(state.get(), state);
    // The peer that went away gets nothing: its jobs are skipped or their results dropped.
    const QMetaObject::Connection watch = connect(job.receiver, &QObject::destroyed, this,
                                                  [state] { state->cancelled = true; });
    {
        QMutexLocker lock(&m_statsLock);
        ++m_stats.submitted;
    }
    ++m_queued;
    m_threads.start([this, state, key = job.key, work = std::move(job.work),
                     superseded = std::move(job.superseded),
                     watch] { run(state, key, work, superseded, watch); });
    return Outcome::Queued;
}

void WorkerPool::run(const std::shared_ptr<JobState> &state, const QString &key,
                     const std::function<Deliver()> &work, const std::function<void()> &superseded,
                     QMetaObject::Connection watch)
{
    --m_queued;
    const bool start = !state->cancelled.load() && state->isCurrent();
    Deliver deliver;
    if (start) {
        ++m_running;
        {
            QMutexLocker lock(&m_statsLock);
            ++m_stats.ran;
            m_threadIds.insert(QThread::currentThreadId());
        }
        deliver = work();
        --m_running;
    }
    // Back to the owner thread, behind whatever it has queued already.
    QMetaObject::invokeMethod(
            this,
            [this, state, key, start, deliver = std::move(deliver), superseded,
             watch = std::move(watch)] { finish(state, key, start, deliver, superseded, watch); },
            Qt::QueuedConnection);
}

void WorkerPool::finish(const std::shared_ptr<JobState> &state, const QString &key, bool started,
                        const Deliver &deliver, const std::function<void()> &superseded,
                        const QMetaObject::Connection &watch)
{
    disconnect(watch);
    m_jobs.remove(state.get());
    if (!key.isEmpty()) {
        const auto it = m_keys.find(key);
        if (it != m_keys.end() && --it->pending <= 0)
            m_keys.erase(it);
    }
    const bool cancelled = state->cancelled.load();
    const bool current = state->isCurrent();
    {
        QMutexLocker lock(&m_statsLock);
        if (!started)
            ++m_stats.skipped;
        else if (cancelled || !current)
            ++m_stats.dropped;
        else
            ++m_stats.delivered;
    }
    if (cancelled)
        return;
    if (!current || !started) {
        if (superseded)
            superseded();
        return;
    }
    if (deliver)
        deliver();
}

} // namespace podtap
