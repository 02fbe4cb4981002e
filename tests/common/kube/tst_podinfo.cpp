// PodInfo::meshSidecar: a service-mesh sidecar recognised the ways Istio and Linkerd inject one
// (container, native sidecar, annotation, init container), and nothing for a plain pod or one
// that only borrows a word.
#include "kube/podinfo.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace podtap;

class TestPodInfo : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void meshSidecar_data();
    void meshSidecar();
};

void TestPodInfo::meshSidecar_data()
{
    QTest::addColumn<QByteArray>("pod");
    QTest::addColumn<QString>("sidecar");
    const auto pod = [](const char *meta, const char *spec) -> QByteArray {
        return QByteArray(R"({"metadata":{"name":"reviews","namespace":"shop")") + meta
               + R"(},"spec":{"containers":[{"name":"app","image":"a"})" + spec + "}}";
    };
    QTest::addRow("plain") << pod("", "]") << QString();
    QTest::addRow("istio-proxy container")
            << pod("", R"(,{"name":"istio-proxy","image":"istio/proxyv2"}])")
            << QStringLiteral("istio-proxy");
    QTest::addRow("linkerd-proxy container") << pod("", R"(,{"name":"linkerd-proxy","image":"l"}])")
                                             << QStringLiteral("linkerd-proxy");
    QTest::addRow("native sidecar")
            << pod("", R"(],"initContainers":[{"name":"istio-proxy","restartPolicy":"Always"}])")
            << QStringLiteral("istio-proxy");
    QTest::addRow("istio annotation")
            << pod(R"(,"annotations":{"sidecar.istio.io/status":"{}"})", "]")
            << QStringLiteral("istio-proxy");
    QTest::addRow("linkerd annotation")
            << pod(R"(,"annotations":{"linkerd.io/proxy-version":"stable-2.14"})", "]")
            << QStringLiteral("linkerd-proxy");
    QTest::addRow("istio-init only") << pod("", R"(],"initContainers":[{"name":"istio-init"}])")
                                     << QStringLiteral("istio-proxy");
    QTest::addRow("linkerd-init only") << pod("", R"(],"initContainers":[{"name":"linkerd-init"}])")
                                       << QStringLiteral("linkerd-proxy");
    QTest::addRow("lookalike names") << pod(R"(,"annotations":{"sidecar.istio.io/inject":"false"})",
                                            R"(,{"name":"my-istio-proxy-test","image":"x"}],)"
                                            R"("initContainers":[{"name":"setup"}])")
                                     << QString();
}

void TestPodInfo::meshSidecar()
{
    QFETCH(QByteArray, pod);
    QFETCH(QString, sidecar);
    QJsonParseError e;
    const QJsonDocument d = QJsonDocument::fromJson(pod, &e);
    QVERIFY2(e.error == QJsonParseError::NoError, pod.constData());
    QCOMPARE(PodInfo::fromJson(d.object()).meshSidecar, sidecar);
}

QTEST_GUILESS_MAIN(TestPodInfo)
#include "tst_podinfo.moc"
