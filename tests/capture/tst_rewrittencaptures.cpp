// Real captures rewritten (reordered, duplicated, split, overlapped, wrapped, lossy, cut):
// inspect's hashes must not move where nothing was lost, and its gaps must equal exactly
// the bytes podtap-pcaprewrite removed where something was.
#include "capturecheck.h"
#include "netnslab.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace CaptureCheck;

class TestRewrittenCaptures : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void lossless_data();
    void lossless();
    void lossy_data();
    void lossy();
    void truncatedFile_data();
    void truncatedFile();

private:
    struct Base
    {
        QString file;
        quint16 port = 0;
        QList<QJsonObject> clientRecords;
        QList<QJsonObject> serverRecords;
    };
    void addBaseColumn();
    // Runs the rewriter; returns its JSON report (empty object on failure, with *error).
    QJsonObject rewrite(const QString &in, const QString &out, const QStringList &ops,
                        QString *error);

    std::unique_ptr<NetnsLab> m_lab;
    std::unique_ptr<QTemporaryDir> m_dir;
    QHash<QString, Base> m_bases;
};

void TestRewrittenCaptures::initTestCase()
{
    QString missing = missingPrerequisite();
    if (missing.isEmpty() && !QFileInfo(pcaprewrite()).isExecutable())
        missing = pcaprewrite() + QStringLiteral(" is not built");
    if (!missing.isEmpty())
        QSKIP(qPrintable(missing));
    m_lab = std::make_unique<NetnsLab>(QStringLiteral("rw"));
    QString error;
    QVERIFY2(m_lab->setUp(&error), qPrintable(error));
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    if (qEnvironmentVariableIsSet("PODTAP_KEEP_CAPTURES")) {
        m_dir->setAutoRemove(false);
        qInfo("keeping %s", qPrintable(m_dir->path()));
    }

    // Two real captures: IPv4 on the veth (Ethernet) and IPv6 on "any" (LINUX_SLL2). Requests
    // and responses span several segments so there is something to split and reorder.
    const QStringList clientArgs = {QStringLiteral("--connections"),       QStringLiteral("8"),
                                    QStringLiteral("--concurrency"),       QStringLiteral("4"),
                                    QStringLiteral("--requests-per-conn"), QStringLiteral("4"),
                                    QStringLiteral("--request-size"),      QStringLiteral("6000"),
                                    QStringLiteral("--response-size"),     QStringLiteral("30000")};
    for (const QString &name : {QStringLiteral("v4-ethernet"), QStringLiteral("v6-sll2")}) {
        const bool v6 = name.startsWith(QLatin1String("v6"));
        const QString sub = m_dir->filePath(name);
        QVERIFY(QDir().mkpath(sub));
        Scenario s;
        s.serverNs = m_lab->serverNs();
        s.clientNs = m_lab->clientNs();
        s.listenAddress = v6 ? QLatin1Char('[') + NetnsLab::serverV6() + QLatin1Char(']')
                             : NetnsLab::serverV4();
        s.captureIface = v6 ? QStringLiteral("any") : m_lab->serverVeth();
        s.clientArgs = clientArgs;
        s.dir = sub;
        const ScenarioResult r = runScenario(s);
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        Base b{sub + QStringLiteral("/capture.pcap"), r.port, r.clientRecords, r.serverRecords};
        // The untouched capture must already be right, or nothing below means anything.
        const QStringList problems
                = compareWithRecords(runInspect(b.file), b.clientRecords, b.serverRecords);
        QVERIFY2(problems.isEmpty(), qPrintable(name + QStringLiteral(" (unmodified): ")
                                                + problems.mid(0, 10).join(QLatin1Char('\n'))));
        m_bases.insert(name, b);
    }
}

void TestRewrittenCaptures::cleanupTestCase()
{
    m_dir.reset();
    m_lab.reset();
}

QJsonObject TestRewrittenCaptures::rewrite(const QString &in, const QString &out,
                                           const QStringList &ops, QString *error)
{
    QProcess p;
    p.start(pcaprewrite(), QStringList{in, out} + ops);
    if (!p.waitForFinished(120000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        p.kill();
        *error = QStringLiteral("pcaprewrite %1 failed: %2")
                         .arg(ops.join(QLatin1Char(' ')),
                              QString::fromLocal8Bit(p.readAllStandardError()));
        return {};
    }
    return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
}

void TestRewrittenCaptures::addBaseColumn()
{
    QTest::addColumn<QString>("base");
    QTest::addColumn<QStringList>("ops");
}

void TestRewrittenCaptures::lossless_data()
{
    addBaseColumn();
    const QList<QPair<const char *, QStringList>> ops = {
            // SYN/RST stay put and nothing of a connection moves across its handshake (a capture
            // point never sees data before the SYN); FIN may overtake data.
            {"permute-8", {QStringLiteral("--permute"), QStringLiteral("8")}},
            {"permute-16", {QStringLiteral("--permute"), QStringLiteral("16")}},
            {"permute-64", {QStringLiteral("--permute"), QStringLiteral("64")}},
            {"duplicate-30pct", {QStringLiteral("--duplicate"), QStringLiteral("0.3")}},
            {"split-all", {QStringLiteral("--split"), QStringLiteral("1")}},
            {"overlap-40pct", {QStringLiteral("--overlap"), QStringLiteral("0.4")}},
            // Drop + keep the later retransmission: holes that are filled out of order, as
            // after a SACK-driven retransmission.
            {"retransmit-later",
             {QStringLiteral("--retransmit-later"), QStringLiteral("0.15"),
              QStringLiteral("--later"), QStringLiteral("25")}},
            {"wrap-isn-both",
             {QStringLiteral("--wrap-isn"), QStringLiteral("7000"),
              QStringLiteral("--fix-checksums")}},
            {"shift-isn-c2s", {QStringLiteral("--shift-isn"), QStringLiteral("0xfffff000")}},
            {"everything",
             {QStringLiteral("--wrap-isn"), QStringLiteral("20000"), QStringLiteral("--split"),
              QStringLiteral("0.5"), QStringLiteral("--overlap"), QStringLiteral("0.3"),
              QStringLiteral("--retransmit-later"), QStringLiteral("0.05"),
              QStringLiteral("--duplicate"), QStringLiteral("0.1"), QStringLiteral("--permute"),
              QStringLiteral("32")}},
    };
    for (const QString &base : {QStringLiteral("v4-ethernet"), QStringLiteral("v6-sll2")}) {
        for (const auto &[name, o] : ops) {
            QTest::addRow("%s/%s", qPrintable(base), name)
                    << base << (o + QStringList{QStringLiteral("--seed"), QStringLiteral("7")});
        }
    }
}

void TestRewrittenCaptures::lossless()
{
    QFETCH(QString, base);
    QFETCH(QStringList, ops);
    const Base &b = m_bases.value(base);
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("rewritten.pcap"));
    QString error;
    const QJsonObject report = rewrite(b.file, out, ops, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QJsonObject done = report.value(QLatin1String("operations")).toObject();
    QVERIFY2(!done.isEmpty(), "the rewriter changed nothing: the row would test nothing");
    const Inspect in = runInspect(out, {QStringLiteral("--port"), QString::number(b.port)});
    const QStringList problems = compareWithRecords(in, b.clientRecords, b.serverRecords);
    QVERIFY2(problems.isEmpty(),
             qPrintable(QString::fromUtf8(QJsonDocument(done).toJson(QJsonDocument::Compact))
                        + QLatin1Char('\n') + problems.mid(0, 15).join(QLatin1Char('\n'))));
}

void TestRewrittenCaptures::lossy_data()
{
    addBaseColumn();
    for (const QString &base : {QStringLiteral("v4-ethernet"), QStringLiteral("v6-sll2")}) {
        QTest::addRow("%s/drop-5pct", qPrintable(base))
                << base
                << QStringList{QStringLiteral("--drop-data"), QStringLiteral("0.05"),
                               QStringLiteral("--seed"), QStringLiteral("3")};
        QTest::addRow("%s/drop-20pct-permuted", qPrintable(base))
                << base << QStringList{QStringLiteral("--drop-data"), QStringLiteral("0.2"),
                                       QStringLiteral("--permute"),   QStringLiteral("20"),
                                       QStringLiteral("--seed"),      QStringLiteral("5")};
        // Dropping split halves and overlapping copies: only bytes no packet carries are lost.
        QTest::addRow("%s/drop-after-split-overlap", qPrintable(base))
                << base << QStringList{QStringLiteral("--split"),     QStringLiteral("0.5"),
                                       QStringLiteral("--overlap"),   QStringLiteral("0.5"),
                                       QStringLiteral("--drop-data"), QStringLiteral("0.1"),
                                       QStringLiteral("--seed"),      QStringLiteral("11")};
        QTest::addRow("%s/drop-wrapped", qPrintable(base))
                << base << QStringList{QStringLiteral("--wrap-isn"),  QStringLiteral("3000"),
                                       QStringLiteral("--drop-data"), QStringLiteral("0.1"),
                                       QStringLiteral("--seed"),      QStringLiteral("13")};
    }
}

void TestRewrittenCaptures::lossy()
{
    QFETCH(QString, base);
    QFETCH(QStringList, ops);
    const Base &b = m_bases.value(base);
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("rewritten.pcap"));
    QString error;
    const QJsonObject report = rewrite(b.file, out, ops, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const Inspect in = runInspect(out, {QStringLiteral("--port"), QString::number(b.port)});
    QVERIFY2(in.error.isEmpty(), qPrintable(in.error));
    const QHash<QString, QJsonObject> conns = in.byPair();

    QHash<QString, QJsonObject> records;
    for (const QJsonObject &r : b.clientRecords)
        records.insert(r.value(QLatin1String("local")).toString() + QLatin1Char('|')
                               + r.value(QLatin1String("remote")).toString(),
                       r);
    QStringList problems;
    qint64 totalLost = 0;
    const QJsonArray reported = report.value(QLatin1String("connections")).toArray();
    QCOMPARE(reported.size(), records.size());
    for (const QJsonValue &v : reported) {
        const QJsonObject rc = v.toObject();
        const QString pair = rc.value(QLatin1String("client")).toString() + QLatin1Char('|')
                             + rc.value(QLatin1String("server")).toString();
        if (!records.contains(pair) || !conns.contains(pair)) {
            problems << pair + QStringLiteral(": not in the records or not in inspect");
            continue;
        }
        const QJsonObject rec = records.value(pair);
        const QJsonObject c = conns.value(pair);
        for (const char *d : {"c2s", "s2c"}) {
            const QJsonObject want = rc.value(QLatin1String(d)).toObject();
            const QJsonObject got = c.value(QLatin1String(d)).toObject();
            const QJsonObject wrote
                    = rec.value(QLatin1String(qstrcmp(d, "c2s") == 0 ? "sent" : "received"))
                              .toObject();
            const qint64 lost = want.value(QLatin1String("dropped_bytes")).toInteger();
            const qint64 total = want.value(QLatin1String("total_bytes")).toInteger();
            totalLost += lost;
            // The rewriter's own books must add up to what the sender wrote.
            if (total != wrote.value(QLatin1String("bytes")).toInteger())
                problems << QStringLiteral(
                                    "%1 %2: rewriter saw %3 bytes, sender wrote %4 (tool bug)")
                                    .arg(pair, QLatin1String(d))
                                    .arg(total)
                                    .arg(wrote.value(QLatin1String("bytes")).toInteger());
            const qint64 gap = got.value(QLatin1String("gap_bytes")).toInteger();
            const qint64 bytes = got.value(QLatin1String("bytes")).toInteger();
            if (gap != lost || bytes != total - lost)
                problems << QStringLiteral("%1 %2: inspect %3 bytes + %4 gap, expected %5 + %6 "
                                           "(lost ranges %7)")
                                    .arg(pair, QLatin1String(d))
                                    .arg(bytes)
                                    .arg(gap)
                                    .arg(total - lost)
                                    .arg(lost)
                                    .arg(QString::fromUtf8(
                                            QJsonDocument(want.value(QLatin1String("lost_ranges"))
                                                                  .toArray())
                                                    .toJson(QJsonDocument::Compact)));
            if (lost == 0
                && got.value(QLatin1String("sha256")) != wrote.value(QLatin1String("sha256")))
                problems << QStringLiteral("%1 %2: nothing lost but the hash differs")
                                    .arg(pair, QLatin1String(d));
        }
    }
    QVERIFY2(totalLost > 0, "the rewriter removed nothing for good: the row would test nothing");
    QVERIFY2(problems.isEmpty(), qPrintable(problems.mid(0, 15).join(QLatin1Char('\n'))));
}

void TestRewrittenCaptures::truncatedFile_data()
{
    QTest::addColumn<QString>("base");
    QTest::addColumn<double>("fraction"); // where to cut, as a share of the file
    QTest::addRow("inside-global-header") << "v4-ethernet" << -1.0;
    QTest::addRow("one-third") << "v4-ethernet" << 0.33;
    QTest::addRow("two-thirds-sll2") << "v6-sll2" << 0.66;
}

void TestRewrittenCaptures::truncatedFile()
{
    QFETCH(QString, base);
    QFETCH(double, fraction);
    const Base &b = m_bases.value(base);
    const qint64 size = QFileInfo(b.file).size();
    const qint64 cut = fraction < 0 ? 10 : qint64(double(size) * fraction);
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("cut.pcap"));
    QString error;
    rewrite(b.file, out, {QStringLiteral("--truncate-file"), QString::number(cut)}, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(QFileInfo(out).size(), cut);
    const Inspect in = runInspect(out);
    QVERIFY2(in.error.isEmpty(), qPrintable(in.error));
    QCOMPARE(in.exitCode, 2);
    QVERIFY2(!in.doc.value(QLatin1String("errors")).toArray().isEmpty(),
             "a cut file must be reported in \"errors\"");
    const QJsonArray conns = in.doc.value(QLatin1String("connections")).toArray();
    if (fraction < 0) {
        QCOMPARE(conns.size(), 0);
        return;
    }
    // What was reassembled before the cut is still printed, and it is a prefix of what the
    // senders wrote: never more bytes than they sent.
    QVERIFY(!conns.isEmpty());
    QHash<QString, QJsonObject> records;
    for (const QJsonObject &r : b.clientRecords)
        records.insert(r.value(QLatin1String("local")).toString(), r);
    for (const QJsonValue &v : conns) {
        const QJsonObject c = v.toObject();
        const QJsonObject rec = records.value(c.value(QLatin1String("client")).toString());
        QVERIFY2(!rec.isEmpty(), qPrintable(c.value(QLatin1String("client")).toString()));
        QVERIFY(c.value(QLatin1String("c2s")).toObject().value(QLatin1String("bytes")).toInteger()
                <= rec.value(QLatin1String("sent"))
                           .toObject()
                           .value(QLatin1String("bytes"))
                           .toInteger());
        QVERIFY(c.value(QLatin1String("s2c")).toObject().value(QLatin1String("bytes")).toInteger()
                <= rec.value(QLatin1String("received"))
                           .toObject()
                           .value(QLatin1String("bytes"))
                           .toInteger());
    }
}

QTEST_GUILESS_MAIN(TestRewrittenCaptures)
#include "tst_rewrittencaptures.moc"
