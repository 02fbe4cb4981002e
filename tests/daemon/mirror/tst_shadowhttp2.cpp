// ShadowCompare on HTTP/2 connections: the local side decoded from the bytes the mirror wrote
// and the bytes the build answered, paired with the pod's streams by stream id whatever the
// order of the answers; a local RST_STREAM, a local side that is not HTTP/2, a local
// connection that ended without answering, and gRPC methods as routes.
#include "h2frames.h"
#include "http2/http2connection.h"
#include "mirror/shadowcompare.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

using namespace podtap;
using namespace h2test;

namespace {
// The client side of one connection: GET /a (1), GET /b (3), POST /c (5), a gRPC call (7).
QByteArray clientBytes()
{
    Deflater d;
    QByteArray c = preface() + settings({});
    c += headers(d, 1,
                 {{":method", "GET"}, {":scheme", "http"}, {":path", "/a"}, {":authority", "pod"}},
                 true);
    c += headers(
            d, 3,
            {{":method", "GET"}, {":scheme", "http"}, {":path", "/b/42"}, {":authority", "pod"}},
            true);
    c += headers(d, 5,
                 {{":method", "POST"}, {":scheme", "http"}, {":path", "/c"}, {":authority", "pod"}},
                 false);
    c += data(5, "payload", true);
    c += headers(d, 7,
                 {{":method", "POST"},
                  {":scheme", "http"},
                  {":path", "/pkg.Svc/Do"},
                  {":authority", "pod"},
                  {"content-type", "application/grpc"},
                  {"te", "trailers"}},
                 false);
    c += data(7, grpcMessage("\x08\x01"), true);
    return c;
}

// A server's answers, in the order given: (stream, body), and gRPC for stream 7.
QByteArray serverBytes(const QList<QPair<std::uint32_t, QByteArray>> &answers)
{
    Deflater d;
    QByteArray s = settings({}) + settingsAck();
    for (const auto &[id, body] : answers) {
        if (body == "RST") {
            s += frame(3, 0, id, u32(2)); // RST_STREAM INTERNAL_ERROR
            continue;
        }
        if (id == 7) {
            s += headers(d, 7, {{":status", "200"}, {"content-type", "application/grpc"}}, false);
            s += data(7, grpcMessage(body), false);
            s += headers(d, 7, {{"grpc-status", "0"}}, true);
            continue;
        }
        s += headers(d, id, {{":status", "200"}, {"content-type", "text/plain"}}, false);
        s += data(id, body, true);
    }
    return s;
}

std::vector<HttpExchange> podExchanges(const QByteArray &server)
{
    Http2Connection h2;
    const QByteArray c = clientBytes();
    h2.clientData(reinterpret_cast<const std::uint8_t *>(c.constData()), std::size_t(c.size()), 1);
    h2.serverData(reinterpret_cast<const std::uint8_t *>(server.constData()),
                  std::size_t(server.size()), 2);
    h2.finish(3);
    return h2.takeExchanges();
}

QMap<qint64, QJsonObject> byStream(const QSignalSpy &spy)
{
    QMap<qint64, QJsonObject> m;
    for (const QList<QVariant> &args : spy)
        m.insert(args.at(1).toJsonObject().value(QLatin1String("stream")).toInteger(),
                 args.at(1).toJsonObject());
    return m;
}
} // namespace

class TestShadowHttp2 : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void pairsByStreamId();
    void localNotHttp2();
    void localEndedWithoutAnswer();
    void upgradedIsNotCompared();
};

void TestShadowHttp2::pairsByStreamId()
{
    ShadowCompare sc(ShadowComparator::Options{ShadowComparator::defaultIgnoredHeaders(), 20});
    QSignalSpy spy(&sc, &ShadowCompare::compared);
    sc.connectionStarted(1);
    sc.http2Started(1);
    // The pod answered 7, 3, 1, 5; the local build 5 (reset), 1, 3 (other body), 7.
    const std::vector<HttpExchange> pod
            = podExchanges(serverBytes({{7, "\x08\x02"}, {3, "bee"}, {1, "aye"}, {5, "sea"}}));
    QCOMPARE(pod.size(), 4u);
    const QByteArray c = clientBytes();
    sc.localRequestBytes(1, c.constData(), c.size());
    const QByteArray local = serverBytes({{5, "RST"}, {1, "aye"}, {3, "BEE"}, {7, "\x08\x02"}});
    // In pieces, the pod's exchanges in between: pairing waits for both sides.
    sc.localResponseBytes(1, local.constData(), 20);
    for (const HttpExchange &x : pod)
        sc.podExchange(1, HttpExchange(x));
    sc.localResponseBytes(1, local.constData() + 20, local.size() - 20);
    QCOMPARE(spy.size(), 4);
    const QMap<qint64, QJsonObject> v = byStream(spy);
    QCOMPARE(v.value(1).value(QLatin1String("verdict")).toString(), QStringLiteral("same"));
    QCOMPARE(v.value(3).value(QLatin1String("verdict")).toString(), QStringLiteral("body"));
    QCOMPARE(v.value(3).value(QLatin1String("route")).toString(), QStringLiteral("GET /b/{n}"));
    QCOMPARE(v.value(5).value(QLatin1String("verdict")).toString(), QStringLiteral("local-error"));
    QVERIFY(v.value(5)
                    .value(QLatin1String("detail"))
                    .toString()
                    .contains(QLatin1String("reset stream 5")));
    const QJsonObject g = v.value(7);
    QCOMPARE(g.value(QLatin1String("verdict")).toString(), QStringLiteral("same"));
    QCOMPARE(g.value(QLatin1String("protocol")).toString(), QStringLiteral("h2"));
    QCOMPARE(g.value(QLatin1String("grpcMethod")).toString(), QStringLiteral("/pkg.Svc/Do"));
    QCOMPARE(g.value(QLatin1String("route")).toString(), QStringLiteral("POST /pkg.Svc/Do"));
    QCOMPARE(sc.counts().compared, 4u);
    QVERIFY(sc.routesJson().contains(QLatin1String("POST /pkg.Svc/Do")));
    sc.localEnded(1, QStringLiteral("completed"));
    sc.podEnded(1);
    QCOMPARE(spy.size(), 4);
    QCOMPARE(sc.counts().extraLocal, 0u);
}

void TestShadowHttp2::localNotHttp2()
{
    ShadowCompare sc(ShadowComparator::Options{});
    QSignalSpy spy(&sc, &ShadowCompare::compared);
    sc.connectionStarted(2);
    sc.http2Started(2);
    const QByteArray c = clientBytes();
    sc.localRequestBytes(2, c.constData(), c.size());
    for (const HttpExchange &x : podExchanges(serverBytes({{1, "aye"}, {3, "bee"}})))
        sc.podExchange(2, HttpExchange(x));
    const QByteArray http1("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    sc.localResponseBytes(2, http1.constData(), http1.size());
    QCOMPARE(spy.size(), 2);
    for (const QList<QVariant> &args : spy) {
        const QJsonObject r = args.at(1).toJsonObject();
        QCOMPARE(r.value(QLatin1String("verdict")).toString(), QStringLiteral("local-error"));
        QVERIFY2(r.value(QLatin1String("detail")).toString().contains(QLatin1String("HTTP/2")),
                 qPrintable(r.value(QLatin1String("detail")).toString()));
    }
}

void TestShadowHttp2::localEndedWithoutAnswer()
{
    ShadowCompare sc(ShadowComparator::Options{});
    QSignalSpy spy(&sc, &ShadowCompare::compared);
    sc.connectionStarted(3);
    sc.http2Started(3);
    const QByteArray c = clientBytes();
    sc.localRequestBytes(3, c.constData(), c.size());
    const QByteArray local = serverBytes({{1, "aye"}});
    sc.localResponseBytes(3, local.constData(), local.size());
    for (const HttpExchange &x : podExchanges(serverBytes({{1, "aye"}, {3, "bee"}})))
        sc.podExchange(3, HttpExchange(x));
    QCOMPARE(spy.size(), 1); // stream 3 waits for its local answer
    // The capture's gap ended the local connection: not the build's fault.
    sc.localEnded(3, QStringLiteral("gap: HTTP/2 …"));
    QCOMPARE(spy.size(), 2);
    const QMap<qint64, QJsonObject> v = byStream(spy);
    QCOMPARE(v.value(1).value(QLatin1String("verdict")).toString(), QStringLiteral("same"));
    QCOMPARE(v.value(3).value(QLatin1String("verdict")).toString(),
             QStringLiteral("not-comparable"));
    sc.podEnded(3);
    QCOMPARE(spy.size(), 2);
}

void TestShadowHttp2::upgradedIsNotCompared()
{
    // Upgrade: h2c: the connection started as HTTP/1.1 (no http2Started()); its HTTP/2 streams
    // after the 101 are said not comparable at once, never left to time out.
    ShadowCompare sc(ShadowComparator::Options{});
    QSignalSpy spy(&sc, &ShadowCompare::compared);
    sc.connectionStarted(4);
    for (const HttpExchange &x : podExchanges(serverBytes({{1, "aye"}})))
        sc.podExchange(4, HttpExchange(x));
    QCOMPARE(spy.size(), 1);
    const QJsonObject r = spy.first().at(1).toJsonObject();
    QCOMPARE(r.value(QLatin1String("verdict")).toString(), QStringLiteral("not-comparable"));
    QVERIFY(r.value(QLatin1String("detail")).toString().contains(QLatin1String("Upgrade: h2c")));
    QCOMPARE(sc.counts().podUnanswered, 3u); // streams 3, 5 and 7 got no pod answer
}

QTEST_GUILESS_MAIN(TestShadowHttp2)
#include "tst_shadowhttp2.moc"
