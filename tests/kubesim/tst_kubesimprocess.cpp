// The e2e tests' view of the cluster (KubesimProcess::kubectl/kubectlJson) reports a failing
// kubectl as a failure with kubectl's own words, never as an empty answer: "the pod has no
// tap" must not pass because `kubectl get` failed.
#include "kubesimprocess.h"

#include <QTemporaryDir>
#include <QTest>

class TestKubesimProcess : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void getExistingPod();
    void missingPodIsAFailure();
    void forbiddenIsAFailure();
    void expectFailure();

private:
    QTemporaryDir m_dir;
    KubesimProcess m_kubesim;
};

namespace {
const QStringList MissingPod{QStringLiteral("get"), QStringLiteral("pod"),
                             QStringLiteral("does-not-exist"), QStringLiteral("-n"),
                             QStringLiteral("shop")};
}

void TestKubesimProcess::initTestCase()
{
    if (const QString why = KubesimProcess::skipReason(); !why.isEmpty())
        QSKIP(qPrintable(why));
    QVERIFY(m_dir.isValid());
    QString error;
    QVERIFY2(m_kubesim.start(QStringLiteral(SRCDIR "/../e2e/scenarios/capture.yaml"), m_dir.path(),
                             &error),
             qPrintable(error));
}

void TestKubesimProcess::cleanupTestCase()
{
    m_kubesim.stop();
}

void TestKubesimProcess::getExistingPod()
{
    const auto r = m_kubesim.kubectlJson({QStringLiteral("get"), QStringLiteral("pod"),
                                          QStringLiteral("web"), QStringLiteral("-n"),
                                          QStringLiteral("shop")});
    QVERIFY2(r.ok(), r.failure().constData());
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.json[QLatin1String("kind")].toString(), QStringLiteral("Pod"));
    QCOMPARE(r.json[QLatin1String("metadata")][QLatin1String("name")].toString(),
             QStringLiteral("web"));
}

void TestKubesimProcess::missingPodIsAFailure()
{
    const auto plain = m_kubesim.kubectl(MissingPod);
    QVERIFY(!plain.ok());
    QCOMPARE(plain.exitCode, 1);
    QVERIFY2(plain.err.contains("NotFound"), plain.err.constData());
    // What a test prints when it fails on it: the command and kubectl's stderr.
    QVERIFY2(plain.failure().startsWith("kubectl get pod does-not-exist -n shop: exit 1: "),
             plain.failure().constData());
    QVERIFY2(plain.failure().contains("pods \"does-not-exist\" not found"),
             plain.failure().constData());

    // With -o json: not an empty object that reads as "a pod with nothing in it".
    const auto json = m_kubesim.kubectlJson(MissingPod);
    QVERIFY(!json.ok());
    QVERIFY(json.json.isEmpty());
    QCOMPARE(json.exitCode, 1);
    QVERIFY2(json.failure().contains("NotFound"), json.failure().constData());
    QVERIFY2(json.failure().contains("-o json"), json.failure().constData());
}

void TestKubesimProcess::forbiddenIsAFailure()
{
    // tapper has no rights in "default": RBAC's refusal is a failure too.
    const auto r = m_kubesim.kubectlJson({QStringLiteral("get"), QStringLiteral("pods"),
                                          QStringLiteral("-n"), QStringLiteral("default")});
    QVERIFY(!r.ok());
    QVERIFY2(r.err.contains("Forbidden") || r.err.contains("forbidden"), r.err.constData());
}

void TestKubesimProcess::expectFailure()
{
    // The expected failure: nothing to report.
    QCOMPARE(m_kubesim.expectKubectlFailure(MissingPod, QStringLiteral("NotFound")), QByteArray());
    // A failure with other words is reported, with what kubectl said.
    const QByteArray other
            = m_kubesim.expectKubectlFailure(MissingPod, QStringLiteral("Forbidden"));
    QVERIFY2(other.contains("expected \"Forbidden\" in stderr") && other.contains("NotFound"),
             other.constData());
    // A success where a failure was expected is reported.
    const QByteArray success = m_kubesim.expectKubectlFailure(
            {QStringLiteral("get"), QStringLiteral("pod"), QStringLiteral("web"),
             QStringLiteral("-n"), QStringLiteral("shop")},
            QStringLiteral("NotFound"));
    QVERIFY2(success.contains("succeeded where a failure was expected"), success.constData());
}

QTEST_GUILESS_MAIN(TestKubesimProcess)
#include "tst_kubesimprocess.moc"
