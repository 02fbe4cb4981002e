// Shadow comparison through the real mirror: captured HTTP exchanges (both directions, as
// the engine reassembles them) against a real local TCP server answering on purpose alike
// or differently; the per-connection HTTP filter; the request an HTTP replay sends.
#include "capture/captureengine.h"
#include "http/httpsink.h"
#include "mirror/mirrorsink.h"
#include "mirror/shadowcompare.h"
#include "pcapbuilder.h"
#include "replay/httpreplaysession.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace podtap;

namespace {
constexpr quint8 F = 0x01, S = 0x02, A = 0x10, PA = 0x18;

// A local "build" that answers each request (one per line of `answers`, in order, per
// connection) after reading a complete request head; `closeAfter` closes after N answers.
class ScriptedServer : public QObject
{
public:
    ScriptedServer(QList<QByteArray> answers, int closeAfter = -1)
        : m_answers(std::move(answers))
        , m_closeAfter(closeAfter)
    {
        QObject::connect(&server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = server.nextPendingConnection()) {
                ++connections;
                auto buf = std::make_shared<QByteArray>();
                auto answered = std::make_shared<int>(0);
                QObject::connect(s, &QTcpSocket::readyRead, this, [this, s, buf, answered] {
                    *buf += s->readAll();
                    qsizetype end;
                    while ((end = buf->indexOf("\r\n\r\n")) >= 0) {
                        const QByteArray head = buf->left(end);
                        buf->remove(0, end + 4);
                        const qsizetype cl = head.toLower().indexOf("content-length:");
                        if (cl >= 0)
                            buf->remove(0, head.mid(cl + 15).split('\r').first().trimmed().toInt());
                        requests << head;
                        if (*answered < m_answers.size() && !m_answers[*answered].isEmpty()) {
                            s->write(m_answers[*answered]);
                            // Out now: Qt closes a socket whose peer half-closed, and would
                            // drop what is still buffered.
                            s->flush();
                        }
                        ++*answered;
                        if (m_closeAfter >= 0 && *answered >= m_closeAfter) {
                            s->disconnectFromHost();
                            return;
                        }
                    }
                });
            }
        });
        server.listen(QHostAddress::LocalHost, 0);
    }
    QTcpServer server;
    QList<QByteArray> requests;
    int connections = 0;

private:
    QList<QByteArray> m_answers;
    int m_closeAfter;
};

struct Turn
{
    QByteArray request;
    QByteArray response;
};

// One connection: handshake, then each turn's request then response, then FIN both ways.
void addConnection(PcapBuilder &pcap, quint16 cport, const QList<Turn> &turns, qint64 &ts,
                   int dropResponseBytes = 0, bool fin = true, int dropRequestOfTurn = -1)
{
    quint32 cseq = 100, sseq = 900;
    auto pkt = [&](bool c2s, quint8 flags, const QByteArray &payload = {}) {
        PcapBuilder::Tcp t;
        t.srcPort = c2s ? cport : 8080;
        t.dstPort = c2s ? 8080 : cport;
        if (!c2s)
            std::swap(t.srcIp, t.dstIp);
        t.seq = c2s ? cseq : sseq;
        t.ack = c2s ? sseq : cseq;
        t.flags = flags;
        t.payload = payload;
        pcap.add(t, ts += 50);
        (c2s ? cseq : sseq) += quint32(payload.size()) + ((flags & (S | F)) ? 1 : 0);
    };
    pkt(true, S);
    pkt(false, S | A);
    pkt(true, A);
    for (const Turn &t : turns) {
        if (&t - turns.data() == dropRequestOfTurn)
            cseq += quint32(t.request.size()); // lost by the capture; the ACKs prove it was sent
        else
            pkt(true, PA, t.request);
        if (dropResponseBytes > 0 && t.response.size() > dropResponseBytes * 2) {
            // A hole inside the answer's body: the peer's ACK proves it was sent.
            const qsizetype keep = t.response.size() - 3 * dropResponseBytes;
            pkt(false, PA, t.response.left(keep));
            sseq += quint32(dropResponseBytes);
            pkt(false, PA, t.response.mid(keep + dropResponseBytes));
        } else {
            pkt(false, PA, t.response);
        }
        pkt(true, A);
    }
    if (!fin)
        return;
    pkt(true, F | A);
    pkt(false, F | A);
    pkt(true, A);
}

QByteArray json(int status, const QByteArray &body, const QByteArray &extra = {})
{
    return "HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Type: application/json\r\n"
           + "Date: Mon, 23 Nov 2026 10:00:0" + QByteArray::number(status % 10) + " GMT\r\n" + extra
           + "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

void feed(CaptureEngine &e, const QByteArray &b)
{
    e.feed(reinterpret_cast<const std::uint8_t *>(b.constData()), std::size_t(b.size()));
}

// The engine → HTTP → mirror chain as PodTapPipeline wires it.
class Chain : public CaptureSink
{
public:
    explicit Chain(const MirrorSink::Options &o)
        : mirror(o)
        , http([this](const TcpConnection &c, HttpExchange &&x) {
            mirror.podExchange(c.id, std::move(x));
        })
    {}
    void connectionOpened(TcpConnection &c) override
    {
        http.connectionOpened(c);
        mirror.connectionOpened(c);
    }
    void data(TcpConnection &c, Direction d, const std::uint8_t *b, std::size_t n,
              std::int64_t ts) override
    {
        http.data(c, d, b, n, ts);
        mirror.data(c, d, b, n, ts);
    }
    void gap(TcpConnection &c, Direction d, std::uint64_t n, std::int64_t ts) override
    {
        http.gap(c, d, n, ts);
        mirror.gap(c, d, n, ts);
    }
    void connectionClosed(TcpConnection &c) override
    {
        http.connectionClosed(c);
        mirror.connectionClosed(c);
    }
    void connectionRemoved(TcpConnection &c) override
    {
        http.connectionRemoved(c);
        mirror.connectionRemoved(c);
    }
    MirrorSink mirror;
    HttpSink http;
};

QStringList verdicts(const QList<QList<QVariant>> &spy)
{
    QList<QJsonObject> records;
    for (const auto &args : spy)
        records << args.at(1).toJsonObject();
    std::sort(records.begin(), records.end(), [](const QJsonObject &a, const QJsonObject &b) {
        return a[QLatin1String("index")].toInteger() < b[QLatin1String("index")].toInteger();
    });
    QStringList out;
    for (const QJsonObject &r : records) {
        out << r[QLatin1String("verdict")].toString();
        if (qEnvironmentVariableIsSet("PODTAP_TEST_VERBOSE"))
            qInfo().noquote() << QJsonDocument(r).toJson(QJsonDocument::Compact);
    }
    return out;
}
} // namespace

class TestShadowMirror : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void pipelinedVerdictsInOrder();
    void localCloseAndSilence();
    void captureGapIsNotCalledADifference();
    void filterDecidesOnTheFirstRequest();
    void replayRequestIsRebuilt();
    void lostRequestCostsOnlyItself();
};

void TestShadowMirror::lostRequestCostsOnlyItself()
{
    // Five requests on one keep-alive connection; the capture lost the third one's packet.
    // The mirror goes on with the fourth on the same local connection, and each later answer
    // is compared with its own request's answer (the lost one's answer is not paired).
    QList<Turn> turns;
    QList<QByteArray> localAnswers;
    for (int i = 0; i < 5; ++i) {
        const QByteArray answer = json(200, "{\"n\":" + QByteArray::number(i) + "}");
        turns << Turn{"GET /users/" + QByteArray::number(i) + " HTTP/1.1\r\nHost: shop\r\n\r\n",
                      answer};
        if (i != 2)
            localAnswers << answer;
    }
    ScriptedServer local(localAnswers);
    MirrorSink::Options o;
    o.port = local.server.serverPort();
    o.compare = true;
    Chain chain(o);
    QSignalSpy spy(chain.mirror.shadow(), &ShadowCompare::compared);
    PcapBuilder pcap(PcapBuilder::Link::Sll2);
    qint64 ts = 1'700'000'000'000'000;
    addConnection(pcap, 40005, turns, ts, 0, true, 2);
    CaptureEngine engine;
    engine.setSink(&chain);
    feed(engine, pcap.bytes());
    engine.finish();
    QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 4, 10000);
    QCOMPARE(verdicts(spy), QStringList(4, QStringLiteral("same")));
    QCOMPARE(local.connections, 1);
    QCOMPARE(local.requests.size(), 4);
    QVERIFY(local.requests[2].startsWith("GET /users/3 "));
    const MirrorSink::Stats st = chain.mirror.stats();
    QCOMPARE(st.requests.requestsMirrored, quint64(4));
    QCOMPARE(st.requests.requestsLost, quint64(1));
    QVERIFY(st.requests.lostAtLeast); // a whole request's bytes: how many were in them is unknown
    QCOMPARE(st.gaps, quint64(0));
}

void TestShadowMirror::pipelinedVerdictsInOrder()
{
    const QByteArray user(R"({"id":7,"address":{"zip":"0150"}})");
    ScriptedServer local({json(200, R"({"address":{"zip":"0150"},"id":7})"),   // same (order)
                          json(500, R"({"error":"x"})"),                       // status
                          json(200, user, "Cache-Control: no-store\r\n"),      // header
                          json(200, R"({"id":7,"address":{"zip":"9999"}})")}); // body
    MirrorSink::Options o;
    o.port = local.server.serverPort();
    o.compare = true;
    Chain chain(o);
    QVERIFY(chain.mirror.shadow());
    QSignalSpy spy(chain.mirror.shadow(), &ShadowCompare::compared);
    PcapBuilder pcap(PcapBuilder::Link::Sll2);
    qint64 ts = 1'700'000'000'000'000;
    const QByteArray get("GET /users/7 HTTP/1.1\r\nHost: a\r\n\r\n");
    addConnection(pcap, 40001,
                  {{get, json(200, user)},
                   {"GET /invoices/3 HTTP/1.1\r\n\r\n", json(200, R"({"n":3})")},
                   {"GET /catalog?page=2 HTTP/1.1\r\n\r\n",
                    json(200, user, "Cache-Control: max-age=60\r\n")},
                   {get, json(200, user)}},
                  ts);
    CaptureEngine engine;
    engine.setSink(&chain);
    feed(engine, pcap.bytes());
    engine.finish();
    QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 4, 10000);
    QCOMPARE(verdicts(spy), (QStringList{QStringLiteral("same"), QStringLiteral("status"),
                                         QStringLiteral("headers"), QStringLiteral("body")}));
    const auto &c = chain.mirror.shadow()->counts();
    QCOMPARE(c.compared, quint64(4));
    QCOMPARE(c.same, quint64(1));
    const QJsonObject routes = chain.mirror.shadow()->routesJson();
    QCOMPARE(routes[QLatin1String("GET /users/{n}")][QLatin1String("compared")].toInteger(), 2);
    QCOMPARE(routes[QLatin1String("GET /catalog")][QLatin1String("headers")].toInteger(), 1);
    QCOMPARE(local.requests.size(), 4);
    // Local latency is measured from our write to the first answer byte.
    for (const auto &args : spy)
        QVERIFY(args.at(1).toJsonObject()[QLatin1String("localLatencyUs")].toDouble() >= 0);
}

void TestShadowMirror::localCloseAndSilence()
{
    // Answers the first request, then closes: the second is a local error. (A server that
    // closes after our FIN without answering is one too.)
    ScriptedServer closes({json(200, "{}")}, 1);
    MirrorSink::Options o;
    o.port = closes.server.serverPort();
    o.compare = true;
    {
        Chain chain(o);
        QSignalSpy spy(chain.mirror.shadow(), &ShadowCompare::compared);
        PcapBuilder pcap(PcapBuilder::Link::Sll2);
        qint64 ts = 1'700'000'000'000'000;
        addConnection(pcap, 40002,
                      {{"GET /a HTTP/1.1\r\n\r\n", json(200, "{}")},
                       {"GET /b HTTP/1.1\r\n\r\n", json(200, "{}")}},
                      ts);
        CaptureEngine engine;
        engine.setSink(&chain);
        feed(engine, pcap.bytes());
        engine.finish();
        QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 2, 10000);
        QCOMPARE(verdicts(spy),
                 (QStringList{QStringLiteral("same"), QStringLiteral("local-error")}));
    }
    // Never answers: a timeout, not a hang and not "same".
    ScriptedServer silent({QByteArray()});
    o.port = silent.server.serverPort();
    o.compareTimeoutMs = 300;
    Chain chain(o);
    QSignalSpy spy(chain.mirror.shadow(), &ShadowCompare::compared);
    PcapBuilder pcap(PcapBuilder::Link::Sll2);
    qint64 ts = 1'700'000'000'000'000;
    addConnection(pcap, 40003, {{"GET /a HTTP/1.1\r\n\r\n", json(200, "{}")}}, ts, 0, false);
    CaptureEngine engine;
    engine.setSink(&chain);
    feed(engine, pcap.bytes());
    // No finish(): the capture goes on; only the local side is silent.
    QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 1, 5000);
    QCOMPARE(verdicts(spy), QStringList{QStringLiteral("local-timeout")});
}

void TestShadowMirror::captureGapIsNotCalledADifference()
{
    const QByteArray body(400, 'x');
    ScriptedServer local({"HTTP/1.1 200 OK\r\nContent-Length: 400\r\n\r\n" + body});
    MirrorSink::Options o;
    o.port = local.server.serverPort();
    o.compare = true;
    Chain chain(o);
    QSignalSpy spy(chain.mirror.shadow(), &ShadowCompare::compared);
    PcapBuilder pcap(PcapBuilder::Link::Sll2);
    qint64 ts = 1'700'000'000'000'000;
    addConnection(pcap, 40004,
                  {{"GET /big HTTP/1.1\r\n\r\n",
                    "HTTP/1.1 200 OK\r\nContent-Length: 400\r\n\r\n" + body}},
                  ts, 100);
    CaptureEngine engine;
    engine.setSink(&chain);
    feed(engine, pcap.bytes());
    engine.finish();
    QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 1, 10000);
    QCOMPARE(verdicts(spy), QStringList{QStringLiteral("not-comparable")});
}

void TestShadowMirror::filterDecidesOnTheFirstRequest()
{
    ScriptedServer local({json(200, "{}"), json(200, "{}")});
    MirrorSink::Options o;
    o.port = local.server.serverPort();
    const QJsonObject f{{QStringLiteral("path"), QStringLiteral("^/users/")}};
    o.httpFilter = HttpFilter::fromJson(f).value();
    Chain chain(o);
    PcapBuilder pcap(PcapBuilder::Link::Sll2);
    qint64 ts = 1'700'000'000'000'000;
    // Mirrored whole (its second request does not match, but the connection does).
    addConnection(pcap, 40005,
                  {{"GET /users/1 HTTP/1.1\r\n\r\n", json(200, "{}")},
                   {"GET /admin HTTP/1.1\r\n\r\n", json(200, "{}")}},
                  ts);
    addConnection(pcap, 40006, {{"GET /admin HTTP/1.1\r\n\r\n", json(200, "{}")}}, ts);
    addConnection(pcap, 40007, {{QByteArray("\x16\x03\x01 not http", 14), QByteArray("x")}}, ts);
    CaptureEngine engine;
    engine.setSink(&chain);
    feed(engine, pcap.bytes());
    engine.finish();
    QTRY_COMPARE_WITH_TIMEOUT(chain.mirror.stats().completed, quint64(1), 10000);
    QCOMPARE(chain.mirror.stats().connections, quint64(1));
    QCOMPARE(chain.mirror.stats().filtered, quint64(2));
    QTRY_COMPARE(local.requests.size(), 2);
    QVERIFY(local.requests[0].startsWith("GET /users/1"));
    QVERIFY(local.requests[1].startsWith("GET /admin"));
    QCOMPARE(local.connections, 1);
}

void TestShadowMirror::replayRequestIsRebuilt()
{
    HttpConversation c;
    const QByteArray raw("POST /items HTTP/1.1\r\nHost: shop\r\nAuthorization: Bearer s3cret\r\n"
                         "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n"
                         "Expect: 100-continue\r\nX-Trace: 1\r\n\r\n"
                         "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    c.clientData(reinterpret_cast<const std::uint8_t *>(raw.constData()), std::size_t(raw.size()),
                 1);
    c.finish(2);
    const auto xs = c.takeExchanges();
    QCOMPARE(int(xs.size()), 1);
    HttpReplaySession::Options o;
    o.port = 9;
    o.setHeaders = {{"X-Trace", "replayed"}};
    const QByteArray sent = HttpReplaySession::buildRequest(xs[0].request, o);
    QCOMPARE(sent, QByteArray("POST /items HTTP/1.1\r\nHost: shop\r\nX-Trace: replayed\r\n"
                              "Content-Length: 5\r\n\r\nabcde"));
    o.keepAuth = true;
    QVERIFY(HttpReplaySession::buildRequest(xs[0].request, o).contains("Authorization: Bearer"));
}

QTEST_GUILESS_MAIN(TestShadowMirror)
#include "tst_shadowmirror.moc"
