// Status bodies exactly as the API server sends them (../shared/spec/kubernetes-wire.md).
#include "kube/jsonobjectstream.h"
#include "kube/kubestatus.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace podtap;

class TestKubeStatus : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void podSecurity();
    void rbac();
    void exitCode();
    void notJson();
    void jsonStreamAnyChunking();
    void jsonStreamGarbageAndBounds();
};

void TestKubeStatus::podSecurity()
{
    const QByteArray body
            = R"J({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"mypod\" is forbidden: violates PodSecurity \"baseline:latest\": non-default capabilities (container \"podtap-ab12c\" must not include \"NET_RAW\" in securityContext.capabilities.add), unrestricted capabilities (container \"x\" must set securityContext.capabilities.drop=[\"ALL\"]; container \"x\" must not include \"NET_RAW\" in securityContext.capabilities.add)","reason":"Forbidden","details":{"name":"mypod","kind":"pods"},"code":403})J";
    const KubeStatus s = KubeStatus::fromBody(403, body);
    QVERIFY(s.parsed);
    QVERIFY(s.isPodSecurity());
    QCOMPARE(s.podSecurityLevel(), QStringLiteral("baseline"));
    const QStringList v = s.podSecurityViolations();
    QCOMPARE(v.size(), 2);
    QVERIFY(v[0].startsWith(QLatin1String("non-default capabilities (")));
    QVERIFY(s.explain().contains(QLatin1String("pod-security.kubernetes.io/enforce=privileged")));
    QVERIFY(s.explain().contains(QLatin1String("\"baseline\"")));
}

void TestKubeStatus::rbac()
{
    const QByteArray body
            = R"J({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"mypod\" is forbidden: User \"alice\" cannot patch resource \"pods/ephemeralcontainers\" in API group \"\" in the namespace \"default\"","reason":"Forbidden","details":{"name":"mypod","kind":"pods"},"code":403})J";
    const KubeStatus s = KubeStatus::fromBody(403, body);
    QVERIFY(!s.isPodSecurity());
    QCOMPARE(s.reason, QStringLiteral("Forbidden"));
    QVERIFY(s.explain().contains(
            QLatin1String("cannot patch resource \"pods/ephemeralcontainers\"")));
}

void TestKubeStatus::exitCode()
{
    const QByteArray ch3
            = R"J({"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: command terminated with exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}})J";
    QCOMPARE(KubeStatus::fromBody(0, ch3).exitCode(), 3);
    QCOMPARE(KubeStatus::fromBody(0, R"J({"metadata":{},"status":"Success"})J").exitCode(), -1);
    QCOMPARE(KubeStatus::fromBody(
                     0, R"J({"metadata":{},"status":"Failure","reason":"NonZeroExitCode"})J")
                     .exitCode(),
             -1);
}

void TestKubeStatus::notJson()
{
    const KubeStatus s = KubeStatus::fromBody(502, "<html>bad gateway</html>");
    QVERIFY(!s.parsed);
    QCOMPARE(s.httpCode, 502);
    QVERIFY(s.explain().contains(QLatin1String("502")));
}

void TestKubeStatus::jsonStreamAnyChunking()
{
    const QByteArray events
            = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a}{\\\"\"}}}\n"
              "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"7\"},\"x\":[{"
              "},[]]}}\n"
              "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":"
              "\"Expired\"}}\n";
    for (int step = 1; step <= events.size(); ++step) {
        JsonObjectStream s;
        QList<QByteArray> all;
        for (qsizetype i = 0; i < events.size(); i += step)
            all += s.feed(events.mid(i, step));
        QCOMPARE(all.size(), 3);
        QCOMPARE(QJsonDocument::fromJson(all[0])
                         .object()[QLatin1String("object")][QLatin1String("metadata")]
                                  [QLatin1String("name")]
                         .toString(),
                 QStringLiteral("a}{\""));
        QCOMPARE(KubeStatus::fromJson(QJsonDocument::fromJson(all[2])
                                              .object()[QLatin1String("object")]
                                              .toObject())
                         .httpCode,
                 410);
        QCOMPARE(s.pending(), qsizetype(0));
    }
}

void TestKubeStatus::jsonStreamGarbageAndBounds()
{
    JsonObjectStream s;
    QVERIFY(s.feed("{\"a\":1}\nxyz").size() == 1);
    QVERIFY(s.failed());
    JsonObjectStream small(100);
    small.feed("{\"a\":\"" + QByteArray(200, 'x'));
    QVERIFY(small.failed());
    QVERIFY(small.error().contains(QLatin1String("100")));
}

QTEST_GUILESS_MAIN(TestKubeStatus)
#include "tst_kubestatus.moc"
