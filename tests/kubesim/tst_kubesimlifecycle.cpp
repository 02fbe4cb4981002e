// podtap-kubesim as a whole process with the shipped demo scenario: it comes up quickly
// with traffic flowing, SIGTERM leaves nothing behind, and a kill -9 does not break the
// next run. Needs root (pods are network namespaces).
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <csignal>
#include <unistd.h>

namespace {

const QString Kubesim = QStringLiteral(KUBESIM_BIN);
const QString Demo = QStringLiteral(KUBESIM_SCENARIOS "/demo.yaml");

QString run(const QString &program, const QStringList &args, int *exitCode = nullptr)
{
    QProcess p;
    p.start(program, args);
    p.waitForFinished(30000);
    if (exitCode)
        *exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return QString::fromLocal8Bit(p.readAllStandardOutput());
}

// Network namespaces of one kubesim run (named ksim<pid>-…).
QStringList namespacesOf(qint64 pid)
{
    QStringList found;
    const QString prefix = QStringLiteral("ksim%1-").arg(pid);
    for (const QString &line :
         run(QStringLiteral("ip"), {QStringLiteral("netns"), QStringLiteral("list")})
                 .split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const QString name = line.section(QLatin1Char(' '), 0, 0);
        if (name.startsWith(prefix))
            found << name;
    }
    return found;
}

QList<qint64> processesIn(const QStringList &namespaces)
{
    QList<qint64> pids;
    for (const QString &ns : namespaces)
        for (const QString &p :
             run(QStringLiteral("ip"), {QStringLiteral("netns"), QStringLiteral("pids"), ns})
                     .split(QLatin1Char('\n'), Qt::SkipEmptyParts))
            pids << p.trimmed().toLongLong();
    return pids;
}

bool alive(qint64 pid)
{
    return ::kill(pid_t(pid), 0) == 0 || errno != ESRCH;
}

qint64 tcpInSegments(const QString &ns)
{
    const QStringList lines
            = run(QStringLiteral("ip"), {QStringLiteral("netns"), QStringLiteral("exec"), ns,
                                         QStringLiteral("cat"), QStringLiteral("/proc/net/snmp")})
                      .split(QLatin1Char('\n'));
    // Two "Tcp:" lines: the field names, then the values.
    QStringList names, values;
    for (const QString &l : lines) {
        if (!l.startsWith(QLatin1String("Tcp:")))
            continue;
        (names.isEmpty() ? names : values) = l.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    }
    const qsizetype i = names.indexOf(QStringLiteral("InSegs"));
    return i > 0 && i < values.size() ? values.at(i).toLongLong() : -1;
}

} // namespace

class TstKubesimLifecycle : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void demoComesUpWithTraffic();
    void sigtermLeavesNothing();
    void killNineDoesNotBreakTheNextRun();
    void cleanupTestCase();

private:
    // Starts kubesim on `scenario`; returns the ms until its ready line (-1 on failure).
    qint64 start(QProcess &p, const QString &kubeconfig);
    void stop(QProcess &p);

    QTemporaryDir m_dir;
    QProcess m_demo;
    QStringList m_demoNamespaces;
    QList<qint64> m_demoProcesses;
};

qint64 TstKubesimLifecycle::start(QProcess &p, const QString &kubeconfig)
{
    QElapsedTimer t;
    t.start();
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start(Kubesim,
            {QStringLiteral("--scenario"), Demo, QStringLiteral("--kubeconfig-out"), kubeconfig,
             QStringLiteral("--state-dir"), m_dir.filePath(QStringLiteral("state"))});
    if (!p.waitForStarted())
        return -1;
    while (!p.canReadLine() && p.state() == QProcess::Running && t.elapsed() < 60000)
        p.waitForReadyRead(100);
    const QByteArray line = p.readLine();
    if (!line.startsWith("kubesim ready https://127.0.0.1:"))
        return -1;
    return t.elapsed();
}

void TstKubesimLifecycle::stop(QProcess &p)
{
    if (p.state() == QProcess::Running) {
        p.terminate();
        if (!p.waitForFinished(15000)) {
            p.kill();
            p.waitForFinished();
        }
    }
}

void TstKubesimLifecycle::initTestCase()
{
    if (geteuid() != 0)
        QSKIP("kubesim's pods are network namespaces: this test needs root");
    QVERIFY(m_dir.isValid());
}

void TstKubesimLifecycle::demoComesUpWithTraffic()
{
    const QString kubeconfig = m_dir.filePath(QStringLiteral("demo.kubeconfig"));
    const qint64 ms = start(m_demo, kubeconfig);
    QVERIFY2(ms >= 0, "kubesim did not print its ready line");
    qInfo("demo.yaml: ready line after %lld ms (the issue asks for under 5 s)", ms);
    QVERIFY2(ms < 5000, qPrintable(QStringLiteral("ready after %1 ms").arg(ms)));

    // kubectl sees the demo's three pods running, with addresses from 198.18.0.0/15.
    QProcess kubectl;
    kubectl.start(QStringLiteral("kubectl"),
                  {QStringLiteral("--kubeconfig"), kubeconfig, QStringLiteral("get"),
                   QStringLiteral("pods"), QStringLiteral("-n"), QStringLiteral("shop"),
                   QStringLiteral("-o"), QStringLiteral("json")});
    QVERIFY(kubectl.waitForFinished(30000));
    QCOMPARE(kubectl.exitCode(), 0);
    const QJsonArray items
            = QJsonDocument::fromJson(kubectl.readAllStandardOutput())[QLatin1String("items")]
                      .toArray();
    QCOMPARE(items.size(), 3);
    for (const QJsonValue pod : items) {
        QCOMPARE(pod[QLatin1String("status")][QLatin1String("phase")].toString(),
                 QStringLiteral("Running"));
        QVERIFY(pod[QLatin1String("status")][QLatin1String("podIP")].toString().startsWith(
                QLatin1String("198.1")));
    }

    // Steady traffic: every pod namespace keeps receiving TCP segments.
    m_demoNamespaces = namespacesOf(m_demo.processId());
    QStringList pods;
    for (const QString &ns : m_demoNamespaces)
        if (QRegularExpression(QStringLiteral("-p\\d+$")).match(ns).hasMatch())
            pods << ns;
    QCOMPARE(pods.size(), 3);
    QList<qint64> before;
    for (const QString &ns : pods)
        before << tcpInSegments(ns);
    QTest::qWait(1500);
    for (int i = 0; i < pods.size(); ++i) {
        const qint64 after = tcpInSegments(pods[i]);
        QVERIFY2(before[i] >= 0 && after - before[i] >= 5,
                 qPrintable(QStringLiteral("%1: %2 -> %3 segments in 1.5 s")
                                    .arg(pods[i])
                                    .arg(before[i])
                                    .arg(after)));
    }
    m_demoProcesses = processesIn(m_demoNamespaces);
    QVERIFY2(m_demoProcesses.size() >= 6, "expected servers and traffic generators in the pods");
}

void TstKubesimLifecycle::sigtermLeavesNothing()
{
    if (m_demo.state() != QProcess::Running)
        QSKIP("the demo did not start");
    const qint64 pid = m_demo.processId();
    ::kill(pid_t(pid), SIGTERM);
    QVERIFY(m_demo.waitForFinished(15000));
    QCOMPARE(m_demo.exitStatus(), QProcess::NormalExit);
    QCOMPARE(m_demo.exitCode(), 0);
    QCOMPARE(namespacesOf(pid), QStringList());
    for (qint64 child : std::as_const(m_demoProcesses))
        QTRY_VERIFY2(!alive(child),
                     qPrintable(QStringLiteral("pid %1 outlived kubesim").arg(child)));
    QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("state/ksim-%1.json").arg(pid))));
}

void TstKubesimLifecycle::killNineDoesNotBreakTheNextRun()
{
    QProcess first;
    QVERIFY(start(first, m_dir.filePath(QStringLiteral("first.kubeconfig"))) >= 0);
    const qint64 firstPid = first.processId();
    const QStringList left = namespacesOf(firstPid);
    const QList<qint64> children = processesIn(left);
    QVERIFY(!left.isEmpty());
    first.kill(); // SIGKILL: no clean-up ran
    QVERIFY(first.waitForFinished(10000));
    for (qint64 child : children)
        QTRY_VERIFY2(!alive(child),
                     qPrintable(QStringLiteral("pid %1 outlived kubesim").arg(child)));

    QProcess second;
    QVERIFY2(start(second, m_dir.filePath(QStringLiteral("second.kubeconfig"))) >= 0,
             "kubesim did not come up after a kill -9");
    QCOMPARE(namespacesOf(firstPid), QStringList()); // stale state of the dead run removed
    const QDir state(m_dir.filePath(QStringLiteral("state")));
    QCOMPARE(state.entryList({QStringLiteral("ksim*%1*").arg(firstPid)}, QDir::Files),
             QStringList());
    const qint64 secondPid = second.processId();
    QCOMPARE(namespacesOf(secondPid).size(), left.size());
    stop(second);
    QCOMPARE(second.exitCode(), 0);
    QCOMPARE(namespacesOf(secondPid), QStringList());
    // What stays is documented: the traffic generators' records of the last run, for a
    // post-mortem; the next run's stale clean-up removes them.
    for (const QString &f : state.entryList(QDir::Files))
        QVERIFY2(f.startsWith(QStringLiteral("ksim%1-").arg(secondPid))
                         && f.endsWith(QLatin1String(".jsonl")),
                 qPrintable(f));
}

void TstKubesimLifecycle::cleanupTestCase()
{
    stop(m_demo);
}

QTEST_GUILESS_MAIN(TstKubesimLifecycle)
#include "tst_kubesimlifecycle.moc"
