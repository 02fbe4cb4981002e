// Hostile and damaged captures through the engine (random chunking) and `podtap inspect`.
// The corpus and its expectations (corpus/MANIFEST) come from gen_corpus.py; the real
// connections' hashes (real-expected.json) are what the senders wrote.

#include "capture/captureengine.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStringBuilder>
#include <QTest>

#include <map>
#include <memory>
#include <random>

using namespace podtap;

namespace {

const QString CorpusDir = QStringLiteral(SRCDIR "/corpus/");

struct Case
{
    QString file;
    QString expect; // stream | packet:NAME | ok
    qint64 offset = -1;
    int keep = 0;
    QString description;
};

struct ExpectedConnection
{
    qint64 bytes[2];
    QByteArray sha256[2];
};

QList<Case> loadManifest()
{
    QList<Case> cases;
    QFile f(CorpusDir + QStringLiteral("MANIFEST"));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot open the corpus MANIFEST");
    while (!f.atEnd()) {
        const QString line = QString::fromUtf8(f.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        const QStringList cols = line.split(QLatin1Char('\t'));
        if (cols.size() != 5)
            qFatal("bad MANIFEST line");
        Case c;
        c.file = cols[0];
        c.expect = cols[1];
        c.offset = cols[2] == QLatin1String("-") ? -1 : cols[2].toLongLong();
        c.keep = cols[3].toInt();
        c.description = cols[4];
        cases << c;
    }
    return cases;
}

QList<ExpectedConnection> loadExpected()
{
    QFile f(QStringLiteral(SRCDIR "/real-expected.json"));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot open real-expected.json");
    QList<ExpectedConnection> out;
    const QJsonArray conns
            = QJsonDocument::fromJson(f.readAll()).object()[QLatin1String("connections")].toArray();
    for (const QJsonValue &v : conns) {
        const QJsonObject o = v.toObject();
        ExpectedConnection e;
        e.bytes[0] = o[QLatin1String("c2s_bytes")].toInteger();
        e.bytes[1] = o[QLatin1String("s2c_bytes")].toInteger();
        e.sha256[0] = o[QLatin1String("c2s_sha256")].toString().toLatin1();
        e.sha256[1] = o[QLatin1String("s2c_sha256")].toString().toLatin1();
        out << e;
    }
    return out;
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read a corpus file");
    return f.readAll();
}

// Hashes each direction's delivered bytes; one summary per connection, in id order.
class HashingSink : public CaptureSink
{
public:
    struct Conn
    {
        QString client, server, state;
        bool midstream = false;
        std::array<DirectionStats, 2> stats{};
        std::array<QByteArray, 2> sha256;
        std::array<std::unique_ptr<QCryptographicHash>, 2> hash;
    };

    void connectionOpened(TcpConnection &c) override
    {
        auto conn = std::make_unique<Conn>();
        for (auto &h : conn->hash)
            h = std::make_unique<QCryptographicHash>(QCryptographicHash::Sha256);
        c.userData = conn.get();
        m_conns[c.id] = std::move(conn);
    }
    void data(TcpConnection &c, Direction d, const std::uint8_t *bytes, std::size_t size,
              std::int64_t) override
    {
        static_cast<Conn *>(c.userData)
                ->hash[std::size_t(d)]
                ->addData(QByteArrayView(reinterpret_cast<const char *>(bytes), qsizetype(size)));
    }
    void connectionRemoved(TcpConnection &c) override
    {
        auto *conn = static_cast<Conn *>(c.userData);
        conn->client = QString::fromStdString(c.client.toString());
        conn->server = QString::fromStdString(c.server.toString());
        conn->state = QLatin1String(stateName(c.state));
        conn->midstream = c.midstream;
        conn->stats = c.stats;
        for (int d = 0; d < 2; ++d)
            conn->sha256[d] = conn->hash[d]->result().toHex();
        c.userData = nullptr;
    }

    std::map<std::uint64_t, std::unique_ptr<Conn>> m_conns;
};

// Everything observable about one run, as text: equal strings mean equal results.
struct RunResult
{
    QStringList errors;
    std::vector<StreamError> streamErrors;
    DecodeStats decode;
    std::uint64_t records = 0;
    QList<const HashingSink::Conn *> conns;
    QString summary;
    std::shared_ptr<HashingSink> sink;
};

// chunk > 0: fixed size; chunk == 0: random sizes from `seed` (mostly small, some large).
RunResult runEngine(const QByteArray &bytes, std::size_t chunk, unsigned seed)
{
    RunResult r;
    r.sink = std::make_shared<HashingSink>();
    CaptureEngine engine;
    engine.setSink(r.sink.get());
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> pick(0, 9);
    std::uniform_int_distribution<std::size_t> small(1, 40), medium(41, 2000), large(2001, 70000);
    const auto *p = reinterpret_cast<const std::uint8_t *>(bytes.constData());
    std::size_t pos = 0;
    const std::size_t size = std::size_t(bytes.size());
    while (pos < size) {
        std::size_t n = chunk;
        if (n == 0) {
            const int k = pick(rng);
            n = k < 5 ? small(rng) : k < 9 ? medium(rng) : large(rng);
        }
        n = std::min(n, size - pos);
        engine.feed(p + pos, n); // keeps being fed after a failure: ignored, must not crash
        pos += n;
    }
    engine.finish();
    r.streamErrors = engine.streamErrors();
    for (const StreamError &e : r.streamErrors)
        r.errors << QStringLiteral("stream %1 offset %2 record %3: %4")
                            .arg(e.streamId)
                            .arg(e.streamOffset)
                            .arg(e.recordIndex)
                            .arg(QString::fromStdString(e.message));
    r.decode = engine.decodeStats();
    r.records = engine.reader().recordsRead();
    QString s = r.errors.join(QLatin1Char('\n'));
    s += QStringLiteral("\nrecords %1 tcp %2 other %3 frag %4 trunc %5 malformed %6 link %7\n")
                 .arg(r.records)
                 .arg(r.decode.tcp)
                 .arg(r.decode.notTcp)
                 .arg(r.decode.fragments)
                 .arg(r.decode.truncated)
                 .arg(r.decode.malformed)
                 .arg(r.decode.unsupportedLink);
    for (const auto &[id, c] : r.sink->m_conns) {
        r.conns << c.get();
        s += QStringLiteral("#%1 %2 -> %3 %4%5")
                     .arg(id)
                     .arg(c->client, c->server, c->state,
                          c->midstream ? QStringLiteral(" mid") : QString());
        for (int d = 0; d < 2; ++d)
            s += QStringLiteral(" | %1 pkts %2 bytes gap %3 %4")
                         .arg(c->stats[d].packets)
                         .arg(c->stats[d].bytes)
                         .arg(c->stats[d].gapBytes)
                         .arg(QString::fromLatin1(c->sha256[d]));
        s += QLatin1Char('\n');
    }
    r.summary = s;
    return r;
}

std::uint64_t statByName(const DecodeStats &s, std::uint64_t records, const QString &name)
{
    if (name == QLatin1String("truncated_packets"))
        return s.truncated;
    if (name == QLatin1String("malformed_packets"))
        return s.malformed;
    if (name == QLatin1String("unsupported_link_packets"))
        return s.unsupportedLink;
    if (name == QLatin1String("fragments"))
        return s.fragments;
    if (name == QLatin1String("tcp_packets"))
        return s.tcp;
    if (name == QLatin1String("records"))
        return records;
    qFatal("unknown statistic in MANIFEST");
}

QString podtapBinary()
{
    return QStringLiteral(BINDIR "/cli/podtap");
}

} // namespace

class TestMalformedCaptures : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void engineRandomChunks_data();
    void engineRandomChunks();
    void inspectCli_data();
    void inspectCli();
    void chunkingInvariance_data();
    void chunkingInvariance();
    void newStreamAfterDamage();
    void garbageAfterFailureIsIgnored();

private:
    void addCaseRows();

    QList<Case> m_cases;
    QList<ExpectedConnection> m_expected;
};

void TestMalformedCaptures::initTestCase()
{
    m_cases = loadManifest();
    m_expected = loadExpected();
    QVERIFY(m_cases.size() > 100);
    QCOMPARE(m_expected.size(), 4);
}

void TestMalformedCaptures::addCaseRows()
{
    QTest::addColumn<int>("index");
    for (int i = 0; i < m_cases.size(); ++i)
        QTest::addRow("%s", qPrintable(m_cases[i].file)) << i;
}

void TestMalformedCaptures::engineRandomChunks_data()
{
    addCaseRows();
}

void TestMalformedCaptures::engineRandomChunks()
{
    QFETCH(int, index);
    const Case &c = m_cases[index];
    const QByteArray bytes = readFile(CorpusDir + c.file);
    QString first;
    for (unsigned seed : {1u, 2u, 3u}) {
        const RunResult r = runEngine(bytes, 0, seed);
        if (c.expect == QLatin1String("stream")) {
            QVERIFY2(!r.streamErrors.empty(), qPrintable(c.description));
            if (c.offset >= 0)
                QCOMPARE(qint64(r.streamErrors.front().streamOffset), c.offset);
        } else {
            QVERIFY2(r.streamErrors.empty(), qPrintable(r.errors.join(QLatin1Char('\n'))));
            if (c.expect.startsWith(QLatin1String("packet:")))
                QVERIFY2(statByName(r.decode, r.records, c.expect.mid(7)) >= 1,
                         qPrintable(r.summary));
        }
        QVERIFY2(r.conns.size() >= c.keep, qPrintable(r.summary));
        for (int i = 0; i < c.keep; ++i) {
            for (int d = 0; d < 2; ++d) {
                QCOMPARE(qint64(r.conns[i]->stats[d].bytes), m_expected[i].bytes[d]);
                QCOMPARE(r.conns[i]->sha256[d], m_expected[i].sha256[d]);
                QCOMPARE(r.conns[i]->stats[d].gapBytes, 0u);
            }
        }
        if (first.isEmpty())
            first = r.summary;
        else
            QCOMPARE(r.summary, first); // the chunking never changes the result
    }
}

void TestMalformedCaptures::inspectCli_data()
{
    addCaseRows();
}

void TestMalformedCaptures::inspectCli()
{
    QFETCH(int, index);
    const Case &c = m_cases[index];
    if (!QFile::exists(podtapBinary()))
        QSKIP("podtap is not built");
    QProcess p;
    p.start(podtapBinary(),
            {QStringLiteral("inspect"), QStringLiteral("--json"), QStringLiteral("--chunk-size"),
             QStringLiteral("0"), QStringLiteral("--seed"), QString::number(index + 1),
             CorpusDir + c.file});
    QVERIFY(p.waitForStarted());
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished();
        QFAIL("podtap inspect did not terminate within 30 s");
    }
    QCOMPARE(p.exitStatus(), QProcess::NormalExit); // no crash
    const QByteArray err = p.readAllStandardError();
    QJsonParseError pe;
    const QJsonObject doc = QJsonDocument::fromJson(p.readAllStandardOutput(), &pe).object();
    QVERIFY2(pe.error == QJsonParseError::NoError, qPrintable(pe.errorString()));
    const QJsonArray errors = doc[QLatin1String("errors")].toArray();
    if (c.expect == QLatin1String("stream")) {
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(!errors.isEmpty());
        const QString msg = errors.first().toString();
        // What is wrong and where: a byte offset and a record number.
        QVERIFY2(msg.contains(QLatin1String("byte offset")), qPrintable(msg));
        QVERIFY2(msg.contains(QLatin1String("record")), qPrintable(msg));
        if (c.offset >= 0)
            QVERIFY2(msg.contains(QStringLiteral("byte offset %1,").arg(c.offset)),
                     qPrintable(msg));
        QVERIFY2(err.contains("byte offset"), err.constData()); // said on stderr too
    } else {
        QVERIFY2(errors.isEmpty(), qPrintable(errors.first().toString()));
        QCOMPARE(p.exitCode(), 0);
        if (c.expect.startsWith(QLatin1String("packet:"))) {
            const QString stat = c.expect.mid(7);
            QVERIFY2(doc[QLatin1String("stats")].toObject()[stat].toInteger() >= 1,
                     qPrintable(stat));
        }
    }
    const QJsonArray conns = doc[QLatin1String("connections")].toArray();
    QVERIFY(conns.size() >= c.keep);
    for (int i = 0; i < c.keep; ++i) {
        const QJsonObject conn = conns[i].toObject();
        for (int d = 0; d < 2; ++d) {
            const QJsonObject dir
                    = conn[d == 0 ? QLatin1String("c2s") : QLatin1String("s2c")].toObject();
            QCOMPARE(dir[QLatin1String("bytes")].toInteger(), m_expected[i].bytes[d]);
            QCOMPARE(dir[QLatin1String("sha256")].toString().toLatin1(), m_expected[i].sha256[d]);
        }
    }
}

void TestMalformedCaptures::chunkingInvariance_data()
{
    QTest::addColumn<QString>("file");
    for (const char *f :
         {"real-lo.pcap", "real-any.pcap", "real-lo.pcapng", "real-be.pcap", "real-ns.pcap",
          "ng-two-sections.pcapng", "ng-unknown-block.pcapng", "rec-body-trunc.pcap",
          "caplen-grows.pcap", "ng-trailer-mismatch.pcapng", "ipv6-ext-loop.pcap"})
        QTest::addRow("%s", f) << QString::fromLatin1(f);
}

void TestMalformedCaptures::chunkingInvariance()
{
    QFETCH(QString, file);
    const QByteArray bytes = readFile(CorpusDir + file);
    const RunResult whole = runEngine(bytes, std::size_t(bytes.size()), 0);
    QVERIFY(!whole.conns.isEmpty());
    for (std::size_t chunk : {std::size_t(1), std::size_t(7), std::size_t(4096)})
        QCOMPARE(runEngine(bytes, chunk, 0).summary, whole.summary);
    for (unsigned seed = 10; seed < 20; ++seed)
        QCOMPARE(runEngine(bytes, 0, seed).summary, whole.summary);
}

// A stream that broke off (damaged record) and a new stream after beginStream(): the
// second stream is read in full, the first stream's error stays on record.
void TestMalformedCaptures::newStreamAfterDamage()
{
    const QByteArray damaged = readFile(CorpusDir + QStringLiteral("rec-body-trunc.pcap"));
    const QByteArray good = readFile(CorpusDir + QStringLiteral("real-ns.pcap"));
    HashingSink sink;
    CaptureEngine engine;
    engine.setSink(&sink);
    const auto *d = reinterpret_cast<const std::uint8_t *>(damaged.constData());
    for (qsizetype i = 0; i < damaged.size(); i += 333)
        engine.feed(d + i, std::size_t(std::min<qsizetype>(333, damaged.size() - i)));
    engine.beginStream();
    const auto *g = reinterpret_cast<const std::uint8_t *>(good.constData());
    for (qsizetype i = 0; i < good.size(); i += 1000)
        QVERIFY(engine.feed(g + i, std::size_t(std::min<qsizetype>(1000, good.size() - i))));
    engine.finish();
    QCOMPARE(engine.streamErrors().size(), std::size_t(1));
    QCOMPARE(engine.streamErrors().front().streamId, 0u);
    QCOMPARE(engine.reader().recordsRead(), std::uint64_t(27 + 46));
    // The second stream replays the same 4-tuples: its four connections, complete, are the
    // last four the tracker reports.
    QVERIFY(sink.m_conns.size() >= 4);
    auto it = sink.m_conns.end();
    std::advance(it, -4);
    for (int i = 0; i < 4; ++i, ++it) {
        for (int dir = 0; dir < 2; ++dir) {
            QCOMPARE(it->second->sha256[dir], m_expected[i].sha256[dir]);
            QCOMPARE(qint64(it->second->stats[dir].bytes), m_expected[i].bytes[dir]);
        }
    }
}

// After a stream failed, megabytes more of the same stream are ignored, not buffered.
void TestMalformedCaptures::garbageAfterFailureIsIgnored()
{
    CaptureEngine engine;
    const QByteArray bad = readFile(CorpusDir + QStringLiteral("bad-magic.pcap"));
    engine.feed(reinterpret_cast<const std::uint8_t *>(bad.constData()), std::size_t(bad.size()));
    QVERIFY(engine.reader().failed());
    const std::vector<std::uint8_t> junk(1 << 20, 0xAB);
    for (int i = 0; i < 64; ++i)
        QVERIFY(!engine.feed(junk.data(), junk.size()));
    QCOMPARE(engine.reader().bytesIgnored() >= std::uint64_t(64) << 20, true);
    QCOMPARE(engine.streamErrors().size(), std::size_t(1));
}

QTEST_GUILESS_MAIN(TestMalformedCaptures)
#include "tst_malformedcaptures.moc"
