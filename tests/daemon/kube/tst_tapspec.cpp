// The tap contract (../shared/spec/tap.md) as data: what we send must be exactly it.
#include "kube/capturecommand.h"
#include "kube/tapspec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>

#include <unistd.h>

using namespace podtap;

class TestTapSpec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void containerIsExactlyTheContract();
    void patchBody();
    void names();
    void images_data();
    void images();
    void captureArgv();
    void captureArgvRejects_data();
    void captureArgvRejects();
    void realTcpdumpStderrIsRecognised();
};

void TestTapSpec::containerIsExactlyTheContract()
{
    const QJsonObject c = TapSpec::container(QStringLiteral("podtap-abcde"));
    QCOMPARE(c.keys(), (QStringList{QStringLiteral("command"), QStringLiteral("image"),
                                    QStringLiteral("imagePullPolicy"), QStringLiteral("name"),
                                    QStringLiteral("securityContext"),
                                    QStringLiteral("terminationMessagePolicy")}));
    QCOMPARE(c[QLatin1String("image")].toString(),
             QStringLiteral("docker.io/nicolaka/netshoot:v0.16"));
    QCOMPARE(c[QLatin1String("command")].toArray(),
             (QJsonArray{QStringLiteral("sleep"), QStringLiteral("infinity")}));
    const QJsonObject sc = c[QLatin1String("securityContext")].toObject();
    QCOMPARE(sc.keys(),
             (QStringList{QStringLiteral("allowPrivilegeEscalation"),
                          QStringLiteral("capabilities"), QStringLiteral("readOnlyRootFilesystem"),
                          QStringLiteral("seccompProfile")}));
    QCOMPARE(sc[QLatin1String("capabilities")][QLatin1String("drop")].toArray(),
             QJsonArray{QStringLiteral("ALL")});
    QCOMPARE(sc[QLatin1String("capabilities")][QLatin1String("add")].toArray(),
             QJsonArray{QStringLiteral("NET_RAW")});
    QCOMPARE(sc[QLatin1String("allowPrivilegeEscalation")].toBool(true), false);
    QCOMPARE(sc[QLatin1String("readOnlyRootFilesystem")].toBool(), true);
    QCOMPARE(sc[QLatin1String("seccompProfile")][QLatin1String("type")].toString(),
             QStringLiteral("RuntimeDefault"));
    QVERIFY(!sc.contains(QLatin1String("privileged")));
    QVERIFY(TapSpec::hasContractSecurityContext(c));
    QJsonObject widened = c;
    QJsonObject sc2 = sc;
    sc2[QLatin1String("capabilities")]
            = QJsonObject{{QStringLiteral("add"),
                           QJsonArray{QStringLiteral("NET_RAW"), QStringLiteral("NET_ADMIN")}}};
    widened[QLatin1String("securityContext")] = sc2;
    QVERIFY(!TapSpec::hasContractSecurityContext(widened));
}

void TestTapSpec::patchBody()
{
    const QJsonObject c = TapSpec::container(QStringLiteral("podtap-abcde"));
    const QJsonObject patch = QJsonDocument::fromJson(TapSpec::strategicMergePatch(c)).object();
    QCOMPARE(patch.keys(), QStringList{QStringLiteral("spec")});
    const QJsonArray list
            = patch[QLatin1String("spec")][QLatin1String("ephemeralContainers")].toArray();
    QCOMPARE(list.size(), 1);
    QCOMPARE(list[0].toObject(), c);
}

void TestTapSpec::names()
{
    QSet<QString> seen;
    for (int i = 0; i < 200; ++i) {
        const QString n = TapSpec::randomName();
        QVERIFY2(TapSpec::isTapName(n), qPrintable(n));
        seen.insert(n);
    }
    QVERIFY(seen.size() > 190);
    QVERIFY(!TapSpec::isTapName(QStringLiteral("debugger-abcde")));
    QVERIFY(!TapSpec::isTapName(QStringLiteral("podtap-ABCDE")));
}

void TestTapSpec::images_data()
{
    QTest::addColumn<QString>("image");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<bool>("warns");
    QTest::addRow("default") << QString::fromLatin1(TapSpec::DefaultImage) << true << false;
    QTest::addRow("digest") << QStringLiteral("nicolaka/netshoot@sha256:")
                                       + QString(64, QLatin1Char('a'))
                            << true << false;
    QTest::addRow("latest") << QStringLiteral("nicolaka/netshoot:latest") << true << true;
    QTest::addRow("untagged") << QStringLiteral("registry.local:5000/tools/netshoot") << true
                              << true;
    QTest::addRow("shell") << QStringLiteral("netshoot;rm -rf /") << false << true;
    QTest::addRow("space") << QStringLiteral("net shoot:1") << false << false;
}

void TestTapSpec::images()
{
    QFETCH(QString, image);
    QFETCH(bool, valid);
    QFETCH(bool, warns);
    QString why;
    QCOMPARE(TapSpec::isValidImage(image, &why), valid);
    if (valid)
        QCOMPARE(!TapSpec::imageWarning(image).isEmpty(), warns);
    else
        QVERIFY(!why.isEmpty());
}

void TestTapSpec::captureArgv()
{
    CaptureCommand::Options o;
    o.port = 8080;
    auto a = CaptureCommand::argv(o);
    QVERIFY(a.ok());
    QCOMPARE(a.value().join(QLatin1Char(' ')),
             QStringLiteral("tcpdump -p -i any --immediate-mode -U -w - tcp port 8080"));
    o.snapLength = 128;
    o.hosts = {QStringLiteral("198.18.0.7"), QStringLiteral("fd00::7")};
    a = CaptureCommand::argv(o);
    QVERIFY(a.ok());
    QCOMPARE(a.value().join(QLatin1Char(' ')),
             QStringLiteral("tcpdump -p -i any --immediate-mode -U -w - -s 128 tcp port 8080 and ( "
                            "host 198.18.0.7 "
                            "or host fd00::7 )"));
}

void TestTapSpec::captureArgvRejects_data()
{
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("host");
    QTest::addRow("port 0") << 0 << QString();
    QTest::addRow("port 65536") << 65536 << QString();
    QTest::addRow("negative") << -1 << QString();
    QTest::addRow("host injection") << 80 << QStringLiteral("1.2.3.4 or port 22");
    QTest::addRow("host name") << 80 << QStringLiteral("evil.example");
}

void TestTapSpec::captureArgvRejects()
{
    QFETCH(int, port);
    QFETCH(QString, host);
    CaptureCommand::Options o;
    o.port = port;
    if (!host.isEmpty())
        o.hosts = {host};
    const auto a = CaptureCommand::argv(o);
    QVERIFY(!a.ok());
    QVERIFY(!a.error().isEmpty());
}

void TestTapSpec::realTcpdumpStderrIsRecognised()
{
    if (geteuid() != 0)
        QSKIP("needs root to run tcpdump with chosen capability sets");
    const QString tcpdump = QStandardPaths::findExecutable(
            QStringLiteral("tcpdump"), {QStringLiteral("/usr/bin"), QStringLiteral("/usr/sbin")});
    if (tcpdump.isEmpty())
        QSKIP("tcpdump is not installed");
    auto stderrOf = [&](const QStringList &setprivArgs) {
        QProcess p;
        p.start(QStringLiteral("setpriv"),
                setprivArgs
                        + QStringList{tcpdump, QStringLiteral("-p"), QStringLiteral("-i"),
                                      QStringLiteral("lo"), QStringLiteral("-c"),
                                      QStringLiteral("1"), QStringLiteral("-w"),
                                      QStringLiteral("-"), QStringLiteral("tcp port 1")});
        p.waitForFinished(5000);
        if (p.state() != QProcess::NotRunning) {
            p.kill();
            p.waitForFinished();
        }
        return QString::fromLocal8Bit(p.readAllStandardError())
                .split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    };
    auto kinds = [](const QStringList &lines) {
        QList<CaptureCommand::StderrKind> k;
        for (const QString &l : lines)
            k << CaptureCommand::classify(l);
        return k;
    };
    // No NET_RAW at all: the kernel refuses the socket.
    const QStringList noCaps = stderrOf(
            {QStringLiteral("--reuid"), QStringLiteral("65534"), QStringLiteral("--regid"),
             QStringLiteral("65534"), QStringLiteral("--clear-groups"),
             QStringLiteral("--inh-caps"), QStringLiteral("-all"), QStringLiteral("--bounding-set"),
             QStringLiteral("-all"), QStringLiteral("--no-new-privs")});
    QVERIFY2(kinds(noCaps).contains(CaptureCommand::StderrKind::PermissionDenied),
             qPrintable(noCaps.join(QLatin1Char('|'))));
    // Root with only NET_RAW: Debian's tcpdump opens the device, then fails to drop to its user.
    const QStringList drop
            = stderrOf({QStringLiteral("--bounding-set"), QStringLiteral("-all,+net_raw"),
                        QStringLiteral("--inh-caps"), QStringLiteral("-all,+net_raw"),
                        QStringLiteral("--no-new-privs")});
    QVERIFY2(kinds(drop).contains(CaptureCommand::StderrKind::PrivilegeDrop),
             qPrintable(drop.join(QLatin1Char('|'))));
}

QTEST_GUILESS_MAIN(TestTapSpec)
#include "tst_tapspec.moc"
