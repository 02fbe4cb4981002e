// podtap's Kubernetes client end to end against kubesim: every kubeconfig auth kind through
// the real CLI, exec-plugin refresh after a 401 and a missing plugin, an image that cannot be
// pulled, and the capture stream cut or stalled under real traffic.
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
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

#include <algorithm>
#include <utility>

#include <sys/stat.h>
#include <unistd.h>

namespace {
const QString Podtap = CliRunner::podtap();
const QString Kubesim = KubesimProcess::program();

// Every credential in kubeclient.yaml and the variants: none may ever show up in podtap's output.
const QList<QByteArray> Secrets
        = {"kc-token-0123", "kc-filetok-4567", "kc-nobody-89ab",  "kc:basic-pw",
           "kc-flaky-cdef", "kc-wrong-pw",     "kc-garbage-token"};

using Run = CliRunner::Result;

QJsonObject jsonOf(const QByteArray &b)
{
    return QJsonDocument::fromJson(b).object();
}

QByteArray keyDataOf(const QByteArray &kubeconfig, const QByteArray &user)
{
    const auto m
            = QRegularExpression(QStringLiteral("- name: %1\\n\\s+user:\\n\\s+client-certificate-"
                                                "data: \\S+\\n\\s+client-key-data: (\\S+)")
                                         .arg(QString::fromLatin1(user)))
                      .match(QString::fromLatin1(kubeconfig));
    return m.hasMatch() ? QByteArray::fromBase64(m.captured(1).toLatin1()) : QByteArray();
}
} // namespace

class TestKubeClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();
    void kubeconfigCredentialKinds();
    void authKinds_data();
    void authKinds();
    void tokenFileIsReadEveryRun();
    void basicAuthWrongPassword();
    void execPluginRerunAfter401();
    void execPluginMissing();
    void imagePullFailure();
    void execCutReconnects();
    void execStallDetected();
    void lookalikeTapIsNotReused();

private:
    Run podtap(const QStringList &args, const QString &context, int timeoutMs = 60000);
    QProcess *startCapture(const QString &pod, const QString &pcap, const QStringList &extra);
    QString podIp(const QString &pod);
    int tcpdumpsInPod(int podIndex) const;
    void writeFile(const QString &name, const QByteArray &content);
    void noteLeaks(const QByteArray &output); // checked (never printed) in cleanup()

    QTemporaryDir m_dir;
    KubesimProcess m_kubesim;
    QString m_kubeconfig;  // kubesim's
    QString m_kubeconfigs; // KUBECONFIG: our variants first, then kubesim's
    QByteArrayList m_leaks;
};

void TestKubeClient::writeFile(const QString &name, const QByteArray &content)
{
    QFile f(m_dir.filePath(name));
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(content);
}

Run TestKubeClient::podtap(const QStringList &args, const QString &context, int timeoutMs)
{
    QStringList all = args;
    if (!context.isEmpty())
        all << QStringLiteral("--context") << context;
    const Run r = CliRunner::run(Podtap, all, CliRunner::environment(m_kubeconfigs), timeoutMs);
    noteLeaks(r.out + r.err);
    return r;
}

void TestKubeClient::noteLeaks(const QByteArray &output)
{
    for (const QByteArray &s : Secrets)
        if (output.contains(s))
            m_leaks << s;
}

QProcess *TestKubeClient::startCapture(const QString &pod, const QString &pcap,
                                       const QStringList &extra)
{
    auto *p = new QProcess(this);
    p->setProcessEnvironment(CliRunner::environment(m_kubeconfigs));
    p->start(Podtap, QStringList{QStringLiteral("capture"), QStringLiteral("--direct"),
                                 QStringLiteral("shop/") + pod, QStringLiteral("--port"),
                                 QStringLiteral("8080"), QStringLiteral("-w"), pcap,
                                 QStringLiteral("--context"), QStringLiteral("cert")}
                             + extra);
    return p;
}

QString TestKubeClient::podIp(const QString &pod)
{
    const Run r = podtap({QStringLiteral("pods"), QStringLiteral("-n"), QStringLiteral("shop"),
                          QStringLiteral("--json")},
                         QStringLiteral("cert"));
    for (const QJsonValue p : jsonOf(r.out)[QLatin1String("pods")].toArray())
        if (p[QLatin1String("name")].toString() == pod)
            return p[QLatin1String("ip")].toString();
    return {};
}

// tcpdump processes whose network namespace is kubesim's pod n (ksim<pid>-p<n>).
int TestKubeClient::tcpdumpsInPod(int podIndex) const
{
    struct stat ns = {};
    const QByteArray nsPath
            = (QStringLiteral("/run/netns/") + m_kubesim.netns(QStringLiteral("p%1").arg(podIndex)))
                      .toLocal8Bit();
    if (::stat(nsPath.constData(), &ns) != 0)
        return -1;
    const QByteArray want = "net:[" + QByteArray::number(quint64(ns.st_ino)) + ']';
    int n = 0;
    const QStringList pids = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &pid : pids) {
        if (!pid.front().isDigit())
            continue;
        QFile comm(QStringLiteral("/proc/%1/comm").arg(pid));
        if (!comm.open(QIODevice::ReadOnly) || comm.readAll().trimmed() != "tcpdump")
            continue;
        char link[64] = {};
        const QByteArray nsLink = QStringLiteral("/proc/%1/ns/net").arg(pid).toLocal8Bit();
        if (::readlink(nsLink.constData(), link, sizeof link - 1) > 0 && want == link)
            ++n;
    }
    return n;
}

void TestKubeClient::initTestCase()
{
    if (const QString why = KubesimProcess::skipReason({Podtap}); !why.isEmpty())
        QSKIP(qPrintable(why));
    QString error;
    QVERIFY2(m_kubesim.start(QStringLiteral(SRCDIR "/scenarios/kubeclient.yaml"), m_dir.path(),
                             &error),
             qPrintable(error));
    m_kubeconfig = m_kubesim.kubeconfig();

    // Users kubesim cannot write itself, in a second kubeconfig merged before kubesim's (its
    // contexts name kubesim's cluster). Relative paths resolve against this file's folder.
    writeFile(QStringLiteral("plugin-counted.sh"),
              "#!/bin/sh\necho run >> \"$(dirname \"$0\")/plugin-runs\"\nexec '"
                      + Kubesim.toLocal8Bit()
                      + "' exec-credential --token kc-flaky-cdef --ttl 600 --api-version "
                        "client.authentication.k8s.io/v1\n");
    QVERIFY(QFile::setPermissions(m_dir.filePath(QStringLiteral("plugin-counted.sh")),
                                  QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                          | QFileDevice::ExeOwner));
    writeFile(QStringLiteral("variants.yaml"), R"(apiVersion: v1
kind: Config
users:
  - name: v-tokenfile
    user:
      tokenFile: token-file
  - name: v-basic-wrong
    user:
      username: kc-basic
      password: "kc-wrong-pw"
  - name: v-flaky-counted
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: ./plugin-counted.sh
        interactiveMode: Never
  - name: v-missing-plugin
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1beta1
        command: podtap-test-no-such-credential-plugin
        installHint: "Install it with: apt-get install podtap-test-plugin"
        interactiveMode: Never
contexts:
  - {name: v-tokenfile, context: {cluster: kubesim, user: v-tokenfile, namespace: shop}}
  - {name: v-basic-wrong, context: {cluster: kubesim, user: v-basic-wrong, namespace: shop}}
  - {name: v-flaky-counted, context: {cluster: kubesim, user: v-flaky-counted, namespace: shop}}
  - {name: v-missing-plugin, context: {cluster: kubesim, user: v-missing-plugin, namespace: shop}}
)");
    m_kubeconfigs
            = m_dir.filePath(QStringLiteral("variants.yaml")) + QLatin1Char(':') + m_kubeconfig;
}

void TestKubeClient::cleanup()
{
    const QByteArrayList leaks = std::exchange(m_leaks, {});
    QVERIFY2(leaks.isEmpty(), "podtap printed a credential");
    if (QTest::currentTestFailed() && m_dir.autoRemove()) {
        m_dir.setAutoRemove(false);
        qWarning("kept the test's files in %s", qPrintable(m_dir.path()));
    }
}

void TestKubeClient::cleanupTestCase()
{
    m_kubesim.stop();
}

void TestKubeClient::kubeconfigCredentialKinds()
{
    // The kinds of client key podtap must load: kubesim's default (EC, PKCS#8) and RSA PKCS#1
    // (what kubeadm and kind write).
    QFile f(m_kubeconfig);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray kc = f.readAll();
    QVERIFY(keyDataOf(kc, "cert").startsWith("-----BEGIN PRIVATE KEY-----"));
    QVERIFY(keyDataOf(kc, "rsa").startsWith("-----BEGIN RSA PRIVATE KEY-----"));
    QVERIFY(kc.contains("username: \"kc-basic\""));
    // kubectl, the reference client, accepts kubesim's new credential kinds too.
    if (QStandardPaths::findExecutable(QStringLiteral("kubectl")).isEmpty())
        QSKIP("kubectl is not installed: cannot check kubesim against it");
    for (const QString &context : {QStringLiteral("basic"), QStringLiteral("rsa")}) {
        QProcess k;
        k.start(QStringLiteral("kubectl"),
                {QStringLiteral("--kubeconfig"), m_kubeconfig, QStringLiteral("--context"), context,
                 QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-n"),
                 QStringLiteral("shop"), QStringLiteral("-o"), QStringLiteral("name")});
        QVERIFY(k.waitForFinished(30000));
        const QByteArray out = k.readAllStandardOutput();
        QVERIFY2(k.exitCode() == 0 && out.contains("pod/web"),
                 qPrintable(context + QLatin1Char(' ')
                            + QString::fromUtf8(out + k.readAllStandardError())));
    }
}

void TestKubeClient::authKinds_data()
{
    QTest::addColumn<QString>("context");
    QTest::addRow("client certificate, EC key") << QStringLiteral("cert");
    QTest::addRow("client certificate, RSA key") << QStringLiteral("rsa");
    QTest::addRow("bearer token") << QStringLiteral("token");
    QTest::addRow("basic auth") << QStringLiteral("basic");
    QTest::addRow("exec plugin v1") << QStringLiteral("execv1");
    QTest::addRow("exec plugin v1beta1") << QStringLiteral("execv1beta1");
}

void TestKubeClient::authKinds()
{
    QFETCH(QString, context);
    const Run pods = podtap({QStringLiteral("pods"), QStringLiteral("-n"), QStringLiteral("shop"),
                             QStringLiteral("--json")},
                            context);
    QVERIFY2(pods.code == 0, pods.err.constData());
    QStringList names;
    for (const QJsonValue p : jsonOf(pods.out)[QLatin1String("pods")].toArray())
        names << p[QLatin1String("name")].toString();
    names.sort();
    QCOMPARE(names,
             (QStringList{QStringLiteral("cut"), QStringLiteral("stall"), QStringLiteral("web")}));
    // Preflight's access reviews are answered for the identity the server authenticated: all
    // pass only when it is this scenario user (the rights of "nobody" would fail them).
    const Run pre
            = podtap({QStringLiteral("preflight"), QStringLiteral("shop/web"),
                      QStringLiteral("--port"), QStringLiteral("8080"), QStringLiteral("--json")},
                     context);
    QVERIFY2(pre.code == 0, QByteArray(pre.out + pre.err).constData());
    QVERIFY(jsonOf(pre.out)[QLatin1String("passed")].toBool());
}

void TestKubeClient::tokenFileIsReadEveryRun()
{
    const QStringList pods{QStringLiteral("pods"), QStringLiteral("--json")};
    writeFile(QStringLiteral("token-file"), "kc-filetok-4567\n");
    Run r = podtap(pods, QStringLiteral("v-tokenfile"));
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(jsonOf(r.out)[QLatin1String("pods")].toArray().size(), 3);

    // Another user's token in the same file: the server now sees "nobody".
    writeFile(QStringLiteral("token-file"), "kc-nobody-89ab\n");
    r = podtap(pods, QStringLiteral("v-tokenfile"));
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("User \"nobody\" cannot list resource \"pods\""), r.err.constData());

    writeFile(QStringLiteral("token-file"), "kc-garbage-token\n");
    r = podtap(pods, QStringLiteral("v-tokenfile"));
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("401 Unauthorized"), r.err.constData());

    QVERIFY(QFile::remove(m_dir.filePath(QStringLiteral("token-file"))));
    r = podtap(pods, QStringLiteral("v-tokenfile"));
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("cannot read token file")
                     && r.err.contains(m_dir.filePath(QStringLiteral("token-file")).toLocal8Bit()),
             r.err.constData());
}

void TestKubeClient::basicAuthWrongPassword()
{
    const Run r = podtap({QStringLiteral("pods"), QStringLiteral("--json")},
                         QStringLiteral("v-basic-wrong"));
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("401 Unauthorized"), r.err.constData());
}

void TestKubeClient::execPluginRerunAfter401()
{
    // kubesim answers flaky's first request with 401 (as when a cached token was revoked):
    // podtap must drop the credential, run the plugin again and retry once.
    const QString runs = m_dir.filePath(QStringLiteral("plugin-runs"));
    QFile::remove(runs);
    const Run r = podtap({QStringLiteral("pods"), QStringLiteral("--json")},
                         QStringLiteral("v-flaky-counted"));
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(jsonOf(r.out)[QLatin1String("pods")].toArray().size(), 3);
    QFile f(runs);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("run\nrun\n"));
}

void TestKubeClient::execPluginMissing()
{
    const Run r = podtap({QStringLiteral("pods")}, QStringLiteral("v-missing-plugin"));
    QCOMPARE(r.code, 1);
    for (const char *want :
         {"exec plugin 'podtap-test-no-such-credential-plugin' not found", "looked in PATH (",
          "/usr/local/bin", "/.krew/bin", "Install it with: apt-get install podtap-test-plugin"})
        QVERIFY2(r.err.contains(want),
                 qPrintable(QString::fromUtf8(r.err) + QStringLiteral("\nmissing: ")
                            + QLatin1String(want)));
}

void TestKubeClient::imagePullFailure()
{
    const QString image = QStringLiteral("registry.example.com/podtap/no-such-tap:1.0");
    const QString pcap = m_dir.filePath(QStringLiteral("pull.pcap"));
    QElapsedTimer t;
    t.start();
    const Run r
            = podtap({QStringLiteral("capture"), QStringLiteral("--direct"),
                      QStringLiteral("shop/web"), QStringLiteral("--port"), QStringLiteral("8080"),
                      QStringLiteral("-w"), pcap, QStringLiteral("--image"), image},
                     QStringLiteral("cert"), 30000);
    QCOMPARE(r.code, 5);
    QVERIFY2(r.err.contains("cannot be pulled") && r.err.contains(image.toLatin1())
                     && (r.err.contains("ErrImagePull") || r.err.contains("ImagePullBackOff")),
             r.err.constData());
    QVERIFY2(t.elapsed() < 15000, "podtap waited for an image that will never come");
    const Run pods
            = podtap({QStringLiteral("pods"), QStringLiteral("--json")}, QStringLiteral("cert"));
    QString failedTap;
    for (const QJsonValue p : jsonOf(pods.out)[QLatin1String("pods")].toArray())
        if (p[QLatin1String("name")].toString() == QLatin1String("web"))
            failedTap = p[QLatin1String("tap")].toString();
    QVERIFY(failedTap.startsWith(QLatin1String("podtap-")));

    // The broken tap stays in the pod forever (ephemeral containers cannot be removed); the
    // next capture with a pullable image must add a new tap instead of waiting on that one.
    const Run pre
            = podtap({QStringLiteral("preflight"), QStringLiteral("shop/web"),
                      QStringLiteral("--port"), QStringLiteral("8080"), QStringLiteral("--json")},
                     QStringLiteral("cert"));
    QCOMPARE(pre.code, 0);
    bool tapItemSeen = false;
    for (const QJsonValue i : jsonOf(pre.out)[QLatin1String("items")].toArray())
        if (i[QLatin1String("id")].toString() == QLatin1String("tap")) {
            tapItemSeen = true;
            QVERIFY2(i[QLatin1String("why")].toString().contains(
                             QLatin1String("a new tap will be added")),
                     qPrintable(i[QLatin1String("why")].toString()));
        }
    QVERIFY(tapItemSeen);
    const Run again = podtap({QStringLiteral("capture"), QStringLiteral("--direct"),
                              QStringLiteral("shop/web"), QStringLiteral("--port"),
                              QStringLiteral("8080"), QStringLiteral("-w"), pcap,
                              QStringLiteral("--duration"), QStringLiteral("1")},
                             QStringLiteral("cert"), 30000);
    QVERIFY2(again.code == 0, again.err.constData());
    QVERIFY2(again.err.contains("started tap podtap-")
                     && !again.err.contains(QByteArray(failedTap.toLatin1() + " in")),
             again.err.constData());
    if (!QStandardPaths::findExecutable(QStringLiteral("kubectl")).isEmpty()) {
        QProcess k;
        k.start(QStringLiteral("kubectl"),
                {QStringLiteral("--kubeconfig"), m_kubeconfig, QStringLiteral("--context"),
                 QStringLiteral("cert"), QStringLiteral("get"), QStringLiteral("pod"),
                 QStringLiteral("web"), QStringLiteral("-n"), QStringLiteral("shop"),
                 QStringLiteral("-o"), QStringLiteral("json")});
        QVERIFY(k.waitForFinished(30000));
        const QJsonObject pod = jsonOf(k.readAllStandardOutput());
        const QJsonArray eph
                = pod[QLatin1String("spec")][QLatin1String("ephemeralContainers")].toArray();
        QCOMPARE(eph.size(), 2);
        QCOMPARE(eph[0][QLatin1String("image")].toString(), image);
        QCOMPARE(eph[1][QLatin1String("image")].toString(),
                 QStringLiteral("docker.io/nicolaka/netshoot:v0.16"));
    }
}

void TestKubeClient::execCutReconnects()
{
    // kubesim aborts every exec stream of pod "cut" (p2) after 100000 bytes, mid-frame,
    // without a close frame. Under steady traffic the capture must report each loss,
    // reconnect, keep one tcpdump in the tap, and write one valid pcap.
    const QString ip = podIp(QStringLiteral("cut"));
    QVERIFY(!ip.isEmpty());
    const QString pcap = m_dir.filePath(QStringLiteral("cut.pcap"));
    QProcess *capture = startCapture(QStringLiteral("cut"), pcap,
                                     {QStringLiteral("--duration"), QStringLiteral("7")});
    QVERIFY(capture->waitForStarted());
    QByteArray err;
    QTRY_VERIFY_WITH_TIMEOUT((err += capture->readAllStandardError()).contains("listening on")
                                     || capture->state() != QProcess::Running,
                             20000);
    QVERIFY2(err.contains("listening on"), err.constData());

    const QString record = m_dir.filePath(QStringLiteral("cut-client.jsonl"));
    QProcess gen;
    gen.start(QStringLiteral("ip"),
              TrafficgenCommand::clientInNetns(m_kubesim.netns(QStringLiteral("c2")),
                                               {QStringLiteral("--connect"),
                                                ip + QStringLiteral(":8080"),
                                                QStringLiteral("--mode"),
                                                QStringLiteral("http"),
                                                QStringLiteral("--connections"),
                                                QStringLiteral("40"),
                                                QStringLiteral("--concurrency"),
                                                QStringLiteral("4"),
                                                QStringLiteral("--requests-per-conn"),
                                                QStringLiteral("2"),
                                                QStringLiteral("--request-size"),
                                                QStringLiteral("700"),
                                                QStringLiteral("--response-size"),
                                                QStringLiteral("3000"),
                                                QStringLiteral("--rate"),
                                                QStringLiteral("20"),
                                                QStringLiteral("--record"),
                                                record,
                                                QStringLiteral("--timeout"),
                                                QStringLiteral("30")}));
    QVERIFY(gen.waitForStarted());
    // While it runs, count the tcpdumps in the pod: a reconnect that left the cut stream's
    // tcpdump running would show two for the rest of the capture.
    int samples = 0, doubled = 0, maxSeen = 0;
    while (capture->state() == QProcess::Running) {
        capture->waitForFinished(100);
        err += capture->readAllStandardError();
        const int n = tcpdumpsInPod(2);
        ++samples;
        maxSeen = std::max(maxSeen, n);
        doubled += n >= 2 ? 1 : 0;
    }
    QVERIFY(gen.waitForFinished(30000));
    QCOMPARE(gen.exitCode(), 0);
    err += capture->readAllStandardError();
    noteLeaks(err);
    {
        QFile log(m_dir.filePath(QStringLiteral("cut.stderr")));
        if (log.open(QIODevice::WriteOnly))
            log.write(err);
    }
    QVERIFY2(capture->exitCode() == 0, err.constData());
    QVERIFY2(err.contains("the capture stream was lost") && err.contains("reconnecting"),
             err.constData());
    QVERIFY2(err.count("listening on") >= 2, err.constData());
    // Each stream that got going resets the back-off: every reconnect waits the first step.
    QCOMPARE(err.count("reconnecting in"), err.count("reconnecting in 500 ms"));
    QVERIFY2(doubled <= 2, qPrintable(QStringLiteral("%1 of %2 samples saw %3 tcpdumps in the tap")
                                              .arg(doubled)
                                              .arg(samples)
                                              .arg(maxSeen)));
    QVERIFY2(maxSeen >= 1, "never saw the tap's tcpdump in the pod's network namespace");
    QTRY_COMPARE_WITH_TIMEOUT(tcpdumpsInPod(2), 0, 5000);

    if (!QStandardPaths::findExecutable(QStringLiteral("capinfos")).isEmpty()) {
        QProcess ci;
        ci.start(QStringLiteral("capinfos"), {pcap});
        QVERIFY(ci.waitForFinished(30000));
        QVERIFY2(ci.exitCode() == 0, ci.readAllStandardError().constData());
    } else {
        qWarning("capinfos not installed: pcap validity only checked by podtap inspect");
    }
    const Run inspect = podtap({QStringLiteral("inspect"), pcap, QStringLiteral("--json"),
                                QStringLiteral("--port"), QStringLiteral("8080")},
                               QString());
    writeFile(QStringLiteral("cut.inspect.json"), inspect.out); // kept when the test fails
    QCOMPARE(inspect.code, 0);
    const QJsonObject result = jsonOf(inspect.out);
    QVERIFY2(result[QLatin1String("errors")].toArray().isEmpty(), inspect.out.constData());
    const QJsonObject stats = result[QLatin1String("stats")].toObject();
    QCOMPARE(stats[QLatin1String("malformed_packets")].toInt(), 0);
    QCOMPARE(stats[QLatin1String("truncated_packets")].toInt(), 0);
    QMap<QString, QJsonObject> byClient;
    for (const QJsonValue c : result[QLatin1String("connections")].toArray())
        byClient.insert(c[QLatin1String("client")].toString(), c.toObject());

    QFile rec(record);
    QVERIFY(rec.open(QIODevice::ReadOnly));
    int total = 0, exact = 0, flagged = 0;
    for (const QByteArray &line : rec.readAll().split('\n')) {
        if (line.trimmed().isEmpty())
            continue;
        ++total;
        const QJsonObject r = QJsonDocument::fromJson(line).object();
        const QString local = r[QLatin1String("local")].toString();
        if (!byClient.contains(local))
            continue; // wholly inside a reconnect gap
        const QJsonObject c = byClient.value(local);
        const QJsonObject c2s = c[QLatin1String("c2s")].toObject(),
                          s2c = c[QLatin1String("s2c")].toObject();
        const qint64 sent = r[QLatin1String("sent")][QLatin1String("bytes")].toInteger();
        const qint64 received = r[QLatin1String("received")][QLatin1String("bytes")].toInteger();
        const QString what = QString::fromUtf8(QJsonDocument(c).toJson());
        // Never more than was sent, whatever was lost: a corrupt record would show here.
        QVERIFY2(c2s[QLatin1String("bytes")].toInteger() <= sent
                         && s2c[QLatin1String("bytes")].toInteger() <= received,
                 qPrintable(what));
        const bool complete = !c[QLatin1String("midstream")].toBool()
                              && c[QLatin1String("close_reason")].toString() == QLatin1String("fin")
                              && c2s[QLatin1String("gap_bytes")].toInteger() == 0
                              && s2c[QLatin1String("gap_bytes")].toInteger() == 0
                              && c2s[QLatin1String("bytes")].toInteger() == sent
                              && s2c[QLatin1String("bytes")].toInteger() == received;
        if (complete) {
            // Complete means byte-exact.
            QCOMPARE(c2s[QLatin1String("sha256")].toString(),
                     r[QLatin1String("sent")][QLatin1String("sha256")].toString());
            QCOMPARE(s2c[QLatin1String("sha256")].toString(),
                     r[QLatin1String("received")][QLatin1String("sha256")].toString());
            ++exact;
            continue;
        }
        // Incomplete must be visible: joined mid-stream, a gap, or no FIN seen.
        ++flagged;
        const bool visible = c[QLatin1String("midstream")].toBool()
                             || c2s[QLatin1String("gap_bytes")].toInteger() > 0
                             || s2c[QLatin1String("gap_bytes")].toInteger() > 0
                             || c[QLatin1String("close_reason")].toString() != QLatin1String("fin");
        QVERIFY2(visible, qPrintable(QStringLiteral("bytes are missing silently:\n") + what));
    }
    QCOMPARE(total, 40);
    QVERIFY2(exact >= 8, qPrintable(QStringLiteral("only %1 of 40 connections were complete "
                                                   "(%2 flagged)")
                                            .arg(exact)
                                            .arg(flagged)));
    qInfo("cut: %d connections complete, %d flagged, %d lost in gaps; %lld streams; "
          "%d of %d samples saw two tcpdumps",
          exact, flagged, total - exact - flagged, qlonglong(err.count("listening on")), doubled,
          samples);
}

void TestKubeClient::execStallDetected()
{
    // Every exec of pod "stall" goes silent after the 101: no output, no pongs. With a 2 s
    // stall timeout podtap must declare the stream dead and say so, and --duration still ends it.
    const QString pcap = m_dir.filePath(QStringLiteral("stall.pcap"));
    QElapsedTimer t;
    t.start();
    QProcess *capture = startCapture(QStringLiteral("stall"), pcap,
                                     {QStringLiteral("--duration"), QStringLiteral("6"),
                                      QStringLiteral("--stall-timeout"), QStringLiteral("2")});
    QVERIFY(capture->waitForStarted());
    QVERIFY2(capture->waitForFinished(25000), "podtap hung on a stalled exec stream");
    const QByteArray err = capture->readAllStandardError();
    noteLeaks(err);
    QVERIFY2(err.contains("the exec stream stalled: no answer to pings for 2 s")
                     && err.contains("reconnecting"),
             err.constData());
    QVERIFY2(t.elapsed() < 15000, qPrintable(QStringLiteral("took %1 ms").arg(t.elapsed())));
    // Nothing arrived, so nothing is damaged: a silent stream is reported as lost, not corrupt.
    QVERIFY2(!err.contains("damaged"), err.constData());
    // ...and the file is still a valid, empty capture rather than zero bytes.
    QCOMPARE(QFileInfo(pcap).size(), 24);
    const Run empty
            = podtap({QStringLiteral("inspect"), pcap, QStringLiteral("--json")}, QString());
    QCOMPARE(empty.code, 0);
    QCOMPARE(QJsonDocument::fromJson(empty.out)[QLatin1String("stats")][QLatin1String("records")]
                     .toInt(),
             0);

    // A stall timeout is validated before anything is touched.
    const Run bad = podtap({QStringLiteral("capture"), QStringLiteral("--direct"),
                            QStringLiteral("shop/stall"), QStringLiteral("--port"),
                            QStringLiteral("8080"), QStringLiteral("-w"), pcap,
                            QStringLiteral("--stall-timeout"), QStringLiteral("0")},
                           QStringLiteral("cert"));
    QCOMPARE(bad.code, 1);
    QVERIFY2(bad.err.contains("--stall-timeout S"), bad.err.constData());
}

void TestKubeClient::lookalikeTapIsNotReused()
{
    // Someone adds an ephemeral container that borrows a tap's name but holds NET_ADMIN
    // (kubectl debug --profile=netadmin): podtap must never run its tcpdump in there.
    if (QStandardPaths::findExecutable(QStringLiteral("kubectl")).isEmpty())
        QSKIP("kubectl is not installed: it adds the look-alike container");
    const QString lookalike = QStringLiteral("podtap-r0gue");
    QProcess k;
    k.start(QStringLiteral("kubectl"),
            {QStringLiteral("--kubeconfig"), m_kubeconfig, QStringLiteral("--context"),
             QStringLiteral("cert"), QStringLiteral("debug"), QStringLiteral("web"),
             QStringLiteral("-n"), QStringLiteral("shop"),
             QStringLiteral("--image=nicolaka/netshoot:v0.16"),
             QStringLiteral("--profile=netadmin"), QStringLiteral("--attach=false"),
             QStringLiteral("-c"), lookalike, QStringLiteral("--"), QStringLiteral("sleep"),
             QStringLiteral("600")});
    QVERIFY(k.waitForFinished(30000));
    QVERIFY2(k.exitCode() == 0, k.readAllStandardError().constData());

    const Run pre
            = podtap({QStringLiteral("preflight"), QStringLiteral("shop/web"),
                      QStringLiteral("--port"), QStringLiteral("8080"), QStringLiteral("--json")},
                     QStringLiteral("cert"));
    QCOMPARE(pre.code, 0);
    QJsonObject tapItem;
    for (const QJsonValue i : jsonOf(pre.out)[QLatin1String("items")].toArray())
        if (i[QLatin1String("id")].toString() == QLatin1String("tap"))
            tapItem = i.toObject();
    QCOMPARE(tapItem.value(QLatin1String("status")).toString(), QStringLiteral("warn"));
    QVERIFY2(tapItem.value(QLatin1String("why"))
                     .toString()
                     .contains(lookalike + QStringLiteral(" (its securityContext is not the tap")),
             qPrintable(tapItem.value(QLatin1String("why")).toString()));

    const QString pcap = m_dir.filePath(QStringLiteral("lookalike.pcap"));
    const Run cap = podtap({QStringLiteral("capture"), QStringLiteral("--direct"),
                            QStringLiteral("shop/web"), QStringLiteral("--port"),
                            QStringLiteral("8080"), QStringLiteral("-w"), pcap,
                            QStringLiteral("--duration"), QStringLiteral("1")},
                           QStringLiteral("cert"), 30000);
    QVERIFY2(cap.code == 0, cap.err.constData());
    const QByteArray skipped = QByteArray("not reusing ") + lookalike.toLatin1();
    const QByteArray used = QByteArray("tap ") + lookalike.toLatin1() + QByteArray(" in");
    QVERIFY2(cap.err.contains(skipped), cap.err.constData());
    QVERIFY2(!cap.err.contains(used), cap.err.constData());
}

QTEST_GUILESS_MAIN(TestKubeClient)
#include "tst_kubeclient.moc"
