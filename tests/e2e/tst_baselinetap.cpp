// The baseline tap profile end to end against kubesim (docs/tap-contract.md, "Profiles"):
// a namespace enforcing Pod Security "baseline" refuses the default tap (add: [NET_RAW]) and
// admits the baseline one (no add, every capability but NET_RAW dropped); on a containerd
// node tcpdump then holds exactly NET_RAW from the runtime's default set and captures real
// traffic; on a CRI-O node (no NET_RAW by default) tcpdump is refused and podtap says why;
// "restricted" admits no tap at all and preflight says so.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include "support/clirunner.h"
#include "support/kubesimprocess.h"
#include "support/trafficgencommand.h"

#include <csignal>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace {
const QString Podtap = CliRunner::podtap();

using Run = CliRunner::Result;

QJsonObject item(const QJsonObject &report, const QString &id)
{
    for (const QJsonValue i : report[QLatin1String("items")].toArray())
        if (i[QLatin1String("id")].toString() == id)
            return i.toObject();
    return {};
}

QString text(const QJsonObject &o, const char *key)
{
    return o[QLatin1String(key)].toString();
}

// The pids of the processes named `comm` inside network namespace `netns`.
QList<qint64> pidsIn(const QString &netns, const QString &comm)
{
    QProcess ip;
    ip.start(u"ip"_s, {u"netns"_s, u"pids"_s, netns});
    ip.waitForFinished(10000);
    QList<qint64> out;
    for (const QByteArray &line : ip.readAllStandardOutput().split('\n')) {
        const qint64 pid = line.trimmed().toLongLong();
        if (pid <= 0)
            continue;
        QFile f(u"/proc/%1/comm"_s.arg(pid));
        if (f.open(QIODevice::ReadOnly) && f.readAll().trimmed() == comm.toLatin1())
            out << pid;
    }
    return out;
}

// A capability mask of /proc/PID/status (CapEff, CapBnd, …); ~0 when unreadable.
quint64 capMask(qint64 pid, const char *field)
{
    QFile f(u"/proc/%1/status"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return ~0ULL;
    const auto m = QRegularExpression(QLatin1String(field) + u":\\s+([0-9a-f]+)"_s)
                           .match(QString::fromLatin1(f.readAll()));
    return m.hasMatch() ? m.captured(1).toULongLong(nullptr, 16) : ~0ULL;
}
} // namespace

class TestBaselineTap : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void defaultRefusedBaselineSuggested();
    void baselinePreflightPasses();
    void captureHoldsExactlyNetRaw();
    void daemonSessionUsesProfile();
    void crioRefusesWithReason();
    void nodeUnreadableIsSaid();
    void restrictedExplains_data();
    void restrictedExplains();
    void unknownProfileRefused();

private:
    Run podtap(const QStringList &args, const QString &context = u"tapper"_s,
               int timeoutMs = 60000);
    QJsonObject pod(const QString &ns, const QString &name);
    QJsonArray ephemeral(const QString &ns, const QString &name);

    QTemporaryDir m_dir;
    KubesimProcess m_kubesim;
    QString m_kubeconfig;
};

Run TestBaselineTap::podtap(const QStringList &args, const QString &context, int timeoutMs)
{
    return CliRunner::run(Podtap, args + QStringList{u"--context"_s, context},
                          CliRunner::environment(m_kubeconfig), timeoutMs);
}

QJsonObject TestBaselineTap::pod(const QString &ns, const QString &name)
{
    const auto r = m_kubesim.kubectlJson({u"get"_s, u"pod"_s, name, u"-n"_s, ns});
    // A failed get fails the test (kubectl's stderr): it must not read as a pod with no taps.
    if (!r.ok())
        QTest::qFail(r.failure().constData(), __FILE__, __LINE__);
    return r.json;
}

QJsonArray TestBaselineTap::ephemeral(const QString &ns, const QString &name)
{
    return pod(ns, name)[QLatin1String("spec")][QLatin1String("ephemeralContainers")].toArray();
}

void TestBaselineTap::initTestCase()
{
    if (const QString why = KubesimProcess::skipReason(); !why.isEmpty())
        QSKIP(qPrintable(why));
    QString error;
    QVERIFY2(m_kubesim.start(QStringLiteral(SRCDIR "/scenarios/baseline.yaml"), m_dir.path(),
                             &error),
             qPrintable(error));
    m_kubeconfig = m_kubesim.kubeconfig();
}

void TestBaselineTap::cleanupTestCase()
{
    m_kubesim.stop();
}

void TestBaselineTap::defaultRefusedBaselineSuggested()
{
    const QString rvBefore
            = pod(u"locked"_s,
                  u"api"_s)[QLatin1String("metadata")][QLatin1String("resourceVersion")]
                      .toString();
    QVERIFY(!rvBefore.isEmpty());
    const Run r = podtap({u"preflight"_s, u"locked/api"_s, u"--port"_s, u"8080"_s, u"--json"_s});
    QVERIFY2(r.code == 4, QByteArray(r.out + r.err).constData());
    const QJsonObject report = QJsonDocument::fromJson(r.out).object();

    // From the namespace label alone…
    const QJsonObject ps = item(report, u"podsecurity"_s);
    QCOMPARE(text(ps, "status"), u"fail"_s);
    QVERIFY2(text(ps, "why").contains(u"--tap-profile baseline adds nothing and would be admitted"),
             qPrintable(text(ps, "why")));
    // …and from the cluster itself: two server-side dry runs.
    const QJsonObject a = item(report, u"admission"_s);
    QCOMPARE(text(a, "status"), u"fail"_s);
    const QString why = text(a, "why");
    QVERIFY2(why.contains(u"the default-profile tap would be refused by PodSecurity \"baseline\""),
             qPrintable(why));
    QVERIFY2(why.contains(u"must not include \"NET_RAW\" in securityContext.capabilities.add"),
             qPrintable(why));
    QVERIFY2(why.contains(u"the baseline profile would be admitted (dry run): --tap-profile "
                          "baseline"),
             qPrintable(why));
    QVERIFY2(text(a, "ask").contains(u"use --tap-profile baseline"), qPrintable(text(a, "ask")));
    // Never chosen silently: the default profile's preflight fails, the dry runs stored nothing.
    QVERIFY(!r.out.contains("\"runtime\""));
    QVERIFY(ephemeral(u"locked"_s, u"api"_s).isEmpty());
    QCOMPARE(pod(u"locked"_s, u"api"_s)[QLatin1String("metadata")][QLatin1String("resourceVersion")]
                     .toString(),
             rvBefore);

    // A capture with the default profile changes nothing and names the flag.
    const Run c = podtap({u"capture"_s, u"--direct"_s, u"locked/api"_s, u"--port"_s, u"8080"_s,
                          u"-w"_s, m_dir.filePath(u"no.pcap"_s)});
    QCOMPARE(c.code, 4);
    QVERIFY2(c.err.contains("nothing was changed"), c.err.constData());
    QVERIFY2(c.err.contains("--tap-profile baseline"), c.err.constData());
    QVERIFY(ephemeral(u"locked"_s, u"api"_s).isEmpty());
}

void TestBaselineTap::baselinePreflightPasses()
{
    const Run r = podtap({u"preflight"_s, u"locked/api"_s, u"--port"_s, u"8080"_s,
                          u"--tap-profile"_s, u"baseline"_s, u"--json"_s});
    QVERIFY2(r.code == 0, QByteArray(r.out + r.err).constData());
    const QJsonObject report = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(text(item(report, u"podsecurity"_s), "status"), u"ok"_s);
    const QJsonObject a = item(report, u"admission"_s);
    QCOMPARE(text(a, "status"), u"ok"_s);
    QVERIFY2(text(a, "why").contains(u"admitted the baseline-profile tap"),
             qPrintable(text(a, "why")));
    const QJsonObject rt = item(report, u"runtime"_s);
    QCOMPARE(text(rt, "status"), u"ok"_s);
    QVERIFY2(text(rt, "why").contains(u"node node-containerd runs containerd://1.7.13"),
             qPrintable(text(rt, "why")));
    QVERIFY(ephemeral(u"locked"_s, u"api"_s).isEmpty());
}

void TestBaselineTap::captureHoldsExactlyNetRaw()
{
    const QString pcap = m_dir.filePath(u"api.pcap"_s);
    QProcess capture;
    capture.setProcessEnvironment(CliRunner::environment(m_kubeconfig));
    capture.start(Podtap,
                  {u"capture"_s, u"--direct"_s, u"locked/api"_s, u"--port"_s, u"8080"_s,
                   u"--tap-profile"_s, u"baseline"_s, u"-w"_s, pcap, u"--context"_s, u"tapper"_s});
    QVERIFY(capture.waitForStarted());
    QByteArray err;
    QTRY_VERIFY_WITH_TIMEOUT((err += capture.readAllStandardError()).contains("listening on")
                                     || capture.state() != QProcess::Running,
                             60000);
    QVERIFY2(err.contains("listening on"), err.constData());
    QVERIFY2(err.contains("kept from the runtime's defaults, nothing added"), err.constData());

    // The tcpdump the exec started, as the kernel sees it: NET_RAW (bit 13) and nothing else,
    // in both its effective and its bounding set.
    const QString podNetns = m_kubesim.netns(u"p1"_s);
    QList<qint64> tcpdumps;
    QTRY_VERIFY_WITH_TIMEOUT(!(tcpdumps = pidsIn(podNetns, u"tcpdump"_s)).isEmpty(), 10000);
    QCOMPARE(tcpdumps.size(), 1);
    QCOMPARE(capMask(tcpdumps.first(), "CapEff"), 1ULL << 13);
    QCOMPARE(capMask(tcpdumps.first(), "CapBnd"), 1ULL << 13);
    QCOMPARE(capMask(tcpdumps.first(), "CapPrm"), 1ULL << 13);

    // Real traffic from the pod's client namespace.
    const QString ip = pod(u"locked"_s, u"api"_s)[QLatin1String("status")][QLatin1String("podIP")]
                               .toString();
    QVERIFY(!ip.isEmpty());
    const QString record = m_dir.filePath(u"client.jsonl"_s);
    QProcess gen;
    gen.start(u"ip"_s,
              TrafficgenCommand::clientInNetns(
                      m_kubesim.netns(u"c1"_s),
                      {u"--connect"_s, ip + u":8080"_s, u"--mode"_s, u"http"_s, u"--connections"_s,
                       u"8"_s, u"--concurrency"_s, u"2"_s, u"--requests-per-conn"_s, u"2"_s,
                       u"--request-size"_s, u"300"_s, u"--response-size"_s, u"2000"_s,
                       u"--record"_s, record, u"--timeout"_s, u"60"_s}));
    QVERIFY(gen.waitForFinished(90000));
    QCOMPARE(gen.exitCode(), 0);
    QTest::qWait(500);
    ::kill(pid_t(capture.processId()), SIGINT);
    QVERIFY(capture.waitForFinished(30000));
    err += capture.readAllStandardError();
    QVERIFY2(capture.exitCode() == 0, err.constData());

    // Every client connection is in the capture, byte for byte.
    QProcess inspect;
    inspect.start(Podtap, {u"inspect"_s, pcap, u"--json"_s, u"--port"_s, u"8080"_s});
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
        QVERIFY2(byClient.contains(local), qPrintable(local + u" not captured"_s));
        const QJsonObject c = byClient.value(local);
        QCOMPARE(c[QLatin1String("c2s")][QLatin1String("sha256")].toString(),
                 r[QLatin1String("sent")][QLatin1String("sha256")].toString());
        QCOMPARE(c[QLatin1String("s2c")][QLatin1String("sha256")].toString(),
                 r[QLatin1String("received")][QLatin1String("sha256")].toString());
    }
    QCOMPARE(total, 8);

    // What reached the cluster is the baseline contract: no add, 40 capabilities dropped.
    const QJsonArray eph = ephemeral(u"locked"_s, u"api"_s);
    QCOMPARE(eph.size(), 1);
    const QJsonObject sc = eph[0][QLatin1String("securityContext")].toObject();
    const QJsonObject caps = sc[QLatin1String("capabilities")].toObject();
    QCOMPARE(caps.keys(), QStringList{u"drop"_s});
    QCOMPARE(caps[QLatin1String("drop")].toArray().size(), 40);
    QVERIFY(!caps[QLatin1String("drop")].toArray().contains(u"NET_RAW"_s));
    QCOMPARE(sc[QLatin1String("allowPrivilegeEscalation")].toBool(true), false);

    // The next baseline capture reuses it.
    const Run again = podtap({u"capture"_s, u"--direct"_s, u"locked/api"_s, u"--port"_s, u"8080"_s,
                              u"--tap-profile"_s, u"baseline"_s, u"-w"_s,
                              m_dir.filePath(u"again.pcap"_s), u"--duration"_s, u"2"_s});
    QVERIFY2(again.code == 0, again.err.constData());
    QVERIFY2(again.err.contains("reusing tap podtap-"), again.err.constData());
    QCOMPARE(ephemeral(u"locked"_s, u"api"_s).size(), 1);
}

void TestBaselineTap::daemonSessionUsesProfile()
{
    // Through podtapd (session.start's tapProfile): had the profile not reached the session,
    // Pod Security would refuse the default tap and the session would fail.
    const QString socket = m_dir.filePath(u"podtapd.sock"_s);
    QProcess daemon;
    daemon.setStandardOutputFile(m_dir.filePath(u"podtapd.log"_s));
    daemon.setStandardErrorFile(m_dir.filePath(u"podtapd.log"_s));
    daemon.start(QStringLiteral(BINDIR "/daemon/podtapd"),
                 {u"--socket"_s, socket, u"--store"_s, m_dir.filePath(u"store"_s)});
    QVERIFY(daemon.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(socket), 10000);
    const Run r = podtap({u"capture"_s, u"locked/api"_s, u"--port"_s, u"8080"_s, u"--tap-profile"_s,
                          u"baseline"_s, u"--socket"_s, socket, u"--no-start"_s, u"--duration"_s,
                          u"3"_s, u"--json"_s},
                         u"tapper"_s, 90000);
    // On the CRI-O node the session fails with the same explanation as the direct capture.
    const Run crio = podtap({u"capture"_s, u"locked/api-crio"_s, u"--port"_s, u"8080"_s,
                             u"--tap-profile"_s, u"baseline"_s, u"--socket"_s, socket,
                             u"--no-start"_s, u"--duration"_s, u"10"_s},
                            u"tapper"_s, 90000);
    daemon.terminate();
    daemon.waitForFinished(10000);
    QVERIFY2(r.code == 0, QByteArray(r.out + r.err).constData());
    QVERIFY2(!QJsonDocument::fromJson(r.out).object().isEmpty(), r.out.constData());
    const QByteArray crioText = crio.out + crio.err;
    QVERIFY2(crio.code != 0, crioText.constData());
    QVERIFY2(crioText.contains("node node-crio runs cri-o://1.29.1, and CRI-O has not granted "
                               "NET_RAW by default since 1.18"),
             crioText.constData());
    // The tap of the previous test was reused: still one ephemeral container.
    QCOMPARE(ephemeral(u"locked"_s, u"api"_s).size(), 1);
}

void TestBaselineTap::crioRefusesWithReason()
{
    // Preflight warns first (the node is readable for "tapper")…
    const Run pre = podtap({u"preflight"_s, u"locked/api-crio"_s, u"--port"_s, u"8080"_s,
                            u"--tap-profile"_s, u"baseline"_s, u"--json"_s});
    QVERIFY2(pre.code == 0, QByteArray(pre.out + pre.err).constData());
    const QJsonObject rt = item(QJsonDocument::fromJson(pre.out).object(), u"runtime"_s);
    QCOMPARE(text(rt, "status"), u"warn"_s);
    QVERIFY2(text(rt, "why").contains(u"node node-crio runs cri-o://1.29.1"),
             qPrintable(text(rt, "why")));

    // …and the capture fails with tcpdump's own words, why, and what to do.
    const Run c
            = podtap({u"capture"_s, u"--direct"_s, u"locked/api-crio"_s, u"--port"_s, u"8080"_s,
                      u"--tap-profile"_s, u"baseline"_s, u"-w"_s, m_dir.filePath(u"crio.pcap"_s)},
                     u"tapper"_s, 90000);
    QVERIFY2(c.code != 0, c.err.constData());
    QVERIFY2(c.err.contains("You don't have permission to perform this capture")
                     || c.err.contains("Operation not permitted"),
             c.err.constData());
    QVERIFY2(c.err.contains("a baseline-profile tap adds no capability and holds NET_RAW only "
                            "when the node's runtime grants it by default"),
             c.err.constData());
    QVERIFY2(c.err.contains("node node-crio runs cri-o://1.29.1, and CRI-O has not granted "
                            "NET_RAW by default since 1.18"),
             c.err.constData());
    QVERIFY2(c.err.contains("allows adding NET_RAW"), c.err.constData());
    // The tap was added (admitted) but holds nothing: no tcpdump keeps running.
    QCOMPARE(ephemeral(u"locked"_s, u"api-crio"_s).size(), 1);
    QVERIFY(pidsIn(m_kubesim.netns(u"p2"_s), u"tcpdump"_s).isEmpty());
}

void TestBaselineTap::nodeUnreadableIsSaid()
{
    // Nodes are cluster-scoped: a namespace-scoped user gets 403 and podtap says the runtime
    // is unknown instead of guessing.
    const Run r = podtap({u"preflight"_s, u"locked/api"_s, u"--port"_s, u"8080"_s,
                          u"--tap-profile"_s, u"baseline"_s, u"--json"_s},
                         u"scoped"_s);
    QVERIFY2(r.code == 0, QByteArray(r.out + r.err).constData());
    const QJsonObject rt = item(QJsonDocument::fromJson(r.out).object(), u"runtime"_s);
    QCOMPARE(text(rt, "status"), u"warn"_s);
    QVERIFY2(text(rt, "why").contains(u"could not read node node-containerd")
                     && text(rt, "why").contains(u"container runtime is unknown"),
             qPrintable(text(rt, "why")));
    QVERIFY2(text(rt, "why").contains(u"nodes"), qPrintable(text(rt, "why")));
}

void TestBaselineTap::restrictedExplains_data()
{
    QTest::addColumn<QString>("profile");
    QTest::addRow("default") << u"default"_s;
    QTest::addRow("baseline") << u"baseline"_s;
}

void TestBaselineTap::restrictedExplains()
{
    QFETCH(QString, profile);
    const Run r = podtap({u"preflight"_s, u"strict/svc"_s, u"--port"_s, u"8080"_s,
                          u"--tap-profile"_s, profile, u"--json"_s});
    QVERIFY2(r.code == 4, QByteArray(r.out + r.err).constData());
    const QJsonObject report = QJsonDocument::fromJson(r.out).object();
    const QJsonObject ps = item(report, u"podsecurity"_s);
    QCOMPARE(text(ps, "status"), u"fail"_s);
    QVERIFY2(text(ps, "why").contains(u"requires every container to drop ALL capabilities and "
                                      "allows adding back only NET_BIND_SERVICE: no container "
                                      "there can hold NET_RAW, so no tap can capture"),
             qPrintable(text(ps, "why")));
    QVERIFY2(text(ps, "ask").contains(u"enforce=baseline --overwrite (then --tap-profile "
                                      "baseline)"),
             qPrintable(text(ps, "ask")));
    // The cluster agrees: the dry run of the asked profile (and, for default, of baseline)
    // is refused by Pod Security "restricted".
    const QJsonObject a = item(report, u"admission"_s);
    QCOMPARE(text(a, "status"), u"fail"_s);
    QVERIFY2(text(a, "why").contains(u"refused by PodSecurity \"restricted\""),
             qPrintable(text(a, "why")));
    if (profile == u"default"_s)
        QVERIFY2(text(a, "why").contains(u"the baseline profile would not be admitted either"),
                 qPrintable(text(a, "why")));
    QVERIFY2(text(a, "ask").contains(u"enforce=baseline"), qPrintable(text(a, "ask")));
    QVERIFY(ephemeral(u"strict"_s, u"svc"_s).isEmpty());
}

void TestBaselineTap::unknownProfileRefused()
{
    const Run r = podtap({u"preflight"_s, u"locked/api"_s, u"--tap-profile"_s, u"root"_s});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("unknown tap profile 'root' (default, nonroot or baseline)"),
             r.err.constData());
}

QTEST_GUILESS_MAIN(TestBaselineTap)
#include "tst_baselinetap.moc"
