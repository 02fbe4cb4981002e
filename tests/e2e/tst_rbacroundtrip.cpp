// `podtap rbac` round trip: the YAML it prints is loaded into kubesim as it is (--rbac FILE:
// real Role/RoleBinding manifests, no hand conversion), then podtap taps the pod with exactly
// those rights; removing any one verb of any one rule makes preflight name that rule.
#include "kube/preflight.h"
#include "kube/rbacgenerator.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include "support/clirunner.h"
#include "support/kubesimprocess.h"
#include "support/trafficgencommand.h"

#include <yaml-cpp/yaml.h>

#include <csignal>
#include <unistd.h>

using namespace podtap;

namespace {
const QString Podtap = CliRunner::podtap();
const QString Scenario = QStringLiteral(SRCDIR "/scenarios/rbac.yaml");

using Run = CliRunner::Result;

Run run(const QString &program, const QStringList &args, const QString &kubeconfig = QString(),
        int timeoutMs = 60000)
{
    return CliRunner::run(program, args, CliRunner::environment(kubeconfig), timeoutMs);
}

QJsonObject itemById(const QJsonArray &items, const QString &id)
{
    for (const QJsonValue i : items)
        if (i[QLatin1String("id")].toString() == id)
            return i.toObject();
    return {};
}

bool canRunCluster(QString *why)
{
    *why = KubesimProcess::skipReason();
    return why->isEmpty();
}
} // namespace

class TestRbacRoundTrip : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void cliIsTheGenerator_data();
    void cliIsTheGenerator();
    void cliRejects_data();
    void cliRejects();
    void generatedRoleCaptures_data();
    void generatedRoleCaptures();
    void placeholderDoesNotLoad();
    void missingVerbIsNamed_data();
    void missingVerbIsNamed();

private:
    QString write(const QString &name, const QByteArray &data);
    bool startKubesim(KubesimProcess *k, const QString &rbacFile, const QString &tag,
                      QString *error);
    void capture(const QString &kubeconfig, const QString &context, const QString &netnsOfC1);

    QTemporaryDir m_dir;
    QByteArray m_podRole; // `podtap rbac -n shop --pod web-0 --user alice`, as printed
};

void TestRbacRoundTrip::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(QFile::exists(Podtap), "podtap was not built");
    const Run r = run(Podtap, {QStringLiteral("rbac"), QStringLiteral("-n"), QStringLiteral("shop"),
                               QStringLiteral("--pod"), QStringLiteral("web-0"),
                               QStringLiteral("--user"), QStringLiteral("alice")});
    QVERIFY2(r.code == 0, r.err.constData());
    m_podRole = r.out;
}

void TestRbacRoundTrip::cleanup()
{
    if (QTest::currentTestFailed() && m_dir.autoRemove()) {
        m_dir.setAutoRemove(false);
        qWarning("kept the test's files in %s", qPrintable(m_dir.path()));
    }
}

QString TestRbacRoundTrip::write(const QString &name, const QByteArray &data)
{
    const QString path = m_dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size())
        return QString();
    return path;
}

bool TestRbacRoundTrip::startKubesim(KubesimProcess *k, const QString &rbacFile, const QString &tag,
                                     QString *error)
{
    const QString work = m_dir.filePath(QStringLiteral("k-") + tag);
    QDir().mkpath(work);
    return k->start(Scenario, work, error, {QStringLiteral("--rbac"), rbacFile});
}

void TestRbacRoundTrip::cliIsTheGenerator_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("ns");
    QTest::addColumn<bool>("cluster");
    QTest::addColumn<QStringList>("pods");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("group");
    QTest::addColumn<bool>("workloads");
    QTest::addRow("pod, user") << QStringList{QStringLiteral("-n"),     QStringLiteral("shop"),
                                              QStringLiteral("--pod"),  QStringLiteral("web-0"),
                                              QStringLiteral("--user"), QStringLiteral("alice")}
                               << QStringLiteral("shop") << false
                               << QStringList{QStringLiteral("web-0")} << QStringLiteral("alice")
                               << QString() << false;
    QTest::addRow("pods a,b + repeat")
            << QStringList{QStringLiteral("--namespace"), QStringLiteral("shop"),
                           QStringLiteral("--pod"),       QStringLiteral("a,b"),
                           QStringLiteral("--pod"),       QStringLiteral("c")}
            << QStringLiteral("shop") << false
            << QStringList{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}
            << QString() << QString() << false;
    QTest::addRow("cluster, group, workloads")
            << QStringList{QStringLiteral("--cluster"), QStringLiteral("--group"),
                           QStringLiteral("sre"), QStringLiteral("--workloads")}
            << QString() << true << QStringList() << QString() << QStringLiteral("sre") << true;
}

void TestRbacRoundTrip::cliIsTheGenerator()
{
    QFETCH(QStringList, args);
    QFETCH(QString, ns);
    QFETCH(bool, cluster);
    QFETCH(QStringList, pods);
    QFETCH(QString, user);
    QFETCH(QString, group);
    QFETCH(bool, workloads);
    const Run r = run(Podtap, QStringList{QStringLiteral("rbac")} + args);
    QCOMPARE(r.code, 0);
    RbacGenerator::Options o;
    o.ns = ns;
    o.cluster = cluster;
    o.pods = pods;
    o.user = user;
    o.group = group;
    o.workloads = workloads;
    const auto gen = RbacGenerator::create(o);
    QVERIFY2(gen.ok(), qPrintable(gen.error()));
    QCOMPARE(QString::fromUtf8(r.out), gen->yaml());
    // Only a placeholder subject draws a note, on stderr (stdout stays pipeable).
    QCOMPARE(r.err.contains("fill in"), user.isEmpty() && group.isEmpty());

    const Run help = run(Podtap, {QStringLiteral("rbac"), QStringLiteral("--help")});
    QCOMPARE(help.code, 0);
    QVERIFY(help.out.startsWith("usage: podtap rbac "));
    QVERIFY(run(Podtap, {QStringLiteral("--help")}).out.contains("\n  rbac "));
}

void TestRbacRoundTrip::cliRejects_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::addRow("unknown flag") << QStringList{QStringLiteral("-n"), QStringLiteral("shop"),
                                                 QStringLiteral("--verbs")}
                                  << QStringLiteral("Unknown option 'verbs'");
    QTest::addRow("no scope") << QStringList() << QStringLiteral("-n NAMESPACE");
    QTest::addRow("both scopes") << QStringList{QStringLiteral("-n"), QStringLiteral("shop"),
                                                QStringLiteral("--cluster")}
                                 << QStringLiteral("exclude each other");
    QTest::addRow("cluster pod") << QStringList{QStringLiteral("--cluster"),
                                                QStringLiteral("--pod"), QStringLiteral("web-0")}
                                 << QStringLiteral("--pod needs -n");
    QTest::addRow("positional") << QStringList{QStringLiteral("-n"), QStringLiteral("shop"),
                                               QStringLiteral("web-0")}
                                << QStringLiteral("unexpected argument 'web-0'");
    QTest::addRow("two namespaces") << QStringList{QStringLiteral("-n"), QStringLiteral("a"),
                                                   QStringLiteral("-n"), QStringLiteral("b")}
                                    << QStringLiteral("given twice");
    QTest::addRow("user and group")
            << QStringList{QStringLiteral("-n"),      QStringLiteral("shop"),
                           QStringLiteral("--user"),  QStringLiteral("a"),
                           QStringLiteral("--group"), QStringLiteral("b")}
            << QStringLiteral("not both");
    QTest::addRow("empty pod") << QStringList{QStringLiteral("-n"), QStringLiteral("shop"),
                                              QStringLiteral("--pod"), QStringLiteral(",")}
                               << QStringLiteral("--pod needs a pod name");
    QTest::addRow("bad namespace") << QStringList{QStringLiteral("-n"), QStringLiteral("Shop")}
                                   << QStringLiteral("not a namespace name");
}

void TestRbacRoundTrip::cliRejects()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const Run r = run(Podtap, QStringList{QStringLiteral("rbac")} + args);
    QCOMPARE(r.code, 2);
    QVERIFY(r.out.isEmpty());
    QVERIFY2(r.err.startsWith("podtap rbac: ") && r.err.contains(message.toUtf8())
                     && r.err.contains("usage: podtap rbac"),
             r.err.constData());
}

void TestRbacRoundTrip::capture(const QString &kubeconfig, const QString &context,
                                const QString &netnsOfC1)
{
    const QString pcap = m_dir.filePath(context + QStringLiteral(".pcap"));
    QProcess cap;
    cap.setProcessEnvironment(CliRunner::environment(kubeconfig));
    cap.start(Podtap,
              {QStringLiteral("capture"), QStringLiteral("--direct"), QStringLiteral("shop/web-0"),
               QStringLiteral("--port"), QStringLiteral("8080"), QStringLiteral("-w"), pcap,
               QStringLiteral("--context"), context});
    QVERIFY(cap.waitForStarted());
    QByteArray err;
    QTRY_VERIFY_WITH_TIMEOUT((err += cap.readAllStandardError()).contains("listening on")
                                     || cap.state() != QProcess::Running,
                             60000);
    QVERIFY2(err.contains("listening on"), err.constData());

    // The pod's address, read by the same user with the real kubectl (get on web-0 only).
    const Run ip = run(QStringLiteral("kubectl"),
                       {QStringLiteral("--context"), context, QStringLiteral("-n"),
                        QStringLiteral("shop"), QStringLiteral("get"), QStringLiteral("pod"),
                        QStringLiteral("web-0"), QStringLiteral("-o"),
                        QStringLiteral("jsonpath={.status.podIP}")},
                       kubeconfig);
    QVERIFY2(ip.code == 0 && !ip.out.isEmpty(), ip.err.constData());
    const QString record = m_dir.filePath(context + QStringLiteral("-client.jsonl"));
    const Run gen
            = run(QStringLiteral("ip"),
                  TrafficgenCommand::clientInNetns(
                          netnsOfC1, {QStringLiteral("--connect"),
                                      QString::fromUtf8(ip.out) + QStringLiteral(":8080"),
                                      QStringLiteral("--mode"), QStringLiteral("http"),
                                      QStringLiteral("--connections"), QStringLiteral("6"),
                                      QStringLiteral("--concurrency"), QStringLiteral("2"),
                                      QStringLiteral("--requests-per-conn"), QStringLiteral("2"),
                                      QStringLiteral("--request-size"), QStringLiteral("300"),
                                      QStringLiteral("--response-size"), QStringLiteral("900"),
                                      QStringLiteral("--record"), record,
                                      QStringLiteral("--timeout"), QStringLiteral("30")}),
                  QString(), 60000);
    QVERIFY2(gen.code == 0, gen.err.constData());
    QTest::qWait(500);
    ::kill(pid_t(cap.processId()), SIGINT);
    QVERIFY(cap.waitForFinished(30000));
    err += cap.readAllStandardError();
    QVERIFY2(cap.exitCode() == 0, err.constData());

    const Run inspect = run(Podtap, {QStringLiteral("inspect"), pcap, QStringLiteral("--json"),
                                     QStringLiteral("--port"), QStringLiteral("8080")});
    QCOMPARE(inspect.code, 0);
    QSet<QString> clients;
    qint64 bytes = 0;
    for (const QJsonValue c :
         QJsonDocument::fromJson(inspect.out).object()[QLatin1String("connections")].toArray()) {
        clients.insert(c[QLatin1String("client")].toString());
        bytes += c[QLatin1String("c2s")][QLatin1String("bytes")].toInteger();
    }
    QFile rec(record);
    QVERIFY(rec.open(QIODevice::ReadOnly));
    int total = 0;
    for (const QByteArray &line : rec.readAll().split('\n')) {
        if (line.trimmed().isEmpty())
            continue;
        ++total;
        const QString local
                = QJsonDocument::fromJson(line).object()[QLatin1String("local")].toString();
        QVERIFY2(clients.contains(local), qPrintable(local + QStringLiteral(" not captured")));
    }
    QCOMPARE(total, 6);
    QVERIFY2(bytes >= 6 * 2 * 300, qPrintable(QString::number(bytes)));
    qInfo("%s: %d connections captured, %lld request bytes", qPrintable(context), total, bytes);
}

void TestRbacRoundTrip::generatedRoleCaptures_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("context");
    QTest::addColumn<bool>("doCapture");
    QTest::addRow("pod-limited Role, user")
            << QStringList{QStringLiteral("-n"),     QStringLiteral("shop"),
                           QStringLiteral("--pod"),  QStringLiteral("web-0"),
                           QStringLiteral("--user"), QStringLiteral("alice")}
            << QStringLiteral("alice") << true;
    QTest::addRow("namespace Role, group")
            << QStringList{QStringLiteral("-n"), QStringLiteral("shop"), QStringLiteral("--group"),
                           QStringLiteral("sre")}
            << QStringLiteral("bob") << false;
    QTest::addRow("ClusterRole, user, workloads")
            << QStringList{QStringLiteral("--cluster"), QStringLiteral("--user"),
                           QStringLiteral("alice"), QStringLiteral("--workloads")}
            << QStringLiteral("alice") << true;
}

void TestRbacRoundTrip::generatedRoleCaptures()
{
    QFETCH(QStringList, args);
    QFETCH(QString, context);
    QFETCH(bool, doCapture);
    QString why;
    if (!canRunCluster(&why))
        QSKIP(qPrintable(why));
    const Run r = run(Podtap, QStringList{QStringLiteral("rbac")} + args);
    QCOMPARE(r.code, 0);
    const QString tag
            = QString::fromLatin1(QTest::currentDataTag())
                      .replace(QRegularExpression(QStringLiteral("[^a-z]+")), QStringLiteral("-"));
    const QString file = write(tag + QStringLiteral(".yaml"), r.out);
    QVERIFY(!file.isEmpty());
    KubesimProcess k;
    QString error;
    QVERIFY2(startKubesim(&k, file, tag, &error), qPrintable(error));

    // Preflight: every item ok, the Pod Security label read (no warning).
    const Run pf = run(Podtap,
                       {QStringLiteral("preflight"), QStringLiteral("shop/web-0"),
                        QStringLiteral("--port"), QStringLiteral("8080"), QStringLiteral("--json"),
                        QStringLiteral("--context"), context},
                       k.kubeconfig());
    QVERIFY2(pf.code == 0, QByteArray(pf.out + pf.err).constData());
    const QJsonArray items
            = QJsonDocument::fromJson(pf.out).object()[QLatin1String("items")].toArray();
    for (const QJsonValue i : items)
        QVERIFY2(i[QLatin1String("status")].toString() == QLatin1String("ok"),
                 qPrintable(QString::fromUtf8(QJsonDocument(i.toObject()).toJson())));
    QVERIFY(!itemById(items, QStringLiteral("rbac.patch-pods-ephemeralcontainers")).isEmpty());

    if (args.contains(QStringLiteral("--pod"))) {
        // resourceNames hold: the other pod is not even readable.
        const Run other = run(Podtap,
                              {QStringLiteral("preflight"), QStringLiteral("shop/web-1"),
                               QStringLiteral("--port"), QStringLiteral("8080"),
                               QStringLiteral("--context"), context},
                              k.kubeconfig());
        QVERIFY(other.code != 0);
        QVERIFY2(other.err.contains("cannot get resource \"pods\""), other.err.constData());
    }
    if (doCapture)
        capture(k.kubeconfig(), context, k.netns(QStringLiteral("c1")));
}

void TestRbacRoundTrip::placeholderDoesNotLoad()
{
    QString why;
    if (!canRunCluster(&why))
        QSKIP(qPrintable(why));
    // Without --user/--group the subject is a placeholder: it must not bind silently.
    const Run r
            = run(Podtap, {QStringLiteral("rbac"), QStringLiteral("-n"), QStringLiteral("shop")});
    QCOMPARE(r.code, 0);
    const QString file = write(QStringLiteral("placeholder.yaml"), r.out);
    KubesimProcess k;
    QString error;
    QVERIFY(!startKubesim(&k, file, QStringLiteral("placeholder"), &error));
}

void TestRbacRoundTrip::missingVerbIsNamed_data()
{
    QTest::addColumn<int>("rule");
    QTest::addColumn<QString>("verb");
    // Every verb of every rule `podtap rbac -n shop --pod web-0` prints, from the generator.
    const auto gen = RbacGenerator::forPod(QStringLiteral("shop"), QStringLiteral("web-0"));
    QVERIFY(gen.ok());
    const QList<RbacRule> rules = gen->rules();
    for (int i = 0; i < rules.size(); ++i)
        for (const QString &v : rules[i].verbs)
            QTest::addRow("%s %s", qPrintable(v),
                          qPrintable(rules[i].resources.join(QLatin1Char(','))))
                    << i << v;
}

void TestRbacRoundTrip::missingVerbIsNamed()
{
    QFETCH(int, rule);
    QFETCH(QString, verb);
    QString why;
    if (!canRunCluster(&why))
        QSKIP(qPrintable(why));

    // The printed YAML minus exactly that verb (minus the rule if it was its only verb).
    std::vector<YAML::Node> docs = YAML::LoadAll(m_podRole.toStdString());
    QCOMPARE(int(docs.size()), 2);
    YAML::Node rules = docs[0]["rules"];
    QVERIFY(rule < int(rules.size()));
    YAML::Node target = rules[std::size_t(rule)];
    const QString resource = QString::fromStdString(target["resources"][0].as<std::string>());
    YAML::Node verbs(YAML::NodeType::Sequence);
    for (const auto &v : target["verbs"])
        if (QString::fromStdString(v.as<std::string>()) != verb)
            verbs.push_back(v.as<std::string>());
    QCOMPARE(int(verbs.size()), int(target["verbs"].size()) - 1);
    YAML::Node kept(YAML::NodeType::Sequence);
    for (std::size_t i = 0; i < rules.size(); ++i) {
        if (int(i) != rule) {
            kept.push_back(rules[i]);
        } else if (verbs.size() > 0) {
            YAML::Node copy = YAML::Clone(rules[i]);
            copy["verbs"] = verbs;
            kept.push_back(copy);
        }
    }
    docs[0]["rules"] = kept;
    YAML::Emitter e;
    e << YAML::BeginDoc << docs[0] << YAML::BeginDoc << docs[1];
    const QString tag = QStringLiteral("minus-%1-%2").arg(rule).arg(verb);
    const QString file = write(tag + QStringLiteral(".yaml"), QByteArray(e.c_str()));
    KubesimProcess k;
    QString error;
    QVERIFY2(startKubesim(&k, file, tag, &error), qPrintable(error));

    const Run pf = run(Podtap,
                       {QStringLiteral("preflight"), QStringLiteral("shop/web-0"),
                        QStringLiteral("--port"), QStringLiteral("8080"), QStringLiteral("--json"),
                        QStringLiteral("--context"), QStringLiteral("alice")},
                       k.kubeconfig());
    const QString sub = resource.section(QLatin1Char('/'), 1);
    const QString base = resource.section(QLatin1Char('/'), 0, 0);
    if (verb == QLatin1String("get") && resource == QLatin1String("pods")) {
        // Without get, the target cannot even be read: the API server's refusal names it.
        QCOMPARE(pf.code, 1);
        QVERIFY2(pf.err.contains("cannot get resource \"pods\""), pf.err.constData());
        return;
    }
    const QJsonArray items
            = QJsonDocument::fromJson(pf.out).object()[QLatin1String("items")].toArray();
    QVERIFY2(!items.isEmpty(), QByteArray(pf.out + pf.err).constData());
    // What preflight must say, built from the generator (the same text podtap rbac prints).
    const auto gen = RbacGenerator::forPod(QStringLiteral("shop"), QStringLiteral("web-0"));
    const QString ask = gen->askFor(verb, base, sub);
    QVERIFY(ask.contains(QStringLiteral("verbs: [\"%1\"]").arg(verb)));
    QVERIFY(ask.contains(QLatin1String("podtap rbac -n shop --pod web-0")));
    QStringList notOk;
    for (const QJsonValue i : items)
        if (i[QLatin1String("status")].toString() != QLatin1String("ok"))
            notOk << i[QLatin1String("id")].toString();
    if (resource == QLatin1String("namespaces")) {
        // Not a contract verb: the Pod Security check becomes a warning that names the rule.
        QCOMPARE(pf.code, 0);
        QCOMPARE(notOk, QStringList{QStringLiteral("podsecurity")});
        const QJsonObject ps = itemById(items, QStringLiteral("podsecurity"));
        QCOMPARE(ps[QLatin1String("status")].toString(), QStringLiteral("warn"));
        QCOMPARE(ps[QLatin1String("ask")].toString(), ask);
        return;
    }
    QCOMPARE(pf.code, 4);
    const QString id
            = QStringLiteral("rbac.%1-%2")
                      .arg(verb, QString(resource).replace(QLatin1Char('/'), QLatin1Char('-')));
    // Exactly that verb fails. (Without patch, the tap-profile admission dry run cannot run
    // either: it is a warning, not a second failure.)
    QStringList failed;
    for (const QJsonValue i : items)
        if (i[QLatin1String("status")].toString() == QLatin1String("fail"))
            failed << i[QLatin1String("id")].toString();
    QCOMPARE(failed, QStringList{id});
    QCOMPARE(itemById(items, id)[QLatin1String("ask")].toString(), ask);
    // And the text form tells the user what to give the admin.
    const Run text = run(Podtap,
                         {QStringLiteral("preflight"), QStringLiteral("shop/web-0"),
                          QStringLiteral("--port"), QStringLiteral("8080"),
                          QStringLiteral("--context"), QStringLiteral("alice")},
                         k.kubeconfig());
    QCOMPARE(text.code, 4);
    QVERIFY2(text.out.contains(
                     QByteArray(QByteArray("ask your cluster admin for: ") + ask.toUtf8())),
             text.out.constData());
}

QTEST_GUILESS_MAIN(TestRbacRoundTrip)
#include "tst_rbacroundtrip.moc"
