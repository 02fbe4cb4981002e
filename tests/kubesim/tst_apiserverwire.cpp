// Wire-level behaviour of kubesim's API server with a raw TLS client: incremental parsing,
// keep-alive, Status bodies, fault knobs and watch streams (chunking, 410, bookmarks, timeout).
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>

namespace {

struct Response
{
    int status = 0;
    QByteArray headers, body;
    bool complete = false;
};

} // namespace

class TstApiServerWire : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void byteByByteAndPipelined();
    void unauthenticated();
    void unauthorizedOnce();
    void expiringToken();
    void basicAuth_data();
    void basicAuth();
    void execCredentialPlugin_data();
    void execCredentialPlugin();
    void injectedStatuses();
    void injectedDelay();
    void oversizedHeader();
    void watchTooOld();
    void watchTimeoutAndBookmark();
    void watchExpires();

private:
    bool connectTo(QSslSocket &s);
    static Response readResponse(QSslSocket &s, int timeoutMs = 5000);
    static QByteArray get(const QByteArray &target, const QByteArray &token = "wire-token");

    QTemporaryDir m_dir;
    QProcess m_kubesim;
    quint16 m_port = 0;
    QSslCertificate m_ca;
};

void TstApiServerWire::initTestCase()
{
    const QString kc = m_dir.filePath(QStringLiteral("kubeconfig"));
    m_kubesim.setProgram(QStringLiteral(KUBESIM_BIN));
    m_kubesim.setArguments({QStringLiteral("--scenario"),
                            QStringLiteral(SRCDIR "/scenarios/faults.yaml"),
                            QStringLiteral("--kubeconfig-out"), kc, QStringLiteral("--state-dir"),
                            m_dir.filePath(QStringLiteral("state"))});
    m_kubesim.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_kubesim.start();
    QVERIFY(m_kubesim.waitForStarted());
    QByteArray line;
    QElapsedTimer t;
    t.start();
    while (!line.endsWith('\n') && t.elapsed() < 10000) {
        m_kubesim.waitForReadyRead(200);
        line += m_kubesim.readLine();
    }
    const auto m = QRegularExpression(
                           QStringLiteral("^kubesim ready https://127\\.0\\.0\\.1:(\\d+)\\n$"))
                           .match(QString::fromUtf8(line));
    QVERIFY2(m.hasMatch(), line.constData());
    m_port = quint16(m.captured(1).toUInt());
    QFile f(kc);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const auto ca = QRegularExpression(QStringLiteral("certificate-authority-data: (\\S+)"))
                            .match(QString::fromUtf8(f.readAll()));
    QVERIFY(ca.hasMatch());
    m_ca = QSslCertificate(QByteArray::fromBase64(ca.captured(1).toLatin1()), QSsl::Pem);
    QVERIFY(!m_ca.isNull());
}

void TstApiServerWire::cleanupTestCase()
{
    m_kubesim.terminate();
    QVERIFY(m_kubesim.waitForFinished(15000));
    QCOMPARE(m_kubesim.exitCode(), 0);
}

bool TstApiServerWire::connectTo(QSslSocket &s)
{
    QSslConfiguration cfg = s.sslConfiguration();
    cfg.setCaCertificates({m_ca});
    s.setSslConfiguration(cfg);
    s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_port, QStringLiteral("localhost"));
    return s.waitForEncrypted(5000);
}

QByteArray TstApiServerWire::get(const QByteArray &target, const QByteArray &token)
{
    return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + token
           + "\r\nAccept: application/json\r\n\r\n";
}

Response TstApiServerWire::readResponse(QSslSocket &s, int timeoutMs)
{
    Response r;
    // Bytes after one response belong to the next one: keep them with the socket.
    QByteArray buf = s.property("kubesimPending").toByteArray();
    struct Keep
    {
        QSslSocket &s;
        QByteArray &b;
        ~Keep() { s.setProperty("kubesimPending", b); }
    } keep{s, buf};
    QElapsedTimer t;
    t.start();
    auto fill = [&] {
        if (s.bytesAvailable() == 0 && !s.waitForReadyRead(100))
            return t.elapsed() < timeoutMs;
        buf += s.readAll();
        return true;
    };
    int end = -1;
    while ((end = buf.indexOf("\r\n\r\n")) < 0)
        if (!fill())
            return r;
    r.headers = buf.left(end);
    buf.remove(0, end + 4);
    r.status = r.headers.mid(9, 3).toInt();
    const auto cl = QRegularExpression(QStringLiteral("(?i)content-length: (\\d+)"))
                            .match(QString::fromLatin1(r.headers));
    if (cl.hasMatch()) {
        const int len = cl.captured(1).toInt();
        while (buf.size() < len)
            if (!fill())
                return r;
        r.body = buf.left(len);
        buf.remove(0, len);
        r.complete = true;
        return r;
    }
    // chunked
    for (;;) {
        int nl;
        while ((nl = buf.indexOf("\r\n")) < 0)
            if (!fill())
                return r;
        const int size = buf.left(nl).toInt(nullptr, 16);
        while (buf.size() < nl + 2 + size + 2)
            if (!fill())
                return r;
        if (size == 0) {
            buf.remove(0, nl + 4);
            r.complete = true;
            return r;
        }
        r.body += buf.mid(nl + 2, size);
        buf.remove(0, nl + 2 + size + 2);
    }
}

void TstApiServerWire::byteByByteAndPipelined()
{
    QSslSocket s;
    QVERIFY(connectTo(s));
    const QByteArray req = get("/api/v1/namespaces/shop/pods/web-0");
    for (char c : req) {
        s.write(&c, 1);
        s.flush();
        QTest::qWait(1);
    }
    Response r = readResponse(s);
    QCOMPARE(r.status, 200);
    QCOMPARE(QJsonDocument::fromJson(r.body).object().value(QStringLiteral("kind")).toString(),
             QStringLiteral("Pod"));
    // Two requests in one write on the same connection: two answers in order.
    s.write(get("/version") + get("/api/v1/namespaces/shop/pods/nope"));
    r = readResponse(s);
    QCOMPARE(r.status, 200);
    QVERIFY(r.body.contains("gitVersion"));
    r = readResponse(s);
    QCOMPARE(r.status, 404);
    QCOMPARE(
            QJsonDocument::fromJson(r.body).object(),
            QJsonDocument::fromJson(
                    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"nope\" not found","reason":"NotFound","details":{"name":"nope","kind":"pods"},"code":404})")
                    .object());
}

void TstApiServerWire::unauthenticated()
{
    QSslSocket s;
    QVERIFY(connectTo(s));
    s.write(get("/api/v1/namespaces/shop/pods", "wrong"));
    const Response r = readResponse(s);
    QCOMPARE(r.status, 401);
    QCOMPARE(
            QJsonDocument::fromJson(r.body).object(),
            QJsonDocument::fromJson(
                    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})")
                    .object());
}

void TstApiServerWire::unauthorizedOnce()
{
    QSslSocket s;
    QVERIFY(connectTo(s));
    s.write(get("/api/v1/namespaces/shop/pods", "flaky-token"));
    QCOMPARE(readResponse(s).status, 401);
    s.write(get("/api/v1/namespaces/shop/pods", "flaky-token"));
    QCOMPARE(readResponse(s).status, 200);
    s.write(get("/api/v1/namespaces/shop/events", "flaky-token"));
    const Response r = readResponse(s);
    QCOMPARE(r.status, 403);
    QCOMPARE(QJsonDocument::fromJson(r.body).object().value(QStringLiteral("message")).toString(),
             QStringLiteral("events is forbidden: User \"flaky\" cannot list resource "
                            "\"events\" in API group \"\" in the namespace \"shop\""));
}

void TstApiServerWire::expiringToken()
{
    // What the exec plugin hands out with --ttl: <token>.exp<epoch>, refused once expired.
    QSslSocket s;
    QVERIFY(connectTo(s));
    const QByteArray future = QByteArray::number(QDateTime::currentSecsSinceEpoch() + 60);
    const QByteArray past = QByteArray::number(QDateTime::currentSecsSinceEpoch() - 1);
    s.write(get("/api/v1/namespaces/shop/pods", "wire-token.exp" + future));
    QCOMPARE(readResponse(s).status, 200);
    s.write(get("/api/v1/namespaces/shop/pods", "wire-token.exp" + past));
    QCOMPARE(readResponse(s).status, 401);
}

void TstApiServerWire::basicAuth_data()
{
    QTest::addColumn<QByteArray>("credentials");
    QTest::addColumn<int>("status");
    QTest::addRow("right") << QByteArray("basic-user:basic:pass") << 200;
    QTest::addRow("wrong password") << QByteArray("basic-user:basic:pasS") << 401;
    QTest::addRow("password prefix") << QByteArray("basic-user:basic") << 401;
    QTest::addRow("unknown user") << QByteArray("basic:basic:pass") << 401;
    QTest::addRow("no colon") << QByteArray("basic-user") << 401;
}

void TstApiServerWire::basicAuth()
{
    QFETCH(QByteArray, credentials);
    QFETCH(int, status);
    QSslSocket s;
    QVERIFY(connectTo(s));
    s.write("GET /api/v1/namespaces/shop/pods HTTP/1.1\r\nHost: localhost\r\nAuthorization: "
            "Basic "
            + credentials.toBase64() + "\r\nAccept: application/json\r\n\r\n");
    const Response r = readResponse(s);
    QCOMPARE(r.status, status);
    if (status == 401)
        QCOMPARE(QJsonDocument::fromJson(r.body).object().value(QStringLiteral("reason")),
                 QStringLiteral("Unauthorized"));
    else
        QCOMPARE(QJsonDocument::fromJson(r.body).object().value(QStringLiteral("kind")),
                 QStringLiteral("PodList"));
}

void TstApiServerWire::execCredentialPlugin_data()
{
    QTest::addColumn<QByteArray>("execInfo");
    QTest::addColumn<QString>("apiVersion");
    QTest::addRow("v1") << QByteArray(
            R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}})")
                        << QStringLiteral("client.authentication.k8s.io/v1");
    QTest::addRow("v1beta1") << QByteArray(
            R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}})")
                             << QStringLiteral("client.authentication.k8s.io/v1beta1");
}

void TstApiServerWire::execCredentialPlugin()
{
    QFETCH(QByteArray, execInfo);
    QFETCH(QString, apiVersion);
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("KUBERNETES_EXEC_INFO"), QString::fromUtf8(execInfo));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(KUBESIM_BIN),
            {QStringLiteral("exec-credential"), QStringLiteral("--token"), QStringLiteral("abc"),
             QStringLiteral("--ttl"), QStringLiteral("120")});
    QVERIFY(p.waitForFinished(5000));
    QCOMPARE(p.exitCode(), 0);
    const QJsonObject cred = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    QCOMPARE(cred.value(QStringLiteral("kind")).toString(), QStringLiteral("ExecCredential"));
    QCOMPARE(cred.value(QStringLiteral("apiVersion")).toString(), apiVersion);
    const QJsonObject st = cred.value(QStringLiteral("status")).toObject();
    QVERIFY(st.value(QStringLiteral("token")).toString().startsWith(QLatin1String("abc.exp")));
    const QDateTime exp = QDateTime::fromString(
            st.value(QStringLiteral("expirationTimestamp")).toString(), Qt::ISODate);
    QVERIFY(exp.isValid());
    QVERIFY(qAbs(QDateTime::currentDateTimeUtc().secsTo(exp) - 120) < 5);
}

void TstApiServerWire::injectedStatuses()
{
    QSslSocket s;
    QVERIFY(connectTo(s));
    s.write(get("/api/v1/namespaces/shop/services"));
    Response r = readResponse(s);
    QCOMPARE(r.status, 503);
    QVERIFY(r.headers.contains("Retry-After: 1"));
    QCOMPARE(QJsonDocument::fromJson(r.body).object().value(QStringLiteral("reason")).toString(),
             QStringLiteral("ServiceUnavailable"));
    s.write(get("/api/v1/namespaces/shop/services"));
    r = readResponse(s);
    QCOMPARE(r.status, 429);
    QCOMPARE(QJsonDocument::fromJson(r.body).object().value(QStringLiteral("reason")).toString(),
             QStringLiteral("TooManyRequests"));
    s.write(get("/api/v1/namespaces/shop/services"));
    QCOMPARE(readResponse(s).status, 200); // both faults had count 1
}

void TstApiServerWire::injectedDelay()
{
    QSslSocket s;
    QVERIFY(connectTo(s));
    QElapsedTimer t;
    t.start();
    s.write(get("/apis/apps/v1/namespaces/shop/deployments"));
    QCOMPARE(readResponse(s).status, 200);
    QVERIFY(t.elapsed() >= 550);
}

void TstApiServerWire::oversizedHeader()
{
    QSslSocket s;
    QVERIFY(connectTo(s));
    s.write("GET /version HTTP/1.1\r\nX-Big: " + QByteArray(70000, 'a') + "\r\n\r\n");
    const Response r = readResponse(s);
    QCOMPARE(r.status, 431);
}

void TstApiServerWire::watchTooOld()
{
    QSslSocket s;
    QVERIFY(connectTo(s));
    s.write(get("/api/v1/namespaces/shop/pods?watch=true&resourceVersion=1"));
    const Response r = readResponse(s);
    QCOMPARE(r.status, 200);
    QVERIFY(r.headers.contains("Transfer-Encoding: chunked"));
    const QJsonObject ev = QJsonDocument::fromJson(r.body.trimmed()).object();
    QCOMPARE(ev.value(QStringLiteral("type")).toString(), QStringLiteral("ERROR"));
    const QJsonObject st = ev.value(QStringLiteral("object")).toObject();
    QCOMPARE(st.value(QStringLiteral("code")).toInt(), 410);
    QCOMPARE(st.value(QStringLiteral("reason")).toString(), QStringLiteral("Expired"));
    QVERIFY(st.value(QStringLiteral("message"))
                    .toString()
                    .startsWith(QLatin1String("too old resource version: 1 (")));
}

void TstApiServerWire::watchTimeoutAndBookmark()
{
    QSslSocket s;
    QVERIFY(connectTo(s));
    QElapsedTimer t;
    t.start();
    s.write(get("/api/v1/namespaces/shop/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=1"));
    const Response r = readResponse(s);
    QVERIFY(r.complete);
    QVERIFY(t.elapsed() >= 900);
    const QList<QByteArray> lines = r.body.trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    QCOMPARE(QJsonDocument::fromJson(lines.at(0)).object().value(QStringLiteral("type")).toString(),
             QStringLiteral("ADDED"));
    QCOMPARE(QJsonDocument::fromJson(lines.at(1)).object().value(QStringLiteral("type")).toString(),
             QStringLiteral("BOOKMARK"));
    // Keep-alive survives the stream.
    s.write(get("/version"));
    QCOMPARE(readResponse(s).status, 200);
}

void TstApiServerWire::watchExpires()
{
    QSslSocket s;
    QVERIFY(connectTo(s));
    s.write(get("/api/v1/namespaces/shop/pods?watch=true&resourceVersion=0"));
    const Response r = readResponse(s, 8000);
    QVERIFY(r.complete);
    const QList<QByteArray> lines = r.body.trimmed().split('\n');
    const QJsonObject last = QJsonDocument::fromJson(lines.last()).object();
    QCOMPARE(last.value(QStringLiteral("type")).toString(), QStringLiteral("ERROR"));
    QCOMPARE(last.value(QStringLiteral("object")).toObject().value(QStringLiteral("code")).toInt(),
             410);
}

QTEST_GUILESS_MAIN(TstApiServerWire)
#include "tst_apiserverwire.moc"
