// podtap-trafficgen --mode rest: a "prod" and a "local" REST service on 127.0.0.1, driven by the
// REST client mix (keep-alive, pipelining, chunked and Content-Length bodies, 100-continue), and
// compared response by response with a parser independent of trafficgen's own.

#include <QCryptographicHash>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QSet>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

namespace {

QString trafficgen()
{
    const QByteArray env = qgetenv("PODTAP_TRAFFICGEN");
    return env.isEmpty() ? QStringLiteral(BINDIR "/tests/tools/podtap-trafficgen")
                         : QString::fromLocal8Bit(env);
}

struct Response
{
    int status = 0;
    QList<QPair<QByteArray, QByteArray>> headers; // lower-case names, in order
    QByteArray body;
    bool chunked = false;
    int interim = 0; // 1xx before this response

    QByteArray header(const QByteArray &name) const
    {
        for (const auto &h : headers)
            if (h.first == name)
                return h.second;
        return {};
    }
    bool has(const QByteArray &name) const
    {
        for (const auto &h : headers)
            if (h.first == name)
                return true;
        return false;
    }
};

// Splits a byte stream of responses; answersHead[i] says whether response i answers a HEAD.
// Strict on the framing rules (RFC 9112 §6.3) so a badly framed stream fails the test.
bool parseResponses(const QByteArray &data, const QList<bool> &answersHead, QList<Response> &out,
                    QString *error)
{
    qsizetype pos = 0;
    Response cur;
    while (out.size() < answersHead.size()) {
        const qsizetype end = data.indexOf("\r\n\r\n", pos);
        if (end < 0) {
            *error = QStringLiteral("stream ends inside response %1 head").arg(out.size());
            return false;
        }
        const QList<QByteArray> lines = data.mid(pos, end - pos).split('\n');
        pos = end + 4;
        const QList<QByteArray> start = lines.first().trimmed().split(' ');
        if (start.size() < 2 || start.at(0) != "HTTP/1.1") {
            *error = QStringLiteral("bad status line ") + QString::fromLatin1(lines.first());
            return false;
        }
        cur.status = start.at(1).toInt();
        cur.headers.clear();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines.at(i).trimmed();
            const qsizetype colon = line.indexOf(':');
            cur.headers.append({line.left(colon).toLower(), line.mid(colon + 1).trimmed()});
        }
        if (cur.status < 200) {
            ++cur.interim;
            continue;
        }
        const bool noBody = answersHead.at(out.size()) || cur.status == 204 || cur.status == 304;
        cur.chunked = cur.header("transfer-encoding") == "chunked";
        cur.body.clear();
        if (noBody) {
            if ((cur.status == 204 || cur.status == 304) && cur.has("content-length")) {
                *error = QStringLiteral("%1 with Content-Length").arg(cur.status);
                return false;
            }
        } else if (cur.chunked) {
            for (;;) {
                const qsizetype eol = data.indexOf("\r\n", pos);
                bool ok = false;
                const qsizetype size = data.mid(pos, eol - pos).toLongLong(&ok, 16);
                if (eol < 0 || !ok || data.size() < eol + 2 + size + 2) {
                    *error = QStringLiteral("bad or truncated chunk");
                    return false;
                }
                pos = eol + 2;
                if (size == 0) {
                    if (data.mid(pos, 2) != "\r\n") {
                        *error = QStringLiteral("no CRLF after the last chunk");
                        return false;
                    }
                    pos += 2;
                    break;
                }
                cur.body += data.mid(pos, size);
                pos += size + 2;
            }
        } else {
            bool ok = false;
            const qsizetype len = cur.header("content-length").toLongLong(&ok);
            if (!ok || data.size() < pos + len) {
                *error = QStringLiteral("missing Content-Length or truncated body");
                return false;
            }
            cur.body = data.mid(pos, len);
            pos += len;
        }
        out.append(cur);
        cur = Response{};
    }
    if (pos != data.size()) {
        *error = QStringLiteral("%1 bytes after the last response").arg(data.size() - pos);
        return false;
    }
    return true;
}

// Differences a shadow comparison reports: status, headers other than the ignored ones, and
// the body (JSON-aware: key order does not matter).
QStringList differences(const Response &a, const Response &b)
{
    static const QSet<QByteArray> ignored = {"date", "server", "x-request-id"};
    QStringList diff;
    if (a.status != b.status)
        diff << QStringLiteral("status");
    QMap<QByteArray, QByteArray> ha, hb;
    for (const auto &h : a.headers)
        if (!ignored.contains(h.first))
            ha.insert(h.first, h.second);
    for (const auto &h : b.headers)
        if (!ignored.contains(h.first))
            hb.insert(h.first, h.second);
    QSet<QByteArray> names;
    for (auto it = ha.cbegin(); it != ha.cend(); ++it)
        names.insert(it.key());
    for (auto it = hb.cbegin(); it != hb.cend(); ++it)
        names.insert(it.key());
    for (const QByteArray &n : std::as_const(names))
        if (ha.value(n) != hb.value(n))
            diff << QStringLiteral("header:") + QString::fromLatin1(n);
    const QJsonDocument ja = QJsonDocument::fromJson(a.body);
    const QJsonDocument jb = QJsonDocument::fromJson(b.body);
    if (!ja.isNull() && !jb.isNull() ? ja != jb : a.body != b.body)
        diff << QStringLiteral("body");
    return diff;
}

struct Run
{
    int exitCode = -1;
    QJsonObject summary;
    QList<QJsonObject> requests;
    QByteArray err;
};

} // namespace

class TestTrafficGenRest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void clientMixAgainstBothVariants();
    void pipelinedComparisonFindsExactlyTheThreeDifferences();
    void curlHeadChunkedAndContinue();
    void badFramingIsCounted();

private:
    bool startServer(QProcess &p, const QStringList &extraArgs, quint16 &port);
    Run runClient(quint16 port, const QStringList &extraArgs);
    QByteArray exchange(quint16 port, const QByteArray &requests);

    QTemporaryDir m_dir;
    QProcess m_prod, m_local;
    quint16 m_prodPort = 0, m_localPort = 0;
};

bool TestTrafficGenRest::startServer(QProcess &p, const QStringList &extraArgs, quint16 &port)
{
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start(trafficgen(), QStringList{QStringLiteral("serve"), QStringLiteral("--listen"),
                                      QStringLiteral("127.0.0.1:0")}
                                  + extraArgs);
    if (!p.waitForStarted(5000))
        return false;
    QByteArray line;
    while (!line.endsWith('\n') && p.waitForReadyRead(5000))
        line += p.readLine();
    if (!line.startsWith("listening 127.0.0.1:"))
        return false;
    port = quint16(line.trimmed().mid(line.lastIndexOf(':') + 1).toUShort());
    return port != 0;
}

void TestTrafficGenRest::initTestCase()
{
    QVERIFY2(QFile::exists(trafficgen()), qPrintable(trafficgen() + QStringLiteral(" not built")));
    QVERIFY(m_dir.isValid());
    QVERIFY(startServer(m_prod,
                        {QStringLiteral("--mode"), QStringLiteral("rest"),
                         QStringLiteral("--variant"), QStringLiteral("prod"),
                         QStringLiteral("--record"), m_dir.filePath(QStringLiteral("prod.jsonl"))},
                        m_prodPort));
    QVERIFY(startServer(m_local,
                        {QStringLiteral("--mode"), QStringLiteral("rest"),
                         QStringLiteral("--variant"), QStringLiteral("local")},
                        m_localPort));
}

void TestTrafficGenRest::cleanupTestCase()
{
    for (QProcess *p : {&m_prod, &m_local}) {
        p->terminate();
        if (!p->waitForFinished(3000))
            p->kill();
    }
}

Run TestTrafficGenRest::runClient(quint16 port, const QStringList &extraArgs)
{
    static int n = 0;
    const QString log = m_dir.filePath(QStringLiteral("requests-%1.jsonl").arg(++n));
    QProcess p;
    p.start(trafficgen(),
            QStringList{QStringLiteral("client"), QStringLiteral("--connect"),
                        QStringLiteral("127.0.0.1:%1").arg(port), QStringLiteral("--mode"),
                        QStringLiteral("rest"), QStringLiteral("--record-requests"), log,
                        QStringLiteral("--timeout"), QStringLiteral("60")}
                    + extraArgs);
    Run run;
    if (!p.waitForFinished(90000))
        return run;
    run.exitCode = p.exitCode();
    run.err = p.readAllStandardError();
    run.summary = QJsonDocument::fromJson(p.readAllStandardOutput().trimmed()).object();
    QFile f(log);
    if (f.open(QIODevice::ReadOnly))
        for (const QByteArray &line : f.readAll().split('\n'))
            if (!line.isEmpty())
                run.requests << QJsonDocument::fromJson(line).object();
    return run;
}

// 2,400 requests per variant, 40 connections × 60 requests, 8 in flight; the same seed gives
// both runs the same requests, so their records must agree up to the three differences.
void TestTrafficGenRest::clientMixAgainstBothVariants()
{
    const QStringList args = {QStringLiteral("--connections"),
                              QStringLiteral("40"),
                              QStringLiteral("--requests-per-conn"),
                              QStringLiteral("60"),
                              QStringLiteral("--pipeline"),
                              QStringLiteral("8"),
                              QStringLiteral("--concurrency"),
                              QStringLiteral("4"),
                              QStringLiteral("--seed"),
                              QStringLiteral("11")};
    const Run prod = runClient(m_prodPort, args);
    const Run local = runClient(m_localPort, args);
    for (const Run *r : {&prod, &local}) {
        QVERIFY2(r->exitCode == 0, r->err.constData());
        QCOMPARE(r->summary.value(QLatin1String("requests")).toInt(), 2400);
        QCOMPARE(r->summary.value(QLatin1String("failed")).toInt(), 0);
        QCOMPARE(r->summary.value(QLatin1String("framing_failures")).toInt(), 0);
        QVERIFY(r->summary.value(QLatin1String("interim_responses")).toInt() > 0);
        QCOMPARE(r->requests.size(), 2400);
    }

    // Route mix: every route, each with its expected status.
    const QHash<QString, int> prodStatus = {{QStringLiteral("GET /users/{id}"), 200},
                                            {QStringLiteral("GET /orders/{uuid}"), 200},
                                            {QStringLiteral("POST /items"), 201},
                                            {QStringLiteral("GET /catalog"), 200},
                                            {QStringLiteral("GET /health"), 200},
                                            {QStringLiteral("HEAD /health"), 200},
                                            {QStringLiteral("DELETE /items/{id}"), 204},
                                            {QStringLiteral("GET /items/{id}"), 304},
                                            {QStringLiteral("GET /invoices/{id}"), 200},
                                            {QStringLiteral("GET (no route)"), 404}};
    QHash<QString, int> count;
    QHash<QString, int> nextSeq; // per connection: records come in send order
    for (const QJsonObject &o : prod.requests) {
        const QString route = o.value(QLatin1String("route")).toString();
        QVERIFY2(prodStatus.contains(route), qPrintable(route));
        QCOMPARE(o.value(QLatin1String("status")).toInt(), prodStatus.value(route));
        QVERIFY(o.value(QLatin1String("bytes_req")).toInt() > 0);
        QVERIFY(o.value(QLatin1String("bytes_resp")).toInt() > 0);
        ++count[route];
        const QString conn = o.value(QLatin1String("conn")).toString();
        QVERIFY(conn.startsWith(QLatin1String("127.0.0.1:")));
        QCOMPARE(o.value(QLatin1String("seq")).toInt(), nextSeq[conn]++);
    }
    QCOMPARE(nextSeq.size(), 40);
    for (auto it = prodStatus.cbegin(); it != prodStatus.cend(); ++it)
        QVERIFY2(count.value(it.key()) >= 50,
                 qPrintable(it.key() + QStringLiteral(": %1").arg(count.value(it.key()))));

    // Align the runs by request (method, path, request bytes). Server headers: "local" is one
    // byte longer than "prod"; bodies differ only in key order (same length), so every response
    // is exactly 1 byte longer in local, except the deliberate differences: /catalog (no-store
    // is 2 bytes shorter than max-age=60) and /invoices (500).
    auto key = [](const QJsonObject &o) -> QString {
        return o.value(QLatin1String("method")).toString() + QLatin1Char(' ')
               + o.value(QLatin1String("path")).toString() + QLatin1Char(' ')
               + QString::number(o.value(QLatin1String("bytes_req")).toInt());
    };
    QMap<QString, QList<QPair<int, int>>> byKey[2]; // status, bytes_resp
    for (int side = 0; side < 2; ++side)
        for (const QJsonObject &o : (side ? local : prod).requests)
            byKey[side][key(o)] << qMakePair(o.value(QLatin1String("status")).toInt(),
                                             o.value(QLatin1String("bytes_resp")).toInt());
    QCOMPARE(byKey[0].keys(), byKey[1].keys());
    int invoices = 0;
    for (auto it = byKey[0].begin(); it != byKey[0].end(); ++it) {
        QList<QPair<int, int>> p = it.value();
        QList<QPair<int, int>> l = byKey[1].value(it.key());
        std::sort(p.begin(), p.end());
        std::sort(l.begin(), l.end());
        QCOMPARE(p.size(), l.size());
        const bool isInvoice = it.key().startsWith(QLatin1String("GET /invoices/"));
        const bool isCatalog = it.key().startsWith(QLatin1String("GET /catalog?"))
                               || it.key().startsWith(QLatin1String("GET /catalog "));
        for (qsizetype i = 0; i < p.size(); ++i) {
            if (isInvoice) {
                QCOMPARE(p[i].first, 200);
                QCOMPARE(l[i].first, 500);
                ++invoices;
                continue;
            }
            QCOMPARE(l[i].first, p[i].first);
            QVERIFY2(l[i].second == p[i].second + (isCatalog ? -1 : 1),
                     qPrintable(it.key()
                                + QStringLiteral(": %1 vs %2").arg(p[i].second).arg(l[i].second)));
        }
    }
    QCOMPARE(invoices, count.value(QStringLiteral("GET /invoices/{id}")));
}

QByteArray TestTrafficGenRest::exchange(quint16 port, const QByteArray &requests)
{
    QTcpSocket s;
    s.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!s.waitForConnected(5000))
        return {};
    s.write(requests);
    QByteArray all;
    while (s.state() == QAbstractSocket::ConnectedState && s.waitForReadyRead(5000))
        all += s.readAll();
    all += s.readAll();
    return all;
}

// One keep-alive connection, all requests written at once (pipelined), the last one asking
// Connection: close; the two variants' answers compared the way the shadow comparison will.
void TestTrafficGenRest::pipelinedComparisonFindsExactlyTheThreeDifferences()
{
    const QByteArray post = R"({"name":"widget","qty":2,"tags":["a","b"]})";
    struct Req
    {
        QByteArray label, wire;
    };
    auto get = [](const QByteArray &method, const QByteArray &path,
                  const QByteArray &extra = {}) -> Req {
        return Req{method + ' ' + path,
                   method + ' ' + path + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n"};
    };
    const QList<Req> reqs = {
            get("GET", "/users/7"),
            get("GET", "/orders/123e4567-e89b-42d3-a456-426614174000"),
            {"POST /items (Content-Length, Expect)",
             "POST /items HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: "
                     + QByteArray::number(post.size()) + "\r\n\r\n" + post},
            {"POST /items (chunked)", "POST /items HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "
                                      "chunked\r\n\r\n5\r\n"
                                              + post.left(5) + "\r\n"
                                              + QByteArray::number(post.size() - 5, 16)
                                              + ";ext=1\r\n" + post.mid(5) + "\r\n0\r\n\r\n"},
            get("GET", "/catalog?page=3"),
            get("GET", "/health"),
            get("HEAD", "/health"),
            get("DELETE", "/items/9"),
            get("GET", "/items/9", "If-None-Match: \"item-9-v1\"\r\n"),
            get("GET", "/invoices/5"),
            get("GET", "/no/such/route"),
            get("GET", "/items/9", "Connection: close\r\n"),
    };
    QByteArray wire;
    QList<bool> head;
    for (const Req &r : reqs) {
        wire += r.wire;
        head << r.label.startsWith("HEAD");
    }
    QList<Response> prod, local;
    QString error;
    QVERIFY2(parseResponses(exchange(m_prodPort, wire), head, prod, &error), qPrintable(error));
    QVERIFY2(parseResponses(exchange(m_localPort, wire), head, local, &error), qPrintable(error));

    QMap<QByteArray, QStringList> found;
    bool keyOrderDiffers = false;
    for (qsizetype i = 0; i < reqs.size(); ++i) {
        const QStringList d = differences(prod[i], local[i]);
        if (!d.isEmpty())
            found.insert(reqs[i].label, d);
        keyOrderDiffers |= prod[i].body != local[i].body && d.isEmpty();
        // The ignored headers are there, and differ naturally.
        QCOMPARE(prod[i].header("server"), QByteArray("trafficgen-rest/prod"));
        QCOMPARE(local[i].header("server"), QByteArray("trafficgen-rest/local"));
        QVERIFY(prod[i].header("date").endsWith(" GMT"));
        QCOMPARE(prod[i].header("x-request-id").size(), 32);
        QVERIFY(prod[i].header("x-request-id") != local[i].header("x-request-id"));
    }
    QVERIFY2(keyOrderDiffers, "the local variant should write JSON keys in another order");
    const QMap<QByteArray, QStringList> expected
            = {{"GET /users/7", {QStringLiteral("body")}},
               {"GET /catalog?page=3", {QStringLiteral("header:cache-control")}},
               {"GET /invoices/5",
                {QStringLiteral("status"), QStringLiteral("header:content-length"),
                 QStringLiteral("body")}}};
    QCOMPARE(found, expected);

    // Route semantics on the prod side.
    QCOMPARE(prod[0].status, 200);
    QCOMPARE(prod[1].chunked, true);
    QCOMPARE(prod[2].status, 201);
    QCOMPARE(prod[2].interim, 1); // 100 Continue
    const QByteArray sha = QCryptographicHash::hash(post, QCryptographicHash::Sha256).toHex();
    for (int i : {2, 3}) {
        const QJsonObject o = QJsonDocument::fromJson(prod[i].body).object();
        QCOMPARE(o.value(QLatin1String("sha256")).toString().toLatin1(), sha);
        QCOMPARE(o.value(QLatin1String("received_bytes")).toInt(), post.size());
    }
    QCOMPARE(prod[4].header("cache-control"), QByteArray("max-age=60"));
    QCOMPARE(local[4].header("cache-control"), QByteArray("no-store"));
    QCOMPARE(prod[6].header("content-length"), prod[5].header("content-length"));
    QVERIFY(prod[6].body.isEmpty());
    QCOMPARE(prod[7].status, 204);
    QCOMPARE(prod[8].status, 304);
    QCOMPARE(prod[9].status, 200);
    QCOMPARE(local[9].status, 500);
    QCOMPARE(prod[10].status, 404);
    QCOMPARE(prod[11].status, 200);
    QCOMPARE(prod[11].header("connection"), QByteArray("close"));

    // (b) is only address.zip.
    QJsonObject pu = QJsonDocument::fromJson(prod[0].body).object();
    QJsonObject lu = QJsonDocument::fromJson(local[0].body).object();
    QJsonObject pa = pu.value(QLatin1String("address")).toObject();
    QJsonObject la = lu.value(QLatin1String("address")).toObject();
    QVERIFY(pa.value(QLatin1String("zip")) != la.value(QLatin1String("zip")));
    pa.remove(QLatin1String("zip"));
    la.remove(QLatin1String("zip"));
    pu[QLatin1String("address")] = pa;
    lu[QLatin1String("address")] = la;
    QCOMPARE(pu, lu);
}

// Real curl: HEAD (twice on one connection, so a stray body would break the second), a chunked
// response, a request with Expect: 100-continue and one with a chunked body.
void TestTrafficGenRest::curlHeadChunkedAndContinue()
{
    const QString curl = QStandardPaths::findExecutable(QStringLiteral("curl"));
    if (curl.isEmpty())
        QSKIP("curl not installed");
    const QString base = QStringLiteral("http://127.0.0.1:%1").arg(m_prodPort);
    auto run = [&](const QStringList &args, QByteArray *err = nullptr) {
        QProcess p;
        p.start(curl, QStringList{QStringLiteral("-sS"), QStringLiteral("--max-time"),
                                  QStringLiteral("10")}
                              + args);
        p.waitForFinished(15000);
        if (err)
            *err = p.readAllStandardError();
        return p.exitCode() == 0 ? p.readAllStandardOutput() : QByteArray("curl failed");
    };
    QByteArray err;
    const QByteArray head
            = run({QStringLiteral("-v"), QStringLiteral("-I"), base + QStringLiteral("/health"),
                   base + QStringLiteral("/health")},
                  &err);
    QCOMPARE(head.count("HTTP/1.1 200 OK"), 2);
    QCOMPARE(head.count("Content-Length: 26"), 2);
    QVERIFY2(err.contains("Re-using existing connection"), err.constData());

    const QString uuid = QStringLiteral("123e4567-e89b-42d3-a456-426614174000");
    const QByteArray raw = run({QStringLiteral("--raw"), QStringLiteral("-i"),
                                base + QStringLiteral("/orders/") + uuid});
    QVERIFY2(raw.contains("Transfer-Encoding: chunked\r\n") && raw.endsWith("\r\n0\r\n\r\n"),
             raw.constData());
    const QJsonObject order
            = QJsonDocument::fromJson(run({base + QStringLiteral("/orders/") + uuid})).object();
    QCOMPARE(order.value(QLatin1String("id")).toString(), uuid);

    QByteArray body = R"({"name":"big","note":")" + QByteArray(5000, 'x') + R"("})";
    const QString bodyFile = m_dir.filePath(QStringLiteral("body.json"));
    QFile f(bodyFile);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(body);
    f.close();
    const QByteArray sha = QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex();
    for (const QString &header :
         {QStringLiteral("Expect: 100-continue"), QStringLiteral("Transfer-Encoding: chunked")}) {
        const QByteArray out = run({QStringLiteral("-v"), QStringLiteral("-H"), header,
                                    QStringLiteral("--data-binary"), QLatin1Char('@') + bodyFile,
                                    base + QStringLiteral("/items")},
                                   &err);
        const QJsonObject o = QJsonDocument::fromJson(out).object();
        QCOMPARE(o.value(QLatin1String("sha256")).toString().toLatin1(), sha);
        QCOMPARE(o.value(QLatin1String("received_bytes")).toInt(), body.size());
        QVERIFY(err.contains("< HTTP/1.1 201 Created"));
        if (header.startsWith(QLatin1String("Expect")))
            QVERIFY2(err.contains("< HTTP/1.1 100 Continue"), err.constData());
    }
}

// The client's framing check can fail: an echo server "answers" with the request bytes and an
// http-mode server sends a body to HEAD, so the next response is misread.
void TestTrafficGenRest::badFramingIsCounted()
{
    for (const QString &mode : {QStringLiteral("echo"), QStringLiteral("http")}) {
        QProcess server;
        quint16 port = 0;
        QVERIFY(startServer(server, {QStringLiteral("--mode"), mode}, port));
        const Run r = runClient(port, {QStringLiteral("--connections"), QStringLiteral("8"),
                                       QStringLiteral("--requests-per-conn"), QStringLiteral("40"),
                                       QStringLiteral("--pipeline"), QStringLiteral("4"),
                                       QStringLiteral("--seed"), QStringLiteral("3")});
        server.terminate();
        server.waitForFinished(3000);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.summary.value(QLatin1String("framing_failures")).toInt() > 0, qPrintable(mode));
        int unanswered = 0;
        for (const QJsonObject &o : r.requests)
            unanswered += o.value(QLatin1String("status")).toInt() == 0
                          && !o.value(QLatin1String("error")).toString().isEmpty();
        QVERIFY2(unanswered > 0, qPrintable(mode));
    }
}

QTEST_GUILESS_MAIN(TestTrafficGenRest)
#include "tst_trafficgenrest.moc"
