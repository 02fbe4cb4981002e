// The target picker's daemon side end to end: a real podtapd answers kube.contexts,
// kube.namespaces, kube.targets and kube.preflight through podtap::IpcClient from kubesim
// (scenarios/picker.yaml): what a user may list, what is forbidden and what to ask for,
// Pod Security and RBAC failures in preflight, bad input, and a client that disconnects.
#include "../gui/daemonprocess.h"
#include "ipc/ipcclient.h"
#include "support/kubesimprocess.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

#include <unistd.h>

using namespace Qt::StringLiterals;
using podtap::IpcClient;

namespace {
constexpr char Canary[] = "podtap-browser-canary-51c0";

QJsonObject find(const QJsonArray &list, const QString &key, const QString &value)
{
    for (const QJsonValue v : list)
        if (v[key].toString() == value)
            return v.toObject();
    return {};
}

QString text(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}
} // namespace

class TestKubeBrowser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void contexts();
    void contextsErrors_data();
    void contextsErrors();
    void namespaces();
    void namespacesForbidden();
    void targetsShop();
    void targetsPartial();
    void targetsEmptyAndForbidden();
    void preflight_data();
    void preflight();
    void preflightErrors_data();
    void preflightErrors();
    void preflightUnknownTapProfile();
    void touchesNothing();
    void disconnectedClient();
    void environmentNeverLogged();

private:
    IpcClient::Reply call(const QString &method, QJsonObject params, int *ms = nullptr);
    QJsonObject base(const QString &context = u"tapper"_s) const;

    QTemporaryDir m_dir;
    KubesimProcess m_kubesim;
    std::unique_ptr<DaemonProcess> m_daemon;
    QString m_socket;
    IpcClient m_client;
};

void TestKubeBrowser::initTestCase()
{
    if (geteuid() != 0)
        QSKIP("kubesim's pods are network namespaces: needs root");
    QVERIFY(m_dir.isValid());
    QString error;
    QVERIFY2(m_kubesim.start(QStringLiteral(SRCDIR "/scenarios/picker.yaml"), m_dir.path(), &error),
             qPrintable(error));
    m_socket = m_dir.filePath(u"podtapd.sock"_s);
    m_daemon = std::make_unique<DaemonProcess>(m_socket, m_dir.filePath(u"store"_s),
                                               m_dir.filePath(u"podtapd.log"_s));
    QVERIFY2(m_daemon->start(&error), qPrintable(error));
    m_client.connectToDaemon(m_socket, u"tst-kubebrowser"_s);
    QVERIFY(m_client.waitForReady(5000));
}

void TestKubeBrowser::cleanupTestCase()
{
    if (m_daemon)
        m_daemon->terminate();
    m_kubesim.stop();
}

QJsonObject TestKubeBrowser::base(const QString &context) const
{
    return {{u"kubeconfig"_s, QJsonArray{m_kubesim.kubeconfig()}},
            {u"environment"_s, QJsonObject{{u"PATH"_s, qEnvironmentVariable("PATH")},
                                           {u"PODTAP_TEST_SECRET"_s, QLatin1String(Canary)}}},
            {u"context"_s, context}};
}

IpcClient::Reply TestKubeBrowser::call(const QString &method, QJsonObject params, int *ms)
{
    QElapsedTimer t;
    t.start();
    const IpcClient::Reply r = m_client.requestAndWait(method, params, 40000);
    if (ms)
        *ms = int(t.elapsed());
    qInfo("%s %s → %s in %lld ms", qPrintable(method),
          qPrintable(params.value(u"namespace").toString()), r.ok ? "ok" : qPrintable(r.errorCode),
          qint64(t.elapsed()));
    return r;
}

void TestKubeBrowser::contexts()
{
    const auto r = call(u"kube.contexts"_s, base());
    QVERIFY2(r.ok, qPrintable(r.errorMessage));
    QCOMPARE(r.result[u"current"].toString(), u"tapper"_s);
    const QJsonArray list = r.result[u"contexts"].toArray();
    QCOMPARE(list.size(), 2);
    const QJsonObject tapper = find(list, u"name"_s, u"tapper"_s);
    QCOMPARE(tapper[u"user"].toString(), u"tapper"_s);
    QCOMPARE(tapper[u"authKind"].toString(), u"client-certificate"_s);
    QVERIFY(tapper[u"server"].toString().startsWith(u"https://127.0.0.1:"));
    QVERIFY(!tapper[u"cluster"].toString().isEmpty());
    QCOMPARE(find(list, u"name"_s, u"nobody"_s)[u"authKind"].toString(), u"token"_s);
    // Which kind of credential, never the credential.
    const QString all = text(r.result);
    QVERIFY2(!all.contains(u"picker-nobody-0123"), qPrintable(all));
    QVERIFY(!all.contains(u"PRIVATE KEY"));
    QVERIFY(!all.contains(u"BEGIN CERTIFICATE"));
}

void TestKubeBrowser::contextsErrors_data()
{
    QTest::addColumn<QByteArray>("content"); // empty: the file does not exist
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("mentions");
    QTest::addRow("missing") << QByteArray() << u"no-kubeconfig"_s << u"no kubeconfig found"_s;
    QTest::addRow("not yaml") << QByteArray("contexts: [\n  - {name: a\n  : ::\n")
                              << u"kubeconfig"_s << u"hostile"_s;
    QTest::addRow("wrong shape") << QByteArray("contexts: 42\nusers: oops\n") << u"no-contexts"_s
                                 << u"hostile"_s;
}

void TestKubeBrowser::contextsErrors()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, code);
    QFETCH(QString, mentions);
    const QString path = m_dir.filePath(u"hostile-%1"_s.arg(QLatin1String(QTest::currentDataTag())))
                                 .replace(u' ', u'-');
    if (!content.isEmpty()) {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(content);
    }
    QJsonObject p = base();
    p[u"kubeconfig"_s] = QJsonArray{path};
    const auto r = call(u"kube.contexts"_s, p);
    QVERIFY(!r.ok);
    QCOMPARE(r.errorCode, code);
    // Which file and why: a missing file names the path looked at, a bad one its name.
    QVERIFY2(r.errorMessage.contains(code == u"no-kubeconfig" ? mentions : path),
             qPrintable(r.errorMessage));
    qInfo("%s: %s", QTest::currentDataTag(), qPrintable(r.errorMessage));
}

void TestKubeBrowser::namespaces()
{
    const auto r = call(u"kube.namespaces"_s, base());
    QVERIFY2(r.ok, qPrintable(r.errorMessage));
    QStringList names;
    for (const QJsonValue v : r.result[u"namespaces"].toArray())
        names << v.toString();
    for (const QString &ns : {u"shop"_s, u"locked"_s, u"secret"_s, u"empty"_s, u"default"_s})
        QVERIFY2(names.contains(ns), qPrintable(names.join(u',')));
    QVERIFY(std::is_sorted(names.cbegin(), names.cend()));
    QCOMPARE(r.result[u"context"].toString(), u"tapper"_s);
}

void TestKubeBrowser::namespacesForbidden()
{
    const auto r = call(u"kube.namespaces"_s, base(u"nobody"_s));
    QVERIFY(!r.ok);
    QCOMPARE(r.errorCode, u"forbidden"_s);
    // The rule to ask for, and that typing a namespace still works.
    QVERIFY2(r.errorMessage.contains(u"resources: [\"namespaces\"], verbs: [\"list\"]"),
             qPrintable(r.errorMessage));
    QVERIFY(r.errorMessage.contains(u"type a namespace"));

    QJsonObject p = base();
    p[u"context"_s] = u"no-such-context"_s;
    const auto bad = call(u"kube.namespaces"_s, p);
    QVERIFY(!bad.ok);
    QCOMPARE(bad.errorCode, u"context"_s);
    QVERIFY2(bad.errorMessage.contains(u"no-such-context"), qPrintable(bad.errorMessage));
}

void TestKubeBrowser::targetsShop()
{
    QJsonObject p = base();
    p[u"namespace"_s] = u"shop"_s;
    int ms = 0;
    const auto r = call(u"kube.targets"_s, p, &ms);
    QVERIFY2(r.ok, qPrintable(r.errorMessage));
    QCOMPARE(r.result[u"namespace"].toString(), u"shop"_s);
    QVERIFY(r.result[u"forbidden"].toArray().isEmpty());
    const QJsonArray pods = r.result[u"pods"].toArray();
    QCOMPARE(pods.size(), 3);
    const QJsonObject web = find(pods, u"name"_s, u"web"_s);
    QCOMPARE(web[u"phase"].toString(), u"Running"_s);
    QCOMPARE(web[u"ready"].toString(), u"1/1"_s);
    QVERIFY(!web[u"ip"].toString().isEmpty());
    QVERIFY(!web[u"node"].toString().isEmpty());
    const QJsonArray ports = web[u"ports"].toArray();
    QCOMPARE(ports.size(), 2);
    QCOMPARE(ports[0][u"port"].toInt(), 8080);
    QCOMPARE(ports[0][u"name"].toString(), u"http"_s);
    QCOMPARE(ports[0][u"container"].toString(), u"app"_s);
    QCOMPARE(ports[0][u"protocol"].toString(), u"TCP"_s);
    QCOMPARE(ports[1][u"port"].toInt(), 9090);

    const QJsonArray workloads = r.result[u"workloads"].toArray();
    QCOMPARE(workloads.size(), 2);
    const QJsonObject api = find(workloads, u"name"_s, u"api"_s);
    QCOMPARE(api[u"kind"].toString(), u"deployment"_s);
    QCOMPARE(api[u"replicas"].toInt(), 1);
    QCOMPARE(api[u"ready"].toString(), u"1/1"_s);
    QCOMPARE(api[u"ports"][0][u"port"].toInt(), 8081);
    QCOMPARE(find(workloads, u"name"_s, u"db"_s)[u"kind"].toString(), u"statefulset"_s);
    QCOMPARE(find(workloads, u"name"_s, u"db"_s)[u"ports"][0][u"port"].toInt(), 5432);

    const QJsonArray services = r.result[u"services"].toArray();
    QCOMPARE(services.size(), 2);
    const QJsonObject svc = find(services, u"name"_s, u"web"_s);
    QCOMPARE(svc[u"ports"][0][u"port"].toInt(), 80);
    QCOMPARE(svc[u"ports"][0][u"targetPort"].toString(), u"http"_s); // named
    QCOMPARE(svc[u"ports"][0][u"podPort"].toInt(), 8080);            // resolved
    QCOMPARE(svc[u"pods"].toInt(), 1);
    QCOMPARE(find(services, u"name"_s, u"api"_s)[u"ports"][0][u"podPort"].toInt(), 8081);
    qInfo("kube.targets shop: %lld pods, %lld workloads, %lld services in %d ms",
          qint64(pods.size()), qint64(workloads.size()), qint64(services.size()), ms);
}

void TestKubeBrowser::targetsPartial()
{
    QJsonObject p = base();
    p[u"namespace"_s] = u"secret"_s;
    const auto r = call(u"kube.targets"_s, p);
    QVERIFY2(r.ok, qPrintable(r.errorMessage));
    QCOMPARE(r.result[u"pods"].toArray().size(), 1);
    QCOMPARE(r.result[u"pods"][0][u"name"].toString(), u"vault"_s);
    QCOMPARE(r.result[u"pods"][0][u"ports"][0][u"port"].toInt(), 8200);
    const QJsonArray forbidden = r.result[u"forbidden"].toArray();
    QStringList kinds;
    for (const QJsonValue f : forbidden)
        kinds << f[u"kind"].toString();
    kinds.sort();
    QCOMPARE(kinds, QStringList({u"deployments"_s, u"services"_s, u"statefulsets"_s}));
    const QJsonObject svc = find(forbidden, u"kind"_s, u"services"_s);
    QVERIFY2(svc[u"ask"].toString().contains(u"a Role in namespace secret"),
             qPrintable(svc[u"ask"].toString()));
    QVERIFY(svc[u"ask"].toString().contains(u"verbs: [\"list\"]"));
    QVERIFY2(svc[u"why"].toString().contains(u"forbidden", Qt::CaseInsensitive),
             qPrintable(svc[u"why"].toString()));
    QVERIFY(find(forbidden, u"kind"_s, u"deployments"_s)[u"ask"].toString().contains(
            u"apiGroups: [\"apps\"]"));
}

void TestKubeBrowser::targetsEmptyAndForbidden()
{
    QJsonObject p = base();
    p[u"namespace"_s] = u"empty"_s;
    const auto empty = call(u"kube.targets"_s, p);
    QVERIFY2(empty.ok, qPrintable(empty.errorMessage));
    QVERIFY(empty.result[u"pods"].toArray().isEmpty());
    QVERIFY(empty.result[u"services"].toArray().isEmpty());

    p = base(u"nobody"_s);
    p[u"namespace"_s] = u"shop"_s;
    const auto none = call(u"kube.targets"_s, p);
    QVERIFY(!none.ok);
    QCOMPARE(none.errorCode, u"forbidden"_s);
    QVERIFY2(none.errorMessage.contains(u"resources: [\"pods\"]"), qPrintable(none.errorMessage));
    QVERIFY(none.errorMessage.contains(u"namespace shop"));
}

void TestKubeBrowser::preflight_data()
{
    QTest::addColumn<QString>("ns");
    QTest::addColumn<QString>("target");
    QTest::addColumn<int>("port");
    QTest::addColumn<bool>("passed");
    QTest::addColumn<QString>("pod");
    QTest::addColumn<int>("podPort");
    QTest::addColumn<QString>("failingItem"); // empty: none fails
    QTest::addColumn<QString>("ask");
    QTest::addRow("pod") << u"shop"_s << u"web"_s << 8080 << true << u"web"_s << 8080 << QString()
                         << QString();
    QTest::addRow("deployment") << u"shop"_s << u"deployment/api"_s << 8081 << true << u"api-0"_s
                                << 8081 << QString() << QString();
    QTest::addRow("statefulset") << u"shop"_s << u"statefulset/db"_s << 5432 << true << u"db-0"_s
                                 << 5432 << QString() << QString();
    QTest::addRow("service named port") << u"shop"_s << u"service/web"_s << 80 << true << u"web"_s
                                        << 8080 << QString() << QString();
    QTest::addRow("restricted namespace")
            << u"locked"_s << u"strict"_s << 8080 << false << u"strict"_s << 8080
            << u"podsecurity"_s << u"pod-security.kubernetes.io/enforce=privileged"_s;
    QTest::addRow("rbac") << u"secret"_s << u"vault"_s << 8200 << false << u"vault"_s << 8200
                          << u"rbac.patch-pods-ephemeralcontainers"_s
                          << u"resources: [\"pods/ephemeralcontainers\"], verbs: [\"patch\"]"_s;
}

void TestKubeBrowser::preflight()
{
    QFETCH(QString, ns);
    QFETCH(QString, target);
    QFETCH(int, port);
    QFETCH(bool, passed);
    QFETCH(QString, pod);
    QFETCH(int, podPort);
    QFETCH(QString, failingItem);
    QFETCH(QString, ask);
    QJsonObject p = base();
    p[u"namespace"_s] = ns;
    p[u"target"_s] = target;
    p[u"port"_s] = port;
    int ms = 0;
    const auto r = call(u"kube.preflight"_s, p, &ms);
    QVERIFY2(r.ok, qPrintable(r.errorMessage));
    QCOMPARE(r.result[u"passed"].toBool(), passed);
    QCOMPARE(r.result[u"podPort"].toInt(), podPort);
    const QJsonArray pods = r.result[u"pods"].toArray();
    QCOMPARE(pods.size(), 1);
    QCOMPARE(pods[0][u"pod"].toString(), pod);
    QCOMPARE(pods[0][u"passed"].toBool(), passed);
    const QJsonArray items = pods[0][u"items"].toArray();
    QVERIFY(items.size() >= 10); // pod, tap, image, 6 RBAC verbs, Pod Security
    for (const QJsonValue i : items) {
        QVERIFY(!i[u"title"].toString().isEmpty());
        QVERIFY(!i[u"why"].toString().isEmpty());
        const QString status = i[u"status"].toString();
        if (i[u"id"].toString() == failingItem) {
            QCOMPARE(status, u"fail"_s);
            QVERIFY2(i[u"ask"].toString().contains(ask), qPrintable(i[u"ask"].toString()));
        } else if (failingItem.isEmpty()) {
            QVERIFY2(status != u"fail", qPrintable(text(i.toObject())));
        }
    }
    if (!failingItem.isEmpty())
        QVERIFY2(!find(items, u"id"_s, failingItem).isEmpty(), qPrintable(text(r.result)));
    qInfo("preflight %s/%s: %s, %lld items in %d ms", qPrintable(ns), qPrintable(target),
          passed ? "passed" : "failed", qint64(items.size()), ms);
}

void TestKubeBrowser::preflightErrors_data()
{
    QTest::addColumn<QString>("target");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("mentions");
    QTest::addRow("no target") << QString() << 80 << u"invalid"_s << u"needs a target"_s;
    QTest::addRow("bad port") << u"web"_s << 70000 << u"invalid"_s << u"1-65535"_s;
    QTest::addRow("unknown pod") << u"ghost"_s << 80 << u"target"_s << u"ghost"_s;
    QTest::addRow("empty part") << u"deployment/"_s << 80 << u"invalid"_s << u"empty part"_s;
    QTest::addRow("too many parts") << u"a/b/c/d"_s << 80 << u"invalid"_s << u"a/b/c/d"_s;
    QTest::addRow("no pods") << u"service/nothing"_s << 80 << u"target"_s << u"nothing"_s;
}

void TestKubeBrowser::preflightErrors()
{
    QFETCH(QString, target);
    QFETCH(int, port);
    QFETCH(QString, code);
    QFETCH(QString, mentions);
    QJsonObject p = base();
    p[u"namespace"_s] = u"shop"_s;
    p[u"target"_s] = target;
    p[u"port"_s] = port;
    const auto r = call(u"kube.preflight"_s, p);
    QVERIFY(!r.ok);
    QCOMPARE(r.errorCode, code);
    QVERIFY2(r.errorMessage.contains(mentions), qPrintable(r.errorMessage));
}

void TestKubeBrowser::preflightUnknownTapProfile()
{
    QJsonObject p = base();
    p[u"namespace"_s] = u"shop"_s;
    p[u"target"_s] = u"web"_s;
    p[u"port"_s] = 8080;
    p[u"tapProfile"_s] = u"root"_s;
    const auto r = call(u"kube.preflight"_s, p);
    QVERIFY(!r.ok);
    QCOMPARE(r.errorCode, u"invalid"_s);
    QVERIFY2(r.errorMessage.contains(u"unknown tap profile 'root'"), qPrintable(r.errorMessage));
}

void TestKubeBrowser::touchesNothing()
{
    // Preflight ran for every pod above; none may have a tap (an ephemeral container).
    for (const QString &ns : {u"shop"_s, u"locked"_s, u"secret"_s}) {
        QJsonObject p = base();
        p[u"namespace"_s] = ns;
        const auto r = call(u"kube.targets"_s, p);
        QVERIFY2(r.ok, qPrintable(r.errorMessage));
        for (const QJsonValue pod : r.result[u"pods"].toArray())
            QVERIFY2(!pod.toObject().contains(u"tap"), qPrintable(text(pod.toObject())));
    }
}

void TestKubeBrowser::disconnectedClient()
{
    // Clients that go away with requests in flight: the daemon drops the work and lives on.
    for (int i = 0; i < 5; ++i) {
        auto *gone = new IpcClient;
        gone->connectToDaemon(m_socket, u"tst-gone"_s);
        QVERIFY(gone->waitForReady(5000));
        QJsonObject p = base();
        p[u"namespace"_s] = u"shop"_s;
        p[u"target"_s] = u"web"_s;
        p[u"port"_s] = 8080;
        gone->request(u"kube.preflight"_s, p, gone, [](const IpcClient::Reply &) {});
        gone->request(u"kube.targets"_s, p, gone, [](const IpcClient::Reply &) {});
        QTest::qWait(i * 5);
        delete gone;
    }
    const auto status = call(u"daemon.status"_s, {});
    QVERIFY(status.ok);
    QVERIFY(m_daemon->isRunning());
    // And still answers kube.* right after.
    QJsonObject p = base();
    p[u"namespace"_s] = u"shop"_s;
    QVERIFY(call(u"kube.targets"_s, p).ok);
}

void TestKubeBrowser::environmentNeverLogged()
{
    QFile log(m_dir.filePath(u"podtapd.log"_s));
    QVERIFY(log.open(QIODevice::ReadOnly));
    QVERIFY(!log.readAll().contains(Canary));
    // Nor in the store.
    const QStringList files
            = QDir(m_dir.filePath(u"store"_s)).entryList(QDir::Files | QDir::NoDotAndDotDot);
    for (const QString &f : files) {
        QFile file(m_dir.filePath(u"store/"_s + f));
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY2(!file.readAll().contains(Canary), qPrintable(f));
    }
}

QTEST_GUILESS_MAIN(TestKubeBrowser)
#include "tst_kubebrowser.moc"
