// StoreRetention over a real store folder: what it removes (files and all), what it never
// touches (running, damaged), how its policy is saved, loaded and overridden.
#include "store/capturestore.h"
#include "store/storeretention.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap;
using namespace Qt::StringLiterals;

class TestStoreRetention : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void removesOldestStoppedAndAnnounces();
    void neverRunningOrDamaged();
    void policySavedLoadedAndOverridden();
    void badOverrideRefused();
    void periodicPass();

private:
    void seed(const QString &id, qint64 endedSecsAgo, qint64 bytes, bool ended = true);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<CaptureStore> m_store;
};

void TestStoreRetention::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_store = std::make_unique<CaptureStore>(m_dir->filePath(u"captures"_s));
    QVERIFY(m_store->open());
}

void TestStoreRetention::seed(const QString &id, qint64 endedSecsAgo, qint64 bytes, bool ended)
{
    const QString dir = m_store->sessionDir(id);
    QVERIFY(QDir().mkpath(dir));
    const QDateTime when = QDateTime::currentDateTimeUtc().addSecs(-endedSecsAgo);
    QJsonObject meta{{u"id"_s, id},
                     {u"state"_s, ended ? u"stopped"_s : u"capturing"_s},
                     {u"started"_s, when.addSecs(-10).toString(Qt::ISODateWithMs)}};
    if (ended)
        meta.insert(u"ended"_s, when.toString(Qt::ISODateWithMs));
    QFile m(dir + u"/meta.json"_s);
    QVERIFY(m.open(QIODevice::WriteOnly));
    m.write(QJsonDocument(meta).toJson());
    QFile c(dir + u"/capture-000001.pcapng"_s);
    QVERIFY(c.open(QIODevice::WriteOnly));
    QVERIFY(c.resize(bytes));
}

void TestStoreRetention::removesOldestStoppedAndAnnounces()
{
    seed(u"1"_s, 3600, 600000);
    seed(u"2"_s, 1800, 600000);
    seed(u"3"_s, 60, 600000);
    StoreRetention r(m_store.get(), [] { return QSet<QString>{}; });
    QVERIFY(r.load(QJsonObject{{u"quota"_s, u"1M"_s}, {u"maxAge"_s, u"off"_s}}));
    QSignalSpy removed(&r, &StoreRetention::removed);
    const auto done = r.enforce();
    QCOMPARE(done.size(), 2);
    QCOMPARE(removed.size(), 2);
    QCOMPARE(removed.at(0).at(0).toString(), u"1"_s);
    QCOMPARE(removed.at(1).at(0).toString(), u"2"_s);
    QVERIFY(removed.at(0).at(2).toLongLong() > 600000); // capture + meta
    QVERIFY(!QFileInfo::exists(m_store->sessionDir(u"1"_s)));
    QVERIFY(!QFileInfo::exists(m_store->sessionDir(u"2"_s)));
    QVERIFY(QFileInfo::exists(m_store->sessionDir(u"3"_s) + u"/capture-000001.pcapng"_s));
    QVERIFY(r.enforce().isEmpty()); // within its quota now
}

void TestStoreRetention::neverRunningOrDamaged()
{
    seed(u"live"_s, 30 * 86400, 5000000, false);
    seed(u"old"_s, 30 * 86400, 100);
    QVERIFY(QDir().mkpath(m_store->sessionDir(u"broken"_s)));
    QFile damaged(m_store->sessionDir(u"broken"_s) + u"/meta.json"_s);
    QVERIFY(damaged.open(QIODevice::WriteOnly));
    damaged.write("{not json");
    damaged.close();
    StoreRetention r(m_store.get(), [] { return QSet<QString>{u"live"_s}; });
    QVERIFY(r.load(QJsonObject{{u"quota"_s, u"1K"_s}, {u"maxAge"_s, u"1d"_s}}));
    const auto done = r.enforce();
    QCOMPARE(done.size(), 1);
    QCOMPARE(done.first().id, u"old"_s);
    QVERIFY(QFileInfo::exists(m_store->sessionDir(u"live"_s) + u"/meta.json"_s));
    QVERIFY(QFileInfo::exists(m_store->sessionDir(u"broken"_s) + u"/meta.json"_s));
}

void TestStoreRetention::policySavedLoadedAndOverridden()
{
    {
        StoreRetention r(m_store.get(), {});
        QVERIFY(r.load({}));
        QCOMPARE(r.policy().quotaBytes, RetentionPolicy::DefaultQuotaBytes);
        QCOMPARE(r.policy().maxAgeSecs, RetentionPolicy::DefaultMaxAgeSecs);
        RetentionPolicy p;
        p.quotaBytes = qint64(10) << 30;
        p.maxAgeSecs = 3600;
        QVERIFY(r.setPolicy(p));
        QCOMPARE(QFile(r.policyFile()).permissions() & (QFile::ReadGroup | QFile::ReadOther),
                 QFile::Permissions{});
    }
    StoreRetention again(m_store.get(), {});
    QVERIFY(again.load({}));
    QCOMPARE(again.policy().quotaBytes, qint64(10) << 30);
    QCOMPARE(again.policy().maxAgeSecs, qint64(3600));
    // podtapd's options win over the saved policy, key by key.
    QVERIFY(again.load(QJsonObject{{u"maxAge"_s, u"2d"_s}}));
    QCOMPARE(again.policy().quotaBytes, qint64(10) << 30);
    QCOMPARE(again.policy().maxAgeSecs, qint64(2 * 86400));
    // A damaged file falls back to the defaults (with a warning), never to "no limit".
    QFile f(again.policyFile());
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write("{\"quotaBytes\": \"lots\"}");
    f.close();
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"retention.json ignored"_s));
    StoreRetention damaged(m_store.get(), {});
    QVERIFY(damaged.load({}));
    QCOMPARE(damaged.policy().quotaBytes, RetentionPolicy::DefaultQuotaBytes);
}

void TestStoreRetention::badOverrideRefused()
{
    StoreRetention r(m_store.get(), {});
    const auto loaded = r.load(QJsonObject{{u"quota"_s, u"12"_s}, {u"maxAge"_s, u"7"_s}});
    // "12" is 12 bytes (a bare size is bytes); "7" has no unit: refused.
    QVERIFY(!loaded);
    QVERIFY2(loaded.error().contains(u"invalid duration '7'"_s), qPrintable(loaded.error()));
}

void TestStoreRetention::periodicPass()
{
    // A session that expires while podtapd runs goes at the next periodic pass (every 5 min
    // in podtapd; 50 ms here), with nothing else happening.
    StoreRetention r(m_store.get(), {});
    QVERIFY(r.load(QJsonObject{{u"maxAge"_s, u"1h"_s}}));
    QSignalSpy removed(&r, &StoreRetention::removed);
    r.setInterval(50);
    r.start();
    QTest::qWait(120);
    QCOMPARE(removed.size(), 0);
    seed(u"9"_s, 2 * 3600, 100);
    QTRY_COMPARE(removed.size(), 1);
    QCOMPARE(removed.first().at(0).toString(), u"9"_s);
    QVERIFY(removed.first().at(1).toString().contains(u"1h"_s));
}

QTEST_GUILESS_MAIN(TestStoreRetention)
#include "tst_storeretention.moc"
