// RbacGenerator: the rules podtap needs, the YAML `podtap rbac` prints (parsed back with
// yaml-cpp), the option checks, and the "ask your admin" text preflight shows.
#include "kube/preflight.h"
#include "kube/rbacgenerator.h"

#include <QTest>

#include <yaml-cpp/yaml.h>

using namespace podtap;

namespace {

QStringList strings(const YAML::Node &n)
{
    QStringList out;
    if (!n)
        return out;
    for (const auto &e : n)
        out << QString::fromStdString(e.as<std::string>());
    return out;
}

QString text(const YAML::Node &n)
{
    return n ? QString::fromStdString(n.as<std::string>()) : QString();
}

} // namespace

class TestRbacGenerator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void yamlRoundTrip_data();
    void yamlRoundTrip();
    void everyContractVerbHasARule_data();
    void everyContractVerbHasARule();
    void listIsNeverNamed();
    void rejects_data();
    void rejects();
    void askNamesTheRuleAndTheCommand();
    void subjectQuoting();
};

void TestRbacGenerator::yamlRoundTrip_data()
{
    QTest::addColumn<QString>("ns");
    QTest::addColumn<bool>("cluster");
    QTest::addColumn<QStringList>("pods");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("group");
    QTest::addColumn<bool>("workloads");
    QTest::addColumn<int>("ruleCount");
    QTest::addColumn<QString>("bindingName");

    QTest::addRow("namespace, placeholder")
            << QStringLiteral("shop") << false << QStringList() << QString() << QString() << false
            << 4 << QStringLiteral("podtap");
    QTest::addRow("one pod, user")
            << QStringLiteral("shop") << false << QStringList{QStringLiteral("web-0")}
            << QStringLiteral("alice") << QString() << false << 5 << QStringLiteral("podtap-alice");
    QTest::addRow("two pods, group")
            << QStringLiteral("shop") << false
            << QStringList{QStringLiteral("web-0"), QStringLiteral("web-1")} << QString()
            << QStringLiteral("sre") << false << 5 << QStringLiteral("podtap-group-sre");
    QTest::addRow("cluster, workloads, email user")
            << QString() << true << QStringList() << QStringLiteral("Alice@Example.com")
            << QString() << true << 6 << QStringLiteral("podtap-alice-example.com");
}

void TestRbacGenerator::yamlRoundTrip()
{
    QFETCH(QString, ns);
    QFETCH(bool, cluster);
    QFETCH(QStringList, pods);
    QFETCH(QString, user);
    QFETCH(QString, group);
    QFETCH(bool, workloads);
    QFETCH(int, ruleCount);
    QFETCH(QString, bindingName);

    RbacGenerator::Options o;
    o.ns = ns;
    o.cluster = cluster;
    o.pods = pods;
    o.user = user;
    o.group = group;
    o.workloads = workloads;
    const auto gen = RbacGenerator::create(o);
    QVERIFY2(gen.ok(), qPrintable(gen.error()));
    const QString yaml = gen->yaml();
    std::vector<YAML::Node> docs;
    try {
        docs = YAML::LoadAll(yaml.toStdString());
    } catch (const YAML::Exception &e) {
        QFAIL(e.what());
    }
    QCOMPARE(int(docs.size()), 2);
    const YAML::Node role = docs[0];
    const YAML::Node binding = docs[1];
    QCOMPARE(text(role["apiVersion"]), QStringLiteral("rbac.authorization.k8s.io/v1"));
    QCOMPARE(text(role["kind"]), cluster ? QStringLiteral("ClusterRole") : QStringLiteral("Role"));
    QCOMPARE(text(role["metadata"]["name"]), QStringLiteral("podtap"));
    QCOMPARE(text(role["metadata"]["namespace"]), ns);
    QCOMPARE(bool(role["metadata"]["namespace"]), !cluster);

    // The YAML's rules are exactly the structured rules (what preflight uses).
    const QList<RbacRule> rules = gen->rules();
    QCOMPARE(int(rules.size()), ruleCount);
    QCOMPARE(int(role["rules"].size()), ruleCount);
    for (int i = 0; i < ruleCount; ++i) {
        const YAML::Node r = role["rules"][std::size_t(i)];
        QCOMPARE(strings(r["apiGroups"]), rules[i].apiGroups);
        QCOMPARE(strings(r["resources"]), rules[i].resources);
        QCOMPARE(strings(r["verbs"]), rules[i].verbs);
        QCOMPARE(strings(r["resourceNames"]), rules[i].resourceNames);
        QCOMPARE(bool(r["resourceNames"]), !rules[i].resourceNames.isEmpty());
        QVERIFY(!rules[i].why.isEmpty());
    }
    // Every rule has a comment line before its "- apiGroups".
    const QStringList lines = yaml.split(QLatin1Char('\n'));
    for (int i = 0; i < lines.size(); ++i)
        if (lines[i].startsWith(QLatin1String("  - apiGroups:")))
            QVERIFY2(lines[i - 1].startsWith(QLatin1String("  # ")), qPrintable(lines[i - 1]));

    QCOMPARE(text(binding["kind"]),
             cluster ? QStringLiteral("ClusterRoleBinding") : QStringLiteral("RoleBinding"));
    QCOMPARE(text(binding["metadata"]["name"]), bindingName);
    QCOMPARE(text(binding["metadata"]["namespace"]), ns);
    QCOMPARE(text(binding["roleRef"]["kind"]), text(role["kind"]));
    QCOMPARE(text(binding["roleRef"]["name"]), text(role["metadata"]["name"]));
    QCOMPARE(text(binding["roleRef"]["apiGroup"]), QStringLiteral("rbac.authorization.k8s.io"));
    QCOMPARE(int(binding["subjects"].size()), 1);
    const YAML::Node subject = binding["subjects"][0];
    QCOMPARE(text(subject["kind"]),
             group.isEmpty() ? QStringLiteral("User") : QStringLiteral("Group"));
    QCOMPARE(text(subject["name"]), !group.isEmpty()  ? group
                                    : !user.isEmpty() ? user
                                                      : RbacGenerator::placeholderSubject());
    QCOMPARE(text(subject["apiGroup"]), QStringLiteral("rbac.authorization.k8s.io"));
    QCOMPARE(yaml.contains(QLatin1String("FILL IN")), user.isEmpty() && group.isEmpty());

    // Least privilege: no write verb but the tap's patch and exec, no wildcard.
    for (const RbacRule &r : rules) {
        QVERIFY(!r.verbs.contains(QStringLiteral("*"))
                && !r.resources.contains(QStringLiteral("*")));
        for (const QString &v : r.verbs)
            QVERIFY2(QStringList({QStringLiteral("get"), QStringLiteral("list"),
                                  QStringLiteral("watch"), QStringLiteral("patch"),
                                  QStringLiteral("create")})
                             .contains(v),
                     qPrintable(v));
        if (r.verbs.contains(QStringLiteral("patch")))
            QCOMPARE(r.resources, QStringList{QStringLiteral("pods/ephemeralcontainers")});
        if (r.verbs.contains(QStringLiteral("create")))
            QCOMPARE(r.resources, QStringList{QStringLiteral("pods/exec")});
    }
}

void TestRbacGenerator::everyContractVerbHasARule_data()
{
    QTest::addColumn<bool>("cluster");
    QTest::addColumn<QStringList>("pods");
    QTest::addRow("namespace") << false << QStringList();
    QTest::addRow("pod") << false << QStringList{QStringLiteral("web-0")};
    QTest::addRow("cluster") << true << QStringList();
}

void TestRbacGenerator::everyContractVerbHasARule()
{
    QFETCH(bool, cluster);
    QFETCH(QStringList, pods);
    RbacGenerator::Options o;
    o.ns = cluster ? QString() : QStringLiteral("shop");
    o.cluster = cluster;
    o.pods = pods;
    const auto gen = RbacGenerator::create(o);
    QVERIFY2(gen.ok(), qPrintable(gen.error()));
    // Preflight's list and the generator agree both ways: each contract verb has a contract
    // rule, and each contract rule's verb is checked by preflight.
    int contractVerbs = 0;
    const QList<Preflight::Verb> verbs = Preflight::contractVerbs();
    for (const Preflight::Verb &v : verbs) {
        const auto rule = gen->ruleFor(v.verb, v.resource, v.subresource);
        QVERIFY2(rule && rule->contract, qPrintable(v.verb + QLatin1Char(' ') + v.resource));
        QCOMPARE(rule->verbs, QStringList{v.verb});
    }
    const QList<RbacRule> rules = gen->rules();
    for (const RbacRule &r : rules)
        if (r.contract)
            contractVerbs += int(r.verbs.size() * r.resources.size());
    QCOMPARE(contractVerbs, int(verbs.size()));
    // The namespace read (Pod Security label) is there, but not a contract verb.
    const auto ns = gen->ruleFor(QStringLiteral("get"), QStringLiteral("namespaces"));
    QVERIFY(ns && !ns->contract);
    QCOMPARE(ns->resourceNames, cluster ? QStringList() : QStringList{QStringLiteral("shop")});
    QVERIFY(!gen->ruleFor(QStringLiteral("delete"), QStringLiteral("pods")));
    QVERIFY(!gen->ruleFor(QStringLiteral("get"), QStringLiteral("services")));
}

void TestRbacGenerator::listIsNeverNamed()
{
    RbacGenerator::Options o;
    o.ns = QStringLiteral("shop");
    o.pods = {QStringLiteral("web-0")};
    const auto gen = RbacGenerator::create(o);
    QVERIFY(gen.ok());
    // A list has no name: a named list rule would never match (and preflight's list check
    // carries no name). The watch is named (fieldSelector metadata.name).
    QVERIFY(gen->ruleFor(QStringLiteral("list"), QStringLiteral("pods"))->resourceNames.isEmpty());
    QCOMPARE(gen->ruleFor(QStringLiteral("watch"), QStringLiteral("pods"))->resourceNames,
             QStringList{QStringLiteral("web-0")});
    QCOMPARE(gen->ruleFor(QStringLiteral("create"), QStringLiteral("pods"), QStringLiteral("exec"))
                     ->resourceNames,
             QStringList{QStringLiteral("web-0")});
    QVERIFY(gen->yaml().contains(QLatin1String("resourceNames cannot limit it")));
}

void TestRbacGenerator::rejects_data()
{
    QTest::addColumn<QString>("ns");
    QTest::addColumn<bool>("cluster");
    QTest::addColumn<QStringList>("pods");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("group");
    QTest::addColumn<bool>("workloads");
    QTest::addColumn<QString>("message");
    const QString s = QStringLiteral("shop");
    const QStringList pod{QStringLiteral("web-0")};
    QTest::addRow("nowhere") << QString() << false << QStringList() << QString() << QString()
                             << false << QStringLiteral("-n NAMESPACE");
    QTest::addRow("both scopes") << s << true << QStringList() << QString() << QString() << false
                                 << QStringLiteral("exclude each other");
    QTest::addRow("bad namespace")
            << QStringLiteral("Shop_1") << false << QStringList() << QString() << QString() << false
            << QStringLiteral("not a namespace name");
    QTest::addRow("long namespace")
            << QString(64, QLatin1Char('a')) << false << QStringList() << QString() << QString()
            << false << QStringLiteral("not a namespace name");
    QTest::addRow("cluster pod") << QString() << true << pod << QString() << QString() << false
                                 << QStringLiteral("--pod needs -n");
    QTest::addRow("bad pod") << s << false << QStringList{QStringLiteral("web 0")} << QString()
                             << QString() << false << QStringLiteral("not a pod name");
    QTest::addRow("pod and workloads") << s << false << pod << QString() << QString() << true
                                       << QStringLiteral("--workloads and --pod");
    QTest::addRow("user and group") << s << false << QStringList() << QStringLiteral("a")
                                    << QStringLiteral("b") << false << QStringLiteral("not both");
    QTest::addRow("control character")
            << s << false << QStringList() << QStringLiteral("a\nkind: Group") << QString() << false
            << QStringLiteral("control characters");
}

void TestRbacGenerator::rejects()
{
    QFETCH(QString, ns);
    QFETCH(bool, cluster);
    QFETCH(QStringList, pods);
    QFETCH(QString, user);
    QFETCH(QString, group);
    QFETCH(bool, workloads);
    QFETCH(QString, message);
    RbacGenerator::Options o;
    o.ns = ns;
    o.cluster = cluster;
    o.pods = pods;
    o.user = user;
    o.group = group;
    o.workloads = workloads;
    const auto gen = RbacGenerator::create(o);
    QVERIFY(!gen.ok());
    QVERIFY2(gen.error().contains(message), qPrintable(gen.error()));
}

void TestRbacGenerator::askNamesTheRuleAndTheCommand()
{
    const auto gen = RbacGenerator::forPod(QStringLiteral("shop"), QStringLiteral("web-0"));
    QVERIFY(gen.ok());
    const QString ask
            = gen->askFor(QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("exec"));
    QCOMPARE(ask,
             QStringLiteral("a Role in namespace shop with {apiGroups: [\"\"], resources: "
                            "[\"pods/exec\"], verbs: [\"get\"], resourceNames: [\"web-0\"]} bound "
                            "to you; your admin can print the whole Role and RoleBinding with: "
                            "podtap rbac -n shop --pod web-0"));
    QVERIFY(gen->askFor(QStringLiteral("list"), QStringLiteral("pods"))
                    .contains(QLatin1String("verbs: [\"list\"]}")));
    QVERIFY(gen->askFor(QStringLiteral("get"), QStringLiteral("namespaces"))
                    .contains(QLatin1String("resources: [\"namespaces\"], verbs: [\"get\"], "
                                            "resourceNames: [\"shop\"]")));
    QVERIFY(gen->askFor(QStringLiteral("delete"), QStringLiteral("pods")).isEmpty());
}

void TestRbacGenerator::subjectQuoting()
{
    RbacGenerator::Options o;
    o.ns = QStringLiteral("shop");
    o.user = QStringLiteral("oidc:\"weird\" \\ name #1");
    const auto gen = RbacGenerator::create(o);
    QVERIFY(gen.ok());
    const std::vector<YAML::Node> docs = YAML::LoadAll(gen->yaml().toStdString());
    QCOMPARE(text(docs.at(1)["subjects"][0]["name"]), o.user);
    QCOMPARE(text(docs.at(1)["metadata"]["name"]), QStringLiteral("podtap-oidc--weird----name--1"));
    QVERIFY(gen->command().endsWith(QLatin1String("--user 'oidc:\"weird\" \\ name #1'")));
}

QTEST_GUILESS_MAIN(TestRbacGenerator)
#include "tst_rbacgenerator.moc"
