// Issue 16, part 3: a pod with a service-mesh sidecar. Real parts only: kubesim's pod runs
// trafficgen's HTTP server on 8080 and a TLS-terminating sidecar (trafficgen tls-proxy on 15006,
// a real iptables REDIRECT in the pod's namespace) that forwards plaintext to 127.0.0.1:8080;
// real curl clients speak TLS to the pod port from kubesim's client namespace; podtap's tap is
// real tcpdump on "any", so it sees every connection twice: TLS on eth0, plaintext on lo.
// - preflight names the sidecar (and says nothing of a mesh for a pod without one);
// - `podtap mirror` sends the local server exactly the plaintext requests, each once, and not
//   one TLS byte; its counts and its summary say how many TLS connections were left out;
// - with --join-midstream, a TLS connection open before the tap is still never mirrored, and
//   the sidecar's plaintext connection is joined at its next request.
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QStandardPaths>
#include <QTest>

#include "support/clirunner.h"
#include "support/jsonhelpers.h"
#include "support/sessionbench.h"

#include <csignal>

using namespace Qt::StringLiterals;
using namespace podtap::test;

class TestMeshMirror : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void preflightNamesTheSidecar();
    void mirrorsOnlyThePlaintextHop();
    void joinedTlsConnectionIsNotMirrored();
    void cleanup();
    void cleanupTestCase();

private:
    SessionBench m_bench;
    QMap<QString, QString> m_podIp;
};

void TestMeshMirror::initTestCase()
{
    if (const QString why = SessionBench::skipReason(); !why.isEmpty())
        QSKIP(qPrintable(why));
    if (QStandardPaths::findExecutable(u"curl"_s).isEmpty()
        || QStandardPaths::findExecutable(u"iptables"_s).isEmpty())
        QSKIP("needs curl (the TLS clients) and iptables (the sidecar's REDIRECT): "
              "scripts/install-deps installs both");
    QString error;
    QVERIFY2(m_bench.start(QStringLiteral(SRCDIR "/scenarios/mesh.yaml"), &error),
             qPrintable(error));
    m_podIp = m_bench.podIps(u"shop"_s, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY2(m_bench.startDaemon(&error), qPrintable(error));
}

void TestMeshMirror::cleanup()
{
    m_bench.cleanupCase("podtapd.log, cli.log, request records, curl output");
}

void TestMeshMirror::cleanupTestCase()
{
    m_bench.stop();
}

void TestMeshMirror::preflightNamesTheSidecar()
{
    const SessionBench::Run r = m_bench.podtap({u"preflight"_s, u"shop/reviews"_s, u"--port"_s,
                                                u"8080"_s, u"--context"_s, u"tapper"_s});
    QVERIFY2(r.code == 0, QByteArray(r.out + r.err).constData());
    QVERIFY2(r.out.contains("pod has a service-mesh sidecar (istio-proxy): inbound connections "
                            "arrive as TLS on eth0 and are mirrored from the plaintext hop on lo"),
             r.out.constData());
    const SessionBench::Run json
            = m_bench.podtap({u"preflight"_s, u"shop/ratings"_s, u"--port"_s, u"8080"_s,
                              u"--json"_s, u"--context"_s, u"tapper"_s});
    QVERIFY2(json.code == 0, QByteArray(json.out + json.err).constData());
    const QJsonArray items = QJsonDocument::fromJson(json.out).object().value(u"items"_s).toArray();
    QVERIFY(!items.isEmpty());
    for (const QJsonValue i : items)
        QVERIFY2(i[u"id"_s].toString() != u"mesh"_s, json.out.constData());
}

void TestMeshMirror::mirrorsOnlyThePlaintextHop()
{
    quint16 port = 0;
    const QString localRecord = m_bench.filePath(u"local-requests.jsonl"_s);
    m_bench.startServer(u"local"_s, {u"--mode"_s, u"http"_s, u"--record-requests"_s, localRecord},
                        &port);
    QVERIFY(port > 0);

    QProcess mirror;
    mirror.setProcessEnvironment(m_bench.environment());
    mirror.start(CliRunner::podtap(), {u"mirror"_s, u"shop/reviews"_s, u"--port"_s, u"8080"_s,
                                       u"--to"_s, u"127.0.0.1:"_s + QString::number(port),
                                       u"--context"_s, u"tapper"_s, u"--no-start"_s});
    QVERIFY(mirror.waitForStarted());
    QByteArray err;
    const QString session = CliRunner::waitForCapturing(&mirror, &err);
    QVERIFY2(!session.isEmpty(), err.constData());

    // 6 TLS connections (curl, TLS 1.3 and 1.2), each carrying 5 keep-alive requests with
    // paths no other request has.
    constexpr int Connections = 6, PerConnection = 5;
    QSet<QString> expected;
    const QString target = u"https://"_s + m_podIp.value(u"reviews"_s) + u":8080"_s;
    for (int c = 0; c < Connections; ++c) {
        QStringList args{u"netns"_s,
                         u"exec"_s,
                         m_bench.kubesim().netns(u"c1"_s),
                         u"curl"_s,
                         u"-sSk"_s,
                         u"--http1.1"_s,
                         u"--max-time"_s,
                         u"30"_s,
                         u"-o"_s,
                         u"/dev/null"_s,
                         u"-w"_s,
                         u"%{http_code} %{num_connects}\\n"_s,
                         c % 2 ? u"--tls-max"_s : u"--tlsv1.3"_s};
        if (c % 2)
            args << u"1.2"_s;
        for (int i = 0; i < PerConnection; ++i) {
            const QString path = u"/reviews/%1-%2"_s.arg(c).arg(i);
            args << target + path;
            expected.insert(u"GET "_s + path + u" HTTP/1.1"_s);
        }
        const SessionBench::Run r = m_bench.tool(u"ip"_s, args, 60000);
        m_bench.keep(u"curl.out"_s, r.out + r.err);
        QVERIFY2(r.code == 0, QByteArray(r.out + r.err).constData());
        // Every request answered by the app behind the sidecar, over one connection.
        QCOMPARE(r.out.count("200 "), PerConnection);
        QCOMPARE(r.out.count("200 1\n"), 1);
    }

    bool settled = false;
    const QJsonObject live = m_bench.waitSummary(
            session, "mirror", 60000,
            [](const QJsonObject &s, qint64) {
                return num(s, "mirror.tlsNotMirrored") >= Connections
                       && num(s, "mirror.requestsMirrored") >= Connections * PerConnection
                       && num(s, "mirror.open") == 0;
            },
            &settled);
    QVERIFY2(settled, qPrintable(pretty(at(live, "mirror").toObject())));

    ::kill(pid_t(mirror.processId()), SIGINT);
    QVERIFY(mirror.waitForFinished(60000));
    err += mirror.readAllStandardError();
    m_bench.keep(u"mirror.stderr"_s, err);
    QVERIFY2(mirror.exitCode() == 0, err.constData());

    // What the local build received: exactly the plaintext requests, each once, whole.
    QTRY_VERIFY_WITH_TIMEOUT(readRecords(localRecord).size() >= expected.size(), 10000);
    QTest::qWait(300); // anything more (a TLS byte would make an error line) shows up too
    const QList<QJsonObject> received = readRecords(localRecord);
    QSet<QString> lines;
    qint64 bytes = 0;
    for (const QJsonObject &r : received) {
        QVERIFY2(!r.contains(u"error"_s), qPrintable(u"not a request: "_s + compact(r)));
        const QString line = str(r, "line");
        QVERIFY2(expected.contains(line), qPrintable(u"unexpected: "_s + compact(r)));
        QVERIFY2(!lines.contains(line), qPrintable(u"twice: "_s + line));
        lines.insert(line);
        bytes += num(r, "bytes");
    }
    QCOMPARE(lines, expected);

    // The counts: every TLS connection left out, every plaintext hop mirrored, no byte more
    // than the requests (so not one TLS byte).
    const QJsonObject m = at(live, "mirror").toObject();
    qInfo("mirror: %s", qPrintable(compact(m)));
    QCOMPARE(num(live, "mirror.tlsNotMirrored"), qint64(Connections));
    QCOMPARE(num(live, "mirror.localHops"), qint64(Connections));
    QCOMPARE(num(live, "mirror.connections"), qint64(Connections));
    QCOMPARE(num(live, "mirror.requestsMirrored"), qint64(Connections * PerConnection));
    QCOMPARE(num(live, "mirror.bytesMirrored"), bytes);
    QCOMPARE(num(live, "mirror.notResyncable") + num(live, "mirror.localErrors"), qint64(0));

    // The summary and `podtap sessions` say it in words.
    const QByteArray said = QByteArray::number(Connections)
                            + " TLS connections not mirrored; the plaintext hop on lo is";
    for (const QByteArray &line : err.split('\n'))
        if (line.startsWith("  mirror"))
            qInfo("%s", line.constData());
    QVERIFY2(err.contains(QByteArray(QByteArray("mirror: ") + said)), err.constData());
    const SessionBench::Run list = m_bench.podtap({u"sessions"_s, u"--no-start"_s});
    QVERIFY2(list.out.contains(said), list.out.constData());
    qInfo("podtap sessions: %s", list.out.trimmed().split('\n').last().constData());
}

void TestMeshMirror::joinedTlsConnectionIsNotMirrored()
{
    // A keep-alive TLS connection open before the tap (openssl s_client, real TLS 1.3): the
    // mirror joins connections mid-stream when asked, but the TLS one starts with an
    // application_data record and must never be mirrored; the sidecar's plaintext connection
    // to the app, open as long, is joined at its next request.
    quint16 port = 0;
    const QString localRecord = m_bench.filePath(u"joined-local-requests.jsonl"_s);
    m_bench.startServer(u"joined-local"_s,
                        {u"--mode"_s, u"http"_s, u"--record-requests"_s, localRecord}, &port);
    QVERIFY(port > 0);

    QProcess tls;
    tls.start(u"ip"_s, {u"netns"_s, u"exec"_s, m_bench.kubesim().netns(u"c1"_s), u"openssl"_s,
                        u"s_client"_s, u"-connect"_s, m_podIp.value(u"reviews"_s) + u":8080"_s,
                        u"-tls1_3"_s, u"-servername"_s, u"reviews.shop"_s, u"-no_ign_eof"_s});
    QVERIFY(tls.waitForStarted());
    QByteArray tlsOut;
    auto request = [&tls, &tlsOut](const QByteArray &path) {
        tls.write("GET " + path + " HTTP/1.1\r\nHost: reviews\r\nX-Response-Size: 16\r\n\r\n");
        const qsizetype answers = tlsOut.count("HTTP/1.1 200");
        QElapsedTimer t;
        t.start();
        while (tlsOut.count("HTTP/1.1 200") == answers && t.elapsed() < 15000) {
            tls.waitForReadyRead(200);
            tlsOut += tls.readAllStandardOutput();
        }
        return tlsOut.count("HTTP/1.1 200") > answers;
    };
    QVERIFY2(request("/before-the-tap"), tlsOut.constData());

    QProcess mirror;
    mirror.setProcessEnvironment(m_bench.environment());
    mirror.start(CliRunner::podtap(),
                 {u"mirror"_s, u"shop/reviews"_s, u"--port"_s, u"8080"_s, u"--to"_s,
                  u"127.0.0.1:"_s + QString::number(port), u"--join-midstream"_s, u"--json"_s,
                  u"--context"_s, u"tapper"_s, u"--no-start"_s});
    QVERIFY(mirror.waitForStarted());
    QByteArray err;
    const QString session = CliRunner::waitForCapturing(&mirror, &err);
    QVERIFY2(!session.isEmpty(), err.constData());
    QVERIFY2(request("/after-the-tap-1"), tlsOut.constData());
    QVERIFY2(request("/after-the-tap-2"), tlsOut.constData());
    tls.closeWriteChannel();
    QVERIFY(tls.waitForFinished(15000));
    m_bench.keep(u"s_client.out"_s, tlsOut + tls.readAllStandardError());

    bool settled = false;
    const QJsonObject live = m_bench.waitSummary(
            session, "mirror", 60000,
            [](const QJsonObject &s, qint64) {
                return num(s, "mirror.tlsNotMirrored") >= 1
                       && num(s, "mirror.requestsMirrored") >= 2 && num(s, "mirror.open") == 0;
            },
            &settled);
    ::kill(pid_t(mirror.processId()), SIGINT);
    QVERIFY(mirror.waitForFinished(60000));
    m_bench.keep(u"joined-mirror.stderr"_s, err + mirror.readAllStandardError());
    QVERIFY2(settled, qPrintable(pretty(at(live, "mirror").toObject())));
    qInfo("mirror: %s", qPrintable(compact(at(live, "mirror").toObject())));

    // The sidecar's hop was joined at the next request: both later requests, whole, once;
    // nothing from before the tap, no TLS byte.
    QTRY_VERIFY_WITH_TIMEOUT(readRecords(localRecord).size() >= 2, 10000);
    QTest::qWait(300);
    QStringList lines;
    for (const QJsonObject &r : readRecords(localRecord)) {
        QVERIFY2(!r.contains(u"error"_s), qPrintable(u"not a request: "_s + compact(r)));
        lines << str(r, "line");
    }
    QCOMPARE(lines,
             (QStringList{u"GET /after-the-tap-1 HTTP/1.1"_s, u"GET /after-the-tap-2 HTTP/1.1"_s}));
    QCOMPARE(num(live, "mirror.tlsNotMirrored"), qint64(1));
    QCOMPARE(num(live, "mirror.joined"), qint64(1)); // the plaintext hop, not the TLS one
    QCOMPARE(num(live, "mirror.localHops"), qint64(1));
    QCOMPARE(num(live, "mirror.connections"), qint64(1));
}

QTEST_GUILESS_MAIN(TestMeshMirror)
#include "tst_meshmirror.moc"
