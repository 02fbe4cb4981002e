// The routes to an API server that real clusters need and kubesim's default does not: a CONNECT
// proxy from HTTPS_PROXY / NO_PROXY (a real tinyproxy), and a serving certificate that names
// the server only as the kubeconfig's tls-server-name. Each is checked with the real kubectl
// next to podtap (the CLI's own requests, and podtapd's REST and exec WebSocket for a capture
// started from a terminal whose environment holds the proxy).
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include "support/clirunner.h"
#include "support/kubesimprocess.h"
#include "support/podtapdprocess.h"

#include <unistd.h>

namespace {
const QString Podtap = CliRunner::podtap();
using Run = CliRunner::Result;

quint16 freePort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();
}

QProcessEnvironment without(QProcessEnvironment env, const QStringList &names)
{
    for (const QString &n : names)
        env.remove(n);
    return env;
}

const QStringList ProxyVariables = {QStringLiteral("HTTPS_PROXY"), QStringLiteral("https_proxy"),
                                    QStringLiteral("HTTP_PROXY"),  QStringLiteral("http_proxy"),
                                    QStringLiteral("NO_PROXY"),    QStringLiteral("no_proxy"),
                                    QStringLiteral("ALL_PROXY"),   QStringLiteral("all_proxy")};
} // namespace

class TestKubeProxy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void kubectlAndPodtapGoThroughTheProxy();
    void daemonUsesTheTerminalsProxy();
    void noProxyGoesDirect();
    void deadOrUnsupportedProxyIsAClearError();
    void tlsServerNameVerifiesRestAndExec();

private:
    QProcessEnvironment env(const QString &kubeconfig, const QString &httpsProxy,
                            const QString &noProxy = {}) const;
    int connectsLogged() const; // CONNECTs tinyproxy let through to kubesim
    Run kubectl(const QStringList &args, const QProcessEnvironment &env) const;
    // A 3 s capture through podtapd; true when tcpdump's pcap came back over the exec stream.
    bool captureThroughDaemon(const QProcessEnvironment &env, QByteArray *err);

    QTemporaryDir m_dir;
    QString m_address; // kubesim's, not loopback: kubectl never proxies loopback
    QString m_kubeconfig;
    KubesimProcess m_kubesim;
    PodtapdProcess m_daemon;
    QProcess m_proxy;
    QString m_proxyUrl;
    QString m_proxyLog;
    QString m_kubectl;
    int m_captures = 0;
};

QProcessEnvironment TestKubeProxy::env(const QString &kubeconfig, const QString &httpsProxy,
                                       const QString &noProxy) const
{
    QProcessEnvironment e = without(m_daemon.environment(kubeconfig), ProxyVariables);
    if (!httpsProxy.isEmpty())
        e.insert(QStringLiteral("HTTPS_PROXY"), httpsProxy);
    if (!noProxy.isEmpty())
        e.insert(QStringLiteral("NO_PROXY"), noProxy);
    return e;
}

int TestKubeProxy::connectsLogged() const
{
    QFile f(m_proxyLog);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    // tinyproxy logs each request line: "Request (file descriptor N): CONNECT host:port HTTP/1.1"
    const QString needle = QStringLiteral("CONNECT %1:").arg(m_address);
    return int(QString::fromUtf8(f.readAll()).count(needle));
}

Run TestKubeProxy::kubectl(const QStringList &args, const QProcessEnvironment &e) const
{
    return CliRunner::run(m_kubectl, args, e, 30000);
}

void TestKubeProxy::initTestCase()
{
    if (const QString why = KubesimProcess::skipReason({Podtap, PodtapdProcess::program()});
        !why.isEmpty())
        QSKIP(qPrintable(why));
    m_kubectl = QStandardPaths::findExecutable(QStringLiteral("kubectl"));
    const QString tinyproxy = QStandardPaths::findExecutable(
            QStringLiteral("tinyproxy"), {QStringLiteral("/usr/bin"), QStringLiteral("/usr/sbin")});
    if (m_kubectl.isEmpty() || tinyproxy.isEmpty())
        QSKIP("needs kubectl and tinyproxy (scripts/install-deps installs tinyproxy)");
    QVERIFY(m_dir.isValid());

    // An address of this host that is not loopback (198.51.100.0/24 is TEST-NET-2, never
    // routed), on lo so no interface is needed; per process, so parallel runs never clash.
    m_address = QStringLiteral("198.51.100.%1").arg(2 + getpid() % 250);
    const Run add
            = CliRunner::run(QStringLiteral("ip"), {QStringLiteral("addr"), QStringLiteral("add"),
                                                    m_address + QStringLiteral("/32"),
                                                    QStringLiteral("dev"), QStringLiteral("lo")});
    QVERIFY2(add.code == 0 || add.err.contains("File exists"), add.err.constData());

    QString error;
    QVERIFY2(m_kubesim.start(QStringLiteral(SRCDIR "/scenarios/proxy.yaml"),
                             m_dir.filePath(QStringLiteral("kubesim")), &error,
                             {QStringLiteral("--address"), m_address}),
             qPrintable(error));
    m_kubeconfig = m_kubesim.kubeconfig();

    // tinyproxy in the foreground, on loopback, logging every request line.
    const quint16 port = freePort();
    m_proxyLog = m_dir.filePath(QStringLiteral("tinyproxy.log"));
    // ConnectPort must name kubesim's port: read it from the kubeconfig.
    QFile kc(m_kubeconfig);
    QVERIFY(kc.open(QIODevice::ReadOnly));
    const auto m = QRegularExpression(QStringLiteral("server: https://[^:]+:(\\d+)"))
                           .match(QString::fromUtf8(kc.readAll()));
    QVERIFY(m.hasMatch());
    QFile conf(m_dir.filePath(QStringLiteral("tinyproxy.conf")));
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write(QStringLiteral("Port %1\nListen 127.0.0.1\nTimeout 600\nLogFile \"%2\"\n"
                              "LogLevel Connect\nMaxClients 64\nAllow 127.0.0.1\n"
                              "ConnectPort %3\n")
                       .arg(port)
                       .arg(m_proxyLog, m.captured(1))
                       .toUtf8());
    conf.close();
    // tinyproxy running as root without a User line drops to nobody: let it write its log.
    QFile::setPermissions(m_dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                                | QFileDevice::ExeOwner | QFileDevice::ExeOther);
    m_proxy.setProcessChannelMode(QProcess::MergedChannels);
    m_proxy.start(tinyproxy, {QStringLiteral("-d"), QStringLiteral("-c"), conf.fileName()});
    QVERIFY2(m_proxy.waitForStarted(), qPrintable(m_proxy.errorString()));
    m_proxyUrl = QStringLiteral("http://127.0.0.1:%1").arg(port);
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(m_proxyLog) || m_proxy.state() != QProcess::Running,
                             10000);
    QVERIFY2(m_proxy.state() == QProcess::Running, m_proxy.readAll().constData());

    // podtapd started without any proxy variable: what it uses must come from the client.
    QVERIFY(m_daemon.prepare(m_dir.filePath(QStringLiteral("daemon"))));
    const QProcessEnvironment daemonEnv = env(m_kubeconfig, {});
    QVERIFY2(m_daemon.start(daemonEnv, &error), qPrintable(error));
    QVERIFY2(m_daemon.waitUntilAnswering(daemonEnv, &error), qPrintable(error));
}

void TestKubeProxy::cleanupTestCase()
{
    m_daemon.terminate();
    m_kubesim.stop();
    if (m_proxy.state() != QProcess::NotRunning) {
        m_proxy.terminate();
        if (!m_proxy.waitForFinished(5000))
            m_proxy.kill();
    }
    if (!m_address.isEmpty())
        CliRunner::run(QStringLiteral("ip"), {QStringLiteral("addr"), QStringLiteral("del"),
                                              m_address + QStringLiteral("/32"),
                                              QStringLiteral("dev"), QStringLiteral("lo")});
}

bool TestKubeProxy::captureThroughDaemon(const QProcessEnvironment &e, QByteArray *err)
{
    const QString pcap = m_dir.filePath(QStringLiteral("capture-%1.pcap").arg(++m_captures));
    const Run r = CliRunner::run(Podtap,
                                 {QStringLiteral("capture"), QStringLiteral("shop/web"),
                                  QStringLiteral("--port"), QStringLiteral("8080"),
                                  QStringLiteral("--duration"), QStringLiteral("3"),
                                  QStringLiteral("--no-start"), QStringLiteral("-w"), pcap},
                                 e, 90000);
    *err = r.err + QByteArrayLiteral("\nexit ") + QByteArray::number(r.code);
    // tcpdump's status line reaches us only through the exec stream, and the stream must
    // never have been lost on the way; the file is a capture Wireshark's tools read.
    const Run info = CliRunner::run(QStringLiteral("capinfos"), {pcap});
    *err += "\n" + info.err;
    return r.code == 0 && r.err.contains("tcpdump: listening on any")
           && !r.err.contains("reconnecting") && info.code == 0;
}

void TestKubeProxy::kubectlAndPodtapGoThroughTheProxy()
{
    const QProcessEnvironment e = env(m_kubeconfig, m_proxyUrl);
    int before = connectsLogged();
    const Run k = kubectl({QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-n"),
                           QStringLiteral("shop")},
                          e);
    QVERIFY2(k.code == 0, k.err.constData());
    QVERIFY(k.out.contains("web"));
    QVERIFY2(connectsLogged() > before, "kubectl did not go through tinyproxy");

    before = connectsLogged();
    const Run pods = CliRunner::run(Podtap,
                                    {QStringLiteral("pods"), QStringLiteral("-n"),
                                     QStringLiteral("shop"), QStringLiteral("--json")},
                                    e);
    QVERIFY2(pods.code == 0, pods.err.constData());
    QVERIFY(pods.out.contains("\"web\""));
    QVERIFY2(connectsLogged() > before, "podtap pods did not go through tinyproxy");
}

void TestKubeProxy::daemonUsesTheTerminalsProxy()
{
    // podtapd has no proxy variable; the CLI's HTTPS_PROXY must route its REST requests
    // and the exec WebSocket (two CONNECTs at least).
    const int before = connectsLogged();
    QByteArray err;
    QVERIFY2(captureThroughDaemon(env(m_kubeconfig, m_proxyUrl), &err), err.constData());
    QVERIFY2(
            connectsLogged() >= before + 2,
            qPrintable(QStringLiteral("%1 CONNECTs for a capture").arg(connectsLogged() - before)));
}

void TestKubeProxy::noProxyGoesDirect()
{
    const int before = connectsLogged();
    // The address itself, its network, and "*" after a name that does not match.
    for (const QString &noProxy :
         {m_address, QStringLiteral("198.51.100.0/24"), QStringLiteral(".example.com, *")}) {
        const QProcessEnvironment e = env(m_kubeconfig, m_proxyUrl, noProxy);
        const Run k = kubectl({QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-n"),
                               QStringLiteral("shop")},
                              e);
        QVERIFY2(k.code == 0, k.err.constData());
        const Run pods = CliRunner::run(
                Podtap, {QStringLiteral("pods"), QStringLiteral("-n"), QStringLiteral("shop")}, e);
        QVERIFY2(pods.code == 0, pods.err.constData());
    }
    QByteArray err;
    QVERIFY2(captureThroughDaemon(env(m_kubeconfig, m_proxyUrl, m_address), &err), err.constData());
    QCOMPARE(connectsLogged(), before);
}

void TestKubeProxy::deadOrUnsupportedProxyIsAClearError()
{
    // Nothing listens on port 1: both clients fail, neither goes direct behind our back.
    const QProcessEnvironment dead = env(m_kubeconfig, QStringLiteral("http://127.0.0.1:1"));
    const Run k = kubectl({QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-n"),
                           QStringLiteral("shop")},
                          dead);
    // kubectl says "The connection to the server … was refused" for the proxy's port; it
    // fails at all only because it used the proxy (the server itself is reachable).
    QVERIFY(k.code != 0);
    const Run pods = CliRunner::run(
            Podtap, {QStringLiteral("pods"), QStringLiteral("-n"), QStringLiteral("shop")}, dead);
    QCOMPARE(pods.code, 1);
    QVERIFY2(pods.err.contains("via http://127.0.0.1:1 (HTTPS_PROXY): Proxy connection refused"),
             pods.err.constData());
    QByteArray err;
    QVERIFY(!captureThroughDaemon(dead, &err));
    QVERIFY2(err.contains("via http://127.0.0.1:1 (HTTPS_PROXY)"), err.constData());

    const Run tlsProxy = CliRunner::run(
            Podtap, {QStringLiteral("pods"), QStringLiteral("-n"), QStringLiteral("shop")},
            env(m_kubeconfig, QStringLiteral("https://127.0.0.1:3129")));
    QCOMPARE(tlsProxy.code, 1);
    QVERIFY2(tlsProxy.err.contains("https:// (TLS to the proxy itself)"), tlsProxy.err.constData());
}

void TestKubeProxy::tlsServerNameVerifiesRestAndExec()
{
    // A second cluster whose certificate names only kubernetes.podtap.test, no IP: as when
    // an API server is reached by a tunnel or an address its certificate does not list.
    KubesimProcess named;
    QString error;
    QVERIFY2(named.start(
                     QStringLiteral(SRCDIR "/scenarios/proxy.yaml"),
                     m_dir.filePath(QStringLiteral("named")), &error,
                     {QStringLiteral("--server-name"), QStringLiteral("kubernetes.podtap.test")}),
             qPrintable(error));
    const QStringList getPods{QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-n"),
                              QStringLiteral("shop")};
    const QStringList podtapPods{QStringLiteral("pods"), QStringLiteral("-n"),
                                 QStringLiteral("shop")};

    // Without tls-server-name the certificate does not match: refused by both clients.
    const QProcessEnvironment plain = env(named.kubeconfig(), {});
    const Run k = kubectl(getPods, plain);
    QVERIFY(k.code != 0);
    QVERIFY2(k.err.contains("x509") || k.err.contains("certificate"), k.err.constData());
    const Run refused = CliRunner::run(Podtap, podtapPods, plain);
    QCOMPARE(refused.code, 1);
    QVERIFY2(refused.err.contains("certificate") || refused.err.contains("host name"),
             refused.err.constData());

    // With it, both verify against that name: REST from the CLI, and podtapd's REST and
    // exec WebSocket for a capture.
    QFile kc(named.kubeconfig());
    QVERIFY(kc.open(QIODevice::ReadOnly));
    QByteArray yaml = kc.readAll();
    kc.close();
    const QRegularExpression server(QStringLiteral("(\\n(\\s+)server: [^\\n]+)"));
    QString text = QString::fromUtf8(yaml);
    QVERIFY(text.contains(server));
    text.replace(server, QStringLiteral("\\1\n\\2tls-server-name: kubernetes.podtap.test"));
    const QString named2 = m_dir.filePath(QStringLiteral("named-kubeconfig"));
    QFile out(named2);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(text.toUtf8());
    out.close();
    const QProcessEnvironment withName = env(named2, {});
    const Run k2 = kubectl(getPods, withName);
    QVERIFY2(k2.code == 0, k2.err.constData());
    const Run pods = CliRunner::run(Podtap, podtapPods, withName);
    QVERIFY2(pods.code == 0, pods.err.constData());
    QByteArray err;
    QVERIFY2(captureThroughDaemon(withName, &err), err.constData());
    named.stop();
}

QTEST_GUILESS_MAIN(TestKubeProxy)
#include "tst_kubeproxy.moc"
