// kubeconfig loading and merging, checked against the real kubectl on the same files.
#include "kube/clusteraccess.h"
#include "kube/kubeconfig.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap;

namespace {
void writeFile(const QString &path, const QByteArray &content)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(content);
}

const QByteArray fileA = R"(apiVersion: v1
kind: Config
current-context: alpha
clusters:
- name: shared
  cluster:
    server: https://a.example:6443
    certificate-authority: ca-a.crt
- name: only-a
  cluster:
    server: https://only-a.example
users:
- name: alice
  user:
    token: secret-a
contexts:
- name: alpha
  context: {cluster: shared, user: alice, namespace: team-a}
- name: plain
  context: {cluster: only-a, user: alice}
)";

const QByteArray fileB = R"(apiVersion: v1
kind: Config
current-context: beta
clusters:
- name: shared
  cluster:
    server: https://b.example:6443
    certificate-authority: ../ca-b.crt
- name: only-b
  cluster:
    server: https://only-b.example
    tls-server-name: api.internal
users:
- name: alice
  user:
    token: secret-b
- name: bob
  user:
    tokenFile: bob.token
    as: impersonated
    as-groups: [g1, g2]
contexts:
- name: beta
  context: {cluster: only-b, user: bob, namespace: team-b}
- name: alpha
  context: {cluster: only-b, user: bob}
)";
} // namespace

class TestKubeconfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void mergeRulesAndRelativePaths();
    void agreesWithKubectl_data();
    void agreesWithKubectl();
    void validationErrors_data();
    void validationErrors();
    void yamlErrorNamesLine();
    void authHeaders();
};

void TestKubeconfig::mergeRulesAndRelativePaths()
{
    QTemporaryDir dir;
    writeFile(dir.filePath(QStringLiteral("a.yaml")), fileA);
    writeFile(dir.filePath(QStringLiteral("sub/b.yaml")), fileB);
    auto kc = Kubeconfig::loadFiles({dir.filePath(QStringLiteral("a.yaml")),
                                     dir.filePath(QStringLiteral("sub/b.yaml")),
                                     dir.filePath(QStringLiteral("missing.yaml"))});
    QVERIFY2(kc.ok(), qPrintable(kc.error()));
    QCOMPARE(kc->currentContext(), QStringLiteral("alpha")); // first file wins
    QCOMPARE(kc->contexts().size(), 3);
    QCOMPARE(kc->context(QStringLiteral("alpha"))->cluster, QStringLiteral("shared"));
    QCOMPARE(kc->cluster(QStringLiteral("shared"))->server,
             QStringLiteral("https://a.example:6443"));
    QCOMPARE(kc->cluster(QStringLiteral("shared"))->certificateAuthorityFile,
             dir.filePath(QStringLiteral("ca-a.crt")));
    QCOMPARE(kc->user(QStringLiteral("alice"))->token, QStringLiteral("secret-a"));
    QCOMPARE(kc->user(QStringLiteral("bob"))->tokenFile,
             dir.filePath(QStringLiteral("sub/bob.token")));

    // Reversed order flips the winners.
    auto rev = Kubeconfig::loadFiles(
            {dir.filePath(QStringLiteral("sub/b.yaml")), dir.filePath(QStringLiteral("a.yaml"))});
    QVERIFY(rev.ok());
    QCOMPARE(rev->currentContext(), QStringLiteral("beta"));
    QCOMPARE(rev->cluster(QStringLiteral("shared"))->certificateAuthorityFile,
             dir.filePath(QStringLiteral("ca-b.crt")));
    QCOMPARE(rev->context(QStringLiteral("alpha"))->cluster, QStringLiteral("only-b"));
}

void TestKubeconfig::agreesWithKubectl_data()
{
    QTest::addColumn<bool>("reversed");
    QTest::addRow("a:b") << false;
    QTest::addRow("b:a") << true;
}

void TestKubeconfig::agreesWithKubectl()
{
    QFETCH(bool, reversed);
    const QString kubectl = QStandardPaths::findExecutable(QStringLiteral("kubectl"));
    if (kubectl.isEmpty())
        QSKIP("kubectl is not installed: cannot compare with the reference client");
    QTemporaryDir dir;
    const QString a = dir.filePath(QStringLiteral("a.yaml"));
    const QString b = dir.filePath(QStringLiteral("sub/b.yaml"));
    writeFile(a, fileA);
    writeFile(b, fileB);
    const QString list = reversed ? b + QLatin1Char(':') + a : a + QLatin1Char(':') + b;

    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("KUBECONFIG"), list);
    env.insert(QStringLiteral("HOME"), dir.path());
    QProcess ref;
    ref.setProcessEnvironment(env);
    ref.start(kubectl, {QStringLiteral("config"), QStringLiteral("view"), QStringLiteral("-o"),
                        QStringLiteral("json")});
    QVERIFY(ref.waitForFinished(30000));
    QCOMPARE(ref.exitCode(), 0);
    const QJsonObject kube = QJsonDocument::fromJson(ref.readAllStandardOutput()).object();

    QProcess ours;
    ours.setProcessEnvironment(env);
    ours.start(QStringLiteral(BINDIR "/cli/podtap"),
               {QStringLiteral("contexts"), QStringLiteral("--json")});
    QVERIFY(ours.waitForFinished(30000));
    QCOMPARE(ours.exitCode(), 0);
    const QJsonObject mine = QJsonDocument::fromJson(ours.readAllStandardOutput()).object();

    QCOMPARE(mine.value(QLatin1String("current")).toString(),
             kube.value(QLatin1String("current-context")).toString());
    QMap<QString, QString> servers;
    for (const QJsonValue c : kube.value(QLatin1String("clusters")).toArray())
        servers.insert(c[QLatin1String("name")].toString(),
                       c[QLatin1String("cluster")][QLatin1String("server")].toString());
    QMap<QString, QJsonObject> theirs;
    for (const QJsonValue c : kube.value(QLatin1String("contexts")).toArray())
        theirs.insert(c[QLatin1String("name")].toString(), c[QLatin1String("context")].toObject());
    const QJsonArray ctxs = mine.value(QLatin1String("contexts")).toArray();
    QCOMPARE(ctxs.size(), theirs.size());
    for (const QJsonValue v : ctxs) {
        const QString name = v[QLatin1String("name")].toString();
        QVERIFY2(theirs.contains(name), qPrintable(name));
        const QJsonObject t = theirs.value(name);
        QCOMPARE(v[QLatin1String("cluster")].toString(), t[QLatin1String("cluster")].toString());
        QCOMPARE(v[QLatin1String("user")].toString(), t[QLatin1String("user")].toString());
        QCOMPARE(v[QLatin1String("namespace")].toString(),
                 t[QLatin1String("namespace")].toString());
        QCOMPARE(v[QLatin1String("server")].toString(),
                 servers.value(t[QLatin1String("cluster")].toString()));
    }
}

void TestKubeconfig::validationErrors_data()
{
    QTest::addColumn<QByteArray>("user");
    QTest::addColumn<QByteArray>("clusterExtra");
    QTest::addColumn<QString>("expected");
    QTest::addRow("insecure with CA")
            << QByteArray("{token: t}")
            << QByteArray("insecure-skip-tls-verify: true\n    certificate-authority-data: Zm9v")
            << QStringLiteral("root certificates file with the insecure flag is not allowed");
    QTest::addRow("token and basic")
            << QByteArray("{token: t, username: u, password: p}") << QByteArray()
            << QStringLiteral("more than one authentication method");
    QTest::addRow("cert without key") << QByteArray("{client-certificate-data: Zm9v}")
                                      << QByteArray() << QStringLiteral("needs its key");
    QTest::addRow("auth-provider") << QByteArray("{auth-provider: {name: gcp}}") << QByteArray()
                                   << QStringLiteral("gke-gcloud-auth-plugin");
}

void TestKubeconfig::validationErrors()
{
    QFETCH(QByteArray, user);
    QFETCH(QByteArray, clusterExtra);
    QFETCH(QString, expected);
    const QByteArray yaml
            = "clusters:\n- name: c\n  cluster:\n    server: https://h:1\n    " + clusterExtra
              + "\nusers:\n- name: u\n  user: " + user
              + "\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n";
    auto kc = Kubeconfig::parse(yaml, QStringLiteral("/tmp/kc.yaml"));
    QVERIFY2(kc.ok(), qPrintable(kc.error()));
    auto access = ClusterAccess::fromKubeconfig(kc.value());
    QVERIFY(!access.ok());
    QVERIFY2(access.error().contains(expected), qPrintable(access.error()));
}

void TestKubeconfig::yamlErrorNamesLine()
{
    auto kc = Kubeconfig::parse("clusters:\n- name: c\n  cluster: {server: [unclosed\n",
                                QStringLiteral("/tmp/broken.yaml"));
    QVERIFY(!kc.ok());
    QVERIFY2(kc.error().startsWith(QLatin1String("/tmp/broken.yaml:")), qPrintable(kc.error()));
    auto bad = Kubeconfig::parse("clusters:\n- name: c\n  cluster:\n    server: x\n    "
                                 "certificate-authority-data: '***'\n",
                                 QStringLiteral("/tmp/b64.yaml"));
    QVERIFY(!bad.ok());
    QVERIFY2(bad.error().contains(QLatin1String("base64")), qPrintable(bad.error()));
}

void TestKubeconfig::authHeaders()
{
    QTemporaryDir dir;
    writeFile(dir.filePath(QStringLiteral("a.yaml")), fileA);
    writeFile(dir.filePath(QStringLiteral("sub/b.yaml")), fileB);
    writeFile(dir.filePath(QStringLiteral("sub/bob.token")), "first-token\n");
    auto kc = Kubeconfig::loadFiles({dir.filePath(QStringLiteral("sub/b.yaml"))});
    QVERIFY(kc.ok());
    auto access = ClusterAccess::fromKubeconfig(kc.value(), QStringLiteral("beta"));
    QVERIFY2(access.ok(), qPrintable(access.error()));
    QCOMPARE(access->authKind(), ClusterAccess::AuthKind::TokenFile);
    QCOMPARE(access->defaultNamespace(), QStringLiteral("team-b"));
    auto h = access->authHeaders(nullptr);
    QVERIFY(h.ok());
    QVERIFY(h->contains(
            {QByteArrayLiteral("Authorization"), QByteArrayLiteral("Bearer first-token")}));
    QVERIFY(h->contains(
            {QByteArrayLiteral("Impersonate-User"), QByteArrayLiteral("impersonated")}));
    QVERIFY(h->contains({QByteArrayLiteral("Impersonate-Group"), QByteArrayLiteral("g2")}));
    // tokenFile is re-read: a rotated token is used without reloading the kubeconfig.
    writeFile(dir.filePath(QStringLiteral("sub/bob.token")), "rotated\n");
    h = access->authHeaders(nullptr);
    QVERIFY(h->contains({QByteArrayLiteral("Authorization"), QByteArrayLiteral("Bearer rotated")}));
}

QTEST_GUILESS_MAIN(TestKubeconfig)
#include "tst_kubeconfig.moc"
