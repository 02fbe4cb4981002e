#pragma once

#include <QHash>
#include <QMutex>
#include <QObject>
#include <QSet>
#include <QThreadPool>

#include <atomic>
#include <functional>
#include <memory>

namespace podtap {

// A fixed number of threads for blocking work of the daemon (store queries, exports), with a
// bounded queue and generation ids, instead of a thread per request.
// - At most `threads` jobs run at once; at most `maxQueued` wait. A job that does not fit is
//   refused (submit() answers Busy) so the caller can say so at once.
// - Jobs with the same key are one client's view of something (a peer's packet list of a
//   session). A job submitted with another variant for that key (another filter), or any job
//   for it when the variant is empty, starts a new generation: the older jobs are stale. A
//   stale job is skipped if it has not started and its result is dropped if it finishes late;
//   its `superseded` runs instead.
// - A job's receiver (the asking peer) that is destroyed cancels the job: skipped or dropped,
//   and nothing at all runs for it on the owner thread.
// - Results run on the thread the pool lives in (the daemon's event loop), queued.
class WorkerPool : public QObject
{
    Q_OBJECT

public:
    struct Limits
    {
        int threads = 2;
        int maxQueued = 64;
    };
    // What a job's work returns: run on the owner thread if the job is current and its receiver
    // still there.
    using Deliver = std::function<void()>;
    struct Job
    {
        QObject *receiver = nullptr;      // required: lives in the pool's thread
        QString key;                      // empty: never superseded
        QString variant;                  // same key and variant: the same generation
        std::function<Deliver()> work;    // on a pool thread
        std::function<void()> superseded; // on the owner thread, when the job went stale
    };
    enum class Outcome { Queued, Busy };
    struct Stats
    {
        quint64 submitted = 0; // accepted
        quint64 busy = 0;      // refused: queue full (or shut down)
        quint64 ran = 0;       // work() called
        quint64 skipped = 0;   // stale or cancelled before it started
        quint64 dropped = 0;   // stale or cancelled when it finished
        quint64 delivered = 0; // result run on the owner thread
        int threadsUsed = 0;   // distinct threads that ran work
    };

    explicit WorkerPool(Limits limits, QObject *parent = nullptr);
    ~WorkerPool() override; // shutdown()

    Outcome submit(Job job);
    // Cancels every job (nothing more is delivered) and waits for the running ones; later
    // submits answer Busy.
    void shutdown();

    const Limits &limits() const { return m_limits; }
    int queued() const { return m_queued.load(); } // accepted, not started
    int running() const { return m_running.load(); }
    // The current generation of `key` (0 when it has no job pending).
    quint64 generation(const QString &key) const;
    Stats stats() const;

private:
    struct JobState
    {
        std::shared_ptr<std::atomic<quint64>> current; // the key's generation; null: no key
        quint64 generation = 0;
        std::atomic<bool> cancelled{false};
        bool isCurrent() const { return !current || current->load() == generation; }
    };
    struct KeyState
    {
        std::shared_ptr<std::atomic<quint64>> current;
        QString variant;
        int pending = 0;
    };
    void finish(const std::shared_ptr<JobState> &state, const QString &key, bool started,
                const Deliver &deliver, const std::function<void()> &superseded,
                const QMetaObject::Connection &watch);
    // Runs on a pool thread.
    void run(const std::shared_ptr<JobState> &state, const QString &key,
             const std::function<Deliver()> &work, const std::function<void()> &superseded,
             QMetaObject::Connection watch);

    Limits m_limits;
    QThreadPool m_threads;
    std::atomic<int> m_queued{0};
    std::atomic<int> m_running{0};
    bool m_shutDown = false;
    QHash<QString, KeyState> m_keys;                     // owner thread only
    QHash<JobState *, std::shared_ptr<JobState>> m_jobs; // owner thread: accepted, not finished
    mutable QMutex m_statsLock;                          // guards m_stats and m_threadIds
    Stats m_stats;
    QSet<Qt::HANDLE> m_threadIds;
};

} // namespace podtap
