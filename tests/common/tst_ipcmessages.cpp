// The typed IPC messages of common/ipc: round trips, defaults, and clear errors for missing
// and mistyped fields.

#include "ipc/ipcclient.h"
#include "ipc/ipcerror.h"
#include "ipc/ipcframe.h"
#include "ipc/sessionreply.h"
#include "ipc/sessionstartrequest.h"
#include "ipc/sessionstoprequest.h"
#include "ipc/sessionsubscriberequest.h"
#include "ipc/sessionsummary.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace podtap;

namespace {
QJsonObject json(const char *text)
{
    return QJsonDocument::fromJson(QByteArray(text)).object();
}
} // namespace

class TestIpcMessages : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void startRoundTrip();
    void startDefaultsAreTheDaemons();
    void startMistyped_data();
    void startMistyped();
    void stopAndSubscribe_data();
    void stopAndSubscribe();
    void summaryKeepsUnknownFields();
    void summaryErrors();
    void replies();
    void errors();
    void clientRefusesOversizedRequests();
};

void TestIpcMessages::startRoundTrip()
{
    SessionStartRequest r;
    r.kubeconfig = {u"/home/u/.kube/config"_s, u"/tmp/extra"_s};
    r.environment = {{u"PATH"_s, u"/usr/bin"_s}, {u"AWS_PROFILE"_s, u"dev"_s}};
    r.context = u"kind-dev"_s;
    r.ns = u"shop"_s;
    r.target = u"deployment/web"_s;
    r.port = 8080;
    r.image = u"reg.local/tap:1"_s;
    r.tapProfile = u"nonroot"_s;
    r.confirmProtected = true;
    r.allPods = false;
    r.maxPods = 3;
    r.stallTimeoutSeconds = 20;
    r.mirror.host = u"127.0.0.2"_s;
    r.mirror.port = 18080;
    r.mirror.joinMidstream = true;
    r.mirror.allowRemote = true;
    r.mirror.httpFilter = json(R"({"methods":["GET"],"path":"^/api/"})");
    r.mirror.compare = true;
    r.mirror.ignoreHeaders = {u"Date"_s};
    r.mirror.protoDescriptor = QByteArray("\x0a\x03\x0a\x01\xff", 5); // binary, as base64
    r.limits.maxBytes = 5ll << 30;                                    // more than 32 bits
    r.limits.maxAgeSeconds = 3600;
    r.limits.durationSeconds = 60;
    r.subscribe = true;
    r.skipEvents = {u"http"_s, u"connections"_s};
    r.pcap = true;
    r.pcapFormat = u"pcapng"_s;
    r.stopWithClient = true;

    // Through the bytes of a frame, as it travels.
    const QList<IpcFrame> frames = IpcFrameDecoder().feed(IpcFrame::encodeJson(r.toJson()));
    QCOMPARE(frames.size(), 1);
    QString error;
    const SessionStartRequest back = SessionStartRequest::fromJson(frames.first().json, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(back == r);
    QCOMPARE(back.limits.maxBytes, 5ll << 30);
    QCOMPARE(back.environment.value(u"AWS_PROFILE"_s), u"dev"_s);
    QCOMPARE(back.mirror.httpFilter.value(u"path"_s).toString(), u"^/api/"_s);
    QCOMPARE(back.mirror.protoDescriptor, r.mirror.protoDescriptor);
    // The wire names (docs/ipc.md).
    const QJsonObject o = r.toJson();
    QCOMPARE(o.value(u"namespace"_s).toString(), u"shop"_s);
    QCOMPARE(o.value(u"stallTimeout"_s).toInt(), 20);
    QCOMPARE(o.value(u"mirror"_s)[u"allowRemote"_s].toBool(), true);
    QCOMPARE(o.value(u"limits"_s)[u"durationSeconds"_s].toInt(), 60);
}

void TestIpcMessages::startDefaultsAreTheDaemons()
{
    // A field left out means what it always meant: the struct's defaults.
    QString error;
    const SessionStartRequest r = SessionStartRequest::fromJson(
            json(R"({"target":"web","port":80,"mirror":{},"limits":{}})"), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(r.tapProfile, u"default"_s);
    QCOMPARE(r.allPods, true);
    QCOMPARE(r.maxPods, 16);
    QCOMPARE(r.stallTimeoutSeconds, 60);
    QCOMPARE(r.mirror.host, u"127.0.0.1"_s);
    QCOMPARE(r.mirror.port, 0);
    QCOMPARE(r.pcapFormat, u"pcap"_s);
    SessionStartRequest expected;
    expected.target = u"web"_s;
    expected.port = 80;
    QVERIFY(r == expected);
    // null is "not given" too.
    const auto n = SessionStartRequest::fromJson(json(R"({"image":null,"maxPods":null})"), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(n.maxPods, 16);
}

void TestIpcMessages::startMistyped_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error");
    QTest::addRow("port as a string")
            << QByteArray(R"({"target":"web","port":"8080"})")
            << u"session.start: 'port' must be an integer (got a string)"_s;
    QTest::addRow("port with a fraction")
            << QByteArray(R"({"port":80.5})")
            << u"session.start: 'port' must be an integer (got a number)"_s;
    QTest::addRow("kubeconfig as a string")
            << QByteArray(R"({"kubeconfig":"/x"})")
            << u"session.start: 'kubeconfig' must be an array of strings (got a string)"_s;
    QTest::addRow("kubeconfig with a number")
            << QByteArray(R"({"kubeconfig":["/x",1]})")
            << u"session.start: 'kubeconfig' must be an array of strings (got an array)"_s;
    QTest::addRow("environment value not a string")
            << QByteArray(R"({"environment":{"A":1}})")
            << u"session.start: 'environment' must be an object of strings (got an object)"_s;
    QTest::addRow("allPods as a string")
            << QByteArray(R"({"allPods":"yes"})")
            << u"session.start: 'allPods' must be true or false (got a string)"_s;
    QTest::addRow("mirror as an array")
            << QByteArray(R"({"mirror":[]})")
            << u"session.start: 'mirror' must be an object (got an array)"_s;
    QTest::addRow("mirror.port as a boolean")
            << QByteArray(R"({"mirror":{"port":true}})")
            << u"session.start: mirror: 'port' must be an integer (got a boolean)"_s;
    QTest::addRow("mirror.protoDescriptor not base64")
            << QByteArray(R"({"mirror":{"protoDescriptor":"not base64!"}})")
            << u"session.start: mirror: 'protoDescriptor' is not base64"_s;
    QTest::addRow("limits.maxBytes as a string")
            << QByteArray(R"({"limits":{"maxBytes":"1G"}})")
            << u"session.start: limits: 'maxBytes' must be an integer (got a string)"_s;
    QTest::addRow("skipEvents as a string")
            << QByteArray(R"({"skipEvents":"http"})")
            << u"session.start: 'skipEvents' must be an array of strings (got a string)"_s;
}

void TestIpcMessages::startMistyped()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, error);
    QString got;
    SessionStartRequest::fromJson(QJsonDocument::fromJson(json).object(), &got);
    QCOMPARE(got, error);
}

void TestIpcMessages::stopAndSubscribe_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("error");
    QTest::addRow("stop") << u"stop"_s << QByteArray(R"({"id":"7"})") << u"7"_s << QString();
    QTest::addRow("stop, id as a number")
            << u"stop"_s << QByteArray(R"({"id":7})") << u"7"_s << QString();
    QTest::addRow("stop without id")
            << u"stop"_s << QByteArray("{}") << QString() << u"session.stop: 'id' is missing"_s;
    QTest::addRow("stop, id as a boolean")
            << u"stop"_s << QByteArray(R"({"id":true})") << QString()
            << u"session.stop: 'id' must be a string or an integer (got a boolean)"_s;
    QTest::addRow("subscribe") << u"subscribe"_s
                               << QByteArray(R"({"id":"3","pcap":true,"pcapFormat":"pcapng"})")
                               << u"3"_s << QString();
    QTest::addRow("subscribe to the list")
            << u"subscribe"_s << QByteArray(R"({"stream":"sessions"})") << QString() << QString();
    QTest::addRow("subscribe to nothing") << u"subscribe"_s << QByteArray("{}") << QString()
                                          << u"session.subscribe: 'id' is missing"_s;
    QTest::addRow("subscribe, pcap as a number")
            << u"subscribe"_s << QByteArray(R"({"id":"3","pcap":1})") << u"3"_s
            << u"session.subscribe: 'pcap' must be true or false (got a number)"_s;
}

void TestIpcMessages::stopAndSubscribe()
{
    QFETCH(QString, kind);
    QFETCH(QByteArray, json);
    QFETCH(QString, id);
    QFETCH(QString, error);
    const QJsonObject in = QJsonDocument::fromJson(json).object();
    QString got;
    if (kind == u"stop"_s) {
        const auto s = SessionStopRequest::fromJson(in, &got);
        QCOMPARE(got, error);
        QCOMPARE(s.id, id);
        if (error.isEmpty())
            QCOMPARE(SessionStopRequest::fromJson(s.toJson(), &got).id, id);
    } else {
        const auto s = SessionSubscribeRequest::fromJson(in, &got);
        QCOMPARE(got, error);
        QCOMPARE(s.id, id);
        if (error.isEmpty()) {
            const auto back = SessionSubscribeRequest::fromJson(s.toJson(), &got);
            QVERIFY2(got.isEmpty(), qPrintable(got));
            QCOMPARE(back.toJson(), s.toJson());
            QCOMPARE(back.pcap, s.pcap);
            QCOMPARE(back.pcapFormat, s.pcapFormat);
            QCOMPARE(back.stream, s.stream);
        }
    }
}

void TestIpcMessages::summaryKeepsUnknownFields()
{
    // A live summary as CaptureSession writes it, with fields no struct types.
    const QJsonObject in = json(R"({"id":"12","title":"shop/web:8080","target":"web",
        "context":"kind-dev","protected":false,"namespace":"shop","port":8080,"podPort":8080,
        "state":"capturing","reason":"","started":"2026-01-01T00:00:00.000Z",
        "pods":[{"pod":"web-1"}],"packets":10,"bytes":1000,"loss":{"kernelDrops":0},
        "mirror":{"enabled":false},"futureField":{"x":1}})");
    QString error;
    const SessionSummary s = SessionSummary::fromJson(in, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(s.id, u"12"_s);
    QCOMPARE(s.state, u"capturing"_s);
    QCOMPARE(s.port, 8080);
    QCOMPARE(s.packets, qint64(10));
    QCOMPARE(s.diskBytes, qint64(-1));
    QVERIFY(s.extra.contains(u"futureField"_s));
    QVERIFY(s.extra.contains(u"pods"_s));
    QVERIFY(!s.extra.contains(u"id"_s));
    // Written back exactly, defaults that were given ("reason": "") included.
    QCOMPARE(s.toJson(), in);

    // A stored session's meta with diskBytes (session.list).
    const QJsonObject stored = json(R"({"id":"3","state":"stopped","diskBytes":4096})");
    const SessionSummary m = SessionSummary::fromJson(stored, &error);
    QCOMPARE(m.diskBytes, qint64(4096));
    QCOMPARE(m.toJson(), stored);
}

void TestIpcMessages::summaryErrors()
{
    QString error;
    SessionSummary::fromJson(json(R"({"title":"x"})"), &error);
    QCOMPARE(error, u"session summary: 'id' is missing"_s);
    error.clear();
    SessionSummary::fromJson(json(R"({"id":"1","protected":"yes"})"), &error);
    QCOMPARE(error, u"session summary: 'protected' must be true or false (got a string)"_s);
}

void TestIpcMessages::replies()
{
    const QJsonObject list = json(R"({"sessions":[{"id":"2","state":"capturing","extra":1}],
        "stored":[{"id":"1","state":"stopped","diskBytes":10}]})");
    QString error;
    const SessionReply r = SessionReply::fromJson(list, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(!r.session);
    QVERIFY(r.sessions && r.stored);
    QCOMPARE(r.sessions->size(), 1);
    QCOMPARE(r.stored->first().diskBytes, qint64(10));
    QCOMPARE(r.toJson(), list);

    const QJsonObject get = json(R"({"session":{"id":"2"},"live":true})");
    const SessionReply g = SessionReply::fromJson(get, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(g.session && g.live && *g.live);
    QCOMPARE(g.toJson(), get);

    SessionReply::fromJson(json(R"({"sessions":{}})"), &error);
    QCOMPARE(error, u"session reply: 'sessions' must be an array"_s);
    error.clear();
    SessionReply::fromJson(json(R"({"session":{"title":"no id"}})"), &error);
    QCOMPARE(error, u"session summary: 'id' is missing"_s);
    error.clear();
    SessionReply::fromJson(json(R"({"live":"yes"})"), &error);
    QCOMPARE(error, u"session reply: 'live' must be true or false (got a string)"_s);
}

void TestIpcMessages::errors()
{
    const IpcError e{IpcError::ProtectedContext, u"context 'prod' is protected"_s, u"prod"_s,
                     u"shop"_s, u"deployment/web"_s};
    const QJsonObject o = e.toJson();
    QCOMPARE(o.value(u"namespace"_s).toString(), u"shop"_s);
    QString error;
    const IpcError back = IpcError::fromJson(o, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(back.context, u"prod"_s);
    QCOMPARE(back.target, u"deployment/web"_s);
    QCOMPARE(back.toJson(), o);
    // Without structured fields, the object is what podtapd always sent.
    QCOMPARE(IpcError::simple(u"busy"_s, u"m"_s).toJson(),
             json(R"({"code":"busy","message":"m"})"));

    IpcError::fromJson(json(R"({"message":"m"})"), &error);
    QCOMPARE(error, u"error: 'code' is missing"_s);
    error.clear();
    IpcError::fromJson(json(R"({"code":"x","message":"m","context":3})"), &error);
    QCOMPARE(error, u"error: 'context' must be a string (got a number)"_s);
    // A client shows whatever came.
    const IpcError odd = IpcError::fromReply(json(R"({"weird":true})"));
    QCOMPARE(odd.code, u"error"_s);
    QVERIFY2(odd.message.contains(u"weird"_s), qPrintable(odd.message));
}

void TestIpcMessages::clientRefusesOversizedRequests()
{
    // Refused before a byte is written, connected or not: the daemon would drop the whole
    // connection for a frame over the limit.
    IpcClient client;
    bool called = false;
    IpcClient::Reply reply;
    QObject context;
    client.request(u"echo"_s, {{u"data"_s, QString(qsizetype(IpcFrame::MaxFrameBytes), u'z')}},
                   &context, [&](const IpcClient::Reply &r) {
                       called = true;
                       reply = r;
                   });
    QTRY_VERIFY(called);
    QVERIFY(!reply.ok);
    QCOMPARE(reply.error.code, IpcError::TooLarge);
    QCOMPARE(reply.errorCode, IpcError::TooLarge);
    QVERIFY2(reply.errorMessage.contains(u"echo"_s), qPrintable(reply.errorMessage));
}

QTEST_GUILESS_MAIN(TestIpcMessages)
#include "tst_ipcmessages.moc"
