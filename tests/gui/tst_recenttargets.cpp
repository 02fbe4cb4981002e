// RecentTargets: most recent first, one entry per target (context, namespace, target, port),
// at most N (Settings), persisted across instances, the local port remembered per target
// even after it left the list, damaged stored entries dropped, and the match against a
// daemon session summary the tray uses to check "Quick mirror" entries.
#include "recenttargets.h"
#include "settings.h"

#include <QJsonObject>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using podtap::RecentTargets;
using podtap::Settings;
using Entry = podtap::RecentTargets::Entry;

class TestRecentTargets : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void orderAndDedupe();
    void capacity();
    void persisted();
    void rememberedPort();
    void damagedStore();
    void matchesSummary();

private:
    static QStringList targets(const RecentTargets &r);
    QTemporaryDir m_dir;
};

void TestRecentTargets::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_dir.path());
    QVERIFY(Settings::fileName().startsWith(m_dir.path()));
}

void TestRecentTargets::init()
{
    QSettings s(Settings::fileName(), QSettings::IniFormat);
    s.clear();
}

QStringList TestRecentTargets::targets(const RecentTargets &r)
{
    QStringList out;
    for (const Entry &e : r.entries())
        out << e.target + u':' + QString::number(e.localPort);
    return out;
}

void TestRecentTargets::orderAndDedupe()
{
    RecentTargets r;
    QSignalSpy changed(&r, &RecentTargets::changed);
    QVERIFY(r.entries().isEmpty());
    r.add({u"c"_s, u"shop"_s, u"web"_s, 8080, 9000});
    r.add({u"c"_s, u"shop"_s, u"api"_s, 8080, 9001});
    r.add({u"c"_s, u"shop"_s, u"db"_s, 5432, 9002});
    QCOMPARE(targets(r), QStringList({u"db:9002"_s, u"api:9001"_s, u"web:9000"_s}));
    // Same target again (spaces trimmed), new local port: moves to the front, once.
    r.add({u"c"_s, u" shop"_s, u"web "_s, 8080, 9100});
    QCOMPARE(targets(r), QStringList({u"web:9100"_s, u"db:9002"_s, u"api:9001"_s}));
    // Another port or namespace is another target.
    r.add({u"c"_s, u"shop"_s, u"web"_s, 8443, 9100});
    r.add({u"c"_s, u"staging"_s, u"web"_s, 8080, 9100});
    QCOMPARE(r.entries().size(), 5);
    QCOMPARE(r.entries().at(0).ns, u"staging"_s);
    QCOMPARE(r.entries().at(1).port, 8443);
    QCOMPARE(changed.size(), 6);
    // Nonsense is not recorded.
    r.add({u"c"_s, u"shop"_s, QString(), 8080, 9000});
    r.add({u"c"_s, u"shop"_s, u"x"_s, 0, 9000});
    r.add({u"c"_s, u"shop"_s, u"x"_s, 80, 0});
    QCOMPARE(r.entries().size(), 5);
}

void TestRecentTargets::capacity()
{
    QCOMPARE(Settings::recentTargetCount(), 5);
    RecentTargets r;
    for (int i = 0; i < 8; ++i)
        r.add({QString(), u"ns"_s, u"pod-%1"_s.arg(i), 80, 9000 + i});
    QCOMPARE(r.entries().size(), 5);
    QCOMPARE(r.entries().constFirst().target, u"pod-7"_s);
    QCOMPARE(r.entries().constLast().target, u"pod-3"_s);
    Settings::setRecentTargetCount(2);
    r.reload();
    QCOMPARE(targets(r), QStringList({u"pod-7:9007"_s, u"pod-6:9006"_s}));
    r.add({QString(), u"ns"_s, u"pod-8"_s, 80, 9008});
    QCOMPARE(targets(r), QStringList({u"pod-8:9008"_s, u"pod-7:9007"_s}));
    Settings::setRecentTargetCount(0);
    r.add({QString(), u"ns"_s, u"pod-9"_s, 80, 9009});
    QVERIFY(r.entries().isEmpty());
}

void TestRecentTargets::persisted()
{
    {
        RecentTargets r;
        r.add({u"prod"_s, u"shop"_s, u"deployment/web"_s, 8080, 9000});
        r.add({u"prod"_s, u"shop"_s, u"service/api"_s, 80, 9001});
    }
    RecentTargets again;
    QCOMPARE(again.entries().size(), 2);
    const Entry first = again.entries().constFirst();
    QCOMPARE(first.context, u"prod"_s);
    QCOMPARE(first.ns, u"shop"_s);
    QCOMPARE(first.target, u"service/api"_s);
    QCOMPARE(first.port, 80);
    QCOMPARE(first.localPort, 9001);
    QCOMPARE(again.entries().constLast().target, u"deployment/web"_s);
    again.clear();
    QVERIFY(RecentTargets().entries().isEmpty());
}

void TestRecentTargets::rememberedPort()
{
    Settings::setRecentTargetCount(1);
    RecentTargets r;
    QCOMPARE(r.rememberedLocalPort(u"c"_s, u"shop"_s, u"web"_s, 8080), 0);
    r.add({u"c"_s, u"shop"_s, u"web"_s, 8080, 9444});
    r.add({u"c"_s, u"shop"_s, u"api"_s, 8080, 9555}); // pushes web out of the list
    QCOMPARE(r.entries().size(), 1);
    QCOMPARE(r.rememberedLocalPort(u"c"_s, u"shop"_s, u"web"_s, 8080), 9444);
    r.rememberLocalPort({u"c"_s, u"shop"_s, u"web"_s, 8080, 9445});
    QCOMPARE(RecentTargets().rememberedLocalPort(u"c"_s, u"shop"_s, u"web"_s, 8080), 9445);
    QCOMPARE(r.rememberedLocalPort(u"c"_s, u"shop"_s, u"web"_s, 8081), 0);
}

void TestRecentTargets::damagedStore()
{
    QSettings s(Settings::fileName(), QSettings::IniFormat);
    s.setValue(
            u"recent/targets"_s,
            uR"([{"target":"ok","port":80,"localPort":9000},{"target":"","port":80,"localPort":1},)"
            uR"({"target":"bad-port","port":70000,"localPort":9000},"junk",)"
            uR"({"target":"no-local","port":80}])"_s);
    s.setValue(u"mirror/rememberedPorts"_s, u"{not json"_s);
    s.sync();
    RecentTargets r;
    QCOMPARE(targets(r), QStringList({u"ok:9000"_s}));
    QCOMPARE(r.rememberedLocalPort(QString(), QString(), u"ok"_s, 80), 0);
    s.setValue(u"recent/targets"_s, u"garbage"_s);
    s.sync();
    r.reload();
    QVERIFY(r.entries().isEmpty());
}

void TestRecentTargets::matchesSummary()
{
    const QJsonObject summary{{u"target"_s, u"web"_s},
                              {u"port"_s, 8080},
                              {u"namespace"_s, u"shop"_s},
                              {u"context"_s, u"tapper"_s}};
    QVERIFY((Entry{u"tapper"_s, u"shop"_s, u"web"_s, 8080, 9000}.matches(summary)));
    // What the request left empty the daemon filled in: still the same target.
    QVERIFY((Entry{QString(), QString(), u"web"_s, 8080, 9000}.matches(summary)));
    QVERIFY(!(Entry{u"tapper"_s, u"shop"_s, u"web"_s, 8081, 9000}.matches(summary)));
    QVERIFY(!(Entry{u"tapper"_s, u"other"_s, u"web"_s, 8080, 9000}.matches(summary)));
    QVERIFY(!(Entry{u"prod"_s, u"shop"_s, u"web"_s, 8080, 9000}.matches(summary)));
    QVERIFY(!(Entry{u"tapper"_s, u"shop"_s, u"api"_s, 8080, 9000}.matches(summary)));
    QCOMPARE((Entry{u"tapper"_s, u"shop"_s, u"web"_s, 8080, 9000}.label()),
             u"shop/web (tapper) :8080 → 127.0.0.1:9000"_s);
}

QTEST_MAIN(TestRecentTargets)
#include "tst_recenttargets.moc"
