// Integration tests of kubesim's pod runtime: real namespaces, real processes, real WebSockets.
#include "capabilityexec.h"
#include "execsession.h"
#include "podruntime.h"
#include "websocketcodec.h"
#include "workloadprocess.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketHandshakeOptions>

#include <csignal>
#include <unistd.h>

using namespace kubesim;

namespace {

const QString Ns = QStringLiteral("default");
const QString Pod = QStringLiteral("web");
constexpr quint16 PodPort = 8080;

// Minimal API-server stand-in: reads the HTTP request head, hands the socket to the runtime.
class ExecFrontend : public QTcpServer
{
public:
    ExecFrontend(PodRuntime *runtime, bool tls)
        : m_runtime(runtime)
        , m_tls(tls)
    {}
    ExecRequest nextRequest;
    QSslCertificate certificate;
    QSslKey key;

protected:
    void incomingConnection(qintptr fd) override
    {
        QTcpSocket *socket = nullptr;
        if (m_tls) {
            auto *ssl = new QSslSocket(this);
            ssl->setSocketDescriptor(fd);
            ssl->setLocalCertificate(certificate);
            ssl->setPrivateKey(key);
            ssl->startServerEncryption();
            socket = ssl;
        } else {
            socket = new QTcpSocket(this);
            socket->setSocketDescriptor(fd);
        }
        auto *head = new QList<QByteArray>;
        const ExecRequest req = nextRequest;
        connect(socket, &QTcpSocket::readyRead, this, [this, socket, head, req] {
            while (socket->canReadLine()) {
                const QByteArray line = socket->readLine().trimmed();
                if (!line.isEmpty()) {
                    head->append(line);
                    continue;
                }
                // Blank line: the request is complete; the rest belongs to the WebSocket.
                socket->disconnect(this);
                const QList<QByteArray> requestLine = head->value(0).split(' ');
                QList<QPair<QByteArray, QByteArray>> headers;
                for (qsizetype i = 1; i < head->size(); ++i) {
                    const QByteArray &h = head->at(i);
                    const qsizetype colon = h.indexOf(':');
                    headers.append({h.left(colon).trimmed(), h.mid(colon + 1).trimmed()});
                }
                delete head;
                if (m_tls)
                    m_runtime->handleExecUpgrade(static_cast<QSslSocket *>(socket),
                                                 requestLine.value(0), requestLine.value(1),
                                                 headers, req);
                else
                    m_runtime->handleExecUpgrade(socket, requestLine.value(0), requestLine.value(1),
                                                 headers, req);
                return;
            }
        });
    }

private:
    PodRuntime *m_runtime;
    bool m_tls;
};

struct RawResult
{
    QByteArray statusLine;
    QByteArray responseHead;
    QByteArray afterHead; // raw bytes after the HTTP head
    QList<WebSocketCodec::Message> messages;
    bool disconnected = false;
    QByteArray channel(quint8 ch) const
    {
        QByteArray out;
        for (const auto &m : messages)
            if ((m.opcode == WebSocketCodec::Binary) && !m.payload.isEmpty()
                && quint8(m.payload.at(0)) == ch)
                out += m.payload.mid(1);
        return out;
    }
    int closeCode() const
    {
        for (const auto &m : messages)
            if (m.opcode == WebSocketCodec::Close && m.payload.size() >= 2)
                return (quint8(m.payload.at(0)) << 8) | quint8(m.payload.at(1));
        return -1;
    }
};

ExecRequest appRequest(const QStringList &argv)
{
    ExecRequest r;
    r.ns = Ns;
    r.pod = Pod;
    r.container = QStringLiteral("app");
    r.image = QStringLiteral("docker.io/library/nginx:1.27");
    r.argv = argv;
    return r;
}

ExecRequest tapRequest(const QStringList &argv, bool netRaw, const QString &image)
{
    ExecRequest r = appRequest(argv);
    r.container = QStringLiteral("podtap-abcde");
    r.image = image;
    r.security.capDrop = {QStringLiteral("ALL")};
    if (netRaw)
        r.security.capAdd = {QStringLiteral("NET_RAW")};
    r.security.allowPrivilegeEscalation = false;
    r.security.readOnlyRootFilesystem = true;
    return r;
}

QStringList ourNamespaces()
{
    QProcess ip;
    ip.start(QStringLiteral("ip"), {QStringLiteral("netns"), QStringLiteral("list")});
    ip.waitForFinished();
    QStringList out;
    const QList<QByteArray> lines = ip.readAllStandardOutput().split('\n');
    const QByteArray prefix = "ksim" + QByteArray::number(::getpid()) + "-";
    for (const QByteArray &l : lines)
        if (l.startsWith(prefix))
            out << QString::fromLatin1(l.split(' ').value(0));
    return out;
}

QByteArray run(const QStringList &argv, int *exitCode = nullptr)
{
    QProcess p;
    p.start(argv.first(), argv.mid(1));
    // The runtime (built-in echo server, exec sessions) lives in this thread: keep its loop going.
    QElapsedTimer t;
    t.start();
    while (!p.waitForFinished(5) && p.state() != QProcess::NotRunning && t.elapsed() < 30000)
        QCoreApplication::processEvents();
    if (exitCode)
        *exitCode = p.exitCode();
    return p.readAllStandardOutput();
}

} // namespace

class TestPodRuntime : public QObject
{
    Q_OBJECT
private:
    RawResult rawExec(const ExecRequest &req, const QList<QByteArray> &protocols,
                      const QList<QByteArray> &clientFrames = {}, int timeoutMs = 20000,
                      int stopAfterMs = -1);
    QByteArray tcpLinks();

    QTemporaryDir m_state;
    QTemporaryDir m_tmp;
    PodRuntime *m_runtime = nullptr;
    ExecFrontend *m_plain = nullptr;
    ExecFrontend *m_tls = nullptr;
    QString m_podIp, m_podIpv6;
    QByteArray m_linksBefore;

private Q_SLOTS:
    void initTestCase();
    void httpEchoAnswersFromClientNamespace();
    void nginxWorkloadLogsEveryRequest();
    void execEchoOverTlsWithQWebSocket();
    void tlsLargeOutput();
    void execExitCode();
    void execStdinAndV5Close();
    void execMissingBinary();
    void negotiation_data();
    void negotiation();
    void base64Protocol();
    void tapWithNetRawCapturesPodTraffic();
    void tapWithoutNetRawFails();
    void droppingImageFails();
    void capabilitiesAreExact();
    void runtimeDefaults_data();
    void runtimeDefaults();
    void tapProfilePerRuntime_data();
    void tapProfilePerRuntime();
    void nonRootFileCapabilityTap_data();
    void nonRootFileCapabilityTap();
    void nonRootIdentity();
    void faultCutAfterBytes();
    void faultCutAfterMs();
    void faultStall();
    void orphanAfterCutAndScopedPkill();
    void backPressureDeliversEverything();
    void shutdownLeavesNothing();
    void cleanStaleAfterKill9();
};

QByteArray TestPodRuntime::tcpLinks()
{
    return run({QStringLiteral("ip"), QStringLiteral("-o"), QStringLiteral("link")});
}

void TestPodRuntime::initTestCase()
{
    if (::geteuid() != 0)
        QSKIP("kubesim pods need root (network namespaces, veth, setns); run as root");
    m_linksBefore = tcpLinks();
    m_runtime = new PodRuntime(m_state.path(), this);
    QString error;
    QVERIFY2(m_runtime->cleanStale(&error), qPrintable(error));
    PodSpec spec;
    spec.ns = Ns;
    spec.name = Pod;
    spec.workload = {QStringLiteral("http-echo"), PodPort};
    spec.traffic = TrafficSpec{20, 200, 2};
    QElapsedTimer t;
    t.start();
    QVERIFY2(m_runtime->startPod(spec, &m_podIp, &m_podIpv6, &error), qPrintable(error));
    qInfo("pod up in %lld ms at %s / %s (trafficgen: %s)", t.elapsed(), qPrintable(m_podIp),
          qPrintable(m_podIpv6),
          m_runtime->trafficGenPath().isEmpty() ? "built-in fallback"
                                                : qPrintable(m_runtime->trafficGenPath()));
    QVERIFY(m_podIp.startsWith(QLatin1String("198.18.")));
    QVERIFY(m_podIpv6.startsWith(QLatin1String("fd00:")));

    // Throwaway certificate for the TLS frontend.
    const QString certPath = m_tmp.filePath(QStringLiteral("cert.pem"));
    const QString keyPath = m_tmp.filePath(QStringLiteral("key.pem"));
    int rc = -1;
    run({QStringLiteral("openssl"), QStringLiteral("req"), QStringLiteral("-x509"),
         QStringLiteral("-newkey"), QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
         QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
         QStringLiteral("-keyout"), keyPath, QStringLiteral("-out"), certPath,
         QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"),
         QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-addext"),
         QStringLiteral("subjectAltName=IP:127.0.0.1")},
        &rc);
    QCOMPARE(rc, 0);
    m_plain = new ExecFrontend(m_runtime, false);
    m_plain->setParent(this);
    QVERIFY(m_plain->listen(QHostAddress::LocalHost, 0));
    m_tls = new ExecFrontend(m_runtime, true);
    m_tls->setParent(this);
    QFile c(certPath), k(keyPath);
    QVERIFY(c.open(QIODevice::ReadOnly) && k.open(QIODevice::ReadOnly));
    m_tls->certificate = QSslCertificate(c.readAll());
    m_tls->key = QSslKey(k.readAll(), QSsl::Ec);
    QVERIFY(!m_tls->certificate.isNull() && !m_tls->key.isNull());
    QVERIFY(m_tls->listen(QHostAddress::LocalHost, 0));
}

void TestPodRuntime::httpEchoAnswersFromClientNamespace()
{
    const QString client = m_runtime->clientNetns(Ns, Pod);
    QVERIFY(!client.isEmpty());
    for (const QString &url : {QStringLiteral("http://%1:%2/echo").arg(m_podIp).arg(PodPort),
                               QStringLiteral("http://[%1]:%2/echo").arg(m_podIpv6).arg(PodPort)}) {
        int rc = -1;
        const QByteArray body = run(
                {QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("exec"), client,
                 QStringLiteral("curl"), QStringLiteral("-s"), QStringLiteral("--max-time"),
                 QStringLiteral("5"), QStringLiteral("-o"), QStringLiteral("/dev/null"),
                 QStringLiteral("-w"), QStringLiteral("%{http_code}"),
                 QStringLiteral("--data-binary"), QStringLiteral("hello-pod"), url},
                &rc);
        QCOMPARE(rc, 0);
        QCOMPARE(body, QByteArray("200"));
    }
}

void TestPodRuntime::nginxWorkloadLogsEveryRequest()
{
    QVERIFY(m_runtime->nginxAccessLogPath(Ns, Pod).isEmpty()); // http-echo has no such log
    if (!QFileInfo(WorkloadProcess::nginxProgram()).isExecutable())
        QSKIP("the nginx workload needs /usr/sbin/nginx (apt-get install nginx-light)");
    const QString pod = QStringLiteral("nginx");
    PodSpec spec;
    spec.ns = Ns;
    spec.name = pod;
    spec.workload = {QStringLiteral("nginx"), PodPort};
    spec.traffic = TrafficSpec{50, 0, 2};
    QString ip, ipv6, error;
    QVERIFY2(m_runtime->startPod(spec, &ip, &ipv6, &error), qPrintable(error));
    const QString log = m_runtime->nginxAccessLogPath(Ns, pod);
    QVERIFY(log.startsWith(m_state.path()));

    // Both address families from the client namespace, found in the log by their request id.
    const QString client = m_runtime->clientNetns(Ns, pod);
    int n = 0;
    for (const QString &url : {QStringLiteral("http://%1:%2/a").arg(ip).arg(PodPort),
                               QStringLiteral("http://[%1]:%2/b").arg(ipv6).arg(PodPort)}) {
        int rc = -1;
        const QByteArray body
                = run({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("exec"),
                       client, QStringLiteral("curl"), QStringLiteral("-s"),
                       QStringLiteral("--max-time"), QStringLiteral("5"), QStringLiteral("-H"),
                       QStringLiteral("X-Request-Id: curl-%1").arg(n++), url},
                      &rc);
        QCOMPARE(rc, 0);
        QCOMPARE(body, QByteArray("ok\n"));
    }
    // "$msec $connection $connection_requests $status \"$request\" \"$http_x_request_id\""
    static const QRegularExpression line(
            QStringLiteral(R"(^\d+\.\d{3} \d+ \d+ 200 "(GET|POST) \S+ HTTP/1\.1" "[^"]+"$)"));
    QByteArrayList lines;
    QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                QFile f(log);
                if (!f.open(QIODevice::ReadOnly))
                    return false;
                lines = f.readAll().split('\n');
                lines.removeAll(QByteArray());
                return lines.size() >= 20;
            }(),
            10000);
    int curl = 0, keptAlive = 0;
    for (const QByteArray &l : std::as_const(lines)) {
        QVERIFY2(line.match(QString::fromLatin1(l)).hasMatch(), l.constData());
        curl += l.contains("\"curl-") ? 1 : 0;
        keptAlive += l.split(' ').value(2).toInt() > 1 ? 1 : 0; // the generator's keep-alive
    }
    QCOMPARE(curl, 2);
    QVERIFY(keptAlive > 0);
}

RawResult TestPodRuntime::rawExec(const ExecRequest &req, const QList<QByteArray> &protocols,
                                  const QList<QByteArray> &clientFrames, int timeoutMs,
                                  int stopAfterMs)
{
    m_plain->nextRequest = req;
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_plain->serverPort());
    RawResult r;
    (void)QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; }, 5000);
    if (socket.state() != QAbstractSocket::ConnectedState)
        return r;
    QByteArray request
            = "GET /api/v1/namespaces/default/pods/web/exec?command=x HTTP/1.1\r\n"
              "Host: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
              "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    if (!protocols.isEmpty())
        request += "Sec-WebSocket-Protocol: " + protocols.join(", ") + "\r\n";
    request += "\r\n";
    socket.write(request);
    QByteArray all;
    bool framesSent = false;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        if (stopAfterMs >= 0 && t.elapsed() > stopAfterMs)
            break;
        if (socket.state() == QAbstractSocket::UnconnectedState) {
            r.disconnected = true;
            break;
        }
        QTest::qWait(5);
        all += socket.readAll();
        if (!framesSent && all.contains("\r\n\r\n")) {
            framesSent = true;
            for (const QByteArray &f : clientFrames)
                socket.write(f);
        }
    }
    all += socket.readAll();
    const qsizetype headEnd = all.indexOf("\r\n\r\n");
    r.responseHead = all.left(headEnd);
    r.statusLine = r.responseHead.left(r.responseHead.indexOf("\r\n"));
    r.afterHead = headEnd >= 0 ? all.mid(headEnd + 4) : QByteArray();
    WebSocketCodec codec(1 << 30, false);
    codec.append(r.afterHead);
    WebSocketCodec::Message m;
    while (codec.takeMessage(&m))
        r.messages << m;
    return r;
}

void TestPodRuntime::execEchoOverTlsWithQWebSocket()
{
    m_tls->nextRequest = appRequest({QStringLiteral("echo"), QStringLiteral("hello")});
    QWebSocket ws;
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setCaCertificates({m_tls->certificate});
    ws.setSslConfiguration(ssl);
    QList<QByteArray> frames;
    connect(&ws, &QWebSocket::binaryMessageReceived, this,
            [&frames](const QByteArray &m) { frames << m; });
    QSignalSpy pongs(&ws, &QWebSocket::pong);
    QSignalSpy disconnected(&ws, &QWebSocket::disconnected);
    connect(&ws, &QWebSocket::connected, this, [&ws] { ws.ping("hi"); });
    QWebSocketHandshakeOptions options;
    options.setSubprotocols(
            {QStringLiteral("v5.channel.k8s.io"), QStringLiteral("v4.channel.k8s.io")});
    ws.open(QUrl(QStringLiteral("wss://127.0.0.1:%1/api/v1/namespaces/default/pods/web/"
                                "exec?command=echo&command=hello")
                         .arg(m_tls->serverPort())),
            options);
    QTRY_COMPARE_WITH_TIMEOUT(disconnected.size(), 1, 20000);
    QCOMPARE(ws.subprotocol(), QStringLiteral("v5.channel.k8s.io"));
    QVERIFY(frames.size() >= 3);
    QCOMPARE(frames.first(), QByteArray("\x01", 1)); // ready signal on stdout
    QByteArray out;
    for (const QByteArray &f : frames)
        if (f.startsWith('\x01'))
            out += f.mid(1);
    QCOMPARE(out, QByteArray("hello\n"));
    QCOMPARE(frames.last(), QByteArray("\x03") + ExecSession::successStatus());
    QCOMPARE(ws.closeCode(), QWebSocketProtocol::CloseCodeNormal);
    QVERIFY(pongs.size() >= 1 || frames.size() >= 3); // the pong may race the end of `echo`
}

void TestPodRuntime::tlsLargeOutput()
{
    // Back-pressure over TLS: the session resumes on QSslSocket's bytesWritten.
    m_tls->nextRequest = appRequest({QStringLiteral("head"), QStringLiteral("-c"),
                                     QStringLiteral("8388608"), QStringLiteral("/dev/urandom")});
    QWebSocket ws;
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setCaCertificates({m_tls->certificate});
    ws.setSslConfiguration(ssl);
    qint64 stdoutBytes = 0;
    QByteArray status;
    connect(&ws, &QWebSocket::binaryMessageReceived, this, [&](const QByteArray &m) {
        if (m.startsWith('\x01'))
            stdoutBytes += m.size() - 1;
        else if (m.startsWith('\x03'))
            status = m.mid(1);
    });
    QSignalSpy disconnected(&ws, &QWebSocket::disconnected);
    QWebSocketHandshakeOptions options;
    options.setSubprotocols({QStringLiteral("v5.channel.k8s.io")});
    ws.open(QUrl(QStringLiteral("wss://127.0.0.1:%1/exec").arg(m_tls->serverPort())), options);
    QTRY_COMPARE_WITH_TIMEOUT(disconnected.size(), 1, 60000);
    QCOMPARE(stdoutBytes, 8388608);
    QCOMPARE(status, ExecSession::successStatus());
}

void TestPodRuntime::execExitCode()
{
    const RawResult r = rawExec(appRequest({QStringLiteral("sh"), QStringLiteral("-c"),
                                            QStringLiteral("echo out; echo err >&2; exit 3")}),
                                {"v5.channel.k8s.io"});
    QCOMPARE(r.statusLine, QByteArray("HTTP/1.1 101 Switching Protocols"));
    QVERIFY(r.responseHead.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    QVERIFY(r.disconnected);
    QCOMPARE(r.messages.value(0).payload, QByteArray("\x01", 1));
    QCOMPARE(r.channel(1), QByteArray("out\n"));
    QCOMPARE(r.channel(2), QByteArray("err\n"));
    QCOMPARE(r.channel(3), ExecSession::exitCodeStatus(3));
    QCOMPARE(
            r.channel(3),
            QByteArray(
                    R"({"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: command terminated with exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}})"));
    QCOMPARE(r.closeCode(), 1000);
}

void TestPodRuntime::execStdinAndV5Close()
{
    ExecRequest req = appRequest({QStringLiteral("cat")});
    req.stdinEnabled = true;
    const QList<QByteArray> frames{
            WebSocketCodec::encodeFrame(WebSocketCodec::Binary,
                                        QByteArray("\x00"
                                                   "abc\n",
                                                   5),
                                        true),
            // Fragmented stdin message with a ping in between.
            QByteArray("\x02\x83", 2) + QByteArray(4, '\0')
                    + QByteArray("\x00"
                                 "de",
                                 3),
            WebSocketCodec::encodeFrame(WebSocketCodec::Ping, "p", true),
            QByteArray("\x80\x82", 2) + QByteArray(4, '\0') + QByteArray("f\n"),
            WebSocketCodec::encodeFrame(WebSocketCodec::Binary, QByteArray("\xff\x00", 2), true)};
    const RawResult r = rawExec(req, {"v5.channel.k8s.io"}, frames);
    QCOMPARE(r.channel(1), QByteArray("abc\ndef\n"));
    QCOMPARE(r.channel(3), ExecSession::successStatus());
    bool pong = false;
    for (const auto &m : r.messages)
        pong |= m.opcode == WebSocketCodec::Pong && m.payload == "p";
    QVERIFY(pong);
    QCOMPARE(r.closeCode(), 1000);
}

void TestPodRuntime::execMissingBinary()
{
    const RawResult r
            = rawExec(appRequest({QStringLiteral("no-such-binary")}), {"v5.channel.k8s.io"});
    QVERIFY(r.channel(3).contains(R"("reason":"InternalError")"));
    QVERIFY(r.channel(3).contains("executable file not found in $PATH"));
    QCOMPARE(r.closeCode(), 1000);
}

void TestPodRuntime::negotiation_data()
{
    QTest::addColumn<QList<QByteArray>>("offered");
    QTest::addColumn<QByteArray>("expected"); // empty = 403
    QTest::addRow("v5") << QList<QByteArray>{"v5.channel.k8s.io"}
                        << QByteArray("v5.channel.k8s.io");
    QTest::addRow("v5+v4") << QList<QByteArray>{"v5.channel.k8s.io", "v4.channel.k8s.io"}
                           << QByteArray("v5.channel.k8s.io");
    QTest::addRow("v4 first, v5 wins")
            << QList<QByteArray>{"v4.channel.k8s.io", "v5.channel.k8s.io"}
            << QByteArray("v5.channel.k8s.io");
    QTest::addRow("v4 only") << QList<QByteArray>{"v4.channel.k8s.io"}
                             << QByteArray("v4.channel.k8s.io");
    QTest::addRow("v4 base64") << QList<QByteArray>{"v4.base64.channel.k8s.io"}
                               << QByteArray("v4.base64.channel.k8s.io");
    QTest::addRow("v3 is SPDY only") << QList<QByteArray>{"v3.channel.k8s.io"} << QByteArray();
    QTest::addRow("v5 base64 does not exist")
            << QList<QByteArray>{"v5.base64.channel.k8s.io"} << QByteArray();
    QTest::addRow("unknown") << QList<QByteArray>{"chat"} << QByteArray();
}

void TestPodRuntime::negotiation()
{
    QFETCH(QList<QByteArray>, offered);
    QFETCH(QByteArray, expected);
    const RawResult r = rawExec(appRequest({QStringLiteral("true")}), offered);
    QVERIFY(r.disconnected);
    if (expected.isEmpty()) {
        QCOMPARE(r.responseHead + "\r\n\r\n" + r.afterHead,
                 QByteArray("HTTP/1.1 403 Forbidden\r\n\r\n"));
        return;
    }
    QCOMPARE(r.statusLine, QByteArray("HTTP/1.1 101 Switching Protocols"));
    QVERIFY(r.responseHead.contains(QByteArray("\r\nSec-WebSocket-Protocol: " + expected)));
    if (expected.contains("base64"))
        QCOMPARE(r.messages.value(1).payload,
                 QByteArray("3") + ExecSession::successStatus().toBase64());
    else
        QCOMPARE(r.channel(3), ExecSession::successStatus());
}

void TestPodRuntime::base64Protocol()
{
    const RawResult r = rawExec(appRequest({QStringLiteral("echo"), QStringLiteral("hi")}),
                                {"v4.base64.channel.k8s.io"});
    QCOMPARE(r.messages.value(0).opcode, WebSocketCodec::Text);
    QCOMPARE(r.messages.value(0).payload, QByteArray("1"));
    QCOMPARE(r.messages.value(1).payload, QByteArray("1aGkK"));
    QCOMPARE(r.messages.value(2).payload,
             QByteArray("3eyJtZXRhZGF0YSI6e30sInN0YXR1cyI6IlN1Y2Nlc3MifQ=="));
}

void TestPodRuntime::tapWithNetRawCapturesPodTraffic()
{
    const ExecRequest req
            = tapRequest({QStringLiteral("tcpdump"), QStringLiteral("-p"), QStringLiteral("-i"),
                          QStringLiteral("any"), QStringLiteral("-U"), QStringLiteral("-w"),
                          QStringLiteral("-"), QStringLiteral("-c"), QStringLiteral("5"),
                          QStringLiteral("tcp"), QStringLiteral("port"), QString::number(PodPort)},
                         true, QStringLiteral("docker.io/nicolaka/netshoot:v0.16"));
    const RawResult r = rawExec(req, {"v5.channel.k8s.io", "v4.channel.k8s.io"}, {}, 60000);
    QVERIFY2(r.channel(3) == ExecSession::successStatus(), r.channel(2).constData());
    QVERIFY(r.channel(2).contains("listening on any"));
    const QByteArray pcap = r.channel(1);
    QVERIFY(pcap.size() > 24);
    QCOMPARE(pcap.left(4), QByteArray("\xd4\xc3\xb2\xa1", 4));
    const QString path = m_tmp.filePath(QStringLiteral("tap.pcap"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(pcap);
    f.close();
    int rc = -1;
    const QByteArray info = run({QStringLiteral("capinfos"), QStringLiteral("-c"), path}, &rc);
    QCOMPARE(rc, 0);
    QVERIFY2(QRegularExpression(QStringLiteral("Number of packets:\\s+5\\b"))
                     .match(QString::fromLatin1(info))
                     .hasMatch(),
             info.constData());
    // The traffic is the pod's: tshark-free check that the pod IP is inside the packets.
    const QStringList octets = m_podIp.split(QLatin1Char('.'));
    QByteArray ipBytes;
    for (const QString &o : octets)
        ipBytes.append(char(o.toInt()));
    QVERIFY(pcap.contains(ipBytes));
}

void TestPodRuntime::tapWithoutNetRawFails()
{
    const ExecRequest req
            = tapRequest({QStringLiteral("tcpdump"), QStringLiteral("-i"), QStringLiteral("any"),
                          QStringLiteral("-U"), QStringLiteral("-w"), QStringLiteral("-"),
                          QStringLiteral("-c"), QStringLiteral("1")},
                         false, QStringLiteral("nicolaka/netshoot:v0.16"));
    const RawResult r = rawExec(req, {"v5.channel.k8s.io"});
    QVERIFY2(r.channel(2).contains("Operation not permitted"), r.channel(2).constData());
    QCOMPARE(r.channel(3), ExecSession::exitCodeStatus(1));
}

void TestPodRuntime::droppingImageFails()
{
    const ExecRequest req
            = tapRequest({QStringLiteral("tcpdump"), QStringLiteral("-i"), QStringLiteral("any"),
                          QStringLiteral("-U"), QStringLiteral("-w"), QStringLiteral("-"),
                          QStringLiteral("-c"), QStringLiteral("1")},
                         true, QStringLiteral("example.com/debian-tcpdump:1"));
    const RawResult r = rawExec(req, {"v5.channel.k8s.io"});
    QVERIFY2(r.channel(2).contains("Couldn't change to 'tcpdump' uid="), r.channel(2).constData());
    QCOMPARE(r.channel(1).size(), 24); // the pcap header was already written
    QCOMPARE(r.channel(3), ExecSession::exitCodeStatus(1));
}

void TestPodRuntime::capabilitiesAreExact()
{
    // CapBnd of the process as the kernel sees it.
    auto capBnd = [this](const ExecRequest &req) {
        const RawResult r = rawExec(req, {"v5.channel.k8s.io"});
        const auto m = QRegularExpression(QStringLiteral("CapBnd:\\s+([0-9a-f]+)"))
                               .match(QString::fromLatin1(r.channel(1)));
        return m.captured(1).toULongLong(nullptr, 16);
    };
    const QStringList argv{QStringLiteral("grep"), QStringLiteral("Cap"),
                           QStringLiteral("/proc/self/status")};
    QCOMPARE(capBnd(tapRequest(argv, true, QStringLiteral("nicolaka/netshoot:v0.16"))), 1ULL << 13);
    QCOMPARE(capBnd(tapRequest(argv, false, QStringLiteral("nicolaka/netshoot:v0.16"))), 0ULL);
    // Docker default set: 0x00000000a80425fb.
    QCOMPARE(capBnd(appRequest(argv)), 0xa80425fbULL);
    const RawResult nnp = rawExec(tapRequest({QStringLiteral("grep"), QStringLiteral("NoNewPrivs"),
                                              QStringLiteral("/proc/self/status")},
                                             true, QStringLiteral("nicolaka/netshoot:v0.16")),
                                  {"v5.channel.k8s.io"});
    QVERIFY(nnp.channel(1).contains("NoNewPrivs:\t1"));
}

namespace {
// The baseline tap profile's drop list: every capability but NET_RAW, no add
// (common/kube/tapspec.cpp; tst_tapspec pins it on the wire).
QStringList baselineDrop()
{
    QStringList drop;
    for (const QString &c : CapabilityExec::allCapabilities())
        if (c != QLatin1String("net_raw"))
            drop << c.toUpper();
    return drop;
}
} // namespace

// What an exec'd process gets: the node runtime's default set − drop + add.
void TestPodRuntime::runtimeDefaults_data()
{
    QTest::addColumn<QString>("runtime");
    QTest::addColumn<QStringList>("drop");
    QTest::addColumn<QStringList>("add");
    QTest::addColumn<QStringList>("granted");
    const QStringList containerd{
            u"audit_write"_qs, u"chown"_qs,     u"dac_override"_qs, u"fowner"_qs,
            u"fsetid"_qs,      u"kill"_qs,      u"mknod"_qs,        u"net_bind_service"_qs,
            u"net_raw"_qs,     u"setfcap"_qs,   u"setgid"_qs,       u"setpcap"_qs,
            u"setuid"_qs,      u"sys_chroot"_qs};
    // CRI-O 1.18+: no NET_RAW, MKNOD, SYS_CHROOT, AUDIT_WRITE (nor SETFCAP).
    const QStringList crio{u"chown"_qs,  u"dac_override"_qs, u"fowner"_qs,
                           u"fsetid"_qs, u"kill"_qs,         u"net_bind_service"_qs,
                           u"setgid"_qs, u"setpcap"_qs,      u"setuid"_qs};
    QTest::addRow("containerd, nothing asked")
            << u"containerd"_qs << QStringList() << QStringList() << containerd;
    QTest::addRow("cri-o, nothing asked") << u"cri-o"_qs << QStringList() << QStringList() << crio;
    QTest::addRow("containerd, baseline profile")
            << u"containerd"_qs << baselineDrop() << QStringList() << QStringList{u"net_raw"_qs};
    QTest::addRow("cri-o, baseline profile")
            << u"cri-o"_qs << baselineDrop() << QStringList() << QStringList();
    QTest::addRow("cri-o, default profile")
            << u"cri-o"_qs << QStringList{u"ALL"_qs} << QStringList{u"NET_RAW"_qs}
            << QStringList{u"net_raw"_qs};
    QTest::addRow("containerd, CAP_ prefix")
            << u"containerd"_qs << QStringList{u"ALL"_qs} << QStringList{u"CAP_NET_RAW"_qs}
            << QStringList{u"net_raw"_qs};
}

void TestPodRuntime::runtimeDefaults()
{
    QFETCH(QString, runtime);
    QFETCH(QStringList, drop);
    QFETCH(QStringList, add);
    QFETCH(QStringList, granted);
    ContainerSecurity s;
    s.runtime = runtime;
    s.capDrop = drop;
    s.capAdd = add;
    QString error;
    const auto caps = CapabilityExec::grantedCapabilities(s, &error);
    QVERIFY2(caps, qPrintable(error));
    QCOMPARE(*caps, granted);

    s.runtime = u"rkt"_qs;
    QVERIFY(!CapabilityExec::grantedCapabilities(s, &error));
    QCOMPARE(error, u"unknown container runtime \"rkt\""_qs);
}

// Each tap profile through a real exec on each node runtime: the baseline tap keeps NET_RAW
// only where the runtime's default set has it (containerd, not CRI-O) and then holds exactly
// NET_RAW; the default and nonroot taps add NET_RAW after drop ALL, so the runtime does not
// matter. Where NET_RAW is missing, tcpdump fails with its own message.
void TestPodRuntime::tapProfilePerRuntime_data()
{
    QTest::addColumn<QString>("runtime");
    QTest::addColumn<QString>("profile");
    QTest::addColumn<bool>("captures");
    for (const QString &runtime : {u"containerd"_qs, u"cri-o"_qs}) {
        const bool crio = runtime == u"cri-o"_qs;
        QTest::addRow("%s, baseline", qPrintable(runtime)) << runtime << u"baseline"_qs << !crio;
        QTest::addRow("%s, default", qPrintable(runtime)) << runtime << u"default"_qs << true;
        QTest::addRow("%s, nonroot", qPrintable(runtime)) << runtime << u"nonroot"_qs << true;
    }
}

void TestPodRuntime::tapProfilePerRuntime()
{
    QFETCH(QString, runtime);
    QFETCH(QString, profile);
    QFETCH(bool, captures);
    auto tap = [&](const QStringList &argv) {
        ExecRequest req;
        if (profile == u"nonroot"_qs) {
            // The nonroot contract (common/kube/tapspec.cpp): uid 65532, escalation unset.
            req = tapRequest(argv, true, u"example.com/podtap/tcpdump-nonroot:1.0"_qs);
            req.security.allowPrivilegeEscalation.reset();
            req.security.runAsUser = 65532;
            req.security.runAsGroup = 65532;
            req.security.runAsNonRoot = true;
        } else {
            req = tapRequest(argv, true, u"docker.io/nicolaka/netshoot:v0.16"_qs);
        }
        if (profile == u"baseline"_qs) {
            req.security.capDrop = baselineDrop();
            req.security.capAdd.clear();
        }
        req.security.runtime = runtime;
        return req;
    };
    const quint64 netRaw = 1ULL << 13; // CAP_NET_RAW
    if (profile != u"nonroot"_qs) {
        // Any process of the tap (here grep): its sets, as the kernel sees them. (In the
        // nonroot image only tcpdump gets NET_RAW, through its file capability.)
        const RawResult status = rawExec(tap({u"grep"_qs, u"Cap"_qs, u"/proc/self/status"_qs}),
                                         {"v5.channel.k8s.io"});
        auto field = [&](const char *name) {
            const auto m = QRegularExpression(QLatin1String(name) + u":\\s+([0-9a-f]+)"_qs)
                                   .match(QString::fromLatin1(status.channel(1)));
            return m.hasMatch() ? m.captured(1).toULongLong(nullptr, 16) : ~0ULL;
        };
        QCOMPARE(field("CapBnd"), captures ? netRaw : 0ULL);
        QCOMPARE(field("CapEff"), captures ? netRaw : 0ULL);
    }

    const RawResult r
            = rawExec(tap({u"tcpdump"_qs, u"-i"_qs, u"any"_qs, u"-U"_qs, u"-w"_qs, u"-"_qs,
                           u"-c"_qs, u"1"_qs, u"tcp"_qs, u"port"_qs, QString::number(PodPort)}),
                      {"v5.channel.k8s.io"}, {}, 60000);
    if (captures) {
        QVERIFY2(r.channel(2).contains("listening on any"), r.channel(2).constData());
        QCOMPARE(r.channel(3), ExecSession::successStatus());
    } else {
        QVERIFY2(r.channel(2).contains("You don't have permission to perform this capture")
                         || r.channel(2).contains("Operation not permitted"),
                 r.channel(2).constData());
        QCOMPARE(r.channel(3), ExecSession::exitCodeStatus(1));
    }
}

// The nonroot tap profile (docs/tap-contract.md#profiles): uid 65532, NET_RAW reaching
// tcpdump only through the image's file capability (cap_net_raw+ep), which no_new_privs
// disables. Real tcpdump, real capture or tcpdump's real permission error.
void TestPodRuntime::nonRootFileCapabilityTap_data()
{
    QTest::addColumn<QString>("image");
    QTest::addColumn<int>("runAsUser");                // -1: unset
    QTest::addColumn<int>("runAsNonRoot");             // -1: unset, 0, 1
    QTest::addColumn<int>("allowPrivilegeEscalation"); // -1: unset (true), 0, 1
    QTest::addColumn<bool>("netRaw");
    QTest::addColumn<QString>("outcome"); // capture | permission | refused
    QTest::addColumn<QString>("message");
    const QString nonroot = QStringLiteral("example.com/podtap/tcpdump-nonroot:1.0");
    const QString netshoot = QStringLiteral("docker.io/nicolaka/netshoot:v0.16");
    QTest::addRow("nonroot profile: file capability reaches tcpdump")
            << nonroot << 65532 << 1 << -1 << true << QStringLiteral("capture") << QString();
    QTest::addRow("escalation explicitly allowed")
            << nonroot << 65532 << 1 << 1 << true << QStringLiteral("capture") << QString();
    QTest::addRow("image user (65532) when runAsUser is unset")
            << nonroot << -1 << 1 << -1 << true << QStringLiteral("capture") << QString();
    QTest::addRow("no_new_privs disables the file capability")
            << nonroot << 65532 << 1 << 0 << true << QStringLiteral("permission") << QString();
    QTest::addRow("NET_RAW not in the bounding set: nothing to raise")
            << nonroot << 65532 << 1 << -1 << false << QStringLiteral("permission") << QString();
    QTest::addRow("netshoot as a non-root uid: no file capability, no ambient")
            << netshoot << 65532 << 1 << -1 << true << QStringLiteral("permission") << QString();
    QTest::addRow("runAsNonRoot with runAsUser 0")
            << nonroot << 0 << 1 << -1 << true << QStringLiteral("refused")
            << QStringLiteral("container's runAsUser breaks non-root policy (pod: \"%1_%2\", "
                              "container: podtap-abcde)")
                       .arg(Pod, Ns);
    QTest::addRow("runAsNonRoot with an image that runs as root")
            << netshoot << -1 << 1 << 0 << true << QStringLiteral("refused")
            << QStringLiteral("container has runAsNonRoot and image will run as root (pod: "
                              "\"%1_%2\", container: podtap-abcde)")
                       .arg(Pod, Ns);
}

void TestPodRuntime::nonRootFileCapabilityTap()
{
    QFETCH(QString, image);
    QFETCH(int, runAsUser);
    QFETCH(int, runAsNonRoot);
    QFETCH(int, allowPrivilegeEscalation);
    QFETCH(bool, netRaw);
    QFETCH(QString, outcome);
    QFETCH(QString, message);
    ExecRequest req
            = tapRequest({QStringLiteral("tcpdump"), QStringLiteral("-p"), QStringLiteral("-i"),
                          QStringLiteral("any"), QStringLiteral("-U"), QStringLiteral("-w"),
                          QStringLiteral("-"), QStringLiteral("-c"), QStringLiteral("3"),
                          QStringLiteral("tcp"), QStringLiteral("port"), QString::number(PodPort)},
                         netRaw, image);
    req.security.allowPrivilegeEscalation.reset();
    if (allowPrivilegeEscalation >= 0)
        req.security.allowPrivilegeEscalation = allowPrivilegeEscalation == 1;
    if (runAsUser >= 0) {
        req.security.runAsUser = runAsUser;
        req.security.runAsGroup = runAsUser;
    }
    if (runAsNonRoot >= 0)
        req.security.runAsNonRoot = runAsNonRoot == 1;
    const RawResult r = rawExec(req, {"v5.channel.k8s.io"}, {}, 60000);
    if (outcome == QLatin1String("capture")) {
        QVERIFY2(r.channel(3) == ExecSession::successStatus(), r.channel(2).constData());
        QVERIFY(r.channel(2).contains("listening on any"));
        QVERIFY(r.channel(2).contains("3 packets captured"));
        QCOMPARE(r.channel(1).left(4), QByteArray("\xd4\xc3\xb2\xa1", 4));
        QVERIFY(r.channel(1).size() > 24 + 3 * 16);
    } else if (outcome == QLatin1String("permission")) {
        // tcpdump's own words when socket(AF_PACKET) is refused.
        QVERIFY2(r.channel(2).contains("You don't have permission to perform this capture")
                         && r.channel(2).contains("Operation not permitted"),
                 r.channel(2).constData());
        QCOMPARE(r.channel(1).size(), 0);
        QCOMPARE(r.channel(3), ExecSession::exitCodeStatus(1));
    } else {
        QVERIFY2(r.channel(3).contains(message.toUtf8().replace('"', "\\\"")),
                 r.channel(3).constData());
        QCOMPARE(r.channel(1).size(), 0);
    }
}

void TestPodRuntime::nonRootIdentity()
{
    // Any command but tcpdump in the nonroot image: uid/gid 65532, NET_RAW only bounding,
    // nothing effective (Kubernetes grants no ambient capabilities), no no_new_privs.
    ExecRequest req = tapRequest({QStringLiteral("grep"), QStringLiteral("-E"),
                                  QStringLiteral("^(Uid|Gid|CapEff|CapAmb|CapBnd|NoNewPrivs):"),
                                  QStringLiteral("/proc/self/status")},
                                 true, QStringLiteral("example.com/podtap/tcpdump-nonroot:1.0"));
    req.security.allowPrivilegeEscalation.reset();
    req.security.runAsUser = 65532;
    req.security.runAsGroup = 65532;
    req.security.runAsNonRoot = true;
    const RawResult r = rawExec(req, {"v5.channel.k8s.io"});
    const QByteArray out = r.channel(1);
    QVERIFY2(out.contains("Uid:\t65532\t65532\t65532\t65532"), out.constData());
    QVERIFY2(out.contains("Gid:\t65532\t65532\t65532\t65532"), out.constData());
    QVERIFY2(out.contains("CapEff:\t0000000000000000"), out.constData());
    QVERIFY2(out.contains("CapAmb:\t0000000000000000"), out.constData());
    QVERIFY2(out.contains("CapBnd:\t0000000000002000"), out.constData());
    QVERIFY2(out.contains("NoNewPrivs:\t0"), out.constData());
}

void TestPodRuntime::faultCutAfterBytes()
{
    m_runtime->setExecFault(Ns, Pod, FaultSpec{5, -1, false, {}});
    const RawResult r = rawExec(appRequest({QStringLiteral("echo"), QStringLiteral("hello")}),
                                {"v5.channel.k8s.io"});
    m_runtime->setExecFault(Ns, Pod, FaultSpec{});
    QVERIFY(r.disconnected);
    QCOMPARE(r.afterHead.size(), 5); // 3 bytes ready frame + 2 bytes of the next frame
    QCOMPARE(r.closeCode(), -1);
}

void TestPodRuntime::faultCutAfterMs()
{
    m_runtime->setExecFault(Ns, Pod, FaultSpec{-1, 300, false, {}});
    QElapsedTimer t;
    t.start();
    const RawResult r = rawExec(appRequest({QStringLiteral("sleep"), QStringLiteral("10")}),
                                {"v5.channel.k8s.io"});
    m_runtime->setExecFault(Ns, Pod, FaultSpec{});
    QVERIFY(r.disconnected);
    QVERIFY(t.elapsed() < 5000);
    QCOMPARE(r.closeCode(), -1);
    QCOMPARE(r.channel(3), QByteArray());
}

void TestPodRuntime::faultStall()
{
    m_runtime->setExecFault(Ns, Pod, FaultSpec{-1, -1, true, {}});
    const RawResult r = rawExec(
            appRequest({QStringLiteral("echo"), QStringLiteral("hello")}), {"v5.channel.k8s.io"},
            {WebSocketCodec::encodeFrame(WebSocketCodec::Ping, "x", true)}, 20000, 1500);
    m_runtime->setExecFault(Ns, Pod, FaultSpec{});
    QVERIFY(!r.disconnected);
    QCOMPARE(r.afterHead, QByteArray("\x82\x01\x01", 3)); // only the ready frame, no pong
    QTRY_COMPARE_WITH_TIMEOUT(m_runtime->activeExecSessions(), 0, 10000); // client left → cleaned
}

void TestPodRuntime::orphanAfterCutAndScopedPkill()
{
    // A tap whose stream breaks leaves tcpdump running, as on a node; podtap then runs
    // `pkill -x tcpdump` in the tap container, which must reach only that container.
    const ExecRequest tap
            = tapRequest({QStringLiteral("tcpdump"), QStringLiteral("-i"), QStringLiteral("any"),
                          QStringLiteral("-U"), QStringLiteral("-w"), QStringLiteral("-"),
                          QStringLiteral("tcp"), QStringLiteral("port"), QString::number(PodPort)},
                         true, QStringLiteral("nicolaka/netshoot:v0.16"));
    m_runtime->setExecFault(Ns, Pod, FaultSpec{-1, 500, false, {}});
    const RawResult cut = rawExec(tap, {"v5.channel.k8s.io"});
    m_runtime->setExecFault(Ns, Pod, FaultSpec{});
    QVERIFY(cut.disconnected);
    QCOMPARE(cut.closeCode(), -1);
    QTest::qWait(300);
    const QStringList pkill{QStringLiteral("pkill"), QStringLiteral("-x"),
                            QStringLiteral("tcpdump")};
    // Another container of the pod has no tcpdump: exit 1.
    QCOMPARE(rawExec(appRequest(pkill), {"v5.channel.k8s.io"}).channel(3),
             ExecSession::exitCodeStatus(1));
    ExecRequest kill = tap;
    kill.argv = pkill;
    QCOMPARE(rawExec(kill, {"v5.channel.k8s.io"}).channel(3), ExecSession::successStatus());
    QTest::qWait(500);
    QCOMPARE(rawExec(kill, {"v5.channel.k8s.io"}).channel(3), ExecSession::exitCodeStatus(1));
}

void TestPodRuntime::backPressureDeliversEverything()
{
    // 16 MiB through a client that does not read for a while: nothing lost, bounded buffering.
    m_plain->nextRequest = appRequest({QStringLiteral("head"), QStringLiteral("-c"),
                                       QStringLiteral("16777216"), QStringLiteral("/dev/zero")});
    QTcpSocket socket;
    socket.setReadBufferSize(4096);
    socket.connectToHost(QHostAddress::LocalHost, m_plain->serverPort());
    QTRY_COMPARE(socket.state(), QAbstractSocket::ConnectedState);
    socket.write("GET /x HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                 "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n");
    socket.flush();
    QTest::qWait(1500); // not reading: the session must pause the command
    socket.setReadBufferSize(0);
    QByteArray all;
    QElapsedTimer t;
    t.start();
    while (socket.state() != QAbstractSocket::UnconnectedState && t.elapsed() < 60000) {
        QTest::qWait(5);
        all += socket.readAll();
    }
    all += socket.readAll();
    WebSocketCodec codec(1 << 30, false);
    codec.append(all.mid(all.indexOf("\r\n\r\n") + 4));
    WebSocketCodec::Message m;
    qint64 stdoutBytes = 0;
    QByteArray status;
    while (codec.takeMessage(&m)) {
        if (m.opcode == WebSocketCodec::Binary && m.payload.startsWith('\x01'))
            stdoutBytes += m.payload.size() - 1;
        if (m.opcode == WebSocketCodec::Binary && m.payload.startsWith('\x03'))
            status = m.payload.mid(1);
    }
    QCOMPARE(stdoutBytes, 16777216);
    QCOMPARE(status, ExecSession::successStatus());
}

void TestPodRuntime::shutdownLeavesNothing()
{
    QVERIFY(!ourNamespaces().isEmpty());
    const QString clientRecord = m_runtime->trafficRecordPath(Ns, Pod, true);
    m_runtime->shutdown();
    if (!clientRecord.isEmpty()) {
        // trafficgen got SIGTERM and recorded its open connections (hashes for capture checks).
        QFile record(clientRecord);
        QVERIFY(record.open(QIODevice::ReadOnly));
        const QByteArray lines = record.readAll();
        QVERIFY2(lines.contains("\"sha256\"") && lines.contains(m_podIp.toLatin1()),
                 lines.constData());
    }
    QCOMPARE(ourNamespaces(), QStringList());
    QCOMPARE(tcpLinks(), m_linksBefore);
    QVERIFY(QDir(m_state.path()).entryList({QStringLiteral("ksim-*.json")}, QDir::Files).isEmpty());
}

void TestPodRuntime::cleanStaleAfterKill9()
{
    // A "kubesim" that made a namespace, started a process in it and was killed with -9.
    QProcess fake;
    fake.start(QStringLiteral("sh"),
               {QStringLiteral("-c"),
                QStringLiteral("ip netns add ksim$$-p1 && ip netns exec ksim$$-p1 sleep 301 & "
                               "echo $$; exec sleep 302")});
    QVERIFY(fake.waitForReadyRead(5000));
    const qint64 pid = fake.readLine().trimmed().toLongLong();
    const QString name = QStringLiteral("ksim%1-p1").arg(pid);
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(QStringLiteral("/run/netns/") + name), 5000);
    QTest::qWait(200);
    ::kill(pid_t(pid), SIGKILL);
    fake.waitForFinished(5000);
    QDir(m_state.path()).mkpath(QStringLiteral("."));
    QFile state(m_state.filePath(QStringLiteral("ksim-%1.json").arg(pid)));
    QVERIFY(state.open(QIODevice::WriteOnly));
    state.close();

    PodRuntime fresh(m_state.path());
    QString error;
    QVERIFY2(fresh.cleanStale(&error), qPrintable(error));
    QVERIFY(!QFile::exists(QStringLiteral("/run/netns/") + name));
    QVERIFY(!state.exists());
    int rc = 0;
    run({QStringLiteral("pgrep"), QStringLiteral("-f"), QStringLiteral("^sleep 301$")}, &rc);
    QCOMPARE(rc, 1); // the process left inside the namespace is gone too
}

QTEST_GUILESS_MAIN(TestPodRuntime)
#include "tst_podruntime.moc"
