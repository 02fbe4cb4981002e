// The daemon's store queries over its real local socket (DaemonService in this process, real
// IpcClients): a seeded store of 400,000 packets, session.rows/histogram/export answered from
// the worker pools while daemon.status keeps answering, rows pages of one filter all answered,
// a newer filter from the same client supersedes the older one (and only for that client),
// and a burst larger than the queue gets "busy", never silence.
#include "daemonservice.h"
#include "ipc/ipcclient.h"
#include "store/sessionspool.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using podtap::IpcClient;

namespace {
constexpr int Packets = 400000;
constexpr int Connections = 100;

// Ethernet + IPv4 + TCP (ACK) + `payload` bytes of "x".
QByteArray frame(int connection, bool toPod, int payload)
{
    QByteArray f(14 + 20 + 20 + payload, 'x');
    auto *b = reinterpret_cast<unsigned char *>(f.data());
    std::memset(b, 0, 54);
    b[12] = 0x08; // IPv4
    b[14] = 0x45;
    const int ipLen = 40 + payload;
    b[16] = quint8(ipLen >> 8);
    b[17] = quint8(ipLen);
    b[22] = 64;
    b[23] = 6; // TCP
    const quint8 client[4] = {10, 0, 1, quint8(connection)};
    const quint8 pod[4] = {10, 0, 0, 2};
    std::memcpy(b + 26, toPod ? client : pod, 4);
    std::memcpy(b + 30, toPod ? pod : client, 4);
    const quint16 cport = quint16(40000 + connection);
    const quint16 sport = 8080;
    const quint16 src = toPod ? cport : sport;
    const quint16 dst = toPod ? sport : cport;
    b[34] = quint8(src >> 8);
    b[35] = quint8(src);
    b[36] = quint8(dst >> 8);
    b[37] = quint8(dst);
    b[46] = 0x50; // data offset 5
    b[47] = 0x10; // ACK
    b[48] = 0xff;
    return f;
}
} // namespace

class TestStoreQueryService : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void rowsPagesOfOneFilter();
    void statusAnswersWhileWorkersRun();
    void newerFilterSupersedesOnlyItsClient();
    void burstLargerThanTheQueue();

private:
    std::unique_ptr<IpcClient> client();

    QTemporaryDir m_dir;
    QString m_socket;
    std::unique_ptr<podtap::DaemonService> m_daemon;
};

std::unique_ptr<IpcClient> TestStoreQueryService::client()
{
    auto c = std::make_unique<IpcClient>();
    c->connectToDaemon(m_socket, u"tst_storequeryservice"_s);
    if (!c->waitForReady(10000))
        return nullptr;
    return c;
}

void TestStoreQueryService::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString store = m_dir.filePath(u"store"_s);
    {
        podtap::SessionSpool spool;
        podtap::PcapWriter::Options wo;
        wo.interfaceDescription = u"pod test/web, tcp port 8080"_s;
        const auto created = spool.create(
                store + u"/1"_s,
                QJsonObject{{u"kind"_s, u"pod"_s}, {u"target"_s, u"test/web"_s}, {u"port"_s, 8080}},
                {}, wo);
        QVERIFY2(created, qPrintable(created.error()));
        const qint64 t0 = 1700000000'000000000;
        QList<QByteArray> frames;
        for (int c = 0; c < Connections; ++c)
            for (int dir = 0; dir < 2; ++dir)
                frames << frame(c + 1, dir == 0, 40);
        for (int i = 0; i < Packets; ++i) {
            const int c = i % Connections;
            const int dir = (i / Connections) % 2;
            const QByteArray &f = frames.at(c * 2 + dir);
            podtap::RawPacket p;
            p.data = reinterpret_cast<const std::uint8_t *>(f.constData());
            p.caplen = p.len = std::uint32_t(f.size());
            p.tsNs = t0 + qint64(i) * 10000;
            p.linkType = 1; // DLT_EN10MB
            p.recordIndex = std::uint64_t(i);
            QVERIFY(spool.append(p, std::uint64_t(c + 1), std::uint8_t(dir), 0x10));
        }
        spool.close(u"stopped"_s);
    }
    m_socket = m_dir.filePath(u"podtapd.sock"_s);
    m_daemon = std::make_unique<podtap::DaemonService>(store);
    const auto started = m_daemon->start(m_socket);
    QVERIFY2(started, qPrintable(started.error()));
}

void TestStoreQueryService::cleanupTestCase()
{
    m_daemon.reset();
}

void TestStoreQueryService::rowsPagesOfOneFilter()
{
    auto c = client();
    QVERIFY(c);
    // Pages of one filtered list at once (what the GUI's packet list does): all answered.
    constexpr int Pages = 6;
    QList<IpcClient::Reply> replies(Pages);
    int answered = 0;
    for (int page = 0; page < Pages; ++page)
        c->request(u"session.rows"_s,
                   {{u"id"_s, u"1"_s},
                    {u"connection"_s, QJsonArray{7}},
                    {u"offset"_s, page * 100},
                    {u"count"_s, 100}},
                   this, [&, page](const IpcClient::Reply &r) {
                       replies[page] = r;
                       ++answered;
                   });
    QTRY_COMPARE_WITH_TIMEOUT(answered, Pages, 30000);
    for (int page = 0; page < Pages; ++page) {
        const IpcClient::Reply &r = replies.at(page);
        QVERIFY2(r.ok, qPrintable(r.errorCode + u": "_s + r.errorMessage));
        QCOMPARE(r.result.value(u"total"_s).toInteger(), Packets / Connections);
        const QJsonArray rows = r.result.value(u"rows"_s).toArray();
        QCOMPARE(rows.size(), 100);
        // Connection 7's packets are every 100th from index 6: numbers are global.
        for (int i = 0; i < rows.size(); ++i) {
            const QJsonObject row = rows.at(i).toObject();
            QCOMPARE(row.value(u"connection"_s).toInteger(), 7);
            QCOMPARE(row.value(u"n"_s).toInteger() % Connections, 6);
            QVERIFY(row.value(u"info"_s).toString().contains(u"[ACK]"_s));
        }
        QCOMPARE(rows.at(0).toObject().value(u"n"_s).toInteger(), 6 + page * 100 * Connections);
    }
}

void TestStoreQueryService::statusAnswersWhileWorkersRun()
{
    // Heavy work on both pools from several clients: a full pass over 400,000 index records per
    // new filter, histograms, and exports of the whole capture.
    std::vector<std::unique_ptr<IpcClient>> clients;
    for (int i = 0; i < 4; ++i) {
        clients.push_back(client());
        QVERIFY(clients.back());
    }
    int heavy = 0;
    int heavyDone = 0;
    QStringList failures;
    auto done = [&](const QString &what) {
        return [&, what](const IpcClient::Reply &r) {
            ++heavyDone;
            if (!r.ok)
                failures << what + u": "_s + r.errorCode + u" "_s + r.errorMessage;
        };
    };
    for (int i = 0; i < 4; ++i) {
        IpcClient *c = clients.at(i).get();
        // A filter of its own per client (a newer filter from the same client would make
        // its older one stale).
        ++heavy;
        c->request(u"session.rows"_s,
                   {{u"id"_s, u"1"_s}, {u"connection"_s, QJsonArray{20 + i}}, {u"count"_s, 1000}},
                   this, done(u"rows"_s));
        ++heavy;
        c->request(u"session.histogram"_s, {{u"id"_s, u"1"_s}, {u"bins"_s, 2048}}, this,
                   done(u"histogram"_s));
        ++heavy;
        c->request(u"session.export"_s,
                   {{u"id"_s, u"1"_s}, {u"path"_s, m_dir.filePath(u"export-%1.pcapng"_s.arg(i))}},
                   this, done(u"export"_s));
    }
    auto status = client();
    QVERIFY(status);
    int statusWhileBusy = 0;
    qint64 worstMs = 0;
    QElapsedTimer total;
    total.start();
    while (heavyDone < heavy && total.elapsed() < 120000) {
        QElapsedTimer t;
        t.start();
        const IpcClient::Reply r = status->requestAndWait(u"daemon.status"_s, {}, 30000);
        QVERIFY2(r.ok, qPrintable(r.errorMessage));
        worstMs = std::max(worstMs, t.elapsed());
        if (heavyDone < heavy)
            ++statusWhileBusy;
        QTest::qWait(20);
    }
    QCOMPARE(heavyDone, heavy);
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(u"; "_s)));
    qInfo("%d daemon.status answers while %d heavy requests ran (%lld ms), worst %lld ms",
          statusWhileBusy, heavy, total.elapsed(), worstMs);
    // The work takes long enough that a blocked event loop would answer no status meanwhile.
    QVERIFY2(statusWhileBusy >= 2, qPrintable(QString::number(statusWhileBusy)));
    // Generous: the event loop only queues and answers; seconds would mean it waited for work.
    QVERIFY2(worstMs < 2000, qPrintable(QString::number(worstMs)));
    for (int i = 0; i < 4; ++i)
        QVERIFY(QFile(m_dir.filePath(u"export-%1.pcapng"_s.arg(i))).size() > Packets * 50);
    const auto stats = m_daemon->sessions()->queryPool().stats();
    QVERIFY2(stats.threadsUsed <= m_daemon->sessions()->queryPool().limits().threads,
             qPrintable(QString::number(stats.threadsUsed)));
}

void TestStoreQueryService::newerFilterSupersedesOnlyItsClient()
{
    auto a = client();
    auto b = client();
    QVERIFY(a && b);
    IpcClient::Reply first, second, other;
    int answered = 0;
    auto keep = [&](IpcClient::Reply *into) {
        return [&answered, into](const IpcClient::Reply &r) {
            *into = r;
            ++answered;
        };
    };
    // Filters never asked for before: each is a full pass over the index.
    b->request(u"session.rows"_s,
               {{u"id"_s, u"1"_s}, {u"connection"_s, QJsonArray{51}}, {u"count"_s, 1000}}, this,
               keep(&other));
    a->request(u"session.rows"_s,
               {{u"id"_s, u"1"_s}, {u"connection"_s, QJsonArray{52}}, {u"count"_s, 1000}}, this,
               keep(&first));
    a->request(u"session.rows"_s,
               {{u"id"_s, u"1"_s}, {u"connection"_s, QJsonArray{53}}, {u"count"_s, 1000}}, this,
               keep(&second));
    QTRY_COMPARE_WITH_TIMEOUT(answered, 3, 30000);
    QVERIFY(!first.ok);
    QCOMPARE(first.errorCode, u"superseded"_s);
    QVERIFY2(second.ok, qPrintable(second.errorMessage));
    QCOMPARE(second.result.value(u"rows"_s).toArray().size(), 1000);
    // Another client's view of the same session is its own.
    QVERIFY2(other.ok, qPrintable(other.errorMessage));
    QCOMPARE(other.result.value(u"rows"_s).toArray().size(), 1000);
}

void TestStoreQueryService::burstLargerThanTheQueue()
{
    const auto &pool = m_daemon->sessions()->queryPool();
    const int burst = pool.limits().maxQueued + pool.limits().threads + 40;
    auto c = client();
    QVERIFY(c);
    int ok = 0;
    int busy = 0;
    QStringList other;
    // Pages of one filter: one generation, every one is wanted, so each is either answered or
    // refused as busy at once, never left without an answer.
    for (int i = 0; i < burst; ++i)
        c->request(u"session.rows"_s,
                   {{u"id"_s, u"1"_s},
                    {u"direction"_s, 0},
                    {u"offset"_s, i * 1000},
                    {u"count"_s, 1000}},
                   nullptr, [&](const IpcClient::Reply &r) {
                       if (r.ok && r.result.value(u"rows"_s).toArray().size() == 1000)
                           ++ok;
                       else if (r.errorCode == u"busy"_s && r.errorMessage.contains(u"busy"_s))
                           ++busy;
                       else
                           other << r.errorCode + u" "_s + r.errorMessage;
                   });
    QTRY_COMPARE_WITH_TIMEOUT(ok + busy + other.size(), burst, 60000);
    qInfo("burst of %d rows pages: %d answered, %d busy", burst, ok, busy);
    QVERIFY2(other.isEmpty(), qPrintable(other.join(u"; "_s)));
    QVERIFY(ok >= pool.limits().maxQueued);
    QCOMPARE(pool.queued(), 0);
}

QTEST_GUILESS_MAIN(TestStoreQueryService)
#include "tst_storequeryservice.moc"
