// The project config (.podtap.yaml): what is accepted, what is refused and exactly where
// (file:line:column from yaml-cpp's marks), the session.start parameters a mirror becomes, and
// docs/podtap.schema.json kept in step with the parser.
#include "project/projectconfigparser.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using podtap::ProjectConfig;
using podtap::ProjectConfigParser;

namespace {
const QByteArray Valid = R"(version: 1
mirrors:
  web:
    description: front end
    context: kind-dev
    namespace: shop
    target: deployment/web
    ports:
      - {remote: 8080, local: 18080}
      - {remote: 9090, local: 19090, host: 127.0.0.2}
    tap: {image: "registry.local/netshoot:v1", profile: nonroot}
    limits: {max_megabytes: 64, max_age_seconds: 600, duration_seconds: 30}
    options: {join_midstream: true, all_pods: false}
    http:
      methods: [get, POST]
      path: "^/api/"
      headers: {X-Tenant: "^acme$"}
  db:
    target: shop/db-0
    ports: [{remote: 5432, local: 15432}]
)";

// Every key path the schema defines ("mirrors.*.ports[].remote"), $refs followed.
void schemaKeys(const QJsonObject &root, QJsonObject node, const QString &prefix,
                QSet<QString> *keys)
{
    for (int depth = 0; node.contains(u"$ref"_s) && depth < 8; ++depth)
        node = root[u"$defs"_s][node[u"$ref"_s].toString().section(u'/', -1)].toObject();
    const QJsonObject props = node[u"properties"_s].toObject();
    for (auto it = props.begin(); it != props.end(); ++it) {
        const QString path = prefix.isEmpty() ? it.key() : prefix + u'.' + it.key();
        keys->insert(path);
        schemaKeys(root, it.value().toObject(), path, keys);
    }
    if (node[u"additionalProperties"_s].isObject()) {
        keys->insert(prefix + u".*"_s);
        schemaKeys(root, node[u"additionalProperties"_s].toObject(), prefix + u".*"_s, keys);
    }
    if (node[u"items"_s].isObject())
        schemaKeys(root, node[u"items"_s].toObject(), prefix + u"[]"_s, keys);
}
} // namespace

class TestProjectConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void validConfig();
    void sessionParams();
    void errors_data();
    void errors();
    void exampleInDocsIsValid();
    void schemaMatchesParser();
    void findsFileInParent();
    void mirrorNames_data();
    void mirrorNames();
};

void TestProjectConfig::validConfig()
{
    const auto c = ProjectConfigParser::parse(Valid, u".podtap.yaml"_s);
    QVERIFY2(c.ok(), qPrintable(c.error()));
    QCOMPARE(c->names(), (QStringList{u"web"_s, u"db"_s}));
    const ProjectConfig::Mirror *web = c->find(u"web"_s);
    QVERIFY(web);
    QCOMPARE(web->line, 3);
    QCOMPARE(web->context, u"kind-dev"_s);
    QCOMPARE(web->ns, u"shop"_s);
    QCOMPARE(web->target, u"deployment/web"_s);
    QCOMPARE(web->ports.size(), 2);
    QCOMPARE(web->ports[1].remote, 9090);
    QCOMPARE(web->ports[1].local, 19090);
    QCOMPARE(web->ports[1].host, u"127.0.0.2"_s);
    QVERIFY(web->ports[1].hostGiven);
    QVERIFY(!web->ports[0].hostGiven);
    QCOMPARE(web->profile, u"nonroot"_s);
    QCOMPARE(web->image, u"registry.local/netshoot:v1"_s);
    QCOMPARE(web->maxMegabytes, 64);
    QCOMPARE(web->durationSeconds, 30);
    QVERIFY(web->joinMidstream);
    QVERIFY(!web->allPods);
    QCOMPARE(web->http.methods, (QStringList{u"GET"_s, u"POST"_s}));
    QCOMPARE(web->http.headers.value(u"X-Tenant"_s), u"^acme$"_s);
    const ProjectConfig::Mirror *db = c->find(u"db"_s);
    QVERIFY(db);
    QVERIFY(db->allPods);
    QVERIFY(db->http.isEmpty());
    QVERIFY(!c->find(u"nope"_s));
    QVERIFY(c->storeRetention.isEmpty()); // not given: podtapd's own retention applies
    const auto withStore = ProjectConfigParser::parse(
            QByteArray("store: {quota: 10G, max_age: 3d}\n") + Valid, u".podtap.yaml"_s);
    QVERIFY2(withStore.ok(), qPrintable(withStore.error()));
    QCOMPARE(withStore->storeRetention,
             (QJsonObject{{u"quota"_s, u"10G"_s}, {u"maxAge"_s, u"3d"_s}}));
}

void TestProjectConfig::sessionParams()
{
    const auto c = ProjectConfigParser::parse(Valid, u".podtap.yaml"_s);
    QVERIFY2(c.ok(), qPrintable(c.error()));
    const podtap::SessionStartRequest p = c->find(u"web"_s)->sessionRequest(1);
    QCOMPARE(p.context, u"kind-dev"_s);
    QCOMPARE(p.ns, u"shop"_s);
    QCOMPARE(p.target, u"deployment/web"_s);
    QCOMPARE(p.port, 9090);
    QCOMPARE(p.tapProfile, u"nonroot"_s);
    QCOMPARE(p.allPods, false);
    // The baseline profile (Pod Security "baseline" namespaces) travels the same way.
    QByteArray baseline = Valid;
    baseline.replace("profile: nonroot", "profile: baseline");
    const auto b = ProjectConfigParser::parse(baseline, u".podtap.yaml"_s);
    QVERIFY2(b.ok(), qPrintable(b.error()));
    QCOMPARE(b->find(u"web"_s)->sessionRequest(0).tapProfile, u"baseline"_s);
    QCOMPARE(p.limits.maxBytes, 64ll * 1024 * 1024);
    QCOMPARE(p.mirror.port, 19090);
    QCOMPARE(p.mirror.host, u"127.0.0.2"_s);
    QCOMPARE(p.mirror.allowRemote, true); // written in the file: an explicit choice
    QCOMPARE(p.mirror.joinMidstream, true);
    // On the wire (docs/ipc.md): session.start's mirror.httpFilter.
    const QJsonObject f = p.toJson()[u"mirror"_s][u"httpFilter"_s].toObject();
    QCOMPARE(f[u"methods"_s].toArray().size(), 2);
    QCOMPARE(f[u"path"_s].toString(), u"^/api/"_s);
    QCOMPARE(f[u"headers"_s][u"X-Tenant"_s].toString(), u"^acme$"_s);
    // No filter: an empty one; the default image and profile are the daemon's.
    const podtap::SessionStartRequest db = c->find(u"db"_s)->sessionRequest(0);
    QVERIFY(db.mirror.httpFilter.isEmpty());
    QVERIFY(db.image.isEmpty());
    QCOMPARE(db.tapProfile, u"default"_s);
    QCOMPARE(db.mirror.allowRemote, false);
}

void TestProjectConfig::errors_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("error");
    const QByteArray head = "mirrors:\n  web:\n    target: deployment/web\n";
    const QByteArray ports = "    ports: [{remote: 8080, local: 18080}]\n";
    QTest::addRow("unknown option key")
            << head + ports + "    options:\n      jion_midstream: true\n"
            << u".podtap.yaml:6:7: unknown key 'jion_midstream' in mirrors.web.options (did you "
               "mean join_midstream?)"_s;
    QTest::addRow("unknown top key") << QByteArray("mirors:\n  web: {}\n")
                                     << u".podtap.yaml:1:1: unknown key 'mirors' in the top level "
                                        "(did you mean mirrors?)"_s;
    QTest::addRow("unknown key, no guess")
            << head + ports + "    colour: red\n"
            << u".podtap.yaml:5:5: unknown key 'colour' in mirrors.web (known: description, "
               "context, namespace, target, ports, tap, limits, options, http)"_s;
    QTest::addRow("store quota without unit")
            << QByteArray("store: {quota: lots}\n") + head + ports
            << u".podtap.yaml:1:16: store.quota: invalid size 'lots': expected a number with an "
               "optional unit (k, M, G, …), or off for no limit"_s;
    QTest::addRow("store age without unit")
            << QByteArray("store:\n  max_age: 7\n") + head + ports
            << u".podtap.yaml:2:12: store.max_age: invalid duration '7': expected a number with a "
               "unit (ms, s, m for minutes, h, d, w), such as 90s, 5m or 1h30m, or off for no "
               "limit"_s;
    QTest::addRow("store unknown key")
            << QByteArray("store: {max_size: 1G}\n") + head + ports
            << u".podtap.yaml:1:9: unknown key 'max_size' in store (known: quota, max_age)"_s;
    QTest::addRow("port not a number")
            << head + "    ports:\n      - {remote: http, local: 18080}\n"
            << u".podtap.yaml:5:18: mirrors.web.ports[0].remote must be a whole number"_s;
    QTest::addRow("port out of range")
            << head + "    ports:\n      - {remote: 8080, local: 70000}\n"
            << u".podtap.yaml:5:31: mirrors.web.ports[0].local must be 1-65535 (got 70000)"_s;
    QTest::addRow("bool wrong")
            << head + ports + "    options: {join_midstream: maybe}\n"
            << u".podtap.yaml:5:31: mirrors.web.options.join_midstream must be true or false"_s;
    QTest::addRow("bad path regex")
            << head + ports + "    http:\n      path: \"^/api/(\"\n"
            << u".podtap.yaml:6:13: mirrors.web.http.path is not a valid regular expression: "
               "missing closing parenthesis at offset 7 of '^/api/('"_s;
    QTest::addRow("bad header regex")
            << head + ports + "    http:\n      headers:\n        X-Id: \"[a-\"\n"
            << u".podtap.yaml:7:15: mirrors.web.http.headers.X-Id is not a valid regular "
               "expression: missing terminating ] for character class at offset 3 of '[a-'"_s;
    QTest::addRow("duplicate mirror name")
            << head + ports + "  web:\n    target: pod/x\n" + ports
            << u".podtap.yaml:5:3: mirror 'web' is defined twice (first at line 2)"_s;
    QTest::addRow("duplicate local port")
            << head
                       + "    ports:\n      - {remote: 8080, local: 18080}\n"
                         "      - {remote: 9090, local: 18080}\n"
            << u".podtap.yaml:6:31: local port 18080 is used twice in mirrors.web"_s;
    QTest::addRow("no ports") << head
                              << u".podtap.yaml:2:3: mirrors.web needs ports: [{remote: 8080, "
                                 "local: 18080}]"_s;
    QTest::addRow("no target") << QByteArray("mirrors:\n  web:\n") + ports
                               << u".podtap.yaml:2:3: mirrors.web needs a target (pod, "
                                  "namespace/pod, deployment/NAME, statefulset/NAME, "
                                  "service/NAME)"_s;
    QTest::addRow("bad profile")
            << head + ports + "    tap: {profile: root}\n"
            << u".podtap.yaml:5:20: unknown tap profile 'root' in mirrors.web.tap (default, "
               "nonroot or baseline)"_s;
    QTest::addRow("target syntax as name")
            << QByteArray("mirrors:\n  shop/web:\n    target: x\n") + ports
            << u".podtap.yaml:2:3: mirror name 'shop/web' must be a bare word (letters, digits, "
               "'.', '_', '-'), not target syntax"_s;
    QTest::addRow("yaml syntax error") << head + "    ports: [{remote: 8080, local: 18080}\n"
                                       << u".podtap.yaml:5:1: end of sequence flow not found"_s;
    QTest::addRow("empty file") << QByteArray("# nothing\n")
                                << u".podtap.yaml: the file is empty: it needs 'mirrors:' with "
                                   "at least one mirror"_s;
    QTest::addRow("bad version") << QByteArray("version: 2\nmirrors: {}\n")
                                 << u".podtap.yaml:1:10: version must be 1-1 (got 2)"_s;
}

void TestProjectConfig::errors()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, error);
    const auto c = ProjectConfigParser::parse(yaml, u".podtap.yaml"_s);
    QVERIFY2(!c.ok(), "a broken config was accepted");
    QCOMPARE(c.error(), error);
}

void TestProjectConfig::exampleInDocsIsValid()
{
    const auto c
            = ProjectConfigParser::load(QStringLiteral(SRCDIR "/../../docs/podtap.example.yaml"));
    QVERIFY2(c.ok(), qPrintable(c.error()));
    QCOMPARE(c->names(), (QStringList{u"web"_s, u"api-orders"_s}));
    QCOMPARE(c->find(u"web"_s)->ports.size(), 2);
}

void TestProjectConfig::schemaMatchesParser()
{
    QFile f(QStringLiteral(SRCDIR "/../../docs/podtap.schema.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonParseError pe;
    const QJsonObject schema = QJsonDocument::fromJson(f.readAll(), &pe).object();
    QVERIFY2(pe.error == QJsonParseError::NoError, qPrintable(pe.errorString()));
    QCOMPARE(schema[u"$schema"_s].toString(), u"https://json-schema.org/draft/2020-12/schema"_s);
    QSet<QString> fromSchema;
    schemaKeys(schema, schema, QString(), &fromSchema);
    const QStringList known = ProjectConfigParser::knownKeys();
    const QSet<QString> fromParser(known.cbegin(), known.cend());
    QVERIFY(fromParser.size() > 20);
    const QSet<QString> missing = fromParser - fromSchema;
    const QSet<QString> extra = fromSchema - fromParser;
    QVERIFY2(missing.isEmpty(),
             qPrintable(u"not in the schema: "_s + missing.values().join(u", ")));
    QVERIFY2(extra.isEmpty(),
             qPrintable(u"not known to the parser: "_s + extra.values().join(u", ")));
    // Every object in the schema is closed, as the parser is.
    const QJsonObject mirror = schema[u"$defs"_s][u"mirror"_s].toObject();
    QCOMPARE(mirror[u"additionalProperties"_s].toBool(true), false);
    for (const QString &section : {u"tap"_s, u"limits"_s, u"options"_s, u"http"_s})
        QCOMPARE(mirror[u"properties"_s][section][u"additionalProperties"_s].toBool(true), false);
}

void TestProjectConfig::findsFileInParent()
{
    QTemporaryDir dir;
    QVERIFY(QDir().mkpath(dir.filePath(u"a/b/c"_s)));
    QVERIFY(!ProjectConfigParser::find(dir.filePath(u"a/b/c"_s)).startsWith(dir.path()));
    QFile f(dir.filePath(u"a/.podtap.yaml"_s));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(Valid);
    f.close();
    QCOMPARE(ProjectConfigParser::find(dir.filePath(u"a/b/c"_s)),
             dir.filePath(u"a/.podtap.yaml"_s));
    QCOMPARE(ProjectConfigParser::find(dir.filePath(u"a"_s)), dir.filePath(u"a/.podtap.yaml"_s));
    const auto loaded = ProjectConfigParser::load(dir.filePath(u"a/.podtap.yaml"_s));
    QVERIFY2(loaded.ok(), qPrintable(loaded.error()));
    QCOMPARE(loaded->file, dir.filePath(u"a/.podtap.yaml"_s));
}

void TestProjectConfig::mirrorNames_data()
{
    QTest::addColumn<QString>("word");
    QTest::addColumn<bool>("isName");
    QTest::addRow("plain") << u"web"_s << true;
    QTest::addRow("dashes dots") << u"api-v2.orders_1"_s << true;
    QTest::addRow("namespace/pod") << u"shop/web"_s << false;
    QTest::addRow("option") << u"--port"_s << false;
    QTest::addRow("empty") << QString() << false;
}

void TestProjectConfig::mirrorNames()
{
    QFETCH(QString, word);
    QFETCH(bool, isName);
    QCOMPARE(ProjectConfigParser::isMirrorName(word), isName);
}

QTEST_GUILESS_MAIN(TestProjectConfig)
#include "tst_projectconfig.moc"
