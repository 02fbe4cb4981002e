// podtap-extcap through the real tshark (Wireshark 4.0): the interface is listed, its
// configuration parses as extcap sentences with the kubeconfig's contexts and the cluster's
// targets, a 5 s capture of a kubesim pod under real traffic lands in a pcapng that capinfos
// accepts and in which `podtap inspect` finds every connection with the traffic generator's
// hashes, one interface per pod, and the losses as interface statistics; a refused preflight
// reaches tshark as our message.
//
// tshark 4.0 looks for extcaps only in its global folder; the test bind-mounts a folder
// holding podtap-extcap over it in a private mount namespace (unshare), so nothing on the
// machine changes.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "support/clirunner.h"
#include "support/kubesimprocess.h"
#include "support/podtapdprocess.h"
#include "support/trafficgencommand.h"

#include <csignal>
#include <cstring>
#include <unistd.h>

namespace {
const QString Podtap = CliRunner::podtap();
using Run = CliRunner::Result;

QString extcapProgram()
{
    return QFileInfo(Podtap).absolutePath() + QStringLiteral("/podtap-extcap");
}

struct Sentence
{
    QString kind; // arg, value, extcap, interface, dlt
    QMap<QString, QString> fields;
};

// "arg {number=0}{call=--context}…" → kind "arg", fields {number: 0, call: --context, …}.
QList<Sentence> parseSentences(const QByteArray &text, QString *error)
{
    QList<Sentence> out;
    static const QRegularExpression field(QStringLiteral("\\{([a-z]+)=([^{}]*)\\}"));
    for (const QByteArray &raw : text.split('\n')) {
        const QString line = QString::fromUtf8(raw).trimmed();
        if (line.isEmpty())
            continue;
        const qsizetype space = line.indexOf(QLatin1Char(' '));
        Sentence s;
        s.kind = line.left(space);
        QString rest = line.mid(space + 1);
        auto it = field.globalMatch(rest);
        qsizetype consumed = 0;
        while (it.hasNext()) {
            const auto m = it.next();
            if (m.capturedStart() != consumed) {
                *error = QStringLiteral("stray text in: ") + line;
                return {};
            }
            consumed = m.capturedEnd();
            s.fields.insert(m.captured(1), m.captured(2));
        }
        if (space <= 0 || consumed != rest.size()) {
            *error = QStringLiteral("not an extcap sentence: ") + line;
            return {};
        }
        out << s;
    }
    return out;
}
} // namespace

class TestExtcap : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void tsharkListsTheInterface();
    void configParsesWithContextsAndTargets();
    void captureThroughTshark();
    void attachToARunningSession();
    void refusedPreflightReachesTshark();
    void captureFilterIsRefused();

private:
    // tshark ARGS in a mount namespace whose Wireshark extcap folder holds only podtap-extcap.
    Run tshark(const QStringList &args, int timeoutMs = 90000) const;
    Run extcap(const QStringList &args) const;
    QStringList unshareArgs(const QStringList &tsharkArgs) const;
    void startTshark(QProcess *process, const QStringList &args) const;
    // shop/web's pod IP, as `podtap pods` reports it (empty, with a warning, when it does not).
    QString webPodIp() const;

    QTemporaryDir m_dir;
    KubesimProcess m_kubesim;
    PodtapdProcess m_daemon;
    QProcessEnvironment m_env;
    QString m_extcapDir; // tshark's global extcap folder
    QString m_ourDir;    // what the test mounts over it
};

QStringList TestExtcap::unshareArgs(const QStringList &tsharkArgs) const
{
    return QStringList{QStringLiteral("--mount"),
                       QStringLiteral("--propagation"),
                       QStringLiteral("private"),
                       QStringLiteral("sh"),
                       QStringLiteral("-c"),
                       QStringLiteral("mount --bind \"$0\" \"$1\" && shift && exec tshark \"$@\""),
                       m_ourDir,
                       m_extcapDir}
           + tsharkArgs;
}

Run TestExtcap::tshark(const QStringList &args, int timeoutMs) const
{
    return CliRunner::run(QStringLiteral("unshare"), unshareArgs(args), m_env, timeoutMs);
}

void TestExtcap::startTshark(QProcess *process, const QStringList &args) const
{
    process->setProcessEnvironment(m_env);
    process->start(QStringLiteral("unshare"), unshareArgs(args));
}

Run TestExtcap::extcap(const QStringList &args) const
{
    return CliRunner::run(extcapProgram(), args, m_env, 30000);
}

QString TestExtcap::webPodIp() const
{
    const Run pods = CliRunner::run(Podtap,
                                    {QStringLiteral("pods"), QStringLiteral("-n"),
                                     QStringLiteral("shop"), QStringLiteral("--json"),
                                     QStringLiteral("--context"), QStringLiteral("tapper")},
                                    m_env);
    for (const QJsonValue p : QJsonDocument::fromJson(pods.out)[QLatin1String("pods")].toArray())
        if (p[QLatin1String("name")].toString() == QLatin1String("web"))
            return p[QLatin1String("ip")].toString();
    qWarning("no pod shop/web in: %s %s", pods.out.constData(), pods.err.constData());
    return {};
}

void TestExtcap::initTestCase()
{
    if (const QString why
        = KubesimProcess::skipReason({Podtap, PodtapdProcess::program(), extcapProgram()});
        !why.isEmpty())
        QSKIP(qPrintable(why));
    if (QStandardPaths::findExecutable(QStringLiteral("tshark")).isEmpty()
        || QStandardPaths::findExecutable(QStringLiteral("unshare")).isEmpty())
        QSKIP("needs tshark and unshare (scripts/install-deps installs them)");
    QVERIFY(m_dir.isValid());

    // Where this tshark looks for extcaps ("Extcap path: …" of tshark -G folders).
    const Run folders = CliRunner::run(QStringLiteral("tshark"),
                                       {QStringLiteral("-G"), QStringLiteral("folders")});
    const auto m = QRegularExpression(QStringLiteral("Extcap path:\\s+(\\S+)"))
                           .match(QString::fromUtf8(folders.out));
    QVERIFY2(m.hasMatch(), folders.out.constData());
    m_extcapDir = m.captured(1);
    QVERIFY2(QDir(m_extcapDir).exists(), qPrintable(m_extcapDir));
    m_ourDir = m_dir.filePath(QStringLiteral("extcap"));
    QVERIFY(QDir().mkpath(m_ourDir));
    QVERIFY(QFile::link(extcapProgram(), m_ourDir + QStringLiteral("/podtap-extcap")));

    QString error;
    QVERIFY2(m_kubesim.start(QStringLiteral(SRCDIR "/scenarios/capture.yaml"),
                             m_dir.filePath(QStringLiteral("kubesim")), &error),
             qPrintable(error));
    QVERIFY(m_daemon.prepare(m_dir.filePath(QStringLiteral("daemon"))));
    m_env = m_daemon.environment(m_kubesim.kubeconfig());
    // The extcap finds podtapd on PATH, as Wireshark's environment would.
    m_env.insert(QStringLiteral("PATH"), QFileInfo(PodtapdProcess::program()).absolutePath()
                                                 + QLatin1Char(':')
                                                 + m_env.value(QStringLiteral("PATH")));
    QVERIFY2(m_daemon.start(m_env, &error), qPrintable(error));
    QVERIFY2(m_daemon.waitUntilAnswering(m_env, &error), qPrintable(error));
}

void TestExtcap::cleanupTestCase()
{
    m_daemon.terminate();
    m_kubesim.stop();
}

void TestExtcap::tsharkListsTheInterface()
{
    const Run d = tshark({QStringLiteral("-D")});
    QVERIFY2(d.code == 0, d.err.constData());
    QVERIFY2(QRegularExpression(QStringLiteral("\\d+\\. podtap \\(Kubernetes pod"))
                     .match(QString::fromUtf8(d.out))
                     .hasMatch(),
             d.out.constData());

    QString error;
    const auto interfaces = parseSentences(
            extcap({QStringLiteral("--extcap-interfaces"), QStringLiteral("--extcap-version=4.0")})
                    .out,
            &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(interfaces.size(), 2);
    QCOMPARE(interfaces[1].fields.value(QStringLiteral("value")), QStringLiteral("podtap"));
    const auto dlts
            = parseSentences(extcap({QStringLiteral("--extcap-interface"), QStringLiteral("podtap"),
                                     QStringLiteral("--extcap-dlts")})
                                     .out,
                             &error);
    QCOMPARE(dlts.size(), 1);
    QCOMPARE(dlts[0].fields.value(QStringLiteral("number")), QStringLiteral("276"));
}

void TestExtcap::configParsesWithContextsAndTargets()
{
    const Run config = extcap({QStringLiteral("--extcap-interface"), QStringLiteral("podtap"),
                               QStringLiteral("--extcap-config")});
    QCOMPARE(config.code, 0);
    QString error;
    const auto sentences = parseSentences(config.out, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QMap<QString, QString> argNumber; // call → number
    QStringList contexts;
    QString defaultContext;
    for (const Sentence &s : sentences) {
        if (s.kind == QLatin1String("arg")) {
            QVERIFY(s.fields.contains(QStringLiteral("type")));
            argNumber.insert(s.fields.value(QStringLiteral("call")),
                             s.fields.value(QStringLiteral("number")));
        } else if (s.kind == QLatin1String("value")
                   && s.fields.value(QStringLiteral("arg")) == QLatin1String("0")) {
            contexts << s.fields.value(QStringLiteral("value"));
            if (s.fields.value(QStringLiteral("default")) == QLatin1String("true"))
                defaultContext = s.fields.value(QStringLiteral("value"));
        } else {
            QVERIFY2(s.kind == QLatin1String("value"), qPrintable(s.kind));
        }
    }
    for (const char *call : {"--context", "--namespace", "--target", "--port", "--tap-profile",
                             "--duration", "--yes-i-mean-production"})
        QVERIFY2(argNumber.contains(QLatin1String(call)), call);
    // kubesim's kubeconfig: one context per user, the first current.
    contexts.sort();
    QCOMPARE(contexts, (QStringList{QStringLiteral("tapper"), QStringLiteral("viewer")}));
    QCOMPARE(defaultContext, QStringLiteral("tapper"));

    // The reload button: targets from the cluster, for the context and namespace chosen.
    const Run reload = extcap({QStringLiteral("--extcap-interface"), QStringLiteral("podtap"),
                               QStringLiteral("--extcap-config"),
                               QStringLiteral("--extcap-reload-option"), QStringLiteral("target"),
                               QStringLiteral("--context"), QStringLiteral("tapper"),
                               QStringLiteral("--namespace"), QStringLiteral("shop")});
    QCOMPARE(reload.code, 0);
    const auto values = parseSentences(reload.out, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QStringList targets;
    for (const Sentence &s : values) {
        QCOMPARE(s.kind, QStringLiteral("value"));
        QCOMPARE(s.fields.value(QStringLiteral("arg")),
                 argNumber.value(QStringLiteral("--target")));
        targets << s.fields.value(QStringLiteral("value"));
    }
    // tapper may list pods but only get deployments (the tap contract's rights): workloads
    // are listed where RBAC allows, and typed otherwise.
    QVERIFY2(targets.contains(QStringLiteral("pod/web")),
             qPrintable(targets.join(QLatin1Char(','))));
}

void TestExtcap::captureThroughTshark()
{
    const QString pcapng = m_dir.filePath(QStringLiteral("wireshark.pcapng"));
    QProcess shark;
    startTshark(&shark,
                {QStringLiteral("-i"), QStringLiteral("podtap"), QStringLiteral("-o"),
                 QStringLiteral("extcap.podtap.context:tapper"), QStringLiteral("-o"),
                 QStringLiteral("extcap.podtap.namespace:shop"), QStringLiteral("-o"),
                 QStringLiteral("extcap.podtap.target:deployment/web"), QStringLiteral("-o"),
                 QStringLiteral("extcap.podtap.port:8080"), QStringLiteral("-o"),
                 QStringLiteral("extcap.podtap.duration:5"), QStringLiteral("-w"), pcapng});
    QVERIFY(shark.waitForStarted());
    // The extcap says nothing while it works (Wireshark would take it for an error): the
    // session in podtapd tells when tcpdump runs.
    auto capturing = [this] {
        const Run s = CliRunner::run(Podtap,
                                     {QStringLiteral("sessions"), QStringLiteral("--json"),
                                      QStringLiteral("--no-start")},
                                     m_env);
        return s.out.contains("\"state\": \"capturing\"");
    };
    QTRY_VERIFY_WITH_TIMEOUT(capturing() || shark.state() != QProcess::Running, 60000);
    QByteArray err = shark.readAllStandardError();
    QVERIFY2(shark.state() == QProcess::Running, err.constData());

    // Real traffic from kubesim's client namespace for this pod while tshark captures.
    const QString ip = webPodIp();
    QVERIFY(!ip.isEmpty());
    const QString record = m_dir.filePath(QStringLiteral("client.jsonl"));
    const Run gen
            = CliRunner::run(QStringLiteral("ip"),
                             TrafficgenCommand::clientInNetns(
                                     m_kubesim.netns(QStringLiteral("c1")),
                                     {QStringLiteral("--connect"), ip + QStringLiteral(":8080"),
                                      QStringLiteral("--mode"), QStringLiteral("http"),
                                      QStringLiteral("--connections"), QStringLiteral("12"),
                                      QStringLiteral("--concurrency"), QStringLiteral("4"),
                                      QStringLiteral("--requests-per-conn"), QStringLiteral("3"),
                                      QStringLiteral("--request-size"), QStringLiteral("500"),
                                      QStringLiteral("--response-size"), QStringLiteral("2000"),
                                      QStringLiteral("--record"), record,
                                      QStringLiteral("--timeout"), QStringLiteral("30")}));
    QCOMPARE(gen.code, 0);
    // The duration ends the session; tshark ends when the extcap closes the FIFO.
    QVERIFY(shark.state() == QProcess::NotRunning || shark.waitForFinished(60000));
    err += shark.readAllStandardError();
    QVERIFY2(shark.exitCode() == 0, err.constData());

    const Run info = CliRunner::run(QStringLiteral("capinfos"), {pcapng});
    QVERIFY2(info.code == 0, info.err.constData());
    QVERIFY2(info.out.contains("Capture comment:     podtap session"), info.out.constData());

    // One interface, named for the pod, and the capture's loss statistics on it.
    const Run ifaces = CliRunner::run(QStringLiteral("tshark"),
                                      {QStringLiteral("-r"), pcapng, QStringLiteral("-T"),
                                       QStringLiteral("fields"), QStringLiteral("-e"),
                                       QStringLiteral("frame.interface_name")});
    QVERIFY2(ifaces.code == 0, ifaces.err.constData());
    QStringList names = QString::fromUtf8(ifaces.out).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    names.removeDuplicates();
    QVERIFY2(names == QStringList{QStringLiteral("shop/web")},
             qPrintable(names.join(QLatin1Char('|')) + QLatin1Char('\n') + QString::fromUtf8(err)));

    // The pod's losses travel as an interface statistics block with a comment in words
    // (Capture File Properties in Wireshark); dumpcap keeps it in what tshark writes.
    QFile file(pcapng);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray blocks = file.readAll();
    QByteArray statistics;
    for (qsizetype at = 0; at + 12 <= blocks.size();) {
        quint32 type = 0, length = 0;
        std::memcpy(&type, blocks.constData() + at, 4);
        std::memcpy(&length, blocks.constData() + at + 4, 4);
        QVERIFY(length >= 12 && at + length <= blocks.size());
        if (type == 5)
            statistics += blocks.mid(at, length);
        at += length;
    }
    QVERIFY2(QRegularExpression(QStringLiteral("podtap: pod shop/web: \\d+ packets dropped by "
                                               "the kernel, \\d+ lost on the way, \\d+ unread "
                                               "when tcpdump stopped"))
                     .match(QString::fromLatin1(statistics))
                     .hasMatch(),
             statistics.toHex().constData());

    const Run inspect = CliRunner::run(Podtap,
                                       {QStringLiteral("inspect"), pcapng, QStringLiteral("--json"),
                                        QStringLiteral("--port"), QStringLiteral("8080")},
                                       m_env);
    QVERIFY2(inspect.code == 0, inspect.err.constData());
    QMap<QString, QJsonObject> byClient;
    for (const QJsonValue c :
         QJsonDocument::fromJson(inspect.out).object()[QLatin1String("connections")].toArray())
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
    QCOMPARE(total, 12);
}

void TestExtcap::attachToARunningSession()
{
    // The GUI's "Open live in Wireshark": a session podtapd already runs, joined by tshark,
    // goes on after tshark stops.
    const Run started = CliRunner::run(
            Podtap,
            {QStringLiteral("capture"), QStringLiteral("pod/web"), QStringLiteral("-n"),
             QStringLiteral("shop"), QStringLiteral("--port"), QStringLiteral("8080"),
             QStringLiteral("--context"), QStringLiteral("tapper"), QStringLiteral("--detach")},
            m_env);
    QVERIFY2(started.code == 0, started.err.constData());
    const QString id = QString::fromUtf8(started.out).trimmed();
    QVERIFY(!id.isEmpty());
    const QString pcapng = m_dir.filePath(QStringLiteral("attached.pcapng"));
    QProcess shark;
    startTshark(&shark, {QStringLiteral("-i"), QStringLiteral("podtap"), QStringLiteral("-o"),
                         QStringLiteral("extcap.podtap.session:") + id, QStringLiteral("-a"),
                         QStringLiteral("duration:4"), QStringLiteral("-w"), pcapng});
    QVERIFY(shark.waitForStarted());
    QTest::qWait(1500);
    const QString ip = webPodIp();
    QVERIFY(!ip.isEmpty());
    const Run gen
            = CliRunner::run(QStringLiteral("ip"),
                             TrafficgenCommand::clientInNetns(
                                     m_kubesim.netns(QStringLiteral("c1")),
                                     {QStringLiteral("--connect"), ip + QStringLiteral(":8080"),
                                      QStringLiteral("--mode"), QStringLiteral("http"),
                                      QStringLiteral("--connections"), QStringLiteral("3"),
                                      QStringLiteral("--requests-per-conn"), QStringLiteral("2"),
                                      QStringLiteral("--timeout"), QStringLiteral("20")}));
    QCOMPARE(gen.code, 0);
    QVERIFY(shark.state() == QProcess::NotRunning || shark.waitForFinished(30000));
    const QByteArray err = shark.readAllStandardError();
    QVERIFY2(shark.exitCode() == 0 && !err.contains("Error by extcap pipe"), err.constData());

    const Run count = CliRunner::run(QStringLiteral("tshark"),
                                     {QStringLiteral("-r"), pcapng, QStringLiteral("-T"),
                                      QStringLiteral("fields"), QStringLiteral("-e"),
                                      QStringLiteral("frame.interface_name")});
    QVERIFY2(count.code == 0, count.err.constData());
    QVERIFY2(count.out.count("shop/web\n") >= 3 * 2 * 4, count.out.constData()); // ≥ 4 per exchange
    // tshark is gone, the session is not.
    const Run sessions = CliRunner::run(
            Podtap,
            {QStringLiteral("sessions"), QStringLiteral("--json"), QStringLiteral("--no-start")},
            m_env);
    QVERIFY2(sessions.out.contains("\"state\": \"capturing\""), sessions.out.constData());
    const Run stop = CliRunner::run(Podtap, {QStringLiteral("stop"), id}, m_env);
    QVERIFY2(stop.code == 0, stop.err.constData());
}

void TestExtcap::refusedPreflightReachesTshark()
{
    // vault lives in a namespace enforcing Pod Security "baseline": the default tap's
    // NET_RAW is refused before anything is changed, and tshark shows our reason.
    const Run r = tshark({QStringLiteral("-i"), QStringLiteral("podtap"), QStringLiteral("-o"),
                          QStringLiteral("extcap.podtap.context:tapper"), QStringLiteral("-o"),
                          QStringLiteral("extcap.podtap.namespace:locked"), QStringLiteral("-o"),
                          QStringLiteral("extcap.podtap.target:pod/vault"), QStringLiteral("-o"),
                          QStringLiteral("extcap.podtap.port:8080"), QStringLiteral("-a"),
                          QStringLiteral("duration:20"), QStringLiteral("-w"),
                          m_dir.filePath(QStringLiteral("refused.pcapng"))});
    // tshark 4.0 exits 0 here; what it says is what the user sees.
    QVERIFY2(r.err.contains("Error by extcap pipe"), r.err.constData());
    QVERIFY2(r.err.contains("PodSecurity") || r.err.contains("baseline"), r.err.constData());
    QVERIFY2(r.err.contains("nothing was changed") || r.err.contains("preflight"),
             r.err.constData());
    const auto pod = m_kubesim.kubectlJson({QStringLiteral("get"), QStringLiteral("pod"),
                                            QStringLiteral("vault"), QStringLiteral("-n"),
                                            QStringLiteral("locked")});
    QVERIFY2(pod.ok(), pod.failure().constData());
    QVERIFY(pod.json[QLatin1String("spec")][QLatin1String("ephemeralContainers")]
                    .toArray()
                    .isEmpty());
    // … and names the profile that Pod Security baseline admits, which Wireshark offers.
    QVERIFY2(r.err.contains("--tap-profile baseline"), r.err.constData());
    const QString pcapng = m_dir.filePath(QStringLiteral("baseline.pcapng"));
    const Run b
            = tshark({QStringLiteral("-i"), QStringLiteral("podtap"), QStringLiteral("-o"),
                      QStringLiteral("extcap.podtap.context:tapper"), QStringLiteral("-o"),
                      QStringLiteral("extcap.podtap.namespace:locked"), QStringLiteral("-o"),
                      QStringLiteral("extcap.podtap.target:pod/vault"), QStringLiteral("-o"),
                      QStringLiteral("extcap.podtap.port:8080"), QStringLiteral("-o"),
                      QStringLiteral("extcap.podtap.tapprofile:baseline"), QStringLiteral("-o"),
                      QStringLiteral("extcap.podtap.duration:3"), QStringLiteral("-w"), pcapng});
    QVERIFY2(b.code == 0 && !b.err.contains("Error by extcap pipe"), b.err.constData());
    const Run info = CliRunner::run(QStringLiteral("capinfos"), {pcapng});
    QVERIFY2(info.code == 0 && info.out.contains("Capture comment:     podtap session"),
             QByteArray(info.out + info.err).constData());
    // The tap it added adds no capability: what Pod Security baseline admitted.
    const auto tapped = m_kubesim.kubectlJson({QStringLiteral("get"), QStringLiteral("pod"),
                                               QStringLiteral("vault"), QStringLiteral("-n"),
                                               QStringLiteral("locked")});
    QVERIFY2(tapped.ok(), tapped.failure().constData());
    const QJsonArray taps
            = tapped.json[QLatin1String("spec")][QLatin1String("ephemeralContainers")].toArray();
    QCOMPARE(taps.size(), 1);
    const QJsonObject caps
            = taps[0][QLatin1String("securityContext")][QLatin1String("capabilities")].toObject();
    QVERIFY(!caps.contains(QLatin1String("add")));
    QVERIFY(!caps[QLatin1String("drop")].toArray().contains(QStringLiteral("NET_RAW")));
}

void TestExtcap::captureFilterIsRefused()
{
    const Run r = tshark({QStringLiteral("-i"), QStringLiteral("podtap"), QStringLiteral("-o"),
                          QStringLiteral("extcap.podtap.target:pod/web"), QStringLiteral("-o"),
                          QStringLiteral("extcap.podtap.port:8080"), QStringLiteral("-f"),
                          QStringLiteral("tcp port 22"), QStringLiteral("-a"),
                          QStringLiteral("duration:10")});
    QVERIFY2(r.err.contains("Error by extcap pipe"), r.err.constData());
    QVERIFY2(r.err.contains("capture filters are not supported"), r.err.constData());
}

QTEST_GUILESS_MAIN(TestExtcap)
#include "tst_extcap.moc"
