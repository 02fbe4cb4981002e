// TlsServerName: the tls-server-name check for the exec WebSocket (tst_kubeproxy runs it
// against kubesim and kubectl), on certificates made by the real openssl.
#include "kube/tlsservername.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap;

class TstTlsServerName : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void names_data();
    void names();
    void onlyAMismatchMayBeResolved();

private:
    QSslCertificate m_cert;
};

void TstTlsServerName::initTestCase()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QProcess openssl;
    openssl.setProcessChannelMode(QProcess::MergedChannels);
    // CN names a host the SANs do not: Go (and so kubectl) ignores the CN, so must we.
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                   QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                   QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                   QStringLiteral("-keyout"), dir.filePath(QStringLiteral("k.pem")),
                   QStringLiteral("-out"), dir.filePath(QStringLiteral("c.pem")),
                   QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"),
                   QStringLiteral("/CN=cn-only.test"), QStringLiteral("-addext"),
                   QStringLiteral("subjectAltName=DNS:kubernetes.podtap.test,DNS:*.apps.test,"
                                  "DNS:10.9.9.9,IP:10.0.0.1,IP:fd00::1")});
    QVERIFY(openssl.waitForFinished(30000));
    QVERIFY2(openssl.exitCode() == 0, openssl.readAll().constData());
    const auto certs = QSslCertificate::fromPath(dir.filePath(QStringLiteral("c.pem")));
    QCOMPARE(certs.size(), 1);
    m_cert = certs.first();
}

void TstTlsServerName::names_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("matches");
    QTest::newRow("exact") << "kubernetes.podtap.test" << true;
    QTest::newRow("case") << "Kubernetes.PODTAP.test" << true;
    QTest::newRow("trailing dot") << "kubernetes.podtap.test." << true;
    QTest::newRow("other name") << "kubernetes.default.svc" << false;
    QTest::newRow("suffix is not a match") << "podtap.test" << false;
    QTest::newRow("wildcard one label") << "api.apps.test" << true;
    QTest::newRow("wildcard not two labels") << "a.b.apps.test" << false;
    QTest::newRow("wildcard not the bare domain") << "apps.test" << false;
    QTest::newRow("common name ignored") << "cn-only.test" << false;
    QTest::newRow("ip SAN") << "10.0.0.1" << true;
    QTest::newRow("v6 ip SAN") << "fd00:0::1" << true;
    QTest::newRow("other ip") << "10.0.0.2" << false;
    QTest::newRow("ip never from a DNS SAN") << "10.9.9.9" << false;
    QTest::newRow("empty") << "" << false;
}

void TstTlsServerName::names()
{
    QFETCH(QString, name);
    QFETCH(bool, matches);
    QCOMPARE(TlsServerName::certificateMatches(m_cert, name), matches);
}

void TstTlsServerName::onlyAMismatchMayBeResolved()
{
    const QSslError mismatch(QSslError::HostNameMismatch, m_cert);
    const QString name = QStringLiteral("kubernetes.podtap.test");
    QVERIFY(TlsServerName::onlyMismatchResolvedBy({mismatch}, m_cert, name));
    QVERIFY(!TlsServerName::onlyMismatchResolvedBy({mismatch}, m_cert, QStringLiteral("x.test")));
    QVERIFY(!TlsServerName::onlyMismatchResolvedBy({mismatch}, m_cert, QString()));
    QVERIFY(!TlsServerName::onlyMismatchResolvedBy({}, m_cert, name));
    // Any other error (an untrusted chain, an expired certificate) is never ignored.
    for (const auto other :
         {QSslError::SelfSignedCertificate, QSslError::UnableToGetLocalIssuerCertificate,
          QSslError::CertificateExpired}) {
        QVERIFY(!TlsServerName::onlyMismatchResolvedBy({mismatch, QSslError(other, m_cert)}, m_cert,
                                                       name));
    }
}

QTEST_GUILESS_MAIN(TstTlsServerName)
#include "tst_tlsservername.moc"
