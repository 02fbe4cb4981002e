// ReaderWatch: the reader of a pipe going away is seen without writing (a quiet pod sends
// nothing that would fail), on real pipes and FIFOs.
#include "readerwatch.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTemporaryFile>
#include <QTest>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace podtap;

class TstReaderWatch : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void pipeReaderClosing();
    void fifoReaderClosing();
    void regularFileIsNotWatched();
};

void TstReaderWatch::pipeReaderClosing()
{
    int fds[2];
    QCOMPARE(::pipe(fds), 0);
    QVERIFY(ReaderWatch::isPipe(fds[1]));
    QVERIFY(!ReaderWatch::readerGone(fds[1]));
    ReaderWatch watch(fds[1], 20);
    QSignalSpy gone(&watch, &ReaderWatch::gone);
    QTest::qWait(100);
    QCOMPARE(gone.count(), 0); // the reader is there
    ::close(fds[0]);
    QTRY_COMPARE_WITH_TIMEOUT(gone.count(), 1, 2000);
    QTest::qWait(100);
    QCOMPARE(gone.count(), 1); // said once
    ::close(fds[1]);
}

void TstReaderWatch::fifoReaderClosing()
{
    QTemporaryDir dir;
    const QByteArray path = dir.filePath(QStringLiteral("fifo")).toLocal8Bit();
    QCOMPARE(::mkfifo(path.constData(), 0600), 0);
    const int reader = ::open(path.constData(), O_RDONLY | O_NONBLOCK);
    QVERIFY(reader >= 0);
    const int writer = ::open(path.constData(), O_WRONLY);
    QVERIFY(writer >= 0);
    QVERIFY(ReaderWatch::isPipe(writer));
    QVERIFY(!ReaderWatch::readerGone(writer));
    ::close(reader);
    QVERIFY(ReaderWatch::readerGone(writer));
    ::close(writer);
}

void TstReaderWatch::regularFileIsNotWatched()
{
    QTemporaryFile f;
    QVERIFY(f.open());
    QVERIFY(!ReaderWatch::isPipe(f.handle()));
    ReaderWatch watch(f.handle(), 10);
    QSignalSpy gone(&watch, &ReaderWatch::gone);
    QTest::qWait(60);
    QCOMPARE(gone.count(), 0);
}

QTEST_GUILESS_MAIN(TstReaderWatch)
#include "tst_readerwatch.moc"
