// The context guard's patterns: globs over whole context names, any case, read from the
// user's guard.conf with `*prod*` when there is none.
#include "guard/contextguard.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using podtap::ContextGuard;

class TestContextGuard : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void matches_data();
    void matches();
    void defaultWhenNoFile();
    void fileRoundTrip();
    void emptyFileProtectsNothing();
    void defaultFileFollowsXdg();
};

void TestContextGuard::matches_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("context");
    QTest::addColumn<bool>("protectedContext");
    QTest::addRow("prod inside") << u"*prod*"_s << u"shop-prod-eu"_s << true;
    QTest::addRow("any case") << u"*prod*"_s << u"Shop-PROD"_s << true;
    QTest::addRow("EKS ARN with slash")
            << u"*prod*"_s << u"arn:aws:eks:eu-west-1:1234:cluster/prod-eu"_s << true;
    QTest::addRow("not prod") << u"*prod*"_s << u"kind-dev"_s << false;
    QTest::addRow("whole name") << u"live"_s << u"live-2"_s << false;
    QTest::addRow("exact") << u"live"_s << u"LIVE"_s << true;
    QTest::addRow("question mark") << u"gke-?"_s << u"gke-1"_s << true;
    QTest::addRow("regex chars are literal") << u"a.b"_s << u"axb"_s << false;
    QTest::addRow("empty context") << u"*prod*"_s << QString() << false;
}

void TestContextGuard::matches()
{
    QFETCH(QString, pattern);
    QFETCH(QString, context);
    QFETCH(bool, protectedContext);
    const ContextGuard g = ContextGuard::withPatterns({pattern});
    QCOMPARE(g.isProtected(context), protectedContext);
    QCOMPARE(g.matchingPattern(context), protectedContext ? pattern : QString());
}

void TestContextGuard::defaultWhenNoFile()
{
    QTemporaryDir dir;
    const ContextGuard g = ContextGuard::load(dir.filePath(u"missing.conf"_s));
    QCOMPARE(g.patterns(), QStringList{u"*prod*"_s});
    QVERIFY(g.isProtected(u"production"_s));
}

void TestContextGuard::fileRoundTrip()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(u"podtap/guard.conf"_s);
    QVERIFY(ContextGuard::save({u"*prod*"_s, u" live "_s, QString()}, file));
    QCOMPARE(QFile::permissions(file) & 0x0077, QFileDevice::Permissions());
    const ContextGuard g = ContextGuard::load(file);
    QCOMPARE(g.patterns(), (QStringList{u"*prod*"_s, u"live"_s}));
    QCOMPARE(g.file(), file);
    QVERIFY(g.isProtected(u"live"_s));
    QVERIFY(!g.isProtected(u"staging"_s));
}

void TestContextGuard::emptyFileProtectsNothing()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(u"guard.conf"_s);
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("# protection switched off on purpose\n\n");
    f.close();
    const ContextGuard g = ContextGuard::load(file);
    QVERIFY(g.patterns().isEmpty());
    QVERIFY(!g.isProtected(u"prod"_s));
}

void TestContextGuard::defaultFileFollowsXdg()
{
    qputenv("XDG_CONFIG_HOME", "/tmp/xdg-test-config");
    QCOMPARE(ContextGuard::defaultFile(), u"/tmp/xdg-test-config/podtap/guard.conf"_s);
    qunsetenv("XDG_CONFIG_HOME");
    QVERIFY(ContextGuard::defaultFile().endsWith(u"/.config/podtap/guard.conf"_s));
}

QTEST_GUILESS_MAIN(TestContextGuard)
#include "tst_contextguard.moc"
