// `podtap requests` against a real podtapd: the stored session is made from real traffic by
// GrpcShadowSession (a Python gRPC "pod" and a local build that differs on purpose, compared
// call by call by the real ShadowComparator, plus HTTP/1.x from python3 -m http.server and
// curl, all captured by tcpdump and decoded by HttpSink with HTTP/2 on). Checks the human and
// --json output, the --method and --verdict filters, paging past one page, --limit, and the
// exit codes (1 usage, 2 no daemon, 3 no such session).
#include "grpcshadowsession.h"
#include "support/clirunner.h"
#include "support/podtapdprocess.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

namespace {
const QString Session = u"4201"_s;
}

class TestRequestsCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void human();
    void json();
    void filters_data();
    void filters();
    void paging();
    void errors();

private:
    CliRunner::Result podtap(const QStringList &args) const;
    QList<QJsonObject> jsonLines(const QStringList &args);

    QTemporaryDir m_dir;
    PodtapdProcess m_daemon;
    QProcessEnvironment m_env;
    GrpcShadowSession m_session;
};

void TestRequestsCli::initTestCase()
{
    if (const QString why = GrpcShadowSession::unavailable(); !why.isEmpty())
        QSKIP(qPrintable(why));
    QVERIFY(m_dir.isValid());
    QVERIFY(m_daemon.prepare(m_dir.path()));
    QVERIFY(QDir().mkpath(m_daemon.storePath()));
    QString error;
    QVERIFY2(m_session.create(m_daemon.storePath(), Session, m_dir.filePath(u"work"_s), &error),
             qPrintable(error));
    QCOMPARE(m_session.exchanges.size(), 7); // 4 gRPC calls, 3 HTTP/1.x requests
    QCOMPARE(m_session.verdicts.size(), 4);
    m_env = m_daemon.environment({});
    QVERIFY2(m_daemon.start(m_env, &error), qPrintable(error));
    QVERIFY2(m_daemon.waitUntilAnswering(m_env, &error), qPrintable(error));
}

void TestRequestsCli::cleanupTestCase()
{
    if (QTest::currentTestFailed())
        m_daemon.printLogTail();
    m_daemon.terminate();
}

CliRunner::Result TestRequestsCli::podtap(const QStringList &args) const
{
    return CliRunner::run(CliRunner::podtap(), QStringList{u"requests"_s} + args, m_env);
}

QList<QJsonObject> TestRequestsCli::jsonLines(const QStringList &args)
{
    const auto r = podtap(QStringList{Session, u"--json"_s} + args);
    [&] {
        QVERIFY2(r.code == 0, r.err.constData());
    }();
    QList<QJsonObject> out;
    for (const QByteArray &line : r.out.split('\n')) {
        if (line.isEmpty())
            continue;
        QJsonParseError e{};
        const QJsonDocument d = QJsonDocument::fromJson(line, &e);
        [&] {
            QVERIFY2(e.error == QJsonParseError::NoError && d.isObject(), line.constData());
        }();
        out << d.object();
    }
    return out;
}

void TestRequestsCli::human()
{
    const auto r = podtap({Session});
    QVERIFY2(r.code == 0, r.err.constData());
    const QString out = QString::fromUtf8(r.out);
    qInfo().noquote() << "podtap requests" << Session << "\n" << out;
    const QStringList lines = out.split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 1 + 7 + 1); // header, one line per exchange, summary
    QVERIFY(lines.first().startsWith(u"TIME"_s));
    const auto lineWith = [&](const QString &a, const QString &b = {}) {
        for (const QString &l : lines)
            if (l.contains(a) && l.contains(b))
                return l;
        return QString();
    };
    // gRPC: the call's name, HTTP status and grpc-status name + number, the stream.
    const QString unary = lineWith(u"podtaptest.Greeter/SayHello"_s, u" body"_s);
    QVERIFY2(!unary.isEmpty(), qPrintable(out));
    QVERIFY2(unary.contains(u"gRPC"_s) && unary.contains(u"200 OK (0)"_s), qPrintable(unary));
    QVERIFY2(unary.contains(u"/s1 "_s), qPrintable(unary)); // the first stream of its connection
    // The verdict with the field that differs (detail.serial), said once.
    QVERIFY2(unary.endsWith(u" body $[0].2.1"_s), qPrintable(unary));
    const QString fail = lineWith(u"podtaptest.Greeter/Fail"_s);
    QVERIFY2(fail.contains(u"200 NOT_FOUND (5)"_s), qPrintable(fail));
    QVERIFY2(fail.contains(u"status grpc-status NOT_FOUND ≠ OK; "_s), qPrintable(fail));
    QVERIFY2(!lineWith(u"podtaptest.Greeter/CountUp"_s, u" same"_s).isEmpty(), qPrintable(out));
    // HTTP/1.x alike, not compared.
    const QString missing = lineWith(u"GET /missing"_s);
    QVERIFY2(missing.contains(u"HTTP/1.1"_s) && missing.contains(u" 404 "_s), qPrintable(missing));
    QVERIFY2(missing.trimmed().endsWith(u" -"_s), qPrintable(missing));
    QVERIFY2(lineWith(u"GET /hello.txt"_s).contains(u"19 B"_s), qPrintable(out)); // its body
    QCOMPARE(lines.last(), u"7 of 7 requests: 1 body, 3 not compared, 2 same, 1 status"_s);
}

void TestRequestsCli::json()
{
    const QList<QJsonObject> rows = jsonLines({});
    QCOMPARE(rows.size(), 7);
    int grpc = 0, compared = 0;
    for (const QJsonObject &x : rows) {
        QVERIFY(x.contains(u"id"_s) && x.contains(u"index"_s) && x.contains(u"tsNs"_s));
        if (x.contains(u"grpc"_s)) {
            ++grpc;
            QCOMPARE(x[u"protocol"_s].toString(), u"h2"_s);
            QVERIFY(x[u"stream"_s].toInteger() % 2 == 1); // client-initiated streams are odd
            QCOMPARE(x[u"grpc"_s][u"service"_s].toString(), u"podtaptest.Greeter"_s);
            QVERIFY(!x[u"grpc"_s][u"requests"_s].toArray().isEmpty());
            QVERIFY(x.contains(u"compare"_s));
        } else {
            QVERIFY(!x.contains(u"protocol"_s));
        }
        compared += x.contains(u"compare"_s) ? 1 : 0;
    }
    QCOMPARE(grpc, 4);
    QCOMPARE(compared, 4);
    // The records are the daemon's: the same as the stored exchanges (plus `compare`).
    for (const QJsonObject &x : rows) {
        QJsonObject bare = x;
        bare.remove(u"compare"_s);
        QVERIFY(m_session.exchanges.contains(bare));
    }
    // The unary call's reply as the protobuf wire view: HelloReply{message, detail{serial}}.
    for (const QJsonObject &x : rows) {
        if (x[u"grpc"_s][u"method"_s].toString() != u"SayHello"_s
            || x[u"compare"_s][u"verdict"_s].toString() != u"body"_s)
            continue;
        const QJsonArray reply = x[u"grpc"_s][u"responses"_s][0][u"fields"_s].toArray();
        QCOMPARE(reply[0][u"text"_s].toString(), u"hello podtap"_s);
        QCOMPARE(reply[1][u"message"_s][0][u"value"_s].toString(), u"4242"_s);
    }
}

void TestRequestsCli::filters_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("count");
    QTest::addRow("gRPC method name") << QStringList{u"--method"_s, u"SayHello"_s} << 2;
    QTest::addRow("gRPC full method")
            << QStringList{u"--method"_s, u"podtaptest.Greeter/Fail"_s} << 1;
    QTest::addRow("another service") << QStringList{u"--method"_s, u"other.Greeter/Fail"_s} << 0;
    QTest::addRow("HTTP method, lower case") << QStringList{u"--method"_s, u"get"_s} << 3;
    QTest::addRow("POST: the gRPC calls") << QStringList{u"--method"_s, u"POST"_s} << 4;
    QTest::addRow("differ") << QStringList{u"--verdict"_s, u"differ"_s} << 2;
    QTest::addRow("none") << QStringList{u"--verdict"_s, u"none"_s} << 3;
    QTest::addRow("same,status") << QStringList{u"--verdict"_s, u"same,status"_s} << 3;
    QTest::addRow("method and verdict")
            << QStringList{u"--method"_s, u"SayHello"_s, u"--verdict"_s, u"same"_s} << 1;
    QTest::addRow("limit") << QStringList{u"--limit"_s, u"5"_s} << 5;
}

void TestRequestsCli::filters()
{
    QFETCH(QStringList, args);
    QFETCH(int, count);
    const QList<QJsonObject> rows = jsonLines(args);
    QCOMPARE(rows.size(), count);
    const qsizetype m = args.indexOf(u"--method"_s);
    for (const QJsonObject &x : rows) {
        if (m >= 0 && args[m + 1].contains(u"Greeter"_s))
            QCOMPARE(x[u"grpc"_s][u"service"_s].toString() + u'/'
                             + x[u"grpc"_s][u"method"_s].toString(),
                     args[m + 1]);
        if (args.contains(u"differ"_s)) {
            const QString v = x[u"compare"_s][u"verdict"_s].toString();
            QVERIFY2(v == u"body"_s || v == u"status"_s, qPrintable(v));
        }
    }
    // The human output agrees.
    const auto r = podtap(QStringList{Session} + args);
    QVERIFY2(r.code == 0, r.err.constData());
    const QStringList lines = QString::fromUtf8(r.out).split(u'\n', Qt::SkipEmptyParts);
    if (count == 0)
        QVERIFY2(lines.constFirst().startsWith(u"no requests in session"_s), r.out.constData());
    else
        QCOMPARE(lines.size(), count + 2);
}

void TestRequestsCli::paging()
{
    const QList<QJsonObject> whole = jsonLines({});
    // Pages of 2 and 3: every record once, in the same order.
    for (const QString &size : {u"1"_s, u"2"_s, u"3"_s}) {
        const QList<QJsonObject> paged = jsonLines({u"--page-size"_s, size});
        QCOMPARE(paged, whole);
    }
    // A filter with pages: the daemon filters before paging.
    QCOMPARE(jsonLines({u"--page-size"_s, u"1"_s, u"--verdict"_s, u"none"_s}).size(), 3);
    QCOMPARE(jsonLines({u"--page-size"_s, u"2"_s, u"--limit"_s, u"3"_s}), whole.mid(0, 3));
}

void TestRequestsCli::errors()
{
    auto r = podtap({Session, u"--verdict"_s, u"bogus"_s});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("unknown verdict \"bogus\""), r.err.constData());
    for (const char *name : {"same", "status", "body", "headers", "local-error", "local-timeout",
                             "not-comparable", "differ", "none"})
        QVERIFY2(r.err.contains(name), r.err.constData());
    QVERIFY(r.out.isEmpty());
    r = podtap({});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("usage: podtap requests SESSION"));
    r = podtap({Session, u"--limit"_s, u"0"_s});
    QCOMPARE(r.code, 1);
    r = podtap({Session, u"--page-size"_s, u"10001"_s});
    QCOMPARE(r.code, 1);
    r = podtap({u"999999"_s});
    QCOMPARE(r.code, 3);
    QVERIFY2(!r.err.isEmpty(), "no message for an unknown session");
    // Nobody answers on the socket and --no-start: 2.
    r = podtap({Session, u"--no-start"_s, u"--socket"_s, m_dir.filePath(u"nobody.sock"_s)});
    QCOMPARE(r.code, 2);
}

QTEST_GUILESS_MAIN(TestRequestsCli)
#include "tst_requestscli.moc"
