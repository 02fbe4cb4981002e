// The daemon-wide exec credential cache with real plugin processes: shell scripts written by
// the test that count their runs in a file, sleep, fail or hang on demand.
#include "kube/credentialcache.h"

#include <QDateTime>
#include <QFile>
#include <QPointer>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <optional>

using namespace podtap;

namespace {
const QString V1 = QStringLiteral("client.authentication.k8s.io/v1");

// A plugin that appends to `runs`, sleeps $PLUGIN_SLEEP seconds (default 0), then prints
// token "tok-N" (N: this run's number) expiring in $PLUGIN_TTL seconds when set; exits 1 with
// a message on stderr when the file `fail` exists.
const char PluginBody[] = "d=\"$(dirname \"$0\")\"\n"
                          "echo run >> \"$d/runs\"\n"
                          "n=$(wc -l < \"$d/runs\" | tr -d ' ')\n"
                          "sleep \"${PLUGIN_SLEEP:-0}\"\n"
                          "if [ -e \"$d/fail\" ]; then echo 'the SSO session has expired, run aws "
                          "sso login' >&2; exit 1; fi\n"
                          "exp=''\n"
                          "if [ -n \"$PLUGIN_TTL\" ]; then\n"
                          "  exp=\",\\\"expirationTimestamp\\\":\\\"$(date -u -d \"+$PLUGIN_TTL "
                          "seconds\" +%Y-%m-%dT%H:%M:%SZ)\\\"\"\n"
                          "fi\n"
                          "printf "
                          "'{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication."
                          "k8s.io/v1\",\"status\":{\"token\":\"tok-%s\"%s}}' \"$n\" \"$exp\"\n";

struct Answer
{
    std::optional<Result<ExecCredential>> result;
};
} // namespace

class TestCredentialCache : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void concurrentRequestsShareOneRun();
    void cachedUntilExpiry();
    void expiredCredentialRerunsEachTime();
    void failureReachesEveryWaiter();
    void hangingPluginFailsEveryWaiter();
    void rejectionRerunsOnce();
    void goneContextIsNotCalled();
    void keying_data();
    void keying();

private:
    int runs() const;
    CredentialSource source(const QProcessEnvironment &extra = {}) const;
    // Asks the cache `n` times; the answers arrive in the returned list.
    QList<std::shared_ptr<Answer>> ask(CredentialCache &cache, const CredentialSource &s, int n);
    static bool allAnswered(const QList<std::shared_ptr<Answer>> &answers);

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_plugin;
    QObject m_context;
};

void TestCredentialCache::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_plugin = m_dir->filePath(QStringLiteral("plugin"));
    QFile f(m_plugin);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray("#!/bin/sh\n") + PluginBody);
    f.close();
    QVERIFY(f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner
                             | QFileDevice::ExeOwner));
}

int TestCredentialCache::runs() const
{
    QFile f(m_dir->filePath(QStringLiteral("runs")));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    return int(f.readAll().count('\n'));
}

CredentialSource TestCredentialCache::source(const QProcessEnvironment &extra) const
{
    ExecPluginConfig cfg;
    cfg.command = m_plugin;
    cfg.apiVersion = V1;
    KubeCluster cluster;
    cluster.name = QStringLiteral("c");
    cluster.server = QStringLiteral("https://127.0.0.1:6443");
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const QString &k : extra.keys())
        env.insert(k, extra.value(k));
    return CredentialSource::make(cfg, cluster, env);
}

QList<std::shared_ptr<Answer>> TestCredentialCache::ask(CredentialCache &cache,
                                                        const CredentialSource &s, int n)
{
    QList<std::shared_ptr<Answer>> answers;
    for (int i = 0; i < n; ++i) {
        auto a = std::make_shared<Answer>();
        answers << a;
        cache.get(s, &m_context, [a](const Result<ExecCredential> &r) { a->result = r; });
    }
    return answers;
}

bool TestCredentialCache::allAnswered(const QList<std::shared_ptr<Answer>> &answers)
{
    for (const auto &a : answers)
        if (!a->result)
            return false;
    return true;
}

void TestCredentialCache::concurrentRequestsShareOneRun()
{
    // Eight requests while a 1 s plugin runs: one process, every request gets its token,
    // and none is answered before the run ends (the caller's event loop kept running).
    CredentialCache cache;
    QProcessEnvironment env;
    env.insert(QStringLiteral("PLUGIN_SLEEP"), QStringLiteral("1"));
    const auto s = source(env);
    const auto answers = ask(cache, s, 8);
    QCOMPARE(cache.running(), 1);
    QTest::qWait(300);
    for (const auto &a : answers)
        QVERIFY(!a->result);
    QTRY_VERIFY_WITH_TIMEOUT(allAnswered(answers), 10000);
    for (const auto &a : answers) {
        QVERIFY2(a->result->ok(), qPrintable(a->result->error()));
        QCOMPARE(a->result->value().token, QStringLiteral("tok-1"));
    }
    QCOMPARE(runs(), 1);
    QCOMPARE(cache.runs(), 1);
    QCOMPARE(cache.running(), 0);
    // Cached now (no expiry): answered at once, no run.
    const auto again = ask(cache, s, 3);
    QVERIFY(allAnswered(again));
    QCOMPARE(again.first()->result->value().token, QStringLiteral("tok-1"));
    QCOMPARE(runs(), 1);
}

void TestCredentialCache::cachedUntilExpiry()
{
    CredentialCache cache;
    QProcessEnvironment env;
    env.insert(QStringLiteral("PLUGIN_TTL"), QStringLiteral("3"));
    const auto s = source(env);
    auto first = ask(cache, s, 1);
    QTRY_VERIFY_WITH_TIMEOUT(allAnswered(first), 10000);
    QVERIFY2(first.first()->result->ok(), qPrintable(first.first()->result->error()));
    QVERIFY(first.first()->result->value().expiration.isValid());
    // Within its lifetime (less the margin, half of 3 s at most): from the cache.
    auto cached = ask(cache, s, 4);
    QVERIFY(allAnswered(cached));
    QCOMPARE(cached.first()->result->value().token, QStringLiteral("tok-1"));
    QCOMPARE(runs(), 1);
    // Past expiry minus the margin: the next request runs the plugin again.
    QTest::qWait(3200);
    auto renewed = ask(cache, s, 2);
    QVERIFY(!allAnswered(renewed));
    QTRY_VERIFY_WITH_TIMEOUT(allAnswered(renewed), 10000);
    QCOMPARE(renewed.first()->result->value().token, QStringLiteral("tok-2"));
    QCOMPARE(renewed.last()->result->value().token, QStringLiteral("tok-2"));
    QCOMPARE(runs(), 2);
}

void TestCredentialCache::expiredCredentialRerunsEachTime()
{
    // A plugin that answers an already expired credential: used once by the requests that
    // waited for it, never cached.
    CredentialCache cache;
    QProcessEnvironment env;
    env.insert(QStringLiteral("PLUGIN_TTL"), QStringLiteral("-60"));
    const auto s = source(env);
    for (int i = 1; i <= 3; ++i) {
        auto a = ask(cache, s, 2);
        QTRY_VERIFY_WITH_TIMEOUT(allAnswered(a), 10000);
        QVERIFY(a.first()->result->ok());
        QCOMPARE(runs(), i);
    }
}

void TestCredentialCache::failureReachesEveryWaiter()
{
    CredentialCache cache;
    QFile fail(m_dir->filePath(QStringLiteral("fail")));
    QVERIFY(fail.open(QIODevice::WriteOnly));
    fail.close();
    const auto s = source();
    auto answers = ask(cache, s, 5);
    QTRY_VERIFY_WITH_TIMEOUT(allAnswered(answers), 10000);
    for (const auto &a : answers) {
        QVERIFY(!a->result->ok());
        // The plugin's stderr is what tells the user what to do.
        QVERIFY2(a->result->error().contains(QLatin1String("run aws sso login"))
                         && a->result->error().contains(m_plugin),
                 qPrintable(a->result->error()));
    }
    QCOMPARE(runs(), 1);
    // Nothing was cached: after the user logged in, the next request runs it again.
    QVERIFY(fail.remove());
    answers = ask(cache, s, 1);
    QTRY_VERIFY_WITH_TIMEOUT(allAnswered(answers), 10000);
    QVERIFY(answers.first()->result->ok());
    QCOMPARE(answers.first()->result->value().token, QStringLiteral("tok-2"));
}

void TestCredentialCache::hangingPluginFailsEveryWaiter()
{
    CredentialCache cache;
    cache.setTimeout(800);
    QProcessEnvironment env;
    env.insert(QStringLiteral("PLUGIN_SLEEP"), QStringLiteral("60"));
    const auto answers = ask(cache, source(env), 3);
    QTRY_VERIFY_WITH_TIMEOUT(allAnswered(answers), 10000);
    for (const auto &a : answers)
        QVERIFY2(!a->result->ok()
                         && a->result->error().contains(QLatin1String("did not finish within"))
                         && a->result->error().contains(m_plugin),
                 qPrintable(a->result->error()));
    QCOMPARE(cache.running(), 0);
    QCOMPARE(cache.runs(), 1);
    // The killed run is reaped by the event loop, then deleted (never waited for).
    QTRY_COMPARE(cache.findChildren<ExecCredentialPlugin *>().size(), 0);
}

void TestCredentialCache::rejectionRerunsOnce()
{
    CredentialCache cache;
    const auto s = source();
    auto first = ask(cache, s, 1);
    QTRY_VERIFY_WITH_TIMEOUT(allAnswered(first), 10000);
    const ExecCredential rejected = first.first()->result->value();
    QCOMPARE(rejected.token, QStringLiteral("tok-1"));

    // Three requests were answered 401 with tok-1: one re-run serves all their retries.
    cache.reject(s.key, rejected);
    auto retries = ask(cache, s, 1);
    cache.reject(s.key, rejected); // arrives while the re-run is in flight: no effect
    retries += ask(cache, s, 1);
    QTRY_VERIFY_WITH_TIMEOUT(allAnswered(retries), 10000);
    cache.reject(s.key, rejected); // arrives after: tok-1 is not the cached one any more
    retries += ask(cache, s, 1);
    QVERIFY(allAnswered(retries));
    for (const auto &a : retries)
        QCOMPARE(a->result->value().token, QStringLiteral("tok-2"));
    QCOMPARE(runs(), 2);

    // The new credential rejected in turn: one more run, no loop.
    cache.reject(s.key, retries.first()->result->value());
    auto third = ask(cache, s, 1);
    QTRY_VERIFY_WITH_TIMEOUT(allAnswered(third), 10000);
    QCOMPARE(third.first()->result->value().token, QStringLiteral("tok-3"));
    QCOMPARE(runs(), 3);
}

void TestCredentialCache::goneContextIsNotCalled()
{
    CredentialCache cache;
    QProcessEnvironment env;
    env.insert(QStringLiteral("PLUGIN_SLEEP"), QStringLiteral("0.5"));
    const auto s = source(env);
    auto *gone = new QObject;
    bool goneCalled = false;
    cache.get(s, gone, [&](const Result<ExecCredential> &) { goneCalled = true; });
    const auto kept = ask(cache, s, 1);
    delete gone;
    QTRY_VERIFY_WITH_TIMEOUT(allAnswered(kept), 10000);
    QVERIFY(!goneCalled);
    QCOMPARE(runs(), 1);
}

void TestCredentialCache::keying_data()
{
    QTest::addColumn<QString>("change");
    QTest::addColumn<bool>("sameKey");
    QTest::addRow("shell's PWD") << QStringLiteral("PWD") << true;
    QTest::addRow("shell's SHLVL") << QStringLiteral("SHLVL") << true;
    QTest::addRow("AWS_PROFILE") << QStringLiteral("AWS_PROFILE") << false;
    QTest::addRow("plugin args") << QStringLiteral("args") << false;
    QTest::addRow("plugin env") << QStringLiteral("env") << false;
    QTest::addRow("apiVersion") << QStringLiteral("apiVersion") << false;
    QTest::addRow("server, no provideClusterInfo") << QStringLiteral("server") << true;
    QTest::addRow("server, provideClusterInfo") << QStringLiteral("server+info") << false;
    QTest::addRow("CA, provideClusterInfo") << QStringLiteral("ca+info") << false;
    QTest::addRow("user name only") << QStringLiteral("clusterName") << true;
}

void TestCredentialCache::keying()
{
    QFETCH(QString, change);
    QFETCH(bool, sameKey);
    ExecPluginConfig cfg;
    cfg.command = QStringLiteral("aws");
    cfg.args = {QStringLiteral("eks"), QStringLiteral("get-token")};
    cfg.apiVersion = V1;
    KubeCluster cluster;
    cluster.name = QStringLiteral("prod");
    cluster.server = QStringLiteral("https://a.example:443");
    cluster.certificateAuthorityData = "CA1";
    QProcessEnvironment env;
    env.insert(QStringLiteral("HOME"), QStringLiteral("/home/u"));
    env.insert(QStringLiteral("PWD"), QStringLiteral("/home/u"));
    env.insert(QStringLiteral("SHLVL"), QStringLiteral("1"));
    env.insert(QStringLiteral("AWS_PROFILE"), QStringLiteral("dev"));
    if (change.endsWith(QLatin1String("+info")))
        cfg.provideClusterInfo = true;
    const QByteArray before = CredentialSource::make(cfg, cluster, env).key;
    if (change == QLatin1String("PWD") || change == QLatin1String("SHLVL")
        || change == QLatin1String("AWS_PROFILE"))
        env.insert(change, QStringLiteral("other"));
    else if (change == QLatin1String("args"))
        cfg.args << QStringLiteral("--cluster-name=b");
    else if (change == QLatin1String("env"))
        cfg.env << qMakePair(QStringLiteral("AWS_REGION"), QStringLiteral("eu-west-1"));
    else if (change == QLatin1String("apiVersion"))
        cfg.apiVersion = QStringLiteral("client.authentication.k8s.io/v1beta1");
    else if (change.startsWith(QLatin1String("server")))
        cluster.server = QStringLiteral("https://b.example:443");
    else if (change == QLatin1String("ca+info"))
        cluster.certificateAuthorityData = "CA2";
    else if (change == QLatin1String("clusterName"))
        cluster.name = QStringLiteral("prod-alias");
    const QByteArray after = CredentialSource::make(cfg, cluster, env).key;
    QCOMPARE(before == after, sameKey);
}

QTEST_GUILESS_MAIN(TestCredentialCache)
#include "tst_credentialcache.moc"
