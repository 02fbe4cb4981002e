// TlsDetector: real ClientHellos (made by OpenSSL's client, TLS 1.2 and 1.3, with SNI) fed in
// every segmentation; TLS records of a stream joined mid-way; HTTP/1.x, HTTP/2 and other
// bytes never flagged.
#include "capture/tlsdetector.h"

#include <QRandomGenerator>
#include <QTest>

#include <openssl/bio.h>
#include <openssl/ssl.h>

using namespace podtap;
using Verdict = TlsDetector::Verdict;

namespace {

// The first flight of a real TLS client: what a mesh client sends on eth0.
QByteArray clientHello(int maxVersion, const char *sni)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_max_proto_version(ctx, maxVersion);
    SSL *ssl = SSL_new(ctx);
    BIO *rbio = BIO_new(BIO_s_mem());
    BIO *wbio = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl, rbio, wbio);
    if (sni)
        SSL_set_tlsext_host_name(ssl, sni);
    SSL_connect(ssl); // wants to read the ServerHello: the ClientHello is in wbio
    char *data = nullptr;
    const long n = BIO_get_mem_data(wbio, &data);
    QByteArray out(data, int(n));
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    return out;
}

QByteArray random(int n, quint32 seed)
{
    QRandomGenerator g(seed);
    QByteArray b(n, Qt::Uninitialized);
    for (char &c : b)
        c = char(g.bounded(256));
    return b;
}

// TLS 1.3 application_data records (RFC 8446 5.2: opaque_type 23, legacy 3.3) of random
// ciphertext.
QByteArray appRecords(const QList<int> &sizes, quint32 seed)
{
    QByteArray out;
    for (const int n : sizes) {
        out += QByteArray("\x17\x03\x03", 3);
        out += char(n >> 8);
        out += char(n & 0xff);
        out += random(n, seed++);
    }
    return out;
}

Verdict feedIn(TlsDetector &d, const QByteArray &bytes, int segment)
{
    Verdict v = Verdict::Undecided;
    for (qsizetype i = 0; i < bytes.size(); i += segment) {
        const QByteArray part = bytes.mid(i, segment);
        v = d.feed(reinterpret_cast<const std::uint8_t *>(part.constData()),
                   std::size_t(part.size()));
    }
    return v;
}

} // namespace

class TestTlsDetector : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void clientHelloAtAnySegmentation_data();
    void clientHelloAtAnySegmentation();
    void clientHelloWithoutSni();
    void applicationDataRecord();
    void midstreamInsideARecord();
    void notTls_data();
    void notTls();
    void midstreamPlainBytesGiveUp();
    void shortStreamGivesUp();
};

void TestTlsDetector::clientHelloAtAnySegmentation_data()
{
    QTest::addColumn<int>("version");
    QTest::addRow("TLS 1.3") << TLS1_3_VERSION;
    QTest::addRow("TLS 1.2") << TLS1_2_VERSION;
}

void TestTlsDetector::clientHelloAtAnySegmentation()
{
    QFETCH(int, version);
    const QByteArray hello = clientHello(version, "reviews.shop.svc.cluster.local");
    QVERIFY2(hello.size() > 100, "OpenSSL made no ClientHello");
    // Every split into two segments, then 1-, 3- and 7-byte segments; after the hello the
    // stream's ciphertext follows.
    QList<QList<qsizetype>> splits;
    for (qsizetype i = 1; i < hello.size(); ++i)
        splits << QList<qsizetype>{i};
    for (const int seg : {1, 3, 7}) {
        QList<qsizetype> cuts;
        for (qsizetype i = seg; i < hello.size(); i += seg)
            cuts << i;
        splits << cuts;
    }
    const QByteArray stream = hello + appRecords({40, 300}, 1);
    for (const auto &cuts : std::as_const(splits)) {
        TlsDetector d;
        qsizetype from = 0;
        Verdict v = Verdict::Undecided;
        for (const qsizetype cut : cuts) {
            const QByteArray part = stream.mid(from, cut - from);
            v = d.feed(reinterpret_cast<const std::uint8_t *>(part.constData()),
                       std::size_t(part.size()));
            // Six bytes (record header + handshake type) decide.
            if (cut >= 6)
                QCOMPARE(v, Verdict::Tls);
            else
                QCOMPARE(v, Verdict::Undecided);
            from = cut;
        }
        const QByteArray rest = stream.mid(from);
        v = d.feed(reinterpret_cast<const std::uint8_t *>(rest.constData()),
                   std::size_t(rest.size()));
        QCOMPARE(v, Verdict::Tls);
        QVERIFY(d.sawClientHello());
        QCOMPARE(d.serverName(), QStringLiteral("reviews.shop.svc.cluster.local"));
        QVERIFY(!d.wantsMore());
    }
}

void TestTlsDetector::clientHelloWithoutSni()
{
    TlsDetector d;
    QCOMPARE(feedIn(d, clientHello(TLS1_3_VERSION, nullptr), 1000), Verdict::Tls);
    QVERIFY(d.sawClientHello());
    QVERIFY(d.serverName().isEmpty());
}

void TestTlsDetector::applicationDataRecord()
{
    // A connection whose handshake was before the capture: records from its first byte.
    for (const bool midstream : {false, true}) {
        TlsDetector d(midstream);
        const QByteArray records = appRecords({1200, 64}, 7);
        QCOMPARE(d.feed(reinterpret_cast<const std::uint8_t *>(records.constData()), 4),
                 Verdict::Undecided);
        QCOMPARE(feedIn(d, records.mid(4), 100), Verdict::Tls);
        QVERIFY(!d.sawClientHello());
    }
    // An alert (21) or change_cipher_spec (20) in TLS 1.2 framing too.
    TlsDetector alert;
    QCOMPARE(feedIn(alert, QByteArray("\x15\x03\x03\x00\x02\x01\x00", 7), 7), Verdict::Tls);
}

void TestTlsDetector::midstreamInsideARecord()
{
    // Joined inside a 9000-byte record: its tail, then whole records.
    const QByteArray records = appRecords({9000, 512, 16384, 80}, 3);
    for (const int at : {1, 6, 4000, 8999}) {
        TlsDetector d(true);
        QCOMPARE(feedIn(d, records.mid(at), 1448), Verdict::Tls);
        TlsDetector fromStart; // a stream that is not joined must start with a record header
        QCOMPARE(feedIn(fromStart, records.mid(at), 1448), Verdict::NotTls);
    }
}

void TestTlsDetector::notTls_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("midstream");
    QTest::addRow("HTTP/1.1 GET") << QByteArray("GET /reviews/1 HTTP/1.1\r\nHost: x\r\n\r\n")
                                  << false;
    QTest::addRow("HTTP/1.1 POST joined") << QByteArray("POST /x HTTP/1.1\r\nContent-Length: 2"
                                                        "\r\n\r\n{}")
                                          << true;
    QTest::addRow("HTTP/2 preface") << QByteArray("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") << false;
    QTest::addRow("handshake type 2 at start")
            << QByteArray("\x16\x03\x03\x00\x30\x02", 6) + random(48, 1) << false;
    QTest::addRow("version 3.9") << QByteArray("\x16\x03\x09\x00\x30\x01", 6) + random(48, 2)
                                 << false;
    QTest::addRow("SSL 2 style") << QByteArray("\x80\x2e\x01\x03\x01", 5) + random(44, 3) << false;
    QTest::addRow("zero length") << QByteArray("\x17\x03\x03\x00\x00", 5) << false;
    QTest::addRow("too long") << QByteArray("\x17\x03\x03\x48\x01", 5) + random(100, 4) << false;
    QTest::addRow("binary protocol") << QByteArray("\x00\x00\x00\x2a\x01\x02", 6) << false;
    QTest::addRow("redis") << QByteArray("*1\r\n$4\r\nPING\r\n") << true;
}

void TestTlsDetector::notTls()
{
    QFETCH(QByteArray, bytes);
    QFETCH(bool, midstream);
    TlsDetector d(midstream);
    QCOMPARE(feedIn(d, bytes, 1), Verdict::NotTls);
    QVERIFY(d.serverName().isEmpty());
}

void TestTlsDetector::midstreamPlainBytesGiveUp()
{
    // Binary bytes of another protocol, joined mid-way: undecided until two records could
    // have been seen, then not TLS (and never more than that is held).
    TlsDetector d(true);
    QByteArray junk = random(int(TlsDetector::MidstreamWindow) + 10, 9);
    for (char &c : junk)
        if (c >= 20 && c <= 23)
            c = 0; // no byte may start a record header
    junk[0] = 1;
    QCOMPARE(feedIn(d, junk.left(1000), 1000), Verdict::Undecided);
    QCOMPARE(feedIn(d, junk.mid(1000), 1000), Verdict::NotTls);
}

void TestTlsDetector::shortStreamGivesUp()
{
    TlsDetector d;
    QCOMPARE(feedIn(d, QByteArray("\x16\x03", 2), 1), Verdict::Undecided);
    d.giveUp();
    QCOMPARE(d.verdict(), Verdict::NotTls);
}

QTEST_GUILESS_MAIN(TestTlsDetector)
#include "tst_tlsdetector.moc"
