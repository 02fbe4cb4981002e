// The packet views against a real podtapd that captured a real pod (kubesim) while
// podtap-trafficgen talked to it: session.histogram, the filtered session.packets,
// session.rows (any range, filtered by connection/direction/flags, each row's Info) and
// session.stream through the IPC (the stream's bytes are exactly what trafficgen recorded it
// sent and received, SHA-256 included), then the window's Timeline | Packets | Stream pane:
// the timeline counts every packet, clicking a bin lists that bin's packets, a connection's
// list has its packet count and the requests' and responses' first lines in its Info column,
// the direction and flag filters narrow it, the hex pane shows the packet's bytes, follow
// stream shows the
// request and response. Screenshots: tests/gui/screenshots/packets.png, follow-stream.png.
#include "connectiontablemodel.h"
#include "daemonlink.h"
#include "followstreamview.h"
#include "hexview.h"
#include "livedaemonfixture.h"
#include "mainwindow.h"
#include "packetlistmodel.h"
#include "packetpane.h"
#include "packettimelinewidget.h"
#include "screenshot.h"
#include "sessioncontroller.h"
#include "sessionlistmodel.h"

#include "../e2e/support/trafficgencommand.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPainter>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QWheelEvent>

#include <memory>
#include <unistd.h>

using namespace Qt::StringLiterals;
using podtap::IpcClient;

namespace {
constexpr int Connections = 20;
} // namespace

class TestPacketViews : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();
    void hexFormat();
    void capturedSession();
    void daemonQueries();
    void rowsQuery();
    void badRequests();
    void paneInTheWindow();

private:
    IpcClient::Reply call(const QString &method, const QJsonObject &params);
    qint64 connectionPackets(const QJsonObject &c) const
    {
        return c.value(u"c2s").toObject().value(u"packets").toInteger()
               + c.value(u"s2c").toObject().value(u"packets").toInteger();
    }

    LiveDaemonFixture m_fixture;
    std::unique_ptr<podtap::DaemonLink> m_link;
    QString m_session;
    qint64 m_totalPackets = 0;
    QList<QJsonObject> m_records;           // trafficgen's, one per connection
    QHash<QString, QJsonObject> m_byClient; // session connection by client address
    QHash<qint64, qint64> m_indexCount;     // packets per connection id, counted unfiltered
    QHash<qint64, qint64> m_c2sCount;       // client → pod packets per connection id
    qint64 m_synCount = 0;                  // packets with SYN set
    QList<QJsonObject> m_allPackets;        // session.packets, every packet in order
};

void TestPacketViews::initTestCase()
{
    if (const QString why = LiveDaemonFixture::skipReason(); !why.isEmpty())
        QSKIP(qPrintable(why));
    QString error;
    QVERIFY2(m_fixture.start(QStringLiteral(SRCDIR "/scenarios/gui.yaml"), &error),
             qPrintable(error));
    m_link = m_fixture.makeLink();
    m_link->start();
    QTRY_VERIFY(m_link->isConnected());
}

void TestPacketViews::cleanup()
{
    m_fixture.noteFailure();
}

void TestPacketViews::cleanupTestCase()
{
    m_link.reset();
    m_fixture.finish();
}

IpcClient::Reply TestPacketViews::call(const QString &method, const QJsonObject &params)
{
    return LiveDaemonFixture::call(m_link.get(), method, params);
}

void TestPacketViews::hexFormat()
{
    const QByteArray bytes = QByteArray("GET / HTTP/1.1\r\nHost: x\r\n", 25);
    const QString text = podtap::HexView::format(bytes);
    const QStringList lines = text.split(u'\n');
    QCOMPARE(lines.size(), 2);
    QCOMPARE(lines.at(0),
             u"0000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  GET / HTTP/1.1.."_s);
    QVERIFY2(lines.at(1).startsWith(u"0010  48 6f 73 74 3a 20 78 0d  0a "_s),
             qPrintable(lines.at(1)));
    QVERIFY(lines.at(1).endsWith(u"Host: x.."_s));
    QCOMPARE(podtap::HexView::format({}), QString());
}

void TestPacketViews::capturedSession()
{
    podtap::SessionController controller(m_link.get());
    podtap::SessionController::StartRequest request;
    request.kubeconfig = {m_fixture.kubesim().kubeconfig()};
    request.context = u"tapper"_s;
    request.ns = u"shop"_s;
    request.target = u"web"_s;
    request.port = 8080;
    QSignalSpy started(&controller, &podtap::SessionController::started);
    controller.start(request);
    QTRY_COMPARE(started.size(), 1);
    m_session = started.at(0).at(0).toJsonObject().value(u"id").toString();
    QVERIFY(!m_session.isEmpty());
    QJsonObject summary;
    QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const auto r = call(u"session.get"_s, {{u"id"_s, m_session}});
                summary = r.result.value(u"session"_s).toObject();
                const QString state = summary.value(u"state").toString();
                return state == u"capturing"_s || state == u"failed"_s;
            }(),
            90000);
    QCOMPARE(summary.value(u"state").toString(), u"capturing"_s);
    const QString podIp = summary.value(u"pods").toArray().at(0).toObject().value(u"ip").toString();

    // A live packet list follows the running session: one insertion per poll.
    podtap::PacketListModel live(m_link.get());
    QAbstractItemModelTester liveTester(&live,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy liveInserted(&live, &QAbstractItemModel::rowsInserted);
    live.setSource(m_session, {}, true);
    QTRY_VERIFY(live.isCounted());
    QElapsedTimer liveClock;
    liveClock.start();

    QProcess client;
    client.setProcessChannelMode(QProcess::MergedChannels);
    const QString record = m_fixture.filePath(u"client.jsonl"_s);
    client.start(u"ip"_s, TrafficgenCommand::clientInNetns(
                                  m_fixture.kubesim().netns(u"c1"_s),
                                  {u"--connect"_s, podIp + u":8080"_s, u"--connections"_s,
                                   QString::number(Connections), u"--concurrency"_s, u"4"_s,
                                   u"--requests-per-conn"_s, u"3"_s, u"--request-size"_s, u"700"_s,
                                   u"--response-size"_s, u"5000"_s, u"--record"_s, record,
                                   u"--seed"_s, u"11"_s, u"--timeout"_s, u"60"_s}));
    QVERIFY2(client.waitForFinished(90000) && client.exitCode() == 0, client.readAll().constData());
    QFile f(record);
    QVERIFY(f.open(QIODevice::ReadOnly));
    for (const QByteArray &line : f.readAll().split('\n'))
        if (!line.trimmed().isEmpty())
            m_records << QJsonDocument::fromJson(line).object();
    QCOMPARE(m_records.size(), Connections);
    // Everything trafficgen exchanged reached the live list, in few insertions.
    QTRY_VERIFY_WITH_TIMEOUT(
            live.rowCount() > 0
                    && live.rowCount()
                               == call(u"session.rows"_s, {{u"id"_s, m_session}, {u"count"_s, 0}})
                                          .result.value(u"total"_s)
                                          .toInteger(),
            10000);
    QVERIFY(live.rowCount() >= Connections * 10);
    QVERIFY2(
            liveInserted.size() <= liveClock.elapsed() / podtap::PacketListModel::PollMs + 2,
            qPrintable(
                    u"%1 insertions in %2 ms"_s.arg(liveInserted.size()).arg(liveClock.elapsed())));
    QVERIFY(live.isLive());

    // Every connection ended: stop, so the store holds all of it and nothing moves.
    QTRY_VERIFY_WITH_TIMEOUT(
            call(u"session.connections"_s, {{u"id"_s, m_session}}).result.value(u"total"_s).toInt()
                    >= Connections,
            30000);
    const auto stopped = call(u"session.stop"_s, {{u"id"_s, m_session}});
    QVERIFY2(stopped.ok, qPrintable(stopped.errorMessage));
    // The stopped session's next poll tells the live list to stop polling.
    QTRY_VERIFY_WITH_TIMEOUT(!live.isLive(), 5000);
    const auto page = call(u"session.connections"_s,
                           {{u"id"_s, m_session}, {u"from"_s, 0}, {u"count"_s, 1000}});
    for (const QJsonValue v : page.result.value(u"connections"_s).toArray())
        m_byClient.insert(v.toObject().value(u"client").toString(), v.toObject());
    QCOMPARE(m_byClient.size(), Connections);
    const auto packets = call(u"session.packets"_s, {{u"id"_s, m_session}, {u"count"_s, 0}});
    QVERIFY(packets.ok);
    m_totalPackets = packets.result.value(u"total"_s).toInteger();
    QVERIFY(m_totalPackets >= Connections * 10);
    // Every packet once, unfiltered, to count each connection's packets in the index.
    for (qint64 from = 0; from < m_totalPackets;) {
        const auto p = call(u"session.packets"_s,
                            {{u"id"_s, m_session}, {u"from"_s, from}, {u"count"_s, 10000}});
        QVERIFY(p.ok);
        const QJsonArray list = p.result.value(u"packets"_s).toArray();
        QVERIFY(!list.isEmpty());
        for (const QJsonValue v : list) {
            const QJsonObject o = v.toObject();
            const qint64 c = o.value(u"connection").toInteger();
            ++m_indexCount[c];
            if (o.value(u"direction").toInt() == 0)
                ++m_c2sCount[c];
            if (o.value(u"flags").toInt() & 0x02)
                ++m_synCount;
            m_allPackets << o;
        }
        from += list.size();
    }
    qInfo("session %s: %lld packets, %d connections", qPrintable(m_session), m_totalPackets,
          int(m_byClient.size()));
}

void TestPacketViews::daemonQueries()
{
    if (m_session.isEmpty())
        QSKIP("no captured session (capturedSession failed)");
    // Histogram of everything: the bins add up to the session's packets.
    const auto h = call(u"session.histogram"_s, {{u"id"_s, m_session}, {u"bins"_s, 100}});
    QVERIFY2(h.ok, qPrintable(h.errorMessage));
    QCOMPARE(h.result.value(u"total"_s).toInteger(), m_totalPackets);
    qint64 sum = 0;
    qint64 syns = 0;
    for (const char *key : {"in", "out", "other"}) {
        const QJsonArray a = h.result.value(QLatin1String(key)).toArray();
        QCOMPARE(a.size(), 100);
        for (const QJsonValue v : a)
            sum += v.toInteger();
    }
    for (const QJsonValue v : h.result.value(u"syns"_s).toArray())
        syns += v.toInteger();
    QCOMPARE(sum, m_totalPackets);
    QCOMPARE(syns, qint64(2 * Connections)); // SYN and SYN-ACK of each
    QCOMPARE(h.result.value(u"fromNs"_s).toInteger(), h.result.value(u"firstNs"_s).toInteger());
    QCOMPARE(h.result.value(u"toNs"_s).toInteger(), h.result.value(u"lastNs"_s).toInteger());

    for (const QJsonObject &rec : std::as_const(m_records)) {
        const QString clientAddr = rec.value(u"local").toString();
        QVERIFY2(m_byClient.contains(clientAddr), qPrintable(clientAddr));
        const QJsonObject c = m_byClient.value(clientAddr);
        const qint64 id = c.value(u"id").toInteger();

        // The connection's packets, paged with the filter: exactly its count.
        qint64 listed = 0;
        qint64 from = 0;
        for (int pages = 0; pages < 1000; ++pages) {
            const auto p = call(u"session.packets"_s, {{u"id"_s, m_session},
                                                       {u"from"_s, from},
                                                       {u"count"_s, 7},
                                                       {u"connection"_s, id}});
            QVERIFY2(p.ok, qPrintable(p.errorMessage));
            for (const QJsonValue v : p.result.value(u"packets"_s).toArray())
                QCOMPARE(v.toObject().value(u"connection").toInteger(), id);
            listed += p.result.value(u"packets"_s).toArray().size();
            from = p.result.value(u"next"_s).toInteger();
            if (p.result.value(u"end"_s).toBool())
                break;
        }
        QCOMPARE(listed, m_indexCount.value(id));
        // The connection record is written when both FINs were seen: the last ACK comes
        // after it and is in the index only.
        QVERIFY2(listed - connectionPackets(c) >= 0 && listed - connectionPackets(c) <= 1,
                 qPrintable(u"%1 in the index, %2 in the record"_s.arg(listed).arg(
                         connectionPackets(c))));

        // Its histogram counts the same packets.
        const auto ch
                = call(u"session.histogram"_s,
                       {{u"id"_s, m_session}, {u"bins"_s, 10}, {u"connections"_s, QJsonArray{id}}});
        QVERIFY(ch.ok);
        QCOMPARE(ch.result.value(u"total"_s).toInteger(), listed);

        // The reassembled conversation is byte for byte what trafficgen sent and received.
        const auto s
                = call(u"session.stream"_s,
                       {{u"id"_s, m_session}, {u"connection"_s, id}, {u"maxBytes"_s, 1 << 20}});
        QVERIFY2(s.ok, qPrintable(s.errorMessage));
        const QJsonObject sent = rec.value(u"sent").toObject();
        const QJsonObject received = rec.value(u"received").toObject();
        QCOMPARE(s.result.value(u"c2sBytes"_s).toInteger(), sent.value(u"bytes").toInteger());
        QCOMPARE(s.result.value(u"s2cBytes"_s).toInteger(), received.value(u"bytes").toInteger());
        QCOMPARE(s.result.value(u"truncated"_s).toBool(), false);
        QVERIFY(s.result.value(u"gaps"_s).toArray().isEmpty());
        QCryptographicHash c2s(QCryptographicHash::Sha256), s2c(QCryptographicHash::Sha256);
        qint64 expect[2] = {0, 0};
        for (const QJsonValue v : s.result.value(u"chunks"_s).toArray()) {
            const QJsonObject chunk = v.toObject();
            const int dir = chunk.value(u"direction").toInt();
            QCOMPARE(chunk.value(u"offset").toInteger(), expect[dir]);
            const QByteArray data
                    = QByteArray::fromBase64(chunk.value(u"data").toString().toLatin1());
            expect[dir] += data.size();
            (dir == 0 ? c2s : s2c).addData(data);
        }
        QCOMPARE(QString::fromLatin1(c2s.result().toHex()), sent.value(u"sha256").toString());
        QCOMPARE(QString::fromLatin1(s2c.result().toHex()), received.value(u"sha256").toString());
    }

    // A cut conversation says so and keeps counting.
    const qint64 first = m_byClient.begin()->value(u"id").toInteger();
    const auto cut = call(u"session.stream"_s,
                          {{u"id"_s, m_session}, {u"connection"_s, first}, {u"maxBytes"_s, 100}});
    QVERIFY(cut.ok);
    QVERIFY(cut.result.value(u"truncated"_s).toBool());
    qint64 kept = 0;
    for (const QJsonValue v : cut.result.value(u"chunks"_s).toArray())
        kept += QByteArray::fromBase64(v.toObject().value(u"data").toString().toLatin1()).size();
    QCOMPARE(kept, qint64(100));
    QVERIFY(cut.result.value(u"c2sBytes"_s).toInteger() > 100);

    // A time window: the packets in [from, to] of a histogram bin, and no others.
    const QJsonArray in = h.result.value(u"in"_s).toArray();
    const QJsonArray out = h.result.value(u"out"_s).toArray();
    const QJsonArray other = h.result.value(u"other"_s).toArray();
    int busiest = 0;
    for (int i = 1; i < in.size(); ++i)
        if (in.at(i).toInteger() + out.at(i).toInteger()
            > in.at(busiest).toInteger() + out.at(busiest).toInteger())
            busiest = i;
    const qint64 binNs = h.result.value(u"binNs"_s).toInteger();
    const qint64 binFrom = h.result.value(u"fromNs"_s).toInteger() + busiest * binNs;
    const auto w = call(u"session.packets"_s, {{u"id"_s, m_session},
                                               {u"count"_s, 10000},
                                               {u"fromNs"_s, binFrom},
                                               {u"toNs"_s, binFrom + binNs - 1}});
    QVERIFY(w.ok);
    QVERIFY(w.result.value(u"end"_s).toBool());
    QCOMPARE(qint64(w.result.value(u"packets"_s).toArray().size()),
             in.at(busiest).toInteger() + out.at(busiest).toInteger()
                     + other.at(busiest).toInteger());
}

void TestPacketViews::rowsQuery()
{
    if (m_session.isEmpty())
        QSKIP("no captured session (capturedSession failed)");
    // Unfiltered: rows are the index by position; any range, each with its Info.
    const qint64 mid = m_totalPackets / 2;
    const auto page
            = call(u"session.rows"_s, {{u"id"_s, m_session}, {u"offset"_s, mid}, {u"count"_s, 50}});
    QVERIFY2(page.ok, qPrintable(page.errorMessage));
    QCOMPARE(page.result.value(u"total"_s).toInteger(), m_totalPackets);
    QCOMPARE(page.result.value(u"offset"_s).toInteger(), mid);
    const QJsonArray rows = page.result.value(u"rows"_s).toArray();
    QCOMPARE(rows.size(), int(std::min<qint64>(50, m_totalPackets - mid)));
    for (int i = 0; i < rows.size(); ++i) {
        QJsonObject row = rows.at(i).toObject();
        QVERIFY(!row.value(u"info"_s).toString().isEmpty());
        row.remove(u"info"_s);
        QCOMPARE(row, m_allPackets.at(int(mid) + i));
    }
    // Info: every connection's first packet is its SYN; requests and responses show their
    // first lines (trafficgen POSTs, the pod answers 200).
    int syns = 0, posts = 0, oks = 0;
    for (qint64 off = 0; off < m_totalPackets; off += 1000) {
        const auto p = call(u"session.rows"_s,
                            {{u"id"_s, m_session}, {u"offset"_s, off}, {u"count"_s, 1000}});
        QVERIFY(p.ok);
        for (const QJsonValue v : p.result.value(u"rows"_s).toArray()) {
            const QString info = v.toObject().value(u"info"_s).toString();
            syns += info.contains(u"[SYN]"_s) && info.contains(u" Seq="_s)
                    && info.contains(u" Len=0"_s);
            posts += info.startsWith(u"POST /"_s) && info.endsWith(u" HTTP/1.1"_s);
            oks += info.startsWith(u"HTTP/1.1 200"_s);
        }
    }
    QVERIFY2(syns >= Connections, qPrintable(QString::number(syns)));
    QCOMPARE(posts, Connections * 3);
    QCOMPARE(oks, Connections * 3);

    // Filtered on the daemon: one connection's client → pod packets, SYNs of the session.
    const qint64 id = m_byClient.value(m_records.constFirst().value(u"local").toString())
                              .value(u"id")
                              .toInteger();
    const auto c2s = call(u"session.rows"_s, {{u"id"_s, m_session},
                                              {u"connection"_s, id},
                                              {u"direction"_s, 0},
                                              {u"count"_s, 1000},
                                              {u"info"_s, false}});
    QVERIFY2(c2s.ok, qPrintable(c2s.errorMessage));
    QCOMPARE(c2s.result.value(u"total"_s).toInteger(), m_c2sCount.value(id));
    const QJsonArray c2sRows = c2s.result.value(u"rows"_s).toArray();
    QCOMPARE(qint64(c2sRows.size()), m_c2sCount.value(id));
    qint64 last = -1;
    for (const QJsonValue v : c2sRows) {
        const QJsonObject o = v.toObject();
        QCOMPARE(o.value(u"connection"_s).toInteger(), id);
        QCOMPARE(o.value(u"direction"_s).toInt(), 0);
        QVERIFY(!o.contains(u"info"_s));
        QVERIFY(o.value(u"n"_s).toInteger() > last);
        last = o.value(u"n"_s).toInteger();
    }
    // The same view, another range: a lookup in the cached view, same numbers.
    const auto tail = call(u"session.rows"_s, {{u"id"_s, m_session},
                                               {u"connection"_s, id},
                                               {u"direction"_s, 0},
                                               {u"offset"_s, 2},
                                               {u"count"_s, 3}});
    QVERIFY(tail.ok);
    QCOMPARE(tail.result.value(u"rows"_s).toArray().at(0).toObject().value(u"n"_s),
             c2sRows.at(2).toObject().value(u"n"_s));
    const auto syn
            = call(u"session.rows"_s, {{u"id"_s, m_session}, {u"flags"_s, 0x02}, {u"count"_s, 0}});
    QVERIFY(syn.ok);
    QCOMPARE(syn.result.value(u"total"_s).toInteger(), m_synCount);
    QVERIFY(syn.result.value(u"rows"_s).toArray().isEmpty());
    // Past the end: the total, no rows.
    const auto past = call(u"session.rows"_s, {{u"id"_s, m_session},
                                               {u"flags"_s, 0x02},
                                               {u"offset"_s, m_synCount + 5},
                                               {u"count"_s, 10}});
    QVERIFY(past.ok);
    QVERIFY(past.result.value(u"rows"_s).toArray().isEmpty());
}

void TestPacketViews::badRequests()
{
    if (m_session.isEmpty())
        QSKIP("no captured session (capturedSession failed)");
    struct Case
    {
        QString method;
        QJsonObject params;
        QString code;
        QString says;
    };
    const QString traversal = QString(u"../store/"_s + m_session);
    const QList<Case> cases = {
            {u"session.histogram"_s,
             {{u"id"_s, m_session}, {u"bins"_s, 0}},
             u"invalid"_s,
             u"bins must be 1 to 4096"_s},
            {u"session.histogram"_s,
             {{u"id"_s, m_session}, {u"bins"_s, 5000}},
             u"invalid"_s,
             u"bins must be 1 to 4096"_s},
            {u"session.histogram"_s,
             {{u"id"_s, m_session}, {u"fromNs"_s, 10}, {u"toNs"_s, 5}},
             u"invalid"_s,
             u"is after"_s},
            {u"session.histogram"_s, {{u"id"_s, u"999"_s}}, u"not-found"_s, QString()},
            {u"session.stream"_s, {{u"id"_s, m_session}}, u"invalid"_s, u"connection"_s},
            {u"session.stream"_s,
             {{u"id"_s, m_session}, {u"connection"_s, 12345}},
             u"invalid"_s,
             u"has no packets"_s},
            {u"session.stream"_s,
             {{u"id"_s, m_session}, {u"connection"_s, 1}, {u"maxBytes"_s, -1}},
             u"invalid"_s,
             u"maxBytes"_s},
            // More than one frame may carry once in base64: refused, never sent.
            {u"session.stream"_s,
             {{u"id"_s, m_session}, {u"connection"_s, 1}, {u"maxBytes"_s, 9 << 20}},
             u"too-large"_s,
             u"8388608"_s},
            {u"session.stream"_s,
             {{u"id"_s, u"999"_s}, {u"connection"_s, 1}},
             u"not-found"_s,
             QString()},
            // A path, not an id: it names this very session's folder through "..", and must
            // not reach anything outside the store that way.
            {u"session.packets"_s,
             {{u"id"_s, traversal}},
             u"not-found"_s,
             u"is not a capture session id"_s},
            {u"session.rows"_s,
             {{u"id"_s, m_session}, {u"direction"_s, 2}},
             u"invalid"_s,
             u"direction must be 0"_s},
            {u"session.rows"_s,
             {{u"id"_s, m_session}, {u"flags"_s, 256}},
             u"invalid"_s,
             u"flags must be"_s},
            {u"session.rows"_s,
             {{u"id"_s, m_session}, {u"connection"_s, u"x"_s}},
             u"invalid"_s,
             u"connection must be"_s},
            {u"session.rows"_s,
             {{u"id"_s, m_session}, {u"offset"_s, -1}},
             u"invalid"_s,
             u"offset must be"_s},
            {u"session.rows"_s,
             {{u"id"_s, m_session}, {u"fromNs"_s, 10}, {u"toNs"_s, 5}},
             u"invalid"_s,
             u"is after"_s},
            {u"session.rows"_s, {{u"id"_s, traversal}}, u"not-found"_s, u"is not a capture"_s},
            {u"replay.start"_s,
             {{u"source"_s, traversal}, {u"port"_s, 9}},
             u"not-found"_s,
             u"is not a capture session id"_s},
    };
    for (const Case &c : cases) {
        const auto r = call(c.method, c.params);
        QVERIFY2(!r.ok, qPrintable(c.method));
        QCOMPARE(r.errorCode, c.code);
        QVERIFY2(r.errorMessage.contains(c.says), qPrintable(r.errorMessage));
    }
    QVERIFY(m_fixture.daemon()->isRunning());
}

void TestPacketViews::paneInTheWindow()
{
    if (m_session.isEmpty())
        QSKIP("no captured session (capturedSession failed)");
    podtap::SessionListModel sessions(m_link.get());
    podtap::SessionController controller(m_link.get());
    QTRY_VERIFY(sessions.isLoaded());
    podtap::MainWindow window(m_link.get(), &sessions, &controller);
    window.resize(1280, 1000);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    podtap::PacketPane *pane = window.packetPane();
    QVERIFY(pane);
    QAbstractItemModelTester tester(pane->packetModel(),
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
    podtap::PacketTimelineWidget *timeline = pane->timeline();
    QTRY_VERIFY(sessions.rowOf(m_session) >= 0);
    window.selectSession(m_session);

    // The timeline counts every packet of the session.
    QTRY_VERIFY_WITH_TIMEOUT(timeline->histogram().bins() > 0 && !timeline->isLoading(), 10000);
    QCOMPARE(timeline->histogram().total, m_totalPackets);
    QVERIFY(!timeline->isFollowing());

    // Clicking the busiest bin lists exactly its packets.
    const auto &hist = timeline->histogram();
    int busiest = 0;
    for (int i = 0; i < hist.bins(); ++i)
        if (hist.in[size_t(i)] + hist.out[size_t(i)]
            > hist.in[size_t(busiest)] + hist.out[size_t(busiest)])
            busiest = i;
    const qint64 binCount
            = hist.in[size_t(busiest)] + hist.out[size_t(busiest)] + hist.other[size_t(busiest)];
    const auto range = timeline->binRange(busiest);
    const int x = (timeline->xOfTime(range.first) + timeline->xOfTime(range.second)) / 2;
    QCOMPARE(timeline->binAt(x), busiest);
    QSignalSpy clicked(timeline, &podtap::PacketTimelineWidget::binClicked);
    QTest::mouseClick(timeline, Qt::LeftButton, {}, QPoint(x, timeline->height() / 2));
    QCOMPARE(clicked.size(), 1);
    QCOMPARE(clicked.at(0).at(0).toLongLong(), range.first);
    QCOMPARE(clicked.at(0).at(1).toLongLong(), range.second);
    QCOMPARE(pane->tabs()->currentIndex(), int(podtap::PacketPane::PacketsTab));
    podtap::PacketListModel *model = pane->packetModel();
    // The list is windowed: rows arrive when asked for. Ask for every row, page by page.
    const auto fetchAll = [model] {
        if (!QTest::qWaitFor([model] { return model->isCounted(); }, 10000))
            return false;
        for (int r = 0; r < model->rowCount(); r += podtap::PacketListModel::PageSize) {
            model->fetchRow(r);
            if (!QTest::qWaitFor([model, r] { return model->rowAt(r) != nullptr; }, 10000))
                return false;
        }
        return QTest::qWaitFor([model] { return !model->isLoading(); }, 10000);
    };
    QVERIFY(fetchAll());
    QCOMPARE(qint64(model->rowCount()), binCount);
    for (int r = 0; r < model->rowCount(); ++r) {
        QVERIFY(model->timeOf(r) >= range.first && model->timeOf(r) <= range.second);
    }
    qInfo("bin %d (%lld packets) listed", busiest, binCount);

    // Wheel zoom around the cursor narrows the view and asks again.
    const qint64 span = timeline->viewTo() - timeline->viewFrom();
    const int queries = timeline->queries();
    QWheelEvent wheel(QPointF(x, 40), timeline->mapToGlobal(QPointF(x, 40)), {}, {0, 240},
                      Qt::NoButton, {}, Qt::NoScrollPhase, false);
    QApplication::sendEvent(timeline, &wheel);
    QVERIFY(timeline->viewTo() - timeline->viewFrom() < span);
    QTRY_VERIFY(timeline->queries() > queries && !timeline->isLoading());
    QCOMPARE(timeline->histogram().fromNs, timeline->viewFrom());

    // Selecting a connection lists its packets; a packet's bytes reach the hex pane.
    const QString clientAddr = m_records.constFirst().value(u"local").toString();
    const QJsonObject c = m_byClient.value(clientAddr);
    const qint64 id = c.value(u"id").toInteger();
    auto *connectionsView = window.findChild<QTableView *>(u"connectionsView"_s);
    QTRY_COMPARE(window.connectionModel()->rowCount(), Connections);
    int connectionRow = -1;
    for (int r = 0; r < connectionsView->model()->rowCount(); ++r)
        if (connectionsView->model()
                    ->index(r, 0)
                    .data(podtap::ConnectionTableModel::ConnectionIdRole)
                    .toLongLong()
            == id)
            connectionRow = r;
    QVERIFY(connectionRow >= 0);
    connectionsView->selectRow(connectionRow);
    QCOMPARE(window.selectedConnectionIds(), QList<qint64>{id});
    QVERIFY(fetchAll());
    QCOMPARE(qint64(model->rowCount()), m_indexCount.value(id));
    QTRY_VERIFY(!timeline->isLoading());
    QCOMPARE(timeline->histogram().total, m_indexCount.value(id));

    // The fourth packet carries the first request's bytes (SYN, SYN-ACK, ACK come first).
    int dataRow = -1;
    for (int r = 0; r < model->rowCount() && dataRow < 0; ++r)
        if (model->index(r, podtap::PacketListModel::Length)
                    .data(podtap::PacketListModel::SortRole)
                    .toLongLong()
            > 200)
            dataRow = r;
    QVERIFY(dataRow >= 0);
    // Info: the three requests' and responses' first lines, each in its direction.
    int requestLines = 0, statusLines = 0;
    for (int r = 0; r < model->rowCount(); ++r) {
        const QString info = model->index(r, podtap::PacketListModel::Info).data().toString();
        const QString dir = model->index(r, podtap::PacketListModel::Direction).data().toString();
        if (info.startsWith(u"POST /"_s) && info.endsWith(u" HTTP/1.1"_s)) {
            QCOMPARE(dir, u"→ pod"_s);
            ++requestLines;
        } else if (info.startsWith(u"HTTP/1.1 200"_s)) {
            QCOMPARE(dir, u"← pod"_s);
            ++statusLines;
        } else {
            QVERIFY2(info.contains(u" Seq="_s) && info.contains(u" Len="_s), qPrintable(info));
        }
    }
    QCOMPARE(requestLines, 3);
    QCOMPARE(statusLines, 3);
    QCOMPARE(model->headerData(podtap::PacketListModel::Info, Qt::Horizontal).toString(),
             u"Info"_s);
    pane->tabs()->setCurrentIndex(podtap::PacketPane::PacketsTab);
    QSignalSpy shown(pane, &podtap::PacketPane::packetShown);
    pane->packetView()->setCurrentIndex(model->index(dataRow, 0));
    QTRY_COMPARE(shown.size(), 1);
    const qint64 n = model->packetNumber(dataRow);
    QCOMPARE(shown.at(0).at(0).toLongLong(), n);
    const auto packet = call(u"session.packet"_s, {{u"id"_s, m_session}, {u"n"_s, n}});
    QVERIFY(packet.ok);
    const QByteArray bytes
            = QByteArray::fromBase64(packet.result.value(u"data"_s).toString().toLatin1());
    QCOMPARE(pane->hexView()->bytes(), bytes);
    QVERIFY(pane->hexView()->toPlainText().contains(podtap::HexView::format(bytes.left(64))));
    QTest::qWait(100);

    // The list's own filters narrow it on the daemon: this connection's client → pod
    // packets, then its SYN (and back to all of them).
    pane->setDirectionFilter(0);
    QVERIFY(fetchAll());
    QCOMPARE(qint64(model->rowCount()), m_c2sCount.value(id));
    for (int r = 0; r < model->rowCount(); ++r)
        QCOMPARE(model->index(r, podtap::PacketListModel::Direction).data().toString(), u"→ pod"_s);
    pane->setFlagsFilter(0x02);
    QVERIFY(fetchAll());
    QCOMPARE(model->rowCount(), 1);
    QVERIFY(model->index(0, podtap::PacketListModel::Info).data().toString().contains(u"[SYN]"_s));
    pane->setDirectionFilter(-1);
    pane->setFlagsFilter(0);
    QVERIFY(fetchAll());
    QCOMPARE(qint64(model->rowCount()), m_indexCount.value(id));
    pane->packetView()->setCurrentIndex(model->index(dataRow, 0));

    // Screenshot: the timeline above the list and hex pane.
    {
        const QPixmap list = pane->tabs()->grab();
        pane->tabs()->setCurrentIndex(podtap::PacketPane::TimelineTab);
        QTest::qWait(50);
        const QPixmap time = timeline->grab();
        QPixmap both(list.width(), time.height() + list.height());
        both.fill(Qt::white);
        QPainter p(&both);
        p.drawPixmap(0, 0, time);
        p.drawPixmap(0, time.height(), list);
        p.end();
        const QString path = podtap::test::screenshotPath(u"packets"_s);
        QVERIFY(both.save(path));
        qInfo("screenshot: %s", qPrintable(path));
    }

    // Follow stream: the conversation trafficgen had, in both directions.
    podtap::FollowStreamView *stream = pane->streamView();
    QTRY_VERIFY_WITH_TIMEOUT(!stream->isLoading() && !stream->stream().isEmpty(), 10000);
    QCOMPARE(stream->stream().value(u"connection"_s).toInteger(), id);
    QCOMPARE(stream->stream().value(u"c2sBytes"_s).toInteger(),
             m_records.constFirst().value(u"sent").toObject().value(u"bytes").toInteger());
    QCOMPARE(stream->stream().value(u"s2cBytes"_s).toInteger(),
             m_records.constFirst().value(u"received").toObject().value(u"bytes").toInteger());
    const QString text = stream->toPlainText();
    QVERIFY2(text.contains(u"POST "_s) && text.contains(u"HTTP/1.1 200"_s),
             qPrintable(text.left(400)));
    QCOMPARE(text.count(u"HTTP/1.1 200"_s), 3);
    pane->tabs()->setCurrentIndex(podtap::PacketPane::StreamTab);
    QTest::qWait(100);
    const QString shot = podtap::test::saveScreenshot(pane, u"follow-stream"_s);
    QVERIFY(!shot.isEmpty());
    qInfo("screenshot: %s", qPrintable(shot));

    // Follow mode keeps the right edge at now and asks again; the wheel hands the view back.
    {
        podtap::PacketTimelineWidget live(m_link.get());
        live.resize(800, 160);
        live.show();
        live.setSession(m_session, true);
        QVERIFY(live.isFollowing());
        QTRY_VERIFY_WITH_TIMEOUT(live.queries() >= 2 && !live.isLoading(), 5000);
        const qint64 now = QDateTime::currentMSecsSinceEpoch() * 1000000;
        QVERIFY2(std::abs(live.viewTo() - now) < 3000000000ll,
                 qPrintable(u"view ends %1 ms from now"_s.arg((live.viewTo() - now) / 1000000)));
        QVERIFY(live.viewTo() - live.viewFrom() >= 10000000000ll);
        QCOMPARE(live.histogram().total, m_totalPackets); // the capture is inside the window
        QWheelEvent w(QPointF(400, 40), live.mapToGlobal(QPointF(400, 40)), {}, {0, 120},
                      Qt::NoButton, {}, Qt::NoScrollPhase, false);
        QApplication::sendEvent(&live, &w);
        QVERIFY(!live.isFollowing());
    }

    // A gap is shown as such.
    stream->setStream(QJsonObject{
            {u"chunks"_s,
             QJsonArray{
                     QJsonObject{{u"direction"_s, 0},
                                 {u"offset"_s, 0},
                                 {u"data"_s, QString::fromLatin1(QByteArray("abc").toBase64())}},
                     QJsonObject{{u"direction"_s, 0},
                                 {u"offset"_s, 13},
                                 {u"data"_s, QString::fromLatin1(QByteArray("def").toBase64())}}}},
            {u"gaps"_s,
             QJsonArray{QJsonObject{{u"direction"_s, 0}, {u"offset"_s, 3}, {u"length"_s, 10}}}},
            {u"truncated"_s, true},
            {u"c2sBytes"_s, 6}});
    QVERIFY2(stream->toPlainText().contains(u"abc\n[10 bytes missing]\ndef"_s),
             qPrintable(stream->toPlainText()));
    QVERIFY(stream->toPlainText().contains(u"truncated"_s));

    // A row selected before its page arrived: its bytes follow the page.
    pane->setConnections({});
    QTRY_VERIFY(model->isCounted() && !model->isLoading());
    QCOMPARE(qint64(model->rowCount()), m_totalPackets);
    const int farRow = model->rowCount() - 1;
    QVERIFY(farRow >= podtap::PacketListModel::PageSize); // not on the first page
    QVERIFY(!model->rowAt(farRow));
    pane->tabs()->setCurrentIndex(podtap::PacketPane::PacketsTab);
    QSignalSpy farShown(pane, &podtap::PacketPane::packetShown);
    pane->packetView()->setCurrentIndex(model->index(farRow, 0));
    model->fetchRow(farRow);
    QTRY_COMPARE(farShown.size(), 1);
    QCOMPARE(farShown.at(0).at(0).toLongLong(), model->packetNumber(farRow));
    QCOMPARE(farShown.at(0).at(0).toLongLong(), m_allPackets.at(farRow).value(u"n"_s).toInteger());
}

QTEST_MAIN(TestPacketViews)
#include "tst_packetviews.moc"
