// ShadowComparator::compare(HttpExchange, HttpExchange) on HTTP/2 streams decoded by
// Http2Connection (HPACK by libnghttp2's deflater) that carry real protobuf (serialized by
// the python protobuf library from greeter.proto and shapes.proto): field paths by number and
// by name (descriptor set from protoc), message counts, grpc-status, trailers, the ignore
// list, gRPC against plain answers, HTTP/2 JSON and HTTP/1 as before.
#include "h2frames.h"
#include "http/httpconversation.h"
#include "http/shadowcomparator.h"
#include "http2/http2connection.h"
#include "http2/protobufdiff.h"
#include "http2/protodescriptorset.h"
#include "protofixture.h"

#include <QJsonArray>
#include <QRandomGenerator>
#include <QTest>

#include <zlib.h>

using namespace podtap;
using namespace h2test;

namespace {

struct Answer
{
    QByteArray status = "200";
    QByteArray contentType = "application/grpc";
    QList<QByteArray> messages;  // serialized protobuf, each framed as a gRPC message
    bool gzip = false;           // compress each message (set grpc-encoding in `headers`)
    QByteArray plainBody;        // the body when there are no messages
    QByteArray grpcStatus = "0"; // empty: no grpc-status at all
    QByteArray grpcMessage;
    bool trailersOnly = false; // grpc-status in the response headers, no body
    Fields headers;
    Fields trailers;
    bool reset = false; // RST_STREAM instead of an answer
};

QByteArray gzip(const QByteArray &plain)
{
    z_stream z{};
    deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    QByteArray out(qsizetype(deflateBound(&z, uLong(plain.size())) + 32), '\0');
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(plain.constData()));
    z.avail_in = uInt(plain.size());
    z.next_out = reinterpret_cast<Bytef *>(out.data());
    z.avail_out = uInt(out.size());
    deflate(&z, Z_FINISH);
    out.resize(qsizetype(z.total_out));
    deflateEnd(&z);
    return out;
}

const std::uint8_t *bytes(const QByteArray &b)
{
    return reinterpret_cast<const std::uint8_t *>(b.constData());
}

// One stream through the real decoder: a POST of `request` to `path`, and `a`.
HttpExchange exchange(const QByteArray &path, const QByteArray &request, const Answer &a,
                      const QByteArray &requestType = "application/grpc")
{
    Deflater cd;
    Deflater sd;
    const bool grpcRequest = requestType.startsWith("application/grpc");
    QByteArray client = preface() + settings({});
    client += headers(cd, 1,
                      {{":method", "POST"},
                       {":scheme", "http"},
                       {":authority", "pod"},
                       {":path", path},
                       {"content-type", requestType},
                       {"te", "trailers"}},
                      false);
    client += data(1, grpcRequest ? grpcMessage(request) : request, true) + settingsAck();
    QByteArray server = settings({}) + settingsAck();
    if (a.reset) {
        server += frame(3, 0, 1, u32(2)); // INTERNAL_ERROR
    } else {
        Fields head{{":status", a.status}, {"content-type", a.contentType}};
        head += a.headers;
        if (a.trailersOnly) {
            head += {{"grpc-status", a.grpcStatus}};
            if (!a.grpcMessage.isNull())
                head += {{"grpc-message", a.grpcMessage}};
            server += headers(sd, 1, head, true);
        } else {
            server += headers(sd, 1, head, false);
            QByteArray body = a.plainBody;
            for (const QByteArray &m : a.messages)
                body += a.gzip ? grpcMessage(gzip(m), true) : grpcMessage(m);
            const bool trailers = !a.grpcStatus.isEmpty() || !a.trailers.isEmpty();
            server += data(1, body, !trailers);
            if (trailers) {
                Fields t;
                if (!a.grpcStatus.isEmpty())
                    t += {{"grpc-status", a.grpcStatus}};
                if (!a.grpcMessage.isNull())
                    t += {{"grpc-message", a.grpcMessage}};
                t += a.trailers;
                server += headers(sd, 1, t, true);
            }
        }
    }
    Http2Connection h2;
    h2.clientData(bytes(client), std::size_t(client.size()), 1);
    h2.serverData(bytes(server), std::size_t(server.size()), 2);
    h2.finish(3);
    auto xs = h2.takeExchanges();
    if (xs.size() != 1)
        qFatal("the test stream did not decode to one exchange");
    return std::move(xs[0]);
}

HttpExchange http1(const QByteArray &response)
{
    HttpConversation c;
    const QByteArray req("GET /users/7 HTTP/1.1\r\nHost: pod\r\n\r\n");
    c.clientData(bytes(req), size_t(req.size()), 1);
    c.serverData(bytes(response), size_t(response.size()), 2);
    c.finish(3);
    auto xs = c.takeExchanges();
    if (xs.size() != 1 || !xs[0].hasResponse)
        qFatal("test response did not parse");
    return xs[0];
}

QString kind(const ShadowComparator::Verdict &v)
{
    return QString::fromLatin1(ShadowComparator::kindName(v.kind));
}

QJsonObject value(const QString &path, const char *pod, const char *local)
{
    QJsonObject o{{QStringLiteral("path"), path}};
    if (pod)
        o[QLatin1String("pod")] = QString::fromUtf8(pod);
    if (local)
        o[QLatin1String("local")] = QString::fromUtf8(local);
    return o;
}

} // namespace

class TestGrpcCompare : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void paths_data();
    void paths();
    void valuesByWireAndByDeclaredType();
    void grpcStatusDiffers();
    void grpcMessageWithTheSameStatus();
    void trailers();
    void ignoreList();
    void compressionIsNotADifference();
    void grpcAgainstPlainAnswers();
    void notProtobuf();
    void localReset();
    void plainHttp2Json();
    void http1Unchanged();
    void mutatedMessages();

private:
    QByteArray msg(const char *name) const;
    QList<QByteArray> msgs(const QStringList &names) const;
    ShadowComparator named() const;

    QTemporaryDir m_dir;
    prototest::Fixture m_fx;
    std::shared_ptr<const ProtoDescriptorSet> m_set;
};

void TestGrpcCompare::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_fx = prototest::make(m_dir);
    QVERIFY2(m_fx.error.isEmpty(), qPrintable(m_fx.error));
    auto set = ProtoDescriptorSet::parse(m_fx.descriptorSet);
    QVERIFY2(set.ok(), qPrintable(set.error()));
    m_set = std::make_shared<const ProtoDescriptorSet>(std::move(set.value()));
}

QByteArray TestGrpcCompare::msg(const char *name) const
{
    const auto it = m_fx.messages.constFind(QString::fromLatin1(name));
    if (it == m_fx.messages.constEnd())
        qFatal("no message %s from grpc_messages.py", name);
    return *it;
}

QList<QByteArray> TestGrpcCompare::msgs(const QStringList &names) const
{
    QList<QByteArray> out;
    for (const QString &n : names)
        out << msg(qPrintable(n));
    return out;
}

ShadowComparator TestGrpcCompare::named() const
{
    ShadowComparator::Options o{ShadowComparator::defaultIgnoredHeaders(), 20, m_set};
    return ShadowComparator(o);
}

void TestGrpcCompare::paths_data()
{
    QTest::addColumn<QByteArray>("rpc");
    QTest::addColumn<QStringList>("pod");
    QTest::addColumn<QStringList>("local");
    QTest::addColumn<QString>("verdict");
    QTest::addColumn<QStringList>("byNumber");
    QTest::addColumn<QStringList>("byName");

    const QByteArray hello("/podtaptest.Greeter/SayHello");
    const QByteArray count("/podtaptest.Greeter/CountUp");
    const QByteArray get("/podtaptest.shapes.v1.Shapes/Get");
    const QString body = QStringLiteral("body");
    auto l = [](std::initializer_list<const char *> xs) {
        QStringList out;
        for (const char *x : xs)
            out << QString::fromUtf8(x);
        return out;
    };
    QTest::addRow("same") << hello << l({"reply"}) << l({"reply"}) << QStringLiteral("same")
                          << QStringList{} << QStringList{};
    QTest::addRow("same shapes") << get << l({"shape"}) << l({"shape"}) << QStringLiteral("same")
                                 << QStringList{} << QStringList{};
    QTest::addRow("a nested field") << hello << l({"reply"}) << l({"reply_note"}) << body
                                    << l({"$[0].2.2"}) << l({"$[0].detail.note"});
    QTest::addRow("a top field") << hello << l({"reply"}) << l({"reply_message"}) << body
                                 << l({"$[0].1"}) << l({"$[0].message"});
    QTest::addRow("in a repeated message") << get << l({"shape"}) << l({"shape_y"}) << body
                                           << l({"$[0].2[1].2"}) << l({"$[0].points[1].y"});
    QTest::addRow("a nested type's field") << get << l({"shape"}) << l({"shape_color"}) << body
                                           << l({"$[0].3.1"}) << l({"$[0].style.color"});
    QTest::addRow("an imported type's field") << get << l({"shape"}) << l({"shape_serial"}) << body
                                              << l({"$[0].5.1"}) << l({"$[0].detail.serial"});
    QTest::addRow("a negative int32") << get << l({"shape"}) << l({"shape_layer"}) << body
                                      << l({"$[0].9"}) << l({"$[0].layer"});
    QTest::addRow("a field on one side") << get << l({"shape"}) << l({"shape_closed"}) << body
                                         << l({"$[0].6"}) << l({"$[0].closed"});
    QTest::addRow("a repeated field shorter") << get << l({"shape"}) << l({"shape_two_points"})
                                              << body << l({"$[0].2[2]"}) << l({"$[0].points[2]"});
    QTest::addRow("a repeated field longer") << get << l({"shape"}) << l({"shape_three_tags"})
                                             << body << l({"$[0].4[2]"}) << l({"$[0].tags[2]"});
    QTest::addRow("fewer messages")
            << count << l({"reply", "reply_2"}) << l({"reply"}) << body
            << l({"2 messages ≠ 1 messages"}) << l({"2 messages ≠ 1 messages"});
    QTest::addRow("more messages and a field")
            << count << l({"reply"}) << l({"reply_message", "reply_2", "reply"}) << body
            << l({"1 messages ≠ 3 messages", "$[0].1"})
            << l({"1 messages ≠ 3 messages", "$[0].message"});
    QTest::addRow("the second message")
            << count << l({"reply", "reply_2"}) << l({"reply", "reply_note"}) << body
            << l({"$[1].1", "$[1].2.1", "$[1].2.2"})
            << l({"$[1].message", "$[1].detail.serial", "$[1].detail.note"});
    QTest::addRow("a method the set does not declare")
            << QByteArray("/podtaptest.Other/Call") << l({"reply"}) << l({"reply_note"}) << body
            << l({"$[0].2.2"}) << l({"$[0].2.2"});
}

void TestGrpcCompare::paths()
{
    QFETCH(QByteArray, rpc);
    QFETCH(QStringList, pod);
    QFETCH(QStringList, local);
    QFETCH(QString, verdict);
    QFETCH(QStringList, byNumber);
    QFETCH(QStringList, byName);
    Answer a;
    a.messages = msgs(pod);
    Answer b;
    b.messages = msgs(local);
    const HttpExchange x = exchange(rpc, msg("request"), a);
    const HttpExchange y = exchange(rpc, msg("request"), b);
    QVERIFY(x.grpc && y.grpc);
    QCOMPARE(qsizetype(x.grpc->responses.size()), pod.size());

    const auto v = ShadowComparator().compare(x, y);
    QCOMPARE(kind(v), verdict);
    QCOMPARE(v.bodyPaths, byNumber);
    QVERIFY(v.headers.isEmpty());
    QCOMPARE(v.podGrpcStatus, 0);
    QCOMPARE(v.localGrpcStatus, 0);
    const auto n = named().compare(x, y);
    QCOMPARE(kind(n), verdict);
    QCOMPARE(n.bodyPaths, byName);
    QCOMPARE(n.bodyValues.size(), byName.size());
    for (qsizetype i = 0; i < byName.size(); ++i)
        QCOMPARE(n.bodyValues.at(i)[QLatin1String("path")].toString(), byName.at(i));
    if (verdict == QLatin1String("same"))
        QVERIFY(n.podBody.isNull() && n.localBody.isNull());
}

void TestGrpcCompare::valuesByWireAndByDeclaredType()
{
    const QByteArray get("/podtaptest.shapes.v1.Shapes/Get");
    const QByteArray hello("/podtaptest.Greeter/SayHello");
    auto pair = [&](const QByteArray &rpc, const char *pod, const char *local, bool withNames) {
        Answer a;
        a.messages = {msg(pod)};
        Answer b;
        b.messages = {msg(local)};
        return (withNames ? named() : ShadowComparator())
                .compare(exchange(rpc, msg("request"), a), exchange(rpc, msg("request"), b))
                .bodyValues;
    };
    // Text quoted, like JsonDiff's strings.
    QCOMPARE(pair(hello, "reply", "reply_note", false),
             QJsonArray{value(QStringLiteral("$[0].2.2"), "\"first\"", "\"second\"")});
    // A sint32 is zigzag on the wire (4 → 8): the declared type decodes it.
    QCOMPARE(pair(get, "shape", "shape_y", false),
             QJsonArray{value(QStringLiteral("$[0].2[1].2"), "8", "80")});
    QCOMPARE(pair(get, "shape", "shape_y", true),
             QJsonArray{value(QStringLiteral("$[0].points[1].y"), "4", "40")});
    // A negative int32 is a ten-byte varint.
    QCOMPARE(pair(get, "shape", "shape_layer", false),
             QJsonArray{value(QStringLiteral("$[0].9"), "18446744073709551614", "3")});
    QCOMPARE(pair(get, "shape", "shape_layer", true),
             QJsonArray{value(QStringLiteral("$[0].layer"), "-2", "3")});
    // Missing on one side: that side is absent.
    QCOMPARE(pair(get, "shape", "shape_closed", true),
             QJsonArray{value(QStringLiteral("$[0].closed"), "true", nullptr)});
    QCOMPARE(pair(get, "shape", "shape_two_points", false),
             QJsonArray{value(QStringLiteral("$[0].2[2]"), "{ 1: 10 2: 11 }", nullptr)});
    // A message value named and typed from the set (sint32: zigzag undone).
    QCOMPARE(pair(get, "shape", "shape_two_points", true),
             QJsonArray{value(QStringLiteral("$[0].points[2]"), "{ x: 5 y: -6 }", nullptr)});
    QCOMPARE(pair(get, "shape", "shape_three_tags", true),
             QJsonArray{value(QStringLiteral("$[0].tags[2]"), nullptr, "\"c\"")});
}

void TestGrpcCompare::grpcStatusDiffers()
{
    const QByteArray hello("/podtaptest.Greeter/SayHello");
    Answer ok;
    ok.messages = {msg("reply")};
    Answer fail; // Trailers-Only, as grpcio sends an error
    fail.trailersOnly = true;
    fail.grpcStatus = "5";
    fail.grpcMessage = "no%20such%20greeter%3A%20ghost";
    const auto v = ShadowComparator().compare(exchange(hello, msg("request"), ok),
                                              exchange(hello, msg("request"), fail));
    QCOMPARE(kind(v), QStringLiteral("status"));
    QCOMPARE(v.podStatus, 200);
    QCOMPARE(v.localStatus, 200);
    QCOMPARE(v.podGrpcStatus, 0);
    QCOMPARE(v.localGrpcStatus, 5);
    QVERIFY2(v.detail.contains(QStringLiteral("grpc-status 0 OK ≠ 5 NOT_FOUND")),
             qPrintable(v.detail));
    QVERIFY2(v.detail.contains(QLatin1String("the local \"no such greeter: ghost\"")),
             qPrintable(v.detail));
    QVERIFY2(v.detail.contains(QLatin1String("the pod's none")), qPrintable(v.detail));
    QVERIFY(v.headers.isEmpty()); // grpc-status/-message are not also header differences
    QCOMPARE(v.bodyPaths, QStringList{QStringLiteral("1 messages ≠ 0 messages")});
    QVERIFY(v.podBody.contains(QLatin1String("hello world")));
    const QJsonObject j = v.toJson();
    QCOMPARE(j[QLatin1String("podGrpcStatus")].toInt(), 0);
    QCOMPARE(j[QLatin1String("localGrpcStatus")].toInt(), 5);
    QCOMPARE(j[QLatin1String("verdict")].toString(), QStringLiteral("status"));

    // With the set, the excerpts name the fields.
    const auto n = named().compare(exchange(hello, msg("request"), ok),
                                   exchange(hello, msg("request"), fail));
    QCOMPARE(n.podBody,
             QStringLiteral(
                     "[0] { message: \"hello world\" detail { serial: 7 note: \"first\" } }\n"));
    QCOMPARE(v.podBody, QStringLiteral("[0] { 1: \"hello world\" 2 { 1: 7 2: \"first\" } }\n"));

    // Both failing alike is the same answer.
    const auto same = ShadowComparator().compare(exchange(hello, msg("request"), fail),
                                                 exchange(hello, msg("request"), fail));
    QCOMPARE(kind(same), QStringLiteral("same"));
    QCOMPARE(same.podGrpcStatus, 5);
    // :status first: an HTTP 503 is a status difference whatever grpc-status says.
    Answer unavailable = fail;
    unavailable.status = "503";
    const auto http = ShadowComparator().compare(exchange(hello, msg("request"), fail),
                                                 exchange(hello, msg("request"), unavailable));
    QCOMPARE(kind(http), QStringLiteral("status"));
    QCOMPARE(http.localStatus, 503);
}

void TestGrpcCompare::grpcMessageWithTheSameStatus()
{
    const QByteArray hello("/podtaptest.Greeter/Fail");
    Answer a;
    a.grpcStatus = "13";
    a.grpcMessage = "disk full";
    Answer b = a;
    b.grpcMessage = "out of memory";
    const auto v = ShadowComparator().compare(exchange(hello, msg("request"), a),
                                              exchange(hello, msg("request"), b));
    QCOMPARE(kind(v), QStringLiteral("headers"));
    QCOMPARE(v.headers, QStringList{QStringLiteral("grpc-message")});
    QCOMPARE(v.headerValues[QLatin1String("grpc-message")].toObject(),
             (QJsonObject{{QStringLiteral("pod"), QStringLiteral("disk full")},
                          {QStringLiteral("local"), QStringLiteral("out of memory")}}));
}

void TestGrpcCompare::trailers()
{
    const QByteArray hello("/podtaptest.Greeter/SayHello");
    Answer a;
    a.messages = {msg("reply")};
    a.trailers = {{"x-cost", "1"}, {"x-shard", "a"}};
    Answer b = a;
    b.trailers = {{"x-cost", "2"}, {"x-shard", "a"}, {"x-new", "yes"}};
    const auto v = ShadowComparator().compare(exchange(hello, msg("request"), a),
                                              exchange(hello, msg("request"), b));
    QCOMPARE(kind(v), QStringLiteral("headers"));
    QCOMPARE(v.headers,
             (QStringList{QStringLiteral("trailer:x-cost"), QStringLiteral("trailer:x-new")}));
    QCOMPARE(v.headerValues[QLatin1String("trailer:x-cost")].toObject(),
             (QJsonObject{{QStringLiteral("pod"), QStringLiteral("1")},
                          {QStringLiteral("local"), QStringLiteral("2")}}));
    QCOMPARE(v.headerValues[QLatin1String("trailer:x-new")].toObject(),
             (QJsonObject{{QStringLiteral("local"), QStringLiteral("yes")}}));
    QVERIFY(v.bodyPaths.isEmpty());
}

void TestGrpcCompare::ignoreList()
{
    const QByteArray hello("/podtaptest.Greeter/SayHello");
    Answer a;
    a.messages = {msg("reply")};
    a.headers = {{"date", "Sun, 06 Dec 2026 22:00:00 GMT"}, {"x-request-id", "1"}};
    a.trailers = {{"x-request-id", "1"}, {"x-cost", "1"}};
    Answer b = a;
    b.headers = {
            {"date", "Sun, 06 Dec 2026 22:00:09 GMT"}, {"x-request-id", "2"}, {"server", "local"}};
    b.trailers = {{"x-request-id", "2"}, {"x-cost", "1"}};
    const HttpExchange x = exchange(hello, msg("request"), a);
    QCOMPARE(kind(ShadowComparator().compare(x, exchange(hello, msg("request"), b))),
             QStringLiteral("same"));
    b.trailers = {{"x-request-id", "2"}, {"x-cost", "7"}};
    const HttpExchange y = exchange(hello, msg("request"), b);
    QCOMPARE(ShadowComparator().compare(x, y).headers,
             QStringList{QStringLiteral("trailer:x-cost")});
    // --ignore-header applies to trailers as to headers.
    ShadowComparator::Options o{ShadowComparator::defaultIgnoredHeaders(), 20, {}};
    o.ignoreHeaders.insert("x-cost");
    QCOMPARE(kind(ShadowComparator(o).compare(x, y)), QStringLiteral("same"));
}

void TestGrpcCompare::compressionIsNotADifference()
{
    // The messages are compared decompressed: only grpc-encoding differs.
    const QByteArray count("/podtaptest.Greeter/CountUp");
    Answer a;
    a.messages = {msg("reply"), msg("reply_2")};
    a.gzip = true;
    a.headers = {{"grpc-encoding", "gzip"}};
    Answer b;
    b.messages = {msg("reply"), msg("reply_2")};
    const HttpExchange x = exchange(count, msg("request"), a);
    QVERIFY(x.grpc && x.grpc->responses.size() == 2 && x.grpc->responses[0].compressed);
    const auto v = ShadowComparator().compare(x, exchange(count, msg("request"), b));
    QCOMPARE(kind(v), QStringLiteral("headers"));
    QCOMPARE(v.headers, QStringList{QStringLiteral("grpc-encoding")});
    QVERIFY(v.bodyPaths.isEmpty());
    // A changed message under compression is still named.
    b.messages = {msg("reply"), msg("reply_message")};
    QCOMPARE(named().compare(x, exchange(count, msg("request"), b)).bodyPaths,
             (QStringList{QStringLiteral("$[1].message"), QStringLiteral("$[1].detail.serial"),
                          QStringLiteral("$[1].detail.note")}));
}

void TestGrpcCompare::grpcAgainstPlainAnswers()
{
    const QByteArray hello("/podtaptest.Greeter/SayHello");
    Answer grpc;
    grpc.messages = {msg("reply")};
    Answer plain;
    plain.contentType = "text/plain";
    plain.plainBody = "not here";
    plain.grpcStatus.clear();
    const HttpExchange x = exchange(hello, msg("request"), grpc);
    auto v = ShadowComparator().compare(x, exchange(hello, msg("request"), plain));
    QCOMPARE(kind(v), QStringLiteral("body"));
    QCOMPARE(v.bodyPaths, QStringList{QStringLiteral("gRPC messages ≠ not gRPC")});
    QVERIFY2(v.detail.contains(QLatin1String("the pod answered gRPC (grpc-status 0 OK), the local "
                                             "build did not (200, text/plain)")),
             qPrintable(v.detail));
    QCOMPARE(v.localBody, QStringLiteral("not here"));
    QCOMPARE(v.podGrpcStatus, 0);
    QCOMPARE(v.localGrpcStatus, -1);

    plain.status = "404";
    v = ShadowComparator().compare(x, exchange(hello, msg("request"), plain));
    QCOMPARE(kind(v), QStringLiteral("status"));
    QVERIFY2(v.detail.contains(QLatin1String("did not (404, text/plain)")), qPrintable(v.detail));
    // The other way round.
    v = ShadowComparator().compare(exchange(hello, msg("request"), plain), x);
    QCOMPARE(kind(v), QStringLiteral("status"));
    QVERIFY2(v.detail.contains(QLatin1String("the pod did not answer gRPC (404, text/plain)")),
             qPrintable(v.detail));
}

void TestGrpcCompare::notProtobuf()
{
    const QByteArray hello("/podtaptest.Greeter/SayHello");
    Answer a;
    a.messages = {QByteArray("\xff\xff\xff", 3)};
    Answer b;
    b.messages = {msg("reply")};
    const auto v = named().compare(exchange(hello, msg("request"), a),
                                   exchange(hello, msg("request"), b));
    QCOMPARE(kind(v), QStringLiteral("body"));
    QCOMPARE(v.bodyPaths, QStringList{QStringLiteral("$[0] (not protobuf on the pod's side)")});
    QCOMPARE(v.bodyValues.at(0)[QLatin1String("pod")].toString(), QStringLiteral("0xffffff"));
}

void TestGrpcCompare::localReset()
{
    const QByteArray hello("/podtaptest.Greeter/SayHello");
    Answer a;
    a.messages = {msg("reply")};
    Answer reset;
    reset.reset = true;
    const HttpExchange y = exchange(hello, msg("request"), reset);
    QVERIFY(y.wasReset && !y.hasResponse);
    auto v = ShadowComparator().compare(exchange(hello, msg("request"), a), y);
    QCOMPARE(kind(v), QStringLiteral("local-error"));
    QVERIFY2(v.detail.contains(QLatin1String("reset the stream (error code 2)")),
             qPrintable(v.detail));
    v = ShadowComparator().compare(y, exchange(hello, msg("request"), a));
    QCOMPARE(kind(v), QStringLiteral("not-comparable"));
}

void TestGrpcCompare::plainHttp2Json()
{
    const QByteArray path("/api/users/7");
    Answer a;
    a.contentType = "application/json";
    a.grpcStatus.clear();
    a.plainBody = R"({"id":7,"address":{"city":"Oslo","zip":"0150"}})";
    a.headers = {{"cache-control", "no-store"}};
    Answer b = a;
    b.plainBody = R"({"address":{"zip":"9999","city":"Oslo"},"id":7})";
    const HttpExchange x = exchange(path, "{}", a, "application/json");
    QVERIFY(!x.grpc);
    QCOMPARE(x.protocol, HttpExchange::Protocol::Http2);
    auto v = ShadowComparator().compare(x, exchange(path, "{}", b, "application/json"));
    QCOMPARE(kind(v), QStringLiteral("body"));
    QCOMPARE(v.bodyPaths, QStringList{QStringLiteral("$.address.zip")});
    QVERIFY(v.headers.isEmpty()); // :status is the status, not a header
    QCOMPARE(v.podGrpcStatus, -1);
    QVERIFY(!v.toJson().contains(QLatin1String("podGrpcStatus")));
    b.plainBody = R"({"address":{"zip":"0150","city":"Oslo"},"id":7})";
    b.headers = {{"cache-control", "max-age=5"}};
    v = ShadowComparator().compare(x, exchange(path, "{}", b, "application/json"));
    QCOMPARE(kind(v), QStringLiteral("headers"));
    QCOMPARE(v.headers, QStringList{QStringLiteral("cache-control")});
}

void TestGrpcCompare::http1Unchanged()
{
    // An HTTP/1 exchange pair gives exactly what compare(HttpMessage, HttpMessage) gives.
    auto json = [](const QByteArray &body, const QByteArray &extra = {},
                   int status = 200) -> QByteArray {
        return "HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Type: application/json\r\n"
               + extra + "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    };
    const QList<QPair<QByteArray, QByteArray>> pairs{
            {json(R"({"a":1})"), json(R"({"a":1})", "Date: x\r\n")},
            {json(R"({"a":{"b":1}})"), json(R"({"a":{"b":2}})")},
            {json(R"({"a":1})", "Cache-Control: a\r\n"),
             json(R"({"a":1})", "Cache-Control: b\r\n")},
            {json("{}"), json("{}", {}, 500)},
            {QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"),
             QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabd\r\n0\r\n"
                        "\r\n")}};
    const QStringList expected{QStringLiteral("same"), QStringLiteral("body"),
                               QStringLiteral("headers"), QStringLiteral("status"),
                               QStringLiteral("body")};
    for (qsizetype i = 0; i < pairs.size(); ++i) {
        const HttpExchange x = http1(pairs[i].first);
        const HttpExchange y = http1(pairs[i].second);
        const auto byExchange = named().compare(x, y);
        const auto byMessage = ShadowComparator().compare(x.response, y.response);
        QCOMPARE(byExchange.toJson(), byMessage.toJson());
        QCOMPARE(kind(byExchange), expected.at(i));
    }
}

void TestGrpcCompare::mutatedMessages()
{
    // A real message with random bytes changed, against the original, by number and by name:
    // never a crash, the paths bounded, and a change that still parses is always named.
    const QByteArray shape = msg("shape");
    QRandomGenerator rng(2026);
    int parsed = 0;
    for (int i = 0; i < 3000; ++i) {
        QByteArray changed = shape;
        const int changes = 1 + int(rng.bounded(3));
        for (int c = 0; c < changes; ++c)
            changed[qsizetype(rng.bounded(quint32(changed.size())))] = char(rng.bounded(256));
        for (const ProtoDescriptorSet *set :
             {static_cast<const ProtoDescriptorSet *>(nullptr), m_set.get()}) {
            ProtobufDiff diff(set, 5);
            diff.compareMessage(shape, changed, QStringLiteral("$[0]"),
                                "podtaptest.shapes.v1.Shape");
            const auto &r = diff.result();
            QVERIFY(r.paths.size() <= 5);
            QCOMPARE(r.values.size(), r.paths.size());
            if (changed == shape) {
                QCOMPARE(r.differences, 0);
            } else {
                QVERIFY2(r.differences > 0, changed.toHex().constData());
                if (set && ProtobufWireView::parse(changed))
                    ++parsed;
            }
        }
    }
    qInfo("%d mutated messages still parsed as protobuf", parsed);
    QVERIFY(parsed > 0);
}

QTEST_GUILESS_MAIN(TestGrpcCompare)
#include "tst_grpccompare.moc"
