// podtap's Kubernetes client end to end against kubesim (real TLS, real kubectl to check,
// real tcpdump in a pod namespace, real traffic): preflight, injection, capture, reuse.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "support/clirunner.h"
#include "support/kubesimprocess.h"
#include "support/trafficgencommand.h"

#include <csignal>
#include <sys/stat.h>
#include <unistd.h>

namespace {
const QString Podtap = CliRunner::podtap();

using Run = CliRunner::Result;
} // namespace

class TestCaptureCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();
    void everyCommandAnswersHelp();
    void contextsListsScenarioUsers();
    void preflightPasses();
    void preflightPodSecurity();
    void preflightRbacNamesMissingRule();
    void captureMatchesTrafficAndReusesTap();
    void tapOnTheWireIsTheContract();

private:
    Run podtap(const QStringList &args, const QString &context = QStringLiteral("tapper"),
               int timeoutMs = 60000);
    KubesimProcess::KubectlResult kubectlJson(const QStringList &args) const
    {
        return m_kubesim.kubectlJson(args);
    }
    // The CLI's environment: the scenario's kubeconfig, and an XDG state folder of the test's
    // own, where `capture --direct` keeps its audit trail.
    QProcessEnvironment environment() const;
    QString auditPath() const { return m_dir.filePath(QStringLiteral("state/podtap/audit.log")); }
    // The audit log's entries for `target`, in order (a line that is not JSON fails the test).
    QList<QJsonObject> auditEntries(const QString &target) const;

    QTemporaryDir m_dir;
    KubesimProcess m_kubesim;
    QString m_kubeconfig;
};

Run TestCaptureCli::podtap(const QStringList &args, const QString &context, int timeoutMs)
{
    QStringList all = args;
    if (!context.isEmpty())
        all << QStringLiteral("--context") << context;
    return CliRunner::run(Podtap, all, environment(), timeoutMs);
}

QProcessEnvironment TestCaptureCli::environment() const
{
    QProcessEnvironment env = CliRunner::environment(m_kubeconfig);
    env.insert(QStringLiteral("XDG_STATE_HOME"), m_dir.filePath(QStringLiteral("state")));
    return env;
}

QList<QJsonObject> TestCaptureCli::auditEntries(const QString &target) const
{
    QList<QJsonObject> out;
    QFile f(auditPath());
    if (!f.open(QIODevice::ReadOnly))
        return out;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.isEmpty())
            continue;
        QJsonParseError pe;
        const QJsonObject o = QJsonDocument::fromJson(line, &pe).object();
        if (pe.error != QJsonParseError::NoError) {
            QTest::qFail(line.constData(), __FILE__, __LINE__);
            return {};
        }
        if (o[QLatin1String("target")].toString() == target)
            out << o;
    }
    return out;
}

void TestCaptureCli::initTestCase()
{
    if (const QString why = KubesimProcess::skipReason(); !why.isEmpty())
        QSKIP(qPrintable(why));
    QString error;
    QVERIFY2(
            m_kubesim.start(QStringLiteral(SRCDIR "/scenarios/capture.yaml"), m_dir.path(), &error),
            qPrintable(error));
    m_kubeconfig = m_kubesim.kubeconfig();
}

void TestCaptureCli::cleanup()
{
    // Keep the captures and the client's record of a failed run for a post-mortem.
    if (QTest::currentTestFailed() && m_dir.autoRemove()) {
        m_dir.setAutoRemove(false);
        qWarning("kept the test's files in %s", qPrintable(m_dir.path()));
    }
}

void TestCaptureCli::cleanupTestCase()
{
    m_kubesim.stop();
}

void TestCaptureCli::everyCommandAnswersHelp()
{
    const Run all = podtap({QStringLiteral("--help")}, QString());
    QCOMPARE(all.code, 0);
    for (const char *command : {"inspect", "contexts", "pods", "preflight", "capture", "mirror",
                                "sessions", "stop", "export", "replay", "status"}) {
        const QString c = QString::fromLatin1(command);
        const QByteArray listed = QByteArray("  ") + command + ' ';
        QVERIFY2(all.out.contains(listed), command);
        const Run one = podtap({c, QStringLiteral("--help")}, QString());
        QCOMPARE(one.code, 0);
        const QByteArray usage = QByteArray("usage: podtap ") + command + ' ';
        QVERIFY2(one.out.startsWith(usage), one.out.constData());
    }
    const Run unknown = podtap({QStringLiteral("tap-everything")}, QString());
    QCOMPARE(unknown.code, 1);
    QVERIFY(unknown.err.contains("unknown command 'tap-everything'"));
}

void TestCaptureCli::contextsListsScenarioUsers()
{
    const Run r = podtap({QStringLiteral("contexts"), QStringLiteral("--json")}, QString());
    QCOMPARE(r.code, 0);
    QStringList names;
    for (const QJsonValue c :
         QJsonDocument::fromJson(r.out).object()[QLatin1String("contexts")].toArray())
        names << c[QLatin1String("name")].toString();
    QVERIFY2(names.contains(QLatin1String("tapper")) && names.contains(QLatin1String("viewer")),
             qPrintable(names.join(QLatin1Char(','))));
}

void TestCaptureCli::preflightPasses()
{
    const Run r
            = podtap({QStringLiteral("preflight"), QStringLiteral("shop/web"),
                      QStringLiteral("--port"), QStringLiteral("8080"), QStringLiteral("--json")});
    QVERIFY2(r.code == 0, QByteArray(r.out + r.err).constData());
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QVERIFY(o[QLatin1String("passed")].toBool());
    QStringList ids;
    for (const QJsonValue i : o[QLatin1String("items")].toArray()) {
        ids << i[QLatin1String("id")].toString();
        QCOMPARE(i[QLatin1String("status")].toString(), QStringLiteral("ok"));
    }
    for (const char *id :
         {"pod", "tap", "image", "podsecurity", "rbac.get-pods", "rbac.watch-pods",
          "rbac.patch-pods-ephemeralcontainers", "rbac.get-pods-exec", "rbac.create-pods-exec"})
        QVERIFY2(ids.contains(QLatin1String(id)), id);
}

void TestCaptureCli::preflightPodSecurity()
{
    const Run r = podtap({QStringLiteral("preflight"), QStringLiteral("locked/vault"),
                          QStringLiteral("--port"), QStringLiteral("8080")});
    QCOMPARE(r.code, 4);
    QVERIFY2(r.out.contains("enforces Pod Security \"baseline\""), r.out.constData());
    QVERIFY2(r.out.contains("pod-security.kubernetes.io/enforce=privileged"), r.out.constData());
    // And capture refuses before touching anything.
    const Run c = podtap({QStringLiteral("capture"), QStringLiteral("--direct"),
                          QStringLiteral("locked/vault"), QStringLiteral("--port"),
                          QStringLiteral("8080"), QStringLiteral("-w"),
                          m_dir.filePath(QStringLiteral("no.pcap"))});
    QCOMPARE(c.code, 4);
    QVERIFY2(c.err.contains("nothing was changed"), c.err.constData());
    const auto pod
            = kubectlJson({QStringLiteral("get"), QStringLiteral("pod"), QStringLiteral("vault"),
                           QStringLiteral("-n"), QStringLiteral("locked")});
    QVERIFY2(pod.ok(), pod.failure().constData());
    QVERIFY(pod.json[QLatin1String("spec")][QLatin1String("ephemeralContainers")]
                    .toArray()
                    .isEmpty());
    // Audited like a podtapd session that failed its preflight: started, then stopped.
    const QList<QJsonObject> audit = auditEntries(QStringLiteral("locked/vault"));
    QCOMPARE(audit.size(), 2);
    QCOMPARE(audit[0][QLatin1String("event")].toString(), QStringLiteral("capture-start"));
    QCOMPARE(audit[1][QLatin1String("event")].toString(), QStringLiteral("capture-stop"));
    QVERIFY2(audit[1][QLatin1String("outcome")].toString().startsWith(
                     QLatin1String("failed: preflight failed; nothing was changed")),
             qPrintable(audit[1][QLatin1String("outcome")].toString()));
}

void TestCaptureCli::preflightRbacNamesMissingRule()
{
    const Run r = podtap(
            {QStringLiteral("preflight"), QStringLiteral("shop/web"), QStringLiteral("--json")},
            QStringLiteral("viewer"));
    QCOMPARE(r.code, 4);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QStringList failed;
    for (const QJsonValue i : o[QLatin1String("items")].toArray())
        if (i[QLatin1String("status")].toString() == QLatin1String("fail")) {
            failed << i[QLatin1String("id")].toString();
            QVERIFY2(i[QLatin1String("ask")].toString().contains(
                             QLatin1String("Role in namespace shop")),
                     qPrintable(i[QLatin1String("ask")].toString()));
        }
    failed.sort();
    QCOMPARE(failed, (QStringList{QStringLiteral("rbac.create-pods-exec"),
                                  QStringLiteral("rbac.get-pods-exec"),
                                  QStringLiteral("rbac.patch-pods-ephemeralcontainers")}));
}

void TestCaptureCli::captureMatchesTrafficAndReusesTap()
{
    const QString pcap = m_dir.filePath(QStringLiteral("web.pcap"));
    QProcess capture;
    capture.setProcessEnvironment(environment());
    capture.start(Podtap,
                  {QStringLiteral("capture"), QStringLiteral("--direct"),
                   QStringLiteral("deployment/web"), QStringLiteral("-n"), QStringLiteral("shop"),
                   QStringLiteral("--port"), QStringLiteral("8080"), QStringLiteral("-w"), pcap,
                   QStringLiteral("--context"), QStringLiteral("tapper")});
    QVERIFY(capture.waitForStarted());
    QByteArray err;
    QTRY_VERIFY_WITH_TIMEOUT((err += capture.readAllStandardError()).contains("listening on")
                                     || capture.state() != QProcess::Running,
                             60000);
    QVERIFY2(err.contains("listening on"), err.constData());

    // Real traffic from kubesim's client namespace for this pod (its first: c1).
    const Run pods = podtap({QStringLiteral("pods"), QStringLiteral("-n"), QStringLiteral("shop"),
                             QStringLiteral("--json")});
    const QString ip = QJsonDocument::fromJson(pods.out)
                               .object()[QLatin1String("pods")][0][QLatin1String("ip")]
                               .toString();
    QVERIFY(!ip.isEmpty());
    const QString record = m_dir.filePath(QStringLiteral("client.jsonl"));
    QProcess gen;
    gen.start(QStringLiteral("ip"),
              TrafficgenCommand::clientInNetns(
                      m_kubesim.netns(QStringLiteral("c1")),
                      {QStringLiteral("--connect"), ip + QStringLiteral(":8080"),
                       QStringLiteral("--mode"), QStringLiteral("http"),
                       QStringLiteral("--connections"), QStringLiteral("30"),
                       QStringLiteral("--concurrency"), QStringLiteral("5"),
                       QStringLiteral("--requests-per-conn"), QStringLiteral("3"),
                       QStringLiteral("--request-size"), QStringLiteral("700"),
                       QStringLiteral("--response-size"), QStringLiteral("3000"),
                       QStringLiteral("--record"), record, QStringLiteral("--timeout"),
                       QStringLiteral("60")}));
    QVERIFY(gen.waitForFinished(90000));
    QCOMPARE(gen.exitCode(), 0);
    QTest::qWait(500);
    ::kill(pid_t(capture.processId()), SIGINT); // Ctrl-C: stop tcpdump, keep the tap
    QVERIFY(capture.waitForFinished(30000));
    err += capture.readAllStandardError();
    {
        QFile log(m_dir.filePath(QStringLiteral("capture.stderr")));
        if (log.open(QIODevice::WriteOnly))
            log.write(err);
    }
    QVERIFY2(capture.exitCode() == 0, err.constData());

    const Run inspect = podtap({QStringLiteral("inspect"), pcap, QStringLiteral("--json"),
                                QStringLiteral("--port"), QStringLiteral("8080")},
                               QString());
    QCOMPARE(inspect.code, 0);
    QMap<QString, QJsonObject> byClient;
    for (const QJsonValue c :
         QJsonDocument::fromJson(inspect.out).object()[QLatin1String("connections")].toArray())
        byClient.insert(c[QLatin1String("client")].toString(), c.toObject());
    QFile rec(record);
    QVERIFY(rec.open(QIODevice::ReadOnly));
    // Every connection is either byte-exact, or its missing bytes are reported as gaps and
    // the kernel's drops were reported by the capture: loss is never silent.
    const bool dropsReported
            = err.contains("those bytes are missing") || err.contains("were lost on the way");
    int exact = 0, total = 0;
    for (const QByteArray &line : rec.readAll().split('\n')) {
        if (line.trimmed().isEmpty())
            continue;
        ++total;
        const QJsonObject r = QJsonDocument::fromJson(line).object();
        const QString local = r[QLatin1String("local")].toString();
        QVERIFY2(byClient.contains(local),
                 qPrintable(local + QStringLiteral(" missing from the capture")));
        const QJsonObject c = byClient.value(local);
        QVERIFY2(!c[QLatin1String("midstream")].toBool(),
                 qPrintable(QStringLiteral("%1 joined mid-stream: %2\ncapture said:\n%3")
                                    .arg(local, QString::fromUtf8(QJsonDocument(c).toJson()),
                                         QString::fromUtf8(err))));
        const QJsonObject c2s = c[QLatin1String("c2s")].toObject(),
                          s2c = c[QLatin1String("s2c")].toObject();
        if (c2s[QLatin1String("gap_bytes")].toInteger() == 0
            && s2c[QLatin1String("gap_bytes")].toInteger() == 0) {
            QCOMPARE(c2s[QLatin1String("sha256")].toString(),
                     r[QLatin1String("sent")][QLatin1String("sha256")].toString());
            QCOMPARE(s2c[QLatin1String("sha256")].toString(),
                     r[QLatin1String("received")][QLatin1String("sha256")].toString());
            ++exact;
        } else {
            QVERIFY2(dropsReported,
                     qPrintable(QStringLiteral("%1 misses bytes but the capture did not report "
                                               "kernel drops; it said:\n%2")
                                        .arg(local, QString::fromUtf8(err))));
            QCOMPARE(c2s[QLatin1String("bytes")].toInteger()
                             + c2s[QLatin1String("gap_bytes")].toInteger(),
                     r[QLatin1String("sent")][QLatin1String("bytes")].toInteger());
        }
    }
    QCOMPARE(total, 30);
    QVERIFY2(exact >= 24,
             qPrintable(QStringLiteral("only %1 of 30 connections were byte-exact").arg(exact)));

    // A second capture reuses the running tap: still exactly one ephemeral container.
    const Run again
            = podtap({QStringLiteral("capture"), QStringLiteral("--direct"),
                      QStringLiteral("shop/web"), QStringLiteral("--port"), QStringLiteral("8080"),
                      QStringLiteral("-w"), m_dir.filePath(QStringLiteral("again.pcap")),
                      QStringLiteral("--duration"), QStringLiteral("2")});
    QVERIFY2(again.code == 0, again.err.constData());
    QVERIFY2(again.err.contains("reusing tap podtap-"), again.err.constData());
    const auto pod
            = kubectlJson({QStringLiteral("get"), QStringLiteral("pod"), QStringLiteral("web"),
                           QStringLiteral("-n"), QStringLiteral("shop")});
    QVERIFY2(pod.ok(), pod.failure().constData());
    QCOMPARE(pod.json[QLatin1String("spec")][QLatin1String("ephemeralContainers")].toArray().size(),
             1);

    // Both --direct captures left podtapd's audit trail: the tap added, then reused, each
    // capture started and stopped with the packets it wrote.
    const QRegularExpression written(QStringLiteral("podtap: (\\d+) packets written"));
    const auto firstCount = written.match(QString::fromUtf8(err));
    QVERIFY2(firstCount.hasMatch(), err.constData());
    QStringList events;
    const QList<QJsonObject> first = auditEntries(QStringLiteral("deployment/web"));
    for (const QJsonObject &o : first) {
        events << o[QLatin1String("event")].toString();
        QCOMPARE(o[QLatin1String("session")].toString(), QStringLiteral("direct"));
        QCOMPARE(o[QLatin1String("context")].toString(), QStringLiteral("tapper"));
        QCOMPARE(o[QLatin1String("namespace")].toString(), QStringLiteral("shop"));
        QCOMPARE(o[QLatin1String("port")].toInt(), 8080);
        QCOMPARE(o[QLatin1String("profile")].toString(), QStringLiteral("default"));
        QCOMPARE(o[QLatin1String("protected")].toBool(true), false);
        QVERIFY(o[QLatin1String("time")].toString().endsWith(QLatin1Char('Z')));
    }
    QCOMPARE(events, (QStringList{QStringLiteral("capture-start"), QStringLiteral("inject"),
                                  QStringLiteral("capture-stop")}));
    QCOMPARE(first[1][QLatin1String("pod")].toString(), QStringLiteral("web"));
    QVERIFY(first[1][QLatin1String("tap")].toString().startsWith(QLatin1String("podtap-")));
    QCOMPARE(first[1][QLatin1String("outcome")].toString(),
             QStringLiteral("tap added and running"));
    QCOMPARE(first[2][QLatin1String("outcome")].toString(),
             QStringLiteral("stopped (%1 packets)").arg(firstCount.captured(1)));
    events.clear();
    for (const QJsonObject &o : auditEntries(QStringLiteral("shop/web")))
        events << o[QLatin1String("event")].toString();
    QCOMPARE(events, (QStringList{QStringLiteral("capture-start"), QStringLiteral("reuse"),
                                  QStringLiteral("capture-stop")}));
    struct stat st;
    QCOMPARE(::stat(QFile::encodeName(auditPath()).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, 0600u);
    // Names only: none of the kubeconfig's credentials.
    QFile log(auditPath());
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QByteArray logBytes = log.readAll();
    QFile kc(m_kubeconfig);
    QVERIFY(kc.open(QIODevice::ReadOnly));
    const QRegularExpression secret(
            QStringLiteral(
                    "^\\s*(token|client-key-data|client-certificate-data|password):\\s*(\\S+)"),
            QRegularExpression::MultilineOption);
    int secrets = 0;
    for (auto it = secret.globalMatch(QString::fromUtf8(kc.readAll())); it.hasNext(); ++secrets)
        QVERIFY(!logBytes.contains(it.next().captured(2).toUtf8()));
    QVERIFY2(secrets > 0, "the kubeconfig's credentials were not found to check against");
}

void TestCaptureCli::tapOnTheWireIsTheContract()
{
    const auto pod
            = kubectlJson({QStringLiteral("get"), QStringLiteral("pod"), QStringLiteral("web"),
                           QStringLiteral("-n"), QStringLiteral("shop")});
    QVERIFY2(pod.ok(), pod.failure().constData());
    const QJsonArray eph
            = pod.json[QLatin1String("spec")][QLatin1String("ephemeralContainers")].toArray();
    if (eph.isEmpty())
        QSKIP("no tap was injected (the capture test did not run)");
    const QJsonObject c = eph[0].toObject();
    QVERIFY(QRegularExpression(QStringLiteral("^podtap-[a-z0-9]{5}$"))
                    .match(c[QLatin1String("name")].toString())
                    .hasMatch());
    QCOMPARE(c[QLatin1String("image")].toString(),
             QStringLiteral("docker.io/nicolaka/netshoot:v0.16"));
    const QJsonObject sc = c[QLatin1String("securityContext")].toObject();
    QCOMPARE(sc[QLatin1String("capabilities")][QLatin1String("drop")].toArray(),
             QJsonArray{QStringLiteral("ALL")});
    QCOMPARE(sc[QLatin1String("capabilities")][QLatin1String("add")].toArray(),
             QJsonArray{QStringLiteral("NET_RAW")});
    QCOMPARE(sc[QLatin1String("allowPrivilegeEscalation")].toBool(true), false);
    QCOMPARE(sc[QLatin1String("readOnlyRootFilesystem")].toBool(), true);
    QCOMPARE(sc[QLatin1String("seccompProfile")][QLatin1String("type")].toString(),
             QStringLiteral("RuntimeDefault"));
    QVERIFY(!sc.contains(QLatin1String("privileged")));
    QVERIFY(!c.contains(QLatin1String("ports")) && !c.contains(QLatin1String("volumeMounts"))
            && !c.contains(QLatin1String("env")));
}

QTEST_GUILESS_MAIN(TestCaptureCli)
#include "tst_capturecli.moc"
