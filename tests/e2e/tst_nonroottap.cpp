// The nonroot tap profile end to end against kubesim: a namespace whose admission policy
// forbids root containers (emulated Kyverno require-run-as-nonroot), preflight's dry run
// naming the profile it admits, and a real capture through the nonroot tap, whose tcpdump
// gets NET_RAW only through its (emulated) file capability as uid 65532.
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "support/clirunner.h"
#include "support/kubesimprocess.h"
#include "support/trafficgencommand.h"

#include <csignal>
#include <unistd.h>

namespace {
const QString Podtap = CliRunner::podtap();
const QString NonRootImage = QStringLiteral("example.com/podtap/tcpdump-nonroot:1.0");

using Run = CliRunner::Result;

QJsonObject item(const QJsonObject &report, const QString &id)
{
    for (const QJsonValue i : report[QLatin1String("items")].toArray())
        if (i[QLatin1String("id")].toString() == id)
            return i.toObject();
    return {};
}
} // namespace

class TestNonRootTap : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void defaultDeniedNonRootAdmitted();
    void nonRootNeedsAnImage();
    void nonRootPreflightPasses();
    void defaultCaptureChangesNothing();
    void captureThroughFileCapability();
    void daemonSessionUsesProfile();
    void unknownProfileRefused();

private:
    Run podtap(const QStringList &args, int timeoutMs = 60000);
    QJsonObject pod();

    QTemporaryDir m_dir;
    KubesimProcess m_kubesim;
    QString m_kubeconfig;
};

Run TestNonRootTap::podtap(const QStringList &args, int timeoutMs)
{
    return CliRunner::run(Podtap,
                          args + QStringList{QStringLiteral("--context"), QStringLiteral("tapper")},
                          CliRunner::environment(m_kubeconfig), timeoutMs);
}

QJsonObject TestNonRootTap::pod()
{
    const auto r = m_kubesim.kubectlJson({QStringLiteral("get"), QStringLiteral("pod"),
                                          QStringLiteral("api"), QStringLiteral("-n"),
                                          QStringLiteral("guarded")});
    // A failed get fails the test (kubectl's stderr): it must not read as a pod with no taps.
    if (!r.ok())
        QTest::qFail(r.failure().constData(), __FILE__, __LINE__);
    return r.json;
}

void TestNonRootTap::initTestCase()
{
    if (const QString why = KubesimProcess::skipReason(); !why.isEmpty())
        QSKIP(qPrintable(why));
    QString error;
    QVERIFY2(
            m_kubesim.start(QStringLiteral(SRCDIR "/scenarios/nonroot.yaml"), m_dir.path(), &error),
            qPrintable(error));
    m_kubeconfig = m_kubesim.kubeconfig();
}

void TestNonRootTap::cleanupTestCase()
{
    m_kubesim.stop();
}

void TestNonRootTap::defaultDeniedNonRootAdmitted()
{
    const QString rvBefore
            = pod()[QLatin1String("metadata")][QLatin1String("resourceVersion")].toString();
    QVERIFY(!rvBefore.isEmpty());
    const Run r
            = podtap({QStringLiteral("preflight"), QStringLiteral("guarded/api"),
                      QStringLiteral("--port"), QStringLiteral("8080"), QStringLiteral("--json")});
    QVERIFY2(r.code == 4, QByteArray(r.out + r.err).constData());
    const QJsonObject report = QJsonDocument::fromJson(r.out).object();
    const QJsonObject a = item(report, QStringLiteral("admission"));
    QCOMPARE(a[QLatin1String("status")].toString(), QStringLiteral("fail"));
    const QString why = a[QLatin1String("why")].toString();
    // The policy's own words, then which profile the namespace admits.
    QVERIFY2(why.contains(QLatin1String(
                     "admission webhook \"validate.kyverno.svc-fail\" denied the request")),
             qPrintable(why));
    QVERIFY2(why.contains(QLatin1String("require-run-as-nonroot")), qPrintable(why));
    QVERIFY2(why.contains(QLatin1String("the nonroot profile would be admitted")), qPrintable(why));
    QVERIFY2(why.contains(QLatin1String("nothing was stored")), qPrintable(why));
    QVERIFY2(a[QLatin1String("ask")].toString().contains(QLatin1String("--tap-profile nonroot")),
             qPrintable(a[QLatin1String("ask")].toString()));
    // Pod Security alone (privileged) admits it: only the dry run could tell.
    QCOMPARE(item(report, QStringLiteral("podsecurity"))[QLatin1String("status")].toString(),
             QStringLiteral("ok"));
    // The dry runs stored nothing.
    const QJsonObject after = pod();
    QVERIFY(after[QLatin1String("spec")][QLatin1String("ephemeralContainers")].toArray().isEmpty());
    QCOMPARE(after[QLatin1String("metadata")][QLatin1String("resourceVersion")].toString(),
             rvBefore);
}

void TestNonRootTap::nonRootNeedsAnImage()
{
    for (const QStringList &image :
         {QStringList{}, QStringList{QStringLiteral("--image"),
                                     QStringLiteral("docker.io/nicolaka/netshoot:v0.16")}}) {
        const Run r = podtap(QStringList{QStringLiteral("preflight"), QStringLiteral("guarded/api"),
                                         QStringLiteral("--port"), QStringLiteral("8080"),
                                         QStringLiteral("--tap-profile"), QStringLiteral("nonroot"),
                                         QStringLiteral("--json")}
                             + image);
        QVERIFY2(r.code == 4, QByteArray(r.out + r.err).constData());
        const QJsonObject i
                = item(QJsonDocument::fromJson(r.out).object(), QStringLiteral("image"));
        QCOMPARE(i[QLatin1String("status")].toString(), QStringLiteral("fail"));
        QVERIFY2(i[QLatin1String("why")].toString().contains(QLatin1String("cap_net_raw+ep")),
                 qPrintable(i[QLatin1String("why")].toString()));
    }
}

void TestNonRootTap::nonRootPreflightPasses()
{
    const Run r = podtap({QStringLiteral("preflight"), QStringLiteral("guarded/api"),
                          QStringLiteral("--port"), QStringLiteral("8080"),
                          QStringLiteral("--tap-profile"), QStringLiteral("nonroot"),
                          QStringLiteral("--image"), NonRootImage, QStringLiteral("--json")});
    QVERIFY2(r.code == 0, QByteArray(r.out + r.err).constData());
    const QJsonObject a
            = item(QJsonDocument::fromJson(r.out).object(), QStringLiteral("admission"));
    QCOMPARE(a[QLatin1String("status")].toString(), QStringLiteral("ok"));
    QVERIFY2(a[QLatin1String("why")].toString().contains(
                     QLatin1String("admitted the nonroot-profile tap")),
             qPrintable(a[QLatin1String("why")].toString()));
}

void TestNonRootTap::defaultCaptureChangesNothing()
{
    const Run c = podtap({QStringLiteral("capture"), QStringLiteral("--direct"),
                          QStringLiteral("guarded/api"), QStringLiteral("--port"),
                          QStringLiteral("8080"), QStringLiteral("-w"),
                          m_dir.filePath(QStringLiteral("no.pcap"))});
    QCOMPARE(c.code, 4);
    QVERIFY2(c.err.contains("nothing was changed"), c.err.constData());
    QVERIFY2(c.err.contains("the nonroot profile would be admitted"), c.err.constData());
    QVERIFY(pod()[QLatin1String("spec")][QLatin1String("ephemeralContainers")].toArray().isEmpty());
}

void TestNonRootTap::captureThroughFileCapability()
{
    const QString pcap = m_dir.filePath(QStringLiteral("api.pcap"));
    QProcess capture;
    capture.setProcessEnvironment(CliRunner::environment(m_kubeconfig));
    capture.start(Podtap,
                  {QStringLiteral("capture"), QStringLiteral("--direct"),
                   QStringLiteral("guarded/api"), QStringLiteral("--port"), QStringLiteral("8080"),
                   QStringLiteral("--tap-profile"), QStringLiteral("nonroot"),
                   QStringLiteral("--image"), NonRootImage, QStringLiteral("-w"), pcap,
                   QStringLiteral("--context"), QStringLiteral("tapper")});
    QVERIFY(capture.waitForStarted());
    QByteArray err;
    QTRY_VERIFY_WITH_TIMEOUT((err += capture.readAllStandardError()).contains("listening on")
                                     || capture.state() != QProcess::Running,
                             60000);
    QVERIFY2(err.contains("listening on"), err.constData());
    QVERIFY2(err.contains("uid 65532"), err.constData());

    // Real traffic from the pod's client namespace.
    const QString ip = pod()[QLatin1String("status")][QLatin1String("podIP")].toString();
    QVERIFY(!ip.isEmpty());
    const QString record = m_dir.filePath(QStringLiteral("client.jsonl"));
    QProcess gen;
    gen.start(QStringLiteral("ip"),
              TrafficgenCommand::clientInNetns(
                      m_kubesim.netns(QStringLiteral("c1")),
                      {QStringLiteral("--connect"), ip + QStringLiteral(":8080"),
                       QStringLiteral("--mode"), QStringLiteral("http"),
                       QStringLiteral("--connections"), QStringLiteral("10"),
                       QStringLiteral("--concurrency"), QStringLiteral("2"),
                       QStringLiteral("--requests-per-conn"), QStringLiteral("2"),
                       QStringLiteral("--request-size"), QStringLiteral("300"),
                       QStringLiteral("--response-size"), QStringLiteral("2000"),
                       QStringLiteral("--record"), record, QStringLiteral("--timeout"),
                       QStringLiteral("60")}));
    QVERIFY(gen.waitForFinished(90000));
    QCOMPARE(gen.exitCode(), 0);
    QTest::qWait(500);
    ::kill(pid_t(capture.processId()), SIGINT);
    QVERIFY(capture.waitForFinished(30000));
    err += capture.readAllStandardError();
    QVERIFY2(capture.exitCode() == 0, err.constData());

    // Every client connection is in the capture, byte for byte.
    QProcess inspect;
    inspect.start(Podtap, {QStringLiteral("inspect"), pcap, QStringLiteral("--json"),
                           QStringLiteral("--port"), QStringLiteral("8080")});
    QVERIFY(inspect.waitForFinished(30000));
    QCOMPARE(inspect.exitCode(), 0);
    QMap<QString, QJsonObject> byClient;
    for (const QJsonValue c : QJsonDocument::fromJson(inspect.readAllStandardOutput())
                                      .object()[QLatin1String("connections")]
                                      .toArray())
        byClient.insert(c[QLatin1String("client")].toString(), c.toObject());
    QFile rec(record);
    QVERIFY(rec.open(QIODevice::ReadOnly));
    int total = 0;
    for (const QByteArray &line : rec.readAll().split('\n')) {
        if (line.trimmed().isEmpty())
            continue;
        ++total;
        const QJsonObject r = QJsonDocument::fromJson(line).object();
        const QString local = r[QLatin1String("local")].toString();
        QVERIFY2(byClient.contains(local), qPrintable(local + QStringLiteral(" not captured")));
        const QJsonObject c = byClient.value(local);
        QCOMPARE(c[QLatin1String("c2s")][QLatin1String("sha256")].toString(),
                 r[QLatin1String("sent")][QLatin1String("sha256")].toString());
        QCOMPARE(c[QLatin1String("s2c")][QLatin1String("sha256")].toString(),
                 r[QLatin1String("received")][QLatin1String("sha256")].toString());
    }
    QCOMPARE(total, 10);

    // What reached the cluster is the nonroot contract, exactly.
    const QJsonArray eph
            = pod()[QLatin1String("spec")][QLatin1String("ephemeralContainers")].toArray();
    QCOMPARE(eph.size(), 1);
    const QJsonObject c = eph[0].toObject();
    QCOMPARE(c[QLatin1String("image")].toString(), NonRootImage);
    const QJsonObject sc = c[QLatin1String("securityContext")].toObject();
    QCOMPARE(sc.keys(),
             (QStringList{QStringLiteral("capabilities"), QStringLiteral("readOnlyRootFilesystem"),
                          QStringLiteral("runAsGroup"), QStringLiteral("runAsNonRoot"),
                          QStringLiteral("runAsUser"), QStringLiteral("seccompProfile")}));
    QCOMPARE(sc[QLatin1String("runAsUser")].toInteger(), 65532);
    QCOMPARE(sc[QLatin1String("capabilities")][QLatin1String("add")].toArray(),
             QJsonArray{QStringLiteral("NET_RAW")});

    // The next nonroot capture reuses it; a default-profile request would not (and is
    // refused here anyway): still one ephemeral container.
    const Run again = podtap({QStringLiteral("capture"), QStringLiteral("--direct"),
                              QStringLiteral("guarded/api"), QStringLiteral("--port"),
                              QStringLiteral("8080"), QStringLiteral("--tap-profile"),
                              QStringLiteral("nonroot"), QStringLiteral("--image"), NonRootImage,
                              QStringLiteral("-w"), m_dir.filePath(QStringLiteral("again.pcap")),
                              QStringLiteral("--duration"), QStringLiteral("2")});
    QVERIFY2(again.code == 0, again.err.constData());
    QVERIFY2(again.err.contains("reusing tap podtap-"), again.err.constData());
    const Run other
            = podtap({QStringLiteral("preflight"), QStringLiteral("guarded/api"),
                      QStringLiteral("--port"), QStringLiteral("8080"), QStringLiteral("--json")});
    const QJsonObject tap
            = item(QJsonDocument::fromJson(other.out).object(), QStringLiteral("tap"));
    QVERIFY2(tap[QLatin1String("why")].toString().contains(
                     QLatin1String("it is a nonroot-profile tap, not default")),
             qPrintable(tap[QLatin1String("why")].toString()));
    QCOMPARE(pod()[QLatin1String("spec")][QLatin1String("ephemeralContainers")].toArray().size(),
             1);
}

void TestNonRootTap::daemonSessionUsesProfile()
{
    // The same through podtapd (session.start's tapProfile): had the profile not reached the
    // session, the default tap would be refused by the policy and the session would fail.
    const QString socket = m_dir.filePath(QStringLiteral("podtapd.sock"));
    QProcess daemon;
    daemon.setStandardOutputFile(m_dir.filePath(QStringLiteral("podtapd.log")));
    daemon.setStandardErrorFile(m_dir.filePath(QStringLiteral("podtapd.log")));
    daemon.start(QStringLiteral(BINDIR "/daemon/podtapd"),
                 {QStringLiteral("--socket"), socket, QStringLiteral("--store"),
                  m_dir.filePath(QStringLiteral("store"))});
    QVERIFY(daemon.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(socket), 10000);
    const Run r = podtap({QStringLiteral("capture"), QStringLiteral("guarded/api"),
                          QStringLiteral("--port"), QStringLiteral("8080"),
                          QStringLiteral("--tap-profile"), QStringLiteral("nonroot"),
                          QStringLiteral("--image"), NonRootImage, QStringLiteral("--socket"),
                          socket, QStringLiteral("--no-start"), QStringLiteral("--duration"),
                          QStringLiteral("3"), QStringLiteral("--json")},
                         90000);
    daemon.terminate();
    daemon.waitForFinished(10000);
    QVERIFY2(r.code == 0, QByteArray(r.out + r.err).constData());
    const QJsonObject summary = QJsonDocument::fromJson(r.out).object();
    QVERIFY2(summary.contains(QLatin1String("session")) || summary.contains(QLatin1String("id")),
             r.out.constData());
    QCOMPARE(pod()[QLatin1String("spec")][QLatin1String("ephemeralContainers")].toArray().size(),
             1);
}

void TestNonRootTap::unknownProfileRefused()
{
    const Run r = podtap({QStringLiteral("preflight"), QStringLiteral("guarded/api"),
                          QStringLiteral("--tap-profile"), QStringLiteral("root")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("unknown tap profile 'root' (default, nonroot or baseline)"),
             r.err.constData());
}

QTEST_GUILESS_MAIN(TestNonRootTap)
#include "tst_nonroottap.moc"
