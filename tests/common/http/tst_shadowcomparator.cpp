// Shadow comparison verdicts, JSON-aware body diff, route folding and mirror filters.
#include "http/httpconversation.h"
#include "http/httpfilter.h"
#include "http/jsondiff.h"
#include "http/routetemplate.h"
#include "http/shadowcomparator.h"

#include <QJsonDocument>
#include <QTest>

using namespace podtap;

namespace {

HttpMessage response(const QByteArray &raw)
{
    HttpConversation c;
    const QByteArray req("GET / HTTP/1.1\r\n\r\n");
    c.clientData(reinterpret_cast<const std::uint8_t *>(req.constData()), size_t(req.size()), 1);
    c.serverData(reinterpret_cast<const std::uint8_t *>(raw.constData()), size_t(raw.size()), 2);
    c.finish(3);
    auto xs = c.takeExchanges();
    if (xs.size() != 1 || !xs[0].hasResponse)
        qFatal("test response did not parse");
    return xs[0].response;
}

QByteArray json(const QByteArray &body, const QByteArray &extra = {}, int status = 200)
{
    return "HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Type: application/json\r\n"
           + extra + "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

} // namespace

class TestShadowComparator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void verdicts_data();
    void verdicts();
    void incompleteSidesAreNotCalledDifferent();
    void differencesCarryTheirValues();
    void jsonDiffPaths();
    void routeFolding_data();
    void routeFolding();
    void filters_data();
    void filters();
    void badFilters();
};

void TestShadowComparator::verdicts_data()
{
    QTest::addColumn<QByteArray>("pod");
    QTest::addColumn<QByteArray>("local");
    QTest::addColumn<QString>("verdict");
    QTest::addColumn<QStringList>("details");

    const QByteArray user(
            R"({"id":7,"name":"u7","address":{"city":"Oslo","zip":"0150"},"tags":["a","b"]})");
    QTest::addRow("identical") << json(user) << json(user) << QStringLiteral("same")
                               << QStringList{};
    QTest::addRow("member order and ignored headers")
            << json(user, "Date: Mon, 23 Nov 2026 10:00:00 GMT\r\nX-Request-Id: 1\r\n")
            << json(R"({"tags":["a","b"],"address":{"zip":"0150","city":"Oslo"},"name":"u7","id":7})",
                    "Date: Mon, 23 Nov 2026 10:00:09 GMT\r\nX-Request-Id: 2\r\nServer: local\r\n")
            << QStringLiteral("same") << QStringList{};
    QTest::addRow("chunked vs length")
            << json("{\"a\":1}")
            << QByteArray("HTTP/1.1 200 X\r\nContent-Type: application/json\r\nTransfer-Encoding: "
                          "chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n")
            << QStringLiteral("same") << QStringList{};
    QTest::addRow("status") << json(user) << json(R"({"error":"boom"})", {}, 500)
                            << QStringLiteral("status") << QStringList{};
    QTest::addRow("one JSON field")
            << json(user)
            << json(R"({"id":7,"name":"u7","address":{"city":"Oslo","zip":"9999"},"tags":["a","b"]})")
            << QStringLiteral("body") << QStringList{QStringLiteral("$.address.zip")};
    QTest::addRow("a header") << json(user, "Cache-Control: max-age=60\r\n")
                              << json(user, "Cache-Control: no-store\r\n")
                              << QStringLiteral("headers")
                              << QStringList{QStringLiteral("cache-control")};
    QTest::addRow("a missing header")
            << json(user, "Cache-Control: max-age=60\r\n") << json(user)
            << QStringLiteral("headers") << QStringList{QStringLiteral("cache-control")};
    QTest::addRow("plain bodies") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")
                                  << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabd")
                                  << QStringLiteral("body")
                                  << QStringList{QStringLiteral("same size, different bytes")};
}

void TestShadowComparator::verdicts()
{
    QFETCH(QByteArray, pod);
    QFETCH(QByteArray, local);
    QFETCH(QString, verdict);
    QFETCH(QStringList, details);
    const ShadowComparator::Verdict v = ShadowComparator().compare(response(pod), response(local));
    QCOMPARE(QString::fromLatin1(ShadowComparator::kindName(v.kind)), verdict);
    if (v.kind == ShadowComparator::Kind::HeadersDiffer)
        QCOMPARE(v.headers, details);
    if (v.kind == ShadowComparator::Kind::BodyDiffers)
        QCOMPARE(v.bodyPaths, details);
    if (v.kind == ShadowComparator::Kind::Same) {
        QVERIFY(v.headers.isEmpty());
        QVERIFY(v.bodyPaths.isEmpty());
    }
}

void TestShadowComparator::incompleteSidesAreNotCalledDifferent()
{
    const HttpMessage whole = response(json("{}"));
    HttpMessage cut = whole;
    cut.incomplete = HttpMessage::Incomplete::Gap;
    QCOMPARE(ShadowComparator().compare(cut, whole).kind, ShadowComparator::Kind::NotComparable);
    QCOMPARE(ShadowComparator().compare(whole, cut).kind, ShadowComparator::Kind::LocalError);
}

void TestShadowComparator::differencesCarryTheirValues()
{
    const QByteArray user(R"({"id":7,"address":{"zip":"0150"}})");
    ShadowComparator c;
    auto v = c.compare(
            response(json(user, "Cache-Control: max-age=60\r\n")),
            response(json(R"({"id":7,"address":{"zip":"9999"}})", "Cache-Control: no-store\r\n")));
    QCOMPARE(v.kind, ShadowComparator::Kind::BodyDiffers);
    QCOMPARE(v.headerValues.value(QLatin1String("cache-control")).toObject(),
             (QJsonObject{{QStringLiteral("pod"), QStringLiteral("max-age=60")},
                          {QStringLiteral("local"), QStringLiteral("no-store")}}));
    QCOMPARE(v.bodyValues.size(), 1);
    QCOMPARE(v.bodyValues.at(0).toObject(),
             (QJsonObject{{QStringLiteral("path"), QStringLiteral("$.address.zip")},
                          {QStringLiteral("pod"), QStringLiteral("\"0150\"")},
                          {QStringLiteral("local"), QStringLiteral("\"9999\"")}}));
    QVERIFY(v.podBody.isNull()); // JSON paths say it; no excerpt needed
    // A status difference shows both bodies; binary bytes escaped, never raw.
    v = c.compare(response(json("{}")),
                  response("HTTP/1.1 500 X\r\nContent-Length: 3\r\n\r\n\x01\x02z"));
    QCOMPARE(v.kind, ShadowComparator::Kind::StatusDiffers);
    QCOMPARE(v.podBody, QStringLiteral("{}"));
    QCOMPARE(v.localBody, QStringLiteral("\\x01\\x02z"));
    const QJsonObject j = v.toJson();
    QVERIFY(j.contains(QLatin1String("podBody")) && j.contains(QLatin1String("localBody")));
}

void TestShadowComparator::jsonDiffPaths()
{
    const auto r = JsonDiff::compare(R"({"a":[1,2,3],"b":{"c":true,"d e":1},"x":1})",
                                     R"({"a":[1,5],"b":{"c":"true","d e":2},"y":1})");
    QVERIFY(r.bothJson);
    QVERIFY(!r.equal);
    QCOMPARE(r.paths, (QStringList{QStringLiteral("$.a[1]"), QStringLiteral("$.a (length 3 ≠ 2)"),
                                   QStringLiteral("$.b.c"), QStringLiteral("$.b[\"d e\"]"),
                                   QStringLiteral("$.x (only in the pod's)"),
                                   QStringLiteral("$.y (only in the local)")}));
    QVERIFY(!JsonDiff::compare("{", "{}").bothJson);
    QVERIFY(JsonDiff::compare("[1,{\"a\":1,\"b\":2}]", "[1,{\"b\":2,\"a\":1}]").equal);
}

void TestShadowComparator::routeFolding_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QString>("route");
    QTest::addRow("number") << QByteArray("GET") << QByteArray("/users/42?full=1")
                            << QStringLiteral("GET /users/{n}");
    QTest::addRow("uuid") << QByteArray("GET")
                          << QByteArray("/orders/3f2b8c1e-9d4a-4b7e-8f00-0123456789ab/items/3")
                          << QStringLiteral("GET /orders/{uuid}/items/{n}");
    QTest::addRow("hex id") << QByteArray("DELETE") << QByteArray("/blobs/507f1f77bcf86cd799439011")
                            << QStringLiteral("DELETE /blobs/{hex}");
    QTest::addRow("words stay") << QByteArray("GET") << QByteArray("/catalog/shoes/")
                                << QStringLiteral("GET /catalog/shoes/");
    QTest::addRow("absolute form")
            << QByteArray("GET") << QByteArray("http://a.b/x/9") << QStringLiteral("GET /x/{n}");
    QTest::addRow("root") << QByteArray("GET") << QByteArray("/") << QStringLiteral("GET /");
}

void TestShadowComparator::routeFolding()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QString, route);
    QCOMPARE(RouteTemplate::fold(method, target), route);
}

void TestShadowComparator::filters_data()
{
    QTest::addColumn<QByteArray>("filter");
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<bool>("matches");
    const QByteArray get("GET /api/users/7 HTTP/1.1\r\nX-Tenant: blue\r\n\r\n");
    QTest::addRow("empty") << QByteArray("{}") << get << true;
    QTest::addRow("method") << QByteArray(R"({"methods":["post"]})") << get << false;
    QTest::addRow("path") << QByteArray(R"({"path":"^/api/"})") << get << true;
    QTest::addRow("path miss") << QByteArray(R"({"path":"^/admin"})") << get << false;
    QTest::addRow("header") << QByteArray(R"({"headers":{"x-tenant":"^blue$"}})") << get << true;
    QTest::addRow("header miss") << QByteArray(R"({"headers":{"X-Tenant":"^red$"}})") << get
                                 << false;
    QTest::addRow("all") << QByteArray(
            R"({"methods":["GET"],"path":"users","headers":{"X-Tenant":"bl"}})")
                         << get << true;
}

void TestShadowComparator::filters()
{
    QFETCH(QByteArray, filter);
    QFETCH(QByteArray, request);
    QFETCH(bool, matches);
    const auto f = HttpFilter::fromJson(QJsonDocument::fromJson(filter).object());
    QVERIFY2(f.ok(), qPrintable(f.error()));
    HttpConversation c;
    c.clientData(reinterpret_cast<const std::uint8_t *>(request.constData()),
                 size_t(request.size()), 1);
    QVERIFY(c.firstRequest());
    QCOMPARE(f->matches(*c.firstRequest()), matches);
    // Round trip through JSON (session.start carries it).
    const auto again = HttpFilter::fromJson(f->toJson());
    QVERIFY(again.ok());
    QCOMPARE(again->matches(*c.firstRequest()), matches);
}

void TestShadowComparator::badFilters()
{
    auto f = HttpFilter::fromJson(QJsonDocument::fromJson(R"({"path":"(unclosed"})").object());
    QVERIFY(!f.ok());
    QVERIFY2(f.error().contains(QLatin1String("(unclosed")), qPrintable(f.error()));
    f = HttpFilter::fromJson(QJsonDocument::fromJson(R"({"method":["GET"]})").object());
    QVERIFY(!f.ok());
    QVERIFY(f.error().contains(QLatin1String("unknown key 'method'")));
}

QTEST_GUILESS_MAIN(TestShadowComparator)
#include "tst_shadowcomparator.moc"
