// WorkerPool with real threads: at most `threads` jobs at once, a bounded queue that answers
// Busy, generations (a newer job for a key makes older ones stale: skipped before they start,
// dropped when they finish late), a receiver that goes away gets nothing, results run on the
// owner thread, and a pool destroyed while jobs run waits for them and delivers nothing.
#include "session/workerpool.h"

#include <QSemaphore>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <atomic>
#include <memory>

using podtap::WorkerPool;

namespace {
// A gate a job waits at until the test opens it.
struct Gate
{
    QSemaphore entered;
    QSemaphore open;
    void pass()
    {
        entered.release();
        open.acquire();
    }
};

WorkerPool::Job job(QObject *receiver, std::function<void()> work, std::function<void()> deliver,
                    const QString &key = {}, const QString &variant = {},
                    std::function<void()> superseded = {})
{
    WorkerPool::Job j;
    j.receiver = receiver;
    j.key = key;
    j.variant = variant;
    j.work = [work = std::move(work), deliver = std::move(deliver)]() -> WorkerPool::Deliver {
        work();
        return deliver;
    };
    j.superseded = std::move(superseded);
    return j;
}
} // namespace

class TestWorkerPool : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void resultsOnTheOwnerThread();
    void atMostThreadsAtOnce();
    void busyWhenTheQueueIsFull();
    void newerGenerationSkipsAQueuedJob();
    void newerGenerationDropsALateResult();
    void sameVariantIsOneGeneration();
    void keysAreIndependent();
    void goneReceiverGetsNothing();
    void destroyedWhileJobsRun();
};

void TestWorkerPool::resultsOnTheOwnerThread()
{
    WorkerPool pool({2, 8});
    QObject receiver;
    std::atomic<QThread *> worker{nullptr};
    QThread *deliveredOn = nullptr;
    QCOMPARE(pool.submit(job(
                     &receiver, [&] { worker = QThread::currentThread(); },
                     [&] { deliveredOn = QThread::currentThread(); })),
             WorkerPool::Outcome::Queued);
    // Queued: nothing runs on this thread before the event loop does.
    QCOMPARE(deliveredOn, nullptr);
    QTRY_COMPARE(deliveredOn, QThread::currentThread());
    QVERIFY(worker.load() != nullptr);
    QVERIFY(worker.load() != QThread::currentThread());
    QCOMPARE(pool.stats().delivered, 1u);
}

void TestWorkerPool::atMostThreadsAtOnce()
{
    constexpr int Threads = 3;
    constexpr int Jobs = 40;
    WorkerPool pool({Threads, Jobs});
    QObject receiver;
    std::atomic<int> now{0};
    std::atomic<int> peak{0};
    int delivered = 0;
    for (int i = 0; i < Jobs; ++i) {
        QCOMPARE(pool.submit(job(
                         &receiver,
                         [&] {
                             const int n = ++now;
                             int p = peak.load();
                             while (n > p && !peak.compare_exchange_weak(p, n)) {
                             }
                             QThread::msleep(5);
                             --now;
                         },
                         [&] { ++delivered; })),
                 WorkerPool::Outcome::Queued);
    }
    QTRY_COMPARE_WITH_TIMEOUT(delivered, Jobs, 20000);
    QVERIFY2(peak.load() <= Threads, qPrintable(QString::number(peak.load())));
    QVERIFY(peak.load() >= 2); // it is a pool, not one thread
    const auto s = pool.stats();
    QVERIFY2(s.threadsUsed <= Threads, qPrintable(QString::number(s.threadsUsed)));
    QCOMPARE(s.ran, quint64(Jobs));
    QCOMPARE(pool.queued(), 0);
    QCOMPARE(pool.running(), 0);
}

void TestWorkerPool::busyWhenTheQueueIsFull()
{
    WorkerPool pool({1, 2});
    QObject receiver;
    Gate gate;
    int delivered = 0;
    QCOMPARE(pool.submit(job(
                     &receiver, [&] { gate.pass(); }, [&] { ++delivered; })),
             WorkerPool::Outcome::Queued);
    QVERIFY(gate.entered.tryAcquire(1, 10000)); // the only thread is taken
    QCOMPARE(pool.submit(job(
                     &receiver, [] {}, [&] { ++delivered; })),
             WorkerPool::Outcome::Queued);
    QCOMPARE(pool.submit(job(
                     &receiver, [] {}, [&] { ++delivered; })),
             WorkerPool::Outcome::Queued);
    QCOMPARE(pool.queued(), 2);
    bool ranRefused = false;
    QCOMPARE(pool.submit(job(
                     &receiver, [&] { ranRefused = true; }, [&] { ++delivered; })),
             WorkerPool::Outcome::Busy);
    gate.open.release();
    QTRY_COMPARE(delivered, 3);
    QTest::qWait(50);
    QCOMPARE(delivered, 3);
    QVERIFY(!ranRefused);
    QCOMPARE(pool.stats().busy, 1u);
    // Room again once the queue drained.
    QCOMPARE(pool.submit(job(
                     &receiver, [] {}, [&] { ++delivered; })),
             WorkerPool::Outcome::Queued);
    QTRY_COMPARE(delivered, 4);
}

void TestWorkerPool::newerGenerationSkipsAQueuedJob()
{
    WorkerPool pool({1, 8});
    QObject receiver;
    Gate gate;
    QCOMPARE(pool.submit(job(
                     &receiver, [&] { gate.pass(); }, [] {})),
             WorkerPool::Outcome::Queued);
    QVERIFY(gate.entered.tryAcquire(1, 10000));
    std::atomic<bool> oldRan{false};
    bool oldDelivered = false;
    int oldSuperseded = 0;
    bool newDelivered = false;
    const QString key = QStringLiteral("peer|rows|1");
    pool.submit(job(
            &receiver, [&] { oldRan = true; }, [&] { oldDelivered = true; }, key,
            QStringLiteral("filter A"), [&] { ++oldSuperseded; }));
    const quint64 first = pool.generation(key);
    pool.submit(job(
            &receiver, [] {}, [&] { newDelivered = true; }, key, QStringLiteral("filter B"),
            [] { QFAIL("the newest job is current"); }));
    QCOMPARE(pool.generation(key), first + 1);
    gate.open.release();
    QTRY_VERIFY(newDelivered);
    QCOMPARE(oldSuperseded, 1);
    QVERIFY(!oldRan.load()); // skipped: its work never ran
    QVERIFY(!oldDelivered);
    QCOMPARE(pool.stats().skipped, 1u);
    QCOMPARE(pool.generation(key), 0u); // nothing pending for the key any more
}

void TestWorkerPool::newerGenerationDropsALateResult()
{
    WorkerPool pool({2, 8});
    QObject receiver;
    Gate gate;
    bool oldDelivered = false;
    int oldSuperseded = 0;
    bool newDelivered = false;
    const QString key = QStringLiteral("peer|histogram|1");
    pool.submit(job(
            &receiver, [&] { gate.pass(); }, [&] { oldDelivered = true; }, key, {},
            [&] { ++oldSuperseded; }));
    QVERIFY(gate.entered.tryAcquire(1, 10000)); // the old job is running
    // An empty variant: every request is a generation of its own.
    pool.submit(job(
            &receiver, [] {}, [&] { newDelivered = true; }, key));
    QTRY_VERIFY(newDelivered);
    QCOMPARE(oldSuperseded, 0);
    gate.open.release();
    QTRY_COMPARE(oldSuperseded, 1);
    QVERIFY(!oldDelivered);
    const auto s = pool.stats();
    QCOMPARE(s.dropped, 1u);
    QCOMPARE(s.delivered, 1u);
    QCOMPARE(s.ran, 2u);
}

void TestWorkerPool::sameVariantIsOneGeneration()
{
    // Pages of one filtered list: all of them wanted. Another filter: the old pages are not.
    WorkerPool pool({1, 8});
    QObject receiver;
    Gate gate;
    pool.submit(job(
            &receiver, [&] { gate.pass(); }, [] {}));
    QVERIFY(gate.entered.tryAcquire(1, 10000));
    const QString key = QStringLiteral("peer|rows|1");
    QList<int> delivered;
    int superseded = 0;
    for (int page = 0; page < 3; ++page)
        pool.submit(job(
                &receiver, [] {}, [&delivered, page] { delivered << page; }, key,
                QStringLiteral("A"), [&] { ++superseded; }));
    gate.open.release();
    QTRY_COMPARE(delivered.size(), 3);
    QCOMPARE(superseded, 0);

    pool.submit(job(
            &receiver, [&] { gate.pass(); }, [] {}));
    QVERIFY(gate.entered.tryAcquire(1, 10000));
    delivered.clear();
    for (int page = 0; page < 3; ++page)
        pool.submit(job(
                &receiver, [] {}, [&delivered, page] { delivered << page; }, key,
                QStringLiteral("A"), [&] { ++superseded; }));
    pool.submit(job(
            &receiver, [] {}, [&delivered] { delivered << 100; }, key, QStringLiteral("B"),
            [&] { ++superseded; }));
    gate.open.release();
    QTRY_COMPARE(superseded, 3);
    QTRY_COMPARE(delivered, QList<int>{100});
}

void TestWorkerPool::keysAreIndependent()
{
    WorkerPool pool({1, 8});
    QObject receiver;
    Gate gate;
    pool.submit(job(
            &receiver, [&] { gate.pass(); }, [] {}));
    QVERIFY(gate.entered.tryAcquire(1, 10000));
    int delivered = 0;
    int superseded = 0;
    pool.submit(job(
            &receiver, [] {}, [&] { ++delivered; }, QStringLiteral("peer1|rows|1"), {},
            [&] { ++superseded; }));
    pool.submit(job(
            &receiver, [] {}, [&] { ++delivered; }, QStringLiteral("peer2|rows|1"), {},
            [&] { ++superseded; }));
    pool.submit(job(
            &receiver, [] {}, [&] { ++delivered; })); // no key: never stale
    gate.open.release();
    QTRY_COMPARE(delivered, 3);
    QCOMPARE(superseded, 0);
}

void TestWorkerPool::goneReceiverGetsNothing()
{
    WorkerPool pool({1, 8});
    QObject keeper;
    Gate gate;
    pool.submit(job(
            &keeper, [&] { gate.pass(); }, [] {}));
    QVERIFY(gate.entered.tryAcquire(1, 10000));

    // Not started yet when its receiver goes: skipped, nothing on this thread.
    auto *queuedFor = new QObject;
    std::atomic<bool> queuedRan{false};
    bool anything = false;
    pool.submit(job(
            queuedFor, [&] { queuedRan = true; }, [&] { anything = true; }, QStringLiteral("k"), {},
            [&] { anything = true; }));
    delete queuedFor;

    // Running when its receiver goes: its result is dropped.
    auto *runningFor = new QObject;
    Gate second;
    pool.submit(job(
            runningFor, [&] { second.pass(); }, [&] { anything = true; }));
    gate.open.release();
    QVERIFY(second.entered.tryAcquire(1, 10000));
    delete runningFor;
    second.open.release();

    bool last = false;
    pool.submit(job(
            &keeper, [] {}, [&] { last = true; }));
    QTRY_VERIFY(last); // one thread, in order: everything before it is done
    QVERIFY(!queuedRan.load());
    QVERIFY(!anything);
    const auto s = pool.stats();
    QCOMPARE(s.skipped, 1u);
    QCOMPARE(s.dropped, 1u);
}

void TestWorkerPool::destroyedWhileJobsRun()
{
    auto pool = std::make_unique<WorkerPool>(WorkerPool::Limits{2, 16});
    QObject receiver;
    std::atomic<int> started{0};
    std::atomic<int> finished{0};
    bool anything = false;
    for (int i = 0; i < 10; ++i)
        pool->submit(job(
                &receiver,
                [&] {
                    ++started;
                    QThread::msleep(100);
                    ++finished;
                },
                [&] { anything = true; }, {}, {}, [&] { anything = true; }));
    QTRY_VERIFY(started.load() >= 1);
    pool.reset(); // waits for the running ones, drops the queued ones
    QCOMPARE(finished.load(), started.load());
    QVERIFY(started.load() < 10);
    QTest::qWait(200); // results posted before the end are gone with the pool
    QVERIFY(!anything);
}

QTEST_GUILESS_MAIN(TestWorkerPool)
#include "tst_workerpool.moc"
