// What session.start accepts: targets (and the context a target names), ports, the tap
// profile, mirror targets and HTTP filters; every refusal says why.
#include "kube/targetresolver.h"
#include "session/sessionconfig.h"

#include <QJsonDocument>
#include <QTest>

using namespace podtap;

class TestSessionConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void targets_data();
    void targets();
    void sessions_data();
    void sessions();
    void roundTrip();
    void protoDescriptor();
};

void TestSessionConfig::targets_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("parsed"); // context|ns|kind|name, or "error: <part of it>"
    QTest::addRow("bare pod") << QStringLiteral("web") << QStringLiteral("|shop|pod|web");
    QTest::addRow("ns/pod") << QStringLiteral("prod/web") << QStringLiteral("|prod|pod|web");
    QTest::addRow("context/ns/pod")
            << QStringLiteral("eu/prod/web") << QStringLiteral("eu|prod|pod|web");
    QTest::addRow("deploy") << QStringLiteral("deploy/api")
                            << QStringLiteral("|shop|deployment|api");
    QTest::addRow("svc") << QStringLiteral("svc/front") << QStringLiteral("|shop|service|front");
    QTest::addRow("sts") << QStringLiteral("sts/db") << QStringLiteral("|shop|statefulset|db");
    QTest::addRow("cronjob") << QStringLiteral("cronjob/nightly")
                             << QStringLiteral("error: cannot tap a cronjob");
    QTest::addRow("daemonset") << QStringLiteral("ds/agent")
                               << QStringLiteral("error: cannot tap a ds");
    QTest::addRow("empty part") << QStringLiteral("shop//web")
                                << QStringLiteral("error: has an empty part");
    QTest::addRow("four parts") << QStringLiteral("a/b/c/d")
                                << QStringLiteral("error: is not [context/]namespace/pod");
}

void TestSessionConfig::targets()
{
    QFETCH(QString, text);
    QFETCH(QString, parsed);
    const auto t = TargetSpec::parse(text, QStringLiteral("shop"));
    if (parsed.startsWith(QLatin1String("error: "))) {
        QVERIFY(!t.ok());
        QVERIFY2(t.error().contains(parsed.mid(7)), qPrintable(t.error()));
        return;
    }
    QVERIFY2(t.ok(), qPrintable(t.error()));
    QCOMPARE(QStringList({t->context, t->ns, t->kind, t->name}).join(QLatin1Char('|')), parsed);
}

void TestSessionConfig::sessions_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("outcome"); // "ok context=X" or the start of the error
    QTest::addRow("minimal") << QByteArray(R"({"target":"shop/web","port":8080})")
                             << QStringLiteral("ok context=");
    QTest::addRow("context from the target")
            << QByteArray(R"({"target":"eu/shop/web","port":8080})")
            << QStringLiteral("ok context=eu");
    QTest::addRow("same context twice")
            << QByteArray(R"({"target":"eu/shop/web","context":"eu","port":8080})")
            << QStringLiteral("ok context=eu");
    QTest::addRow("contexts disagree")
            << QByteArray(R"({"target":"eu/shop/web","context":"us","port":8080})")
            << QStringLiteral("the target names context 'eu'");
    QTest::addRow("unsupported kind") << QByteArray(R"({"target":"job/x","port":80})")
                                      << QStringLiteral("podtap cannot tap a job");
    QTest::addRow("no target") << QByteArray(R"({"port":80})")
                               << QStringLiteral("a session needs a target");
    QTest::addRow("bad port") << QByteArray(R"({"target":"web","port":70000})")
                              << QStringLiteral("the port to tap must be 1-65535");
    QTest::addRow("bad profile") << QByteArray(
            R"({"target":"web","port":80,"tapProfile":"privileged"})")
                                 << QStringLiteral("unknown tap profile 'privileged'");
    QTest::addRow("baseline profile")
            << QByteArray(R"({"target":"web","port":80,"tapProfile":"baseline"})")
            << QStringLiteral("ok context=");
    QTest::addRow("remote mirror")
            << QByteArray(R"({"target":"web","port":80,"mirror":{"host":"10.0.0.1","port":9}})")
            << QStringLiteral("refusing to mirror pod traffic to 10.0.0.1");
    QTest::addRow("bad HTTP filter") << QByteArray(
            R"({"target":"web","port":80,"mirror":{"port":9,"httpFilter":{"path":"("}}})")
                                     << QStringLiteral("HTTP filter: path regex '('");
    QTest::addRow("unknown filter key") << QByteArray(
            R"({"target":"web","port":80,"mirror":{"port":9,"httpFilter":{"url":"x"}}})")
                                        << QStringLiteral("HTTP filter: unknown key 'url'");
}

void TestSessionConfig::sessions()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, outcome);
    const auto c = SessionConfig::fromJson(QJsonDocument::fromJson(json).object());
    if (outcome.startsWith(QLatin1String("ok "))) {
        QVERIFY2(c.ok(), qPrintable(c.error()));
        QCOMPARE(QStringLiteral("ok context=") + c->context, outcome);
    } else {
        QVERIFY(!c.ok());
        QVERIFY2(c.error().startsWith(outcome), qPrintable(c.error()));
    }
}

void TestSessionConfig::roundTrip()
{
    const QByteArray json(R"({"target":"deploy/api","namespace":"shop","port":8080,
        "tapProfile":"nonroot","image":"example.com/tcpdump:1",
        "mirror":{"port":18080,"compare":true,"ignoreHeaders":["X-Build"],
                  "httpFilter":{"methods":["GET"],"path":"^/api/"}}})");
    const auto a = SessionConfig::fromJson(QJsonDocument::fromJson(json).object());
    QVERIFY2(a.ok(), qPrintable(a.error()));
    const auto b = SessionConfig::fromJson(a->toJson());
    QVERIFY2(b.ok(), qPrintable(b.error()));
    QCOMPARE(b->toJson(), a->toJson());
    QCOMPARE(b->tapProfile, QStringLiteral("nonroot"));
    QVERIFY(b->compare);
    QCOMPARE(b->ignoreHeaders, QStringList{QStringLiteral("X-Build")});
    QCOMPARE(b->httpFilter.value(QLatin1String("path")).toString(), QStringLiteral("^/api/"));
    // The client's environment (plugin credentials may be in it) never leaves memory.
    QVERIFY(!a->toJson().contains(QLatin1String("environment")));
}

void TestSessionConfig::protoDescriptor()
{
    // FileDescriptorSet{file{name "a.proto" message_type{name "M" field{name "f" number 1
    // type TYPE_STRING}}}}, as python's descriptor_pb2 reads it.
    const QByteArray set("ChcKB2EucHJvdG8iDAoBTRIHCgFmGAEoCQ==");
    const QByteArray ok(R"({"target":"web","port":80,"mirror":{"port":9,"compare":true,)"
                        R"("protoDescriptor":")"
                        + set + "\"}}");
    const auto c = SessionConfig::fromJson(QJsonDocument::fromJson(ok).object());
    QVERIFY2(c.ok(), qPrintable(c.error()));
    QVERIFY(c->protoDescriptors);
    QCOMPARE(c->protoDescriptors->field("M", 1)->name, QStringLiteral("f"));
    // Garbage that is base64 is refused by the parser, with its reason.
    const QByteArray bad(
            R"({"target":"web","port":80,"mirror":{"port":9,"protoDescriptor":"Z2FyYmFnZQ=="}})");
    const auto refused = SessionConfig::fromJson(QJsonDocument::fromJson(bad).object());
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().startsWith(QLatin1String("mirror.protoDescriptor: ")),
             qPrintable(refused.error()));
    const auto none = SessionConfig::fromJson(
            QJsonDocument::fromJson(R"({"target":"web","port":80})").object());
    QVERIFY(none.ok() && !none->protoDescriptors);
}

QTEST_GUILESS_MAIN(TestSessionConfig)
#include "tst_sessionconfig.moc"
