// Issue 15: a mirror that survives capture gaps. Real parts only: real tcpdump, real servers and
// clients, podtapd and the podtap CLI. Packets are lost on purpose, in two ways:
// - replay: a real keep-alive HTTP/1.1 capture (raw client segments, so the test knows which
//   packet holds which bytes) with chosen client→server packets removed by
//   podtap-pcaprewrite, replayed by `podtap replay FILE --to 127.0.0.1:PORT`;
// - live: `podtap mirror` of a kubesim pod whose tap loses every 25th request packet between
//   tcpdump and the exec WebSocket (kubesim's dropPackets fault, which also keeps them); and of
//   a pod whose keep-alive connections were open before the tap (joined at the next request).
// Both land in a local trafficgen server that records every request it gets (id, bytes,
// SHA-256). Invariants: a dropped packet costs at most the requests whose bytes it held; every
// other request arrives once and byte-exact; nothing else arrives; the mirror's counts agree.
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTest>
#include <QtEndian>

#include "capturecheck.h"
#include "netnslab.h"
#include "support/clirunner.h"
#include "support/jsonhelpers.h"
#include "support/sessionbench.h"

#include <csignal>
#include <map>
#include <memory>
#include <set>

using namespace Qt::StringLiterals;
using namespace podtap::test;

namespace {

// What a trafficgen --record-requests line says about one request.
struct SentRequest
{
    QString id;
    qint64 bytes = 0;
    QString sha256;
};

QHash<QString, SentRequest> byId(const QList<QJsonObject> &records, QStringList *problems)
{
    QHash<QString, SentRequest> out;
    for (const QJsonObject &r : records) {
        const SentRequest s{str(r, "id"), num(r, "bytes"), str(r, "sha256")};
        if (s.id.isEmpty())
            *problems << u"a request without X-Request-Id: %1"_s.arg(compact(r));
        else if (out.contains(s.id))
            *problems << u"request %1 twice: %2"_s.arg(s.id, compact(r));
        out.insert(s.id, s);
    }
    return out;
}

QStringList sorted(const QSet<QString> &s)
{
    QStringList l(s.cbegin(), s.cend());
    l.sort();
    return l;
}

// The checks both paths share. `sent`: every request the client wrote; `touched`: those whose
// bytes a dropped packet held; `runs`: dropped stretches (per connection, adjacent packets are
// one) that held request bytes; `stats`: the mirror's counts (MirrorSink::Stats::toJson()).
struct Verdict
{
    QStringList problems;      // byte-exactness and "nothing invented" (held before resync too)
    QStringList lostUntouched; // requests no drop touched that did not arrive
    QStringList incomplete;    // bytes that were no complete request reached the local server
    QStringList countProblems; // the request counters disagree with what happened
    int delivered = 0;
};

// `unknown`: requests that may or may not arrive (sent before a mid-stream join); when there are
// any, the loss counts are not checked (what precedes a join is not a loss).
Verdict judge(const QHash<QString, SentRequest> &sent, const QSet<QString> &touched, int runs,
              qint64 droppedBytes, const QList<QJsonObject> &received, const QJsonObject &stats,
              const QSet<QString> &unknown = {})
{
    Verdict v;
    QSet<QString> got;
    for (const QJsonObject &r : received) {
        if (r.contains(u"error")) {
            // Only whole requests may be forwarded: a partial one, or bytes from a body taken
            // for a request, reach a local parser that cannot survive them.
            v.incomplete << u"the local server got %1 bytes that are no complete request (%2): "
                            u"\"%3\""_s.arg(num(r, "bytes"))
                                    .arg(str(r, "error"), str(r, "line"));
            continue;
        }
        const QString id = str(r, "id");
        const auto it = sent.constFind(id);
        if (it == sent.cend()) {
            v.problems << u"the local server got a request nobody sent: %1"_s.arg(compact(r));
            continue;
        }
        if (got.contains(id))
            v.problems << u"request %1 arrived twice"_s.arg(id);
        got.insert(id);
        if (num(r, "bytes") != it->bytes || str(r, "sha256") != it->sha256)
            v.problems << u"request %1 arrived changed: %2 bytes sent, %3 arrived"_s.arg(id)
                                  .arg(it->bytes)
                                  .arg(num(r, "bytes"));
        if (touched.contains(id))
            v.problems << u"request %1 arrived although a dropped packet held some of its bytes "
                          u"(invented bytes)"_s.arg(id);
    }
    v.delivered = int(got.size());
    QSet<QString> missing;
    for (auto it = sent.cbegin(); it != sent.cend(); ++it)
        if (!touched.contains(it.key()) && !unknown.contains(it.key()) && !got.contains(it.key()))
            missing.insert(it.key());
    if (!missing.isEmpty())
        v.lostUntouched << u"%1 requests that no drop touched did not arrive: %2"_s
                                   .arg(missing.size())
                                   .arg(sorted(missing).mid(0, 20).join(u' '));

    auto count = [&](const char *name) -> qint64 {
        const QJsonValue x = at(stats, name);
        if (x.isUndefined()) {
            v.countProblems << u"no \"%1\" in the mirror's stats"_s.arg(QLatin1String(name));
            return -1;
        }
        return x.toInteger();
    };
    const qint64 mirrored = count("requestsMirrored");
    const qint64 lost = count("requestsLost");
    const qint64 seen = count("requestsSeen");
    const qint64 bytesLost = count("bytesLost");
    const QJsonValue atLeast = at(stats, "requestsLostAtLeast");
    if (!atLeast.isBool())
        v.countProblems << u"no boolean \"requestsLostAtLeast\" in the mirror's stats"_s;
    if (!v.countProblems.isEmpty())
        return v;
    if (mirrored != received.size() - v.incomplete.size())
        v.countProblems << u"requestsMirrored %1, the local server got %2"_s.arg(mirrored).arg(
                received.size() - v.incomplete.size());
    if (seen < mirrored)
        v.countProblems << u"requestsSeen %1 < requestsMirrored %2"_s.arg(seen).arg(mirrored);
    if (!unknown.isEmpty())
        return v;
    // Every request of the capture is mirrored or counted lost (lost as its minimum).
    if (seen != mirrored + lost)
        v.countProblems << u"requestsSeen %1 != requestsMirrored %2 + requestsLost %3"_s.arg(seen)
                                   .arg(mirrored)
                                   .arg(lost);
    if (lost > touched.size())
        v.countProblems << u"requestsLost %1, but the drops touched only %2 requests"_s.arg(lost)
                                   .arg(touched.size());
    if (lost < runs)
        v.countProblems
                << u"requestsLost %1 for %2 separate drops that held request bytes"_s.arg(lost).arg(
                           runs);
    if (!atLeast.toBool() && lost != touched.size())
        v.countProblems << u"requestsLost %1 claims to be exact, the drops touched %2 requests"_s
                                   .arg(lost)
                                   .arg(touched.size());
    if (bytesLost < droppedBytes)
        v.countProblems << u"bytesLost %1 < %2 bytes in dropped packets"_s.arg(bytesLost).arg(
                droppedBytes);
    if (touched.isEmpty() && (lost != 0 || bytesLost != 0 || atLeast.toBool()))
        v.countProblems << u"nothing was lost, yet requestsLost %1, bytesLost %2"_s.arg(lost).arg(
                bytesLost);
    return v;
}

// ---- replay cases: requests, and where the client's segments begin --------------------------

QByteArray getRequest(const QByteArray &id, const QByteArray &path)
{
    return "GET " + path + " HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: podtap-test/1\r\n"
           + "X-Request-Id: " + id + "\r\nAccept: application/json\r\n\r\n";
}

QByteArray postRequest(const QByteArray &id, const QByteArray &body)
{
    return "POST /items HTTP/1.1\r\nHost: shop.example\r\nX-Request-Id: " + id
           + "\r\nContent-Type: text/plain\r\nContent-Length: " + QByteArray::number(body.size())
           + "\r\n\r\n" + body;
}

// Chunk data 'a'×40, 'b'×64, 'c'×30 (hex sizes 28, 40, 1e) and the last chunk (with a trailer
// field when asked).
QByteArray chunkedRequest(const QByteArray &id, bool trailer = false)
{
    QByteArray r = "POST /upload HTTP/1.1\r\nHost: shop.example\r\nX-Request-Id: " + id
                   + "\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (const auto &[c, n] : {std::pair{'a', 40}, std::pair{'b', 64}, std::pair{'c', 30}})
        r += QByteArray::number(n, 16) + "\r\n" + QByteArray(n, c) + "\r\n";
    return r + "0\r\n" + (trailer ? QByteArray("X-Checksum: 5eed\r\n") : QByteArray()) + "\r\n";
}

// A request line and headers with a blank line: a whole request head, inside a body.
const QByteArray FakeWhole
        = "\r\nGET /fake HTTP/1.1\r\nHost: shop.example\r\nX-Request-Id: fake\r\n\r\n";
// A request line and a header, but no head that parses: `{"` is no header name.
const QByteArray FakeLine
        = "\r\nGET / HTTP/1.1\r\nHost: shop.example\r\n{\"not\": \"a header\"}\r\n";

// r0 … r7: GET, GET, POST with a Content-Length body (`body`), GET, chunked POST, GET ×3.
QList<QByteArray> baseRequests(const QByteArray &body, bool trailer = false)
{
    return {getRequest("r0", "/users/1"),  getRequest("r1", "/catalog?page=2"),
            postRequest("r2", body),       getRequest("r3", "/health"),
            chunkedRequest("r4", trailer), getRequest("r5", "/users/5"),
            getRequest("r6", "/users/6"),  getRequest("r7", "/users/7")};
}

QByteArray plainBody()
{
    QByteArray b;
    for (int i = 0; b.size() < 300; ++i)
        b += "{\"item\":" + QByteArray::number(i) + ",\"name\":\"widget\"}\n";
    return b.left(300);
}

QByteArray bodyWith(const QByteArray &fake)
{
    const QByteArray b = plainBody();
    return b.left(120) + fake + b.mid(120);
}

// Where the client's segments begin: at every request (unless merged with the one before) and at
// chosen places inside requests.
class Segmenter
{
public:
    explicit Segmenter(QList<QByteArray> requests)
        : m_requests(std::move(requests))
    {
        for (int i = 0; i < m_requests.size(); ++i)
            m_cuts.insert(start(i));
    }
    qsizetype start(int i) const
    {
        qsizetype off = 0;
        for (int k = 0; k < i; ++k)
            off += m_requests[k].size();
        return off;
    }
    // A segment begins at the first `marker` in request i (after it with `after`), `plus` on.
    qsizetype cut(int i, const QByteArray &marker, bool after = false, qsizetype plus = 0)
    {
        const qsizetype at = m_requests[i].indexOf(marker);
        Q_ASSERT(at >= 0);
        const qsizetype off = start(i) + at + (after ? marker.size() : 0) + plus;
        m_cuts.insert(off);
        return off;
    }
    // Request i goes in the same segment as the end of the one before (pipelined in one write).
    void merge(int i) { m_cuts.erase(start(i)); }

    QList<QByteArray> requests() const { return m_requests; }
    QList<QByteArray> segments() const
    {
        const QByteArray all = m_requests.join();
        QList<QByteArray> out;
        for (auto it = m_cuts.cbegin(); it != m_cuts.cend(); ++it) {
            const auto next = std::next(it);
            out << all.mid(*it, (next == m_cuts.cend() ? all.size() : *next) - *it);
        }
        return out;
    }
    // The ordinal of the segment that begins at `offset`.
    int at(qsizetype offset) const
    {
        return int(std::distance(m_cuts.cbegin(), m_cuts.find(offset)));
    }

private:
    QList<QByteArray> m_requests;
    std::set<qsizetype> m_cuts;
};

// ---- the live fault's record of dropped packets ---------------------------------------------

struct DroppedPacket
{
    QString client; // "addr:port" of the sender
    quint32 seq = 0;
    QByteArray payload;
};

// A classic pcap as kubesim's dropPackets fault writes it (tcpdump's own header), read with
// bounds checks: Ethernet (one VLAN tag), Linux SLL/SLL2, raw IP; IPv4 and IPv6 TCP.
QList<DroppedPacket> readDropped(const QString &path, QString *error)
{
    QList<DroppedPacket> out;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = path + u": "_s + f.errorString();
        return out;
    }
    const QByteArray all = f.readAll();
    if (all.size() < 24) {
        *error = path + u": no pcap header"_s;
        return out;
    }
    const auto *d = reinterpret_cast<const uchar *>(all.constData());
    const quint32 magic = qFromLittleEndian<quint32>(d);
    const bool swapped = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
    if (!swapped && magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
        *error = path + u": not a classic pcap"_s;
        return out;
    }
    auto u32 = [&](qsizetype at) {
        const quint32 v = qFromLittleEndian<quint32>(d + at);
        return swapped ? qbswap(v) : v;
    };
    auto be16 = [&](qsizetype at) {
        return qFromBigEndian<quint16>(d + at);
    };
    const quint32 link = u32(20) & 0x0fffffff;
    for (qsizetype pos = 24; pos + 16 <= all.size();) {
        const qsizetype caplen = u32(pos + 8);
        const qsizetype rec = pos + 16;
        pos = rec + caplen;
        if (pos > all.size()) {
            *error = path + u": truncated record"_s;
            break;
        }
        qsizetype l3 = -1;
        if (link == 1 && caplen >= 14) {
            qsizetype type = 12;
            if ((be16(rec + 12) == 0x8100 || be16(rec + 12) == 0x88a8) && caplen >= 18)
                type = 16;
            l3 = type + 2;
        } else if (link == 113 && caplen >= 16) {
            l3 = 16;
        } else if (link == 276 && caplen >= 20) {
            l3 = 20;
        } else if (link == 101 || link == 12 || link == 14) {
            l3 = 0;
        }
        if (l3 < 0 || l3 + 40 > caplen)
            continue;
        const qsizetype ip = rec + l3;
        const int version = d[ip] >> 4;
        qsizetype l4 = 0, ipEnd = 0;
        QString src;
        if (version == 4 && d[ip + 9] == 6) {
            l4 = ip + (d[ip] & 0x0f) * 4;
            ipEnd = ip + be16(ip + 2);
            src = u"%1.%2.%3.%4"_s.arg(d[ip + 12]).arg(d[ip + 13]).arg(d[ip + 14]).arg(d[ip + 15]);
        } else if (version == 6 && d[ip + 6] == 6 && l3 + 60 <= caplen) {
            l4 = ip + 40;
            ipEnd = ip + 40 + be16(ip + 4);
            QStringList groups;
            for (int i = 0; i < 8; ++i)
                groups << QString::number(be16(ip + 8 + 2 * i), 16);
            src = u'[' + groups.join(u':') + u']';
        } else {
            continue;
        }
        if (l4 + 20 > rec + caplen || ipEnd > rec + caplen)
            continue;
        const qsizetype payload = l4 + (d[l4 + 12] >> 4) * 4;
        if (payload > ipEnd)
            continue;
        out << DroppedPacket{src + u':' + QString::number(be16(l4)),
                             qFromBigEndian<quint32>(d + l4 + 4),
                             all.mid(payload, ipEnd - payload)};
    }
    return out;
}

} // namespace

class TestMirrorResync : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void replayAfterDroppedPackets_data();
    void replayAfterDroppedPackets();
    void liveMirrorAfterDroppedPackets_data();
    void liveMirrorAfterDroppedPackets();
    void cleanup();
    void cleanupTestCase();

private:
    void report(const Verdict &v, const char *what);
    QJsonObject waitMirrorSettled(const QString &id, int timeoutMs = 60000);
    void waitRecords(const QString &path, qint64 count);

    SessionBench m_bench;
    std::unique_ptr<NetnsLab> m_lab;
    QMap<QString, QString> m_podIp;
};

void TestMirrorResync::initTestCase()
{
    if (const QString why = SessionBench::skipReason(); !why.isEmpty())
        QSKIP(qPrintable(why));
    if (const QString why = CaptureCheck::missingPrerequisite(); !why.isEmpty())
        QSKIP(qPrintable(why));
    if (!QFile::exists(CaptureCheck::pcaprewrite()))
        QSKIP(qPrintable(CaptureCheck::pcaprewrite() + u" was not built"_s));
    NetnsLab::removeStale();
    m_lab = std::make_unique<NetnsLab>(u"rs"_s);
    QString error;
    QVERIFY2(m_lab->setUp(&error), qPrintable(error));
    QVERIFY2(m_bench.start(QStringLiteral(SRCDIR "/scenarios/mirrorresync.yaml"), &error),
             qPrintable(error));
    m_podIp = m_bench.podIps(u"shop"_s, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY2(m_bench.startDaemon(&error), qPrintable(error));
}

void TestMirrorResync::cleanup()
{
    m_bench.cleanupCase("podtapd.log, cli.log, captures, request records");
}

void TestMirrorResync::cleanupTestCase()
{
    m_bench.stop();
    m_lab.reset();
}

// Wrong or invented bytes fail the case first; then delivery, partial requests and counts are
// reported together, so one failure shows all of them.
void TestMirrorResync::report(const Verdict &v, const char *what)
{
    qInfo("%s: %d requests delivered", what, v.delivered);
    QVERIFY2(v.problems.isEmpty(), qPrintable(v.problems.mid(0, 20).join(u'\n')));
    const QStringList resync = v.incomplete + v.lostUntouched + v.countProblems;
    QVERIFY2(resync.isEmpty(), qPrintable(resync.join(u'\n')));
}

void TestMirrorResync::waitRecords(const QString &path, qint64 count)
{
    // The local server logs a request as soon as it is complete, just after the mirror wrote
    // it; when `count` is unknown (-1), until the file stops growing.
    QElapsedTimer t;
    t.start();
    qsizetype last = -1;
    QElapsedTimer quiet;
    quiet.start();
    while (t.elapsed() < 10000) {
        const qsizetype n = readRecords(path).size();
        if (count >= 0 && n >= count)
            return;
        if (n != last) {
            last = n;
            quiet.restart();
        } else if (count < 0 && quiet.elapsed() > 1500) {
            return;
        }
        QTest::qWait(100);
    }
}

// ---- replay ---------------------------------------------------------------------------------

void TestMirrorResync::replayAfterDroppedPackets_data()
{
    QTest::addColumn<QList<QByteArray>>("requests");
    QTest::addColumn<QList<QByteArray>>("segments");
    QTest::addColumn<QList<int>>("drops"); // segment ordinals
    QTest::addColumn<bool>("dropSyn");
    QTest::addColumn<bool>("exact"); // the gap is inside a body of known length: loss exact

    auto row = [](const char *name, const Segmenter &s, const QList<int> &drops, bool syn = false,
                  bool exact = false) {
        QTest::addRow("%s", name) << s.requests() << s.segments() << drops << syn << exact;
    };
    const QList<QByteArray> base = baseRequests(plainBody());
    {
        const Segmenter s(base);
        row("no-drop", s, {});
        row("first-request", s, {s.at(s.start(0))});
        row("between-pipelined-requests", s, {s.at(s.start(6))}); // exactly one whole request
        row("several-consecutive-requests", s,
            {s.at(s.start(1)), s.at(s.start(2)), s.at(s.start(3))});
        row("lost-syn", s, {}, true);
    }
    {
        Segmenter s(base);
        s.cut(3, "Host:");
        row("request-line", s, {s.at(s.start(3))});
    }
    {
        Segmenter s(base);
        const qsizetype x = s.cut(3, "X-Request-Id:");
        s.cut(3, "Accept:");
        row("inside-headers", s, {s.at(x)});
    }
    {
        Segmenter s(base);
        s.cut(2, "\r\n\r\n", true);
        const qsizetype mid = s.cut(2, "\r\n\r\n", true, 100);
        s.cut(2, "\r\n\r\n", true, 200);
        row("content-length-body", s, {s.at(mid)}, false, true);
    }
    {
        Segmenter s(base);
        const qsizetype data = s.cut(4, "bbbb", false, 10);
        s.cut(4, "b\r\n1e\r\n", false, 1);
        row("chunk-data", s, {s.at(data)}, false, true);
    }
    {
        Segmenter s(base);
        const qsizetype size = s.cut(4, "a\r\n40\r\n", false, 3);
        s.cut(4, "a\r\n40\r\n", true);
        row("chunk-size-line", s, {s.at(size)});
    }
    {
        // r4's last chunk is followed by a trailer field; the gap takes the trailer.
        Segmenter s(baseRequests(plainBody(), true));
        const qsizetype trailer = s.cut(4, "X-Checksum:");
        row("chunked-trailer", s, {s.at(trailer)});
    }
    {
        // One segment holds the end of r5 and the beginning of r6.
        Segmenter s(base);
        const qsizetype straddle = s.cut(5, "X-Request-Id:");
        s.cut(6, "X-Request-Id:");
        s.merge(6);
        row("straddling-pipelined-requests", s, {s.at(straddle)});
    }
    {
        // r5, r6 and r7 pipelined in one segment.
        Segmenter s(base);
        s.merge(6);
        s.merge(7);
        row("pipelined-in-one-segment", s, {s.at(s.start(5))});
    }
    {
        // A whole request head inside r2's body. The gap in r1's headers: the next request
        // line is r2's, whose Content-Length then spans the fake.
        Segmenter s(baseRequests(bodyWith(FakeWhole)));
        const qsizetype x = s.cut(1, "X-Request-Id:");
        row("request-head-in-body-gap-before", s, {s.at(x)});
    }
    {
        // The gap inside r2's body, before the fake: its length is known, resync is exact.
        Segmenter s(baseRequests(bodyWith(FakeWhole)));
        s.cut(2, "\r\n\r\n", true);
        const qsizetype gap = s.cut(2, "\r\n\r\n", true, 40);
        s.cut(2, "\r\n\r\n", true, 100);
        row("request-head-in-body-gap-in-body", s, {s.at(gap)}, false, true);
    }
    {
        // r2's head is lost: its body follows the gap and holds a whole request head (then more
        // body): the mirror must not forward the fake, and resume at r3.
        Segmenter s(baseRequests(bodyWith(FakeWhole)));
        s.cut(2, "\r\n\r\n", true);
        row("request-head-in-body-head-lost", s, {s.at(s.start(2))});
    }
    {
        // r2's head is lost: its body follows the gap and holds a request line and a header
        // but no head that parses; the mirror must resume at r3, not at the fake line.
        Segmenter s(baseRequests(bodyWith(FakeLine)));
        s.cut(2, "\r\n\r\n", true);
        row("request-line-in-body-head-lost", s, {s.at(s.start(2))});
    }
}

void TestMirrorResync::replayAfterDroppedPackets()
{
    QFETCH(QList<QByteArray>, requests);
    QFETCH(QList<QByteArray>, segments);
    QFETCH(QList<int>, drops);
    QFETCH(bool, dropSyn);
    QFETCH(bool, exact);
    const QByteArray stream = requests.join();
    QCOMPARE(segments.join(), stream);

    // The client's segments, one write each (trafficgen client --mode raw).
    const QString tag = QString::fromLatin1(QTest::currentDataTag());
    const QString dir = m_bench.filePath(u"replay-"_s + tag);
    QVERIFY(QDir().mkpath(dir));
    QByteArray raw;
    for (const QByteArray &s : std::as_const(segments))
        raw += QByteArray::number(s.size()) + '\n' + s;
    const QString rawFile = dir + u"/segments.raw"_s;
    {
        QFile f(rawFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(raw);
    }

    // Real traffic through a veth, captured by tcpdump in the server's namespace.
    CaptureCheck::Scenario sc;
    sc.serverNs = m_lab->serverNs();
    sc.clientNs = m_lab->clientNs();
    sc.listenAddress = NetnsLab::serverV4();
    sc.captureIface = m_lab->serverVeth();
    sc.serverMode = u"rest"_s;
    sc.clientArgs = {u"--mode"_s, u"raw"_s, u"--raw-file"_s, rawFile};
    sc.dir = dir;
    const CaptureCheck::ScenarioResult traffic = CaptureCheck::runScenario(sc);
    QVERIFY2(traffic.error.isEmpty(), qPrintable(traffic.error));

    // Which bytes each dropped segment held, and so which requests it touched.
    QList<qsizetype> segStart;
    for (qsizetype off = 0; const QByteArray &s : std::as_const(segments)) {
        segStart << off;
        off += s.size();
    }
    QSet<QString> touched;
    qint64 droppedBytes = 0;
    int runs = 0;
    for (int k = 0; k < drops.size(); ++k) {
        const qsizetype from = segStart[drops[k]];
        const qsizetype to = from + segments[drops[k]].size();
        droppedBytes += to - from;
        if (k == 0 || drops[k] != drops[k - 1] + 1)
            ++runs;
        for (qsizetype r = 0, off = 0; r < requests.size(); off += requests[r].size(), ++r)
            if (off < to && off + requests[r].size() > from)
                touched.insert(u"r%1"_s.arg(r));
    }

    QString lossy = dir + u"/capture.pcap"_s;
    if (!drops.isEmpty() || dropSyn) {
        lossy = dir + u"/lossy.pcap"_s;
        QStringList args{dir + u"/capture.pcap"_s,      lossy,         u"--drop-to"_s,
                         QString::number(traffic.port), u"--report"_s, dir + u"/rewrite.json"_s};
        if (!drops.isEmpty()) {
            QStringList list;
            for (const int d : std::as_const(drops))
                list << QString::number(d);
            args << u"--drop-index"_s << list.join(u',');
        }
        if (dropSyn)
            args << u"--drop-syn"_s;
        const CliRunner::Result rw = m_bench.tool(CaptureCheck::pcaprewrite(), args);
        QVERIFY2(rw.code == 0, rw.err.constData());
        QFile f(dir + u"/rewrite.json"_s);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonArray dropped
                = QJsonDocument::fromJson(f.readAll()).object().value(u"dropped_list").toArray();
        // Each dropped packet must be exactly one of the client's segments: otherwise the
        // kernel merged or split them and the expectations below would not hold.
        QCOMPARE(dropped.size(), drops.size() + (dropSyn ? 1 : 0));
        int k = 0;
        for (const QJsonValue d : dropped) {
            if (d[u"syn"].toBool())
                continue;
            QVERIFY2(d[u"offset"].toInteger() == segStart[drops[k]]
                             && d[u"length"].toInteger() == segments[drops[k]].size(),
                     qPrintable(u"dropped packet %1 is not segment %2 (%3 bytes at %4)"_s
                                        .arg(compact(d.toObject()))
                                        .arg(drops[k])
                                        .arg(segments[drops[k]].size())
                                        .arg(segStart[drops[k]])));
            ++k;
        }
    }

    // The recording local server, and the replay into it.
    quint16 port = 0;
    const QString localRecord = dir + u"/local-requests.jsonl"_s;
    m_bench.startServer(u"replay-local-"_s + tag,
                        {u"--mode"_s, u"rest"_s, u"--record-requests"_s, localRecord}, &port);
    QVERIFY(port > 0);
    const CliRunner::Result replay = m_bench.podtap(
            {u"replay"_s, lossy, u"--to"_s, u"127.0.0.1:"_s + QString::number(port), u"--max"_s,
             u"--port"_s, QString::number(traffic.port), u"--json"_s, u"--no-start"_s},
            120000);
    m_bench.keep(u"replay-"_s + tag + u".json"_s, replay.out);
    QVERIFY2(replay.code == 0, QByteArray(replay.out + replay.err).constData());
    const QJsonObject stats = QJsonDocument::fromJson(replay.out).object();
    QVERIFY2(!stats.isEmpty(), replay.out.constData());
    waitRecords(localRecord, at(stats, "requestsMirrored").toInteger(-1));

    // What the client sent, request by request (the test wrote them).
    QHash<QString, SentRequest> sent;
    for (int r = 0; r < requests.size(); ++r) {
        const QString id = u"r%1"_s.arg(r);
        sent.insert(id, {id, requests[r].size(),
                         QString::fromLatin1(CaptureCheck::sha256Hex(requests[r]))});
    }
    const QList<QJsonObject> received = readRecords(localRecord);
    QStringList dropList;
    for (const int d : std::as_const(drops))
        dropList << QString::number(d);
    qInfo("%s: dropped segments %s%s, touched %s; mirror %s", qPrintable(tag),
          qPrintable(dropList.join(u',')), dropSyn ? " + SYN" : "",
          qPrintable(sorted(touched).join(u' ')), qPrintable(compact(stats)));
    report(judge(sent, touched, runs, droppedBytes, received, stats), qPrintable(tag));
    if (exact)
        QVERIFY2(at(stats, "requestsLostAtLeast") == QJsonValue(false)
                         && num(stats, "requestsLost") == touched.size(),
                 qPrintable(u"the gap was inside a body of known length: the loss is exact, "
                            u"yet the mirror says "_s
                            + compact(stats)));
}

// ---- live mirror through kubesim ------------------------------------------------------------

QJsonObject TestMirrorResync::waitMirrorSettled(const QString &id, int timeoutMs)
{
    // All captured connections ended with the clients' FINs: nothing is open towards the local
    // port any more. A FIN lost with a dropped packet is not possible (only payload is dropped),
    // but the mirror may wait for its linger: then it is enough that nothing changed for 12 s.
    bool settled = false;
    const QJsonObject s = m_bench.waitSummary(
            id, "mirror", timeoutMs,
            [](const QJsonObject &s, qint64 quietMs) {
                return num(s, "mirror.connections") + num(s, "mirror.skippedMidstream") > 0
                       && (num(s, "mirror.open") == 0 || quietMs > 12000);
            },
            &settled);
    if (settled)
        return s;
    qWarning("the mirror of session %s did not settle: %s", qPrintable(id),
             qPrintable(pretty(at(s, "mirror").toObject())));
    return s;
}

void TestMirrorResync::liveMirrorAfterDroppedPackets_data()
{
    QTest::addColumn<QString>("pod");
    QTest::addColumn<QString>("slot");   // kubesim's client namespace of the pod
    QTest::addColumn<bool>("lossy");     // the pod's tap loses every 25th request packet
    QTest::addColumn<bool>("midstream"); // the clients' connections are open before the tap
    QTest::addColumn<int>("duration");   // seconds of client traffic
    QTest::addRow("no-fault") << u"web"_s << u"c1"_s << false << false << 6;
    QTest::addRow("every-25th-request-packet-dropped")
            << u"lossy"_s << u"c2"_s << true << false << 6;
    // Keep-alive connections already open when the tap starts: joined at their next request.
    QTest::addRow("joined-mid-stream") << u"web"_s << u"c1"_s << false << true << 10;
}

void TestMirrorResync::liveMirrorAfterDroppedPackets()
{
    QFETCH(QString, pod);
    QFETCH(QString, slot);
    QFETCH(bool, lossy);
    QFETCH(bool, midstream);
    QFETCH(int, duration);
    const QString tag = QString::fromLatin1(QTest::currentDataTag());

    quint16 port = 0;
    const QString localRecord = m_bench.filePath(tag + u"-local-requests.jsonl"_s);
    m_bench.startServer(tag + u"-local"_s,
                        {u"--mode"_s, u"rest"_s, u"--record-requests"_s, localRecord}, &port);
    QVERIFY(port > 0);

    // 4 keep-alive connections, small GETs at a fixed 80 requests/s: one request per packet
    // (one write each, the next only after the answer), so a dropped packet's payload names
    // the one request it cost. (The rate is what 4 connections sustain here with trafficgen's
    // server: its header and body writes meet the client's delayed ACK.)
    const QString sentRecord = m_bench.filePath(tag + u"-client-requests.jsonl"_s);
    const QStringList clientArgs{u"--connect"_s,
                                 m_podIp.value(pod) + u":8080"_s,
                                 u"--connections"_s,
                                 u"4"_s,
                                 u"--concurrency"_s,
                                 u"4"_s,
                                 u"--requests-per-conn"_s,
                                 u"0"_s,
                                 u"--rate"_s,
                                 u"80"_s,
                                 u"--duration"_s,
                                 QString::number(duration),
                                 u"--response-size"_s,
                                 u"256"_s,
                                 u"--record"_s,
                                 m_bench.filePath(tag + u"-client.jsonl"_s),
                                 u"--record-requests"_s,
                                 sentRecord,
                                 u"--timeout"_s,
                                 u"90"_s};
    QProcess *client = nullptr;
    if (midstream) {
        client = m_bench.startClient(slot, clientArgs);
        // Every connection open and busy before the tap exists.
        QTRY_VERIFY_WITH_TIMEOUT(readRecords(sentRecord).size() >= 40, 30000);
    }

    // Joining connections already open is asked for (by default they are skipped); it must
    // then start at their next request.
    QStringList mirrorArgs{u"mirror"_s, u"shop/"_s + pod,
                           u"--port"_s, u"8080"_s,
                           u"--to"_s,   u"127.0.0.1:"_s + QString::number(port),
                           u"--json"_s, u"--context"_s,
                           u"tapper"_s, u"--no-start"_s};
    if (midstream)
        mirrorArgs << u"--join-midstream"_s;
    QProcess mirror;
    mirror.setProcessEnvironment(m_bench.environment());
    mirror.start(CliRunner::podtap(), mirrorArgs);
    QVERIFY(mirror.waitForStarted());
    QByteArray err;
    const QString capturedSession = CliRunner::waitForCapturing(&mirror, &err);
    // "capturing" follows tcpdump's "listening on": a request whose first byte was written
    // after this moment is in the capture (an order of events, not a duration).
    const double capturingSince = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
    QVERIFY2(!capturedSession.isEmpty(), err.constData());
    const QString session = capturedSession;

    if (!midstream)
        client = m_bench.startClient(slot, clientArgs);
    QString why;
    QVERIFY2(m_bench.finishClient(client, tag + u"-client"_s, 120000, &why), qPrintable(why));

    waitMirrorSettled(session);
    ::kill(pid_t(mirror.processId()), SIGINT);
    QVERIFY(mirror.waitForFinished(60000));
    err += mirror.readAllStandardError();
    m_bench.keep(tag + u"-mirror.stderr"_s, err);
    const QByteArray out = mirror.readAllStandardOutput();
    m_bench.keep(tag + u"-mirror-summary.json"_s, out);
    QVERIFY2(mirror.exitCode() == 0, err.constData());
    const QJsonObject summary = QJsonDocument::fromJson(out).object();
    QVERIFY2(!summary.isEmpty(), out.constData());
    const QJsonObject stats = at(summary, "mirror").toObject();
    waitRecords(localRecord, at(stats, "requestsMirrored").toInteger(-1));

    QStringList problems;
    const QList<QJsonObject> sentRecords = readRecords(sentRecord);
    const QHash<QString, SentRequest> sent = byId(sentRecords, &problems);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.mid(0, 10).join(u'\n')));
    QVERIFY2(sent.size() >= 300, qPrintable(u"only %1 requests sent"_s.arg(sent.size())));
    QSet<QString> beforeTap; // mid-stream: sent before the capture began, may or may not arrive
    if (midstream) {
        for (const QJsonObject &r : sentRecords)
            if (at(r, "ts").toDouble() <= capturingSince)
                beforeTap.insert(str(r, "id"));
        QVERIFY2(sent.size() - beforeTap.size() >= 100,
                 qPrintable(u"only %1 of %2 requests were sent after the tap began"_s
                                    .arg(sent.size() - beforeTap.size())
                                    .arg(sent.size())));
    }

    // The packets the fault removed: each one whole GET requests, named by their X-Request-Id.
    const QString dropLog = m_bench.filePath(u"state/lossy-dropped.pcap"_s);
    QSet<QString> touched;
    qint64 droppedBytes = 0;
    int runs = 0;
    if (lossy) {
        QString error;
        const QList<DroppedPacket> dropped = readDropped(dropLog, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY2(dropped.size() >= 10,
                 qPrintable(u"the fault dropped only %1 packets"_s.arg(dropped.size())));
        const QRegularExpression id(u"\r\nX-Request-Id: ([0-9]+-[0-9]+)\r\n"_s);
        std::map<QString, quint32> nextSeq; // per sender: where its last dropped packet ended
        for (const DroppedPacket &p : dropped) {
            const QString text = QString::fromLatin1(p.payload);
            QVERIFY2(text.startsWith(u"GET /"_s) && text.endsWith(u"\r\n\r\n"_s)
                             && text.count(u"HTTP/1.1\r\n"_s) == 1,
                     qPrintable(u"a dropped packet is not one whole request: "_s + text.left(200)));
            const auto m = id.match(text);
            QVERIFY2(m.hasMatch(), qPrintable(text.left(200)));
            QVERIFY2(sent.contains(m.captured(1)), qPrintable(m.captured(1)));
            touched.insert(m.captured(1));
            droppedBytes += p.payload.size();
            const auto it = nextSeq.find(p.client);
            if (it == nextSeq.end() || it->second != p.seq)
                ++runs; // not right behind this connection's previous dropped packet
            nextSeq[p.client] = p.seq + quint32(p.payload.size());
        }
        qInfo("%s: %lld packets dropped by the fault (%d separate gaps)", qPrintable(tag),
              qlonglong(dropped.size()), runs);
    } else {
        // Without the fault the capture must be whole (else 100 % could not be asked for).
        QVERIFY2(num(summary, "loss.kernelDrops") + num(summary, "loss.lostOnTheWay")
                                 + num(summary, "loss.unreadAtStop")
                         == 0,
                 qPrintable(u"the capture itself lost packets: "_s + compact(summary)));
    }
    const QList<QJsonObject> received = readRecords(localRecord);
    qInfo("%s: %lld requests sent (%lld before the tap), %d touched by drops; mirror %s",
          qPrintable(tag), qlonglong(sent.size()), qlonglong(beforeTap.size()), int(touched.size()),
          qPrintable(compact(stats)));
    const Verdict v = judge(sent, touched, runs, droppedBytes, received, stats, beforeTap);
    if (!lossy && !midstream)
        QVERIFY2(num(summary, "mirror.gaps") == 0 && v.delivered == sent.size(),
                 qPrintable(u"without a fault %1 of %2 requests arrived: %3"_s.arg(v.delivered)
                                    .arg(sent.size())
                                    .arg(compact(stats))));
    report(v, qPrintable(tag));
}

QTEST_GUILESS_MAIN(TestMirrorResync)
#include "tst_mirrorresync.moc"
