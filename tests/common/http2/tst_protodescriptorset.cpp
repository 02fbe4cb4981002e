// ProtoDescriptorSet over real protoc output (greeter.proto + shapes.proto, --include_imports),
// checked against the python protobuf descriptor pool; bad files give errors, not crashes.
#include "http/httpmessage.h"
#include "http2/grpccall.h"
#include "http2/protobufwireview.h"
#include "http2/protodescriptorset.h"
#include "protofixture.h"

#include <QJsonArray>
#include <QRandomGenerator>
#include <QTest>

using namespace podtap;

class TestProtoDescriptorSet : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void matchesThePythonDescriptorPool();
    void methods();
    void withoutImports();
    void badSets_data();
    void badSets();
    void everyTruncation();
    void mutations();
    void readFile();
    void namesInTheWireView();

private:
    QTemporaryDir m_dir;
    prototest::Fixture m_fx;
};

void TestProtoDescriptorSet::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_fx = prototest::make(m_dir);
    QVERIFY2(m_fx.error.isEmpty(), qPrintable(m_fx.error));
}

void TestProtoDescriptorSet::matchesThePythonDescriptorPool()
{
    const auto set = ProtoDescriptorSet::parse(m_fx.descriptorSet);
    QVERIFY2(set.ok(), qPrintable(set.error()));
    QCOMPARE(set->fileCount(), 2); // shapes.proto and the greeter.proto it imports
    QCOMPARE(set->messageCount(), m_fx.schema.size());
    QVERIFY(m_fx.schema.contains(QLatin1String("podtaptest.shapes.v1.Shape.Style")));
    for (auto it = m_fx.schema.begin(); it != m_fx.schema.end(); ++it) {
        const ProtoDescriptorSet::Message *m = set->message(it.key().toUtf8());
        QVERIFY2(m, qPrintable(it.key()));
        QCOMPARE(set->message(QByteArray('.' + it.key().toUtf8())), m);
        const QJsonObject fields = it.value().toObject();
        QCOMPARE(qsizetype(m->fields.size()), fields.size());
        for (auto f = fields.begin(); f != fields.end(); ++f) {
            const QJsonArray want = f.value().toArray();
            const ProtoDescriptorSet::Field *got = set->field(m->fullName, f.key().toUInt());
            QVERIFY2(got, qPrintable(it.key() + QLatin1Char('.') + f.key()));
            QCOMPARE(got->name, want.at(0).toString());
            QCOMPARE(QString::fromLatin1(ProtoDescriptorSet::typeName(got->type)),
                     want.at(1).toString());
            QCOMPARE(got->repeated, want.at(2).toBool());
            QCOMPARE(QString::fromUtf8(got->typeName), want.at(3).toString());
        }
    }
    // A nested message type, and one from the imported file.
    const auto *points = set->field("podtaptest.shapes.v1.Shape", 2);
    QVERIFY(points);
    QCOMPARE(set->nestedType(*points)->fullName, QByteArray("podtaptest.shapes.v1.Point"));
    const auto *detail = set->field("podtaptest.shapes.v1.Shape", 5);
    QCOMPARE(set->nestedType(*detail)->fullName, QByteArray("podtaptest.Detail"));
    QVERIFY(!set->nestedType(*set->field("podtaptest.shapes.v1.Shape", 8))); // an enum
    QVERIFY(!set->field("podtaptest.shapes.v1.Shape", 99));
    QVERIFY(!set->message("Shape")); // full names only
}

void TestProtoDescriptorSet::methods()
{
    const auto set = ProtoDescriptorSet::parse(m_fx.descriptorSet);
    QVERIFY(set.ok());
    QCOMPARE(set->methodCount(), m_fx.methods.size());
    for (auto it = m_fx.methods.begin(); it != m_fx.methods.end(); ++it) {
        const QJsonArray want = it.value().toArray();
        const ProtoDescriptorSet::Method *m = set->method(it.key().toUtf8());
        QVERIFY2(m, qPrintable(it.key()));
        QCOMPARE(QString::fromUtf8(m->inputType), want.at(0).toString());
        QCOMPARE(QString::fromUtf8(m->outputType), want.at(1).toString());
        QCOMPARE(m->clientStreaming, want.at(2).toBool());
        QCOMPARE(m->serverStreaming, want.at(3).toBool());
        QCOMPARE(set->method(it.key().mid(1).toUtf8()), m); // without the leading slash
    }
    const auto *find = set->method("/podtaptest.shapes.v1.Shapes/Find");
    QVERIFY(find && find->serverStreaming && !find->clientStreaming);
    QCOMPARE(find->service, QByteArray("podtaptest.shapes.v1.Shapes"));
    QVERIFY(!set->method("/podtaptest.shapes.v1.Shapes/Nope"));
    QVERIFY(!set->method("/Shapes/Find"));
}

void TestProtoDescriptorSet::withoutImports()
{
    // Without --include_imports the imported greeter.proto is missing: its types are named
    // but unknown, never invented.
    const QString path = m_dir.filePath(QStringLiteral("shapes-only.pb"));
    QString error;
    QVERIFY2(prototest::protoc({QStringLiteral("shapes.proto")}, path, false, {}, &error),
             qPrintable(error));
    const auto set = ProtoDescriptorSet::readFile(path);
    QVERIFY2(set.ok(), qPrintable(set.error()));
    QCOMPARE(set->fileCount(), 1);
    const auto *detail = set->field("podtaptest.shapes.v1.Shape", 5);
    QVERIFY(detail);
    QCOMPARE(detail->typeName, QByteArray("podtaptest.Detail"));
    QVERIFY(!set->nestedType(*detail));
    QVERIFY(!set->message("podtaptest.HelloReply"));
    QVERIFY(!set->method("/podtaptest.Greeter/SayHello"));
}

void TestProtoDescriptorSet::badSets_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QString>("says");
    QVERIFY(!m_fx.descriptorSet.isEmpty());
    const QByteArray set = m_fx.descriptorSet;
    QTest::addRow("empty") << QByteArray() << QStringLiteral("empty");
    QByteArray garbage(4096, '\0');
    QRandomGenerator rng(19);
    for (char &c : garbage)
        c = char(rng.bounded(256));
    QTest::addRow("garbage") << garbage << QStringLiteral("not a FileDescriptorSet");
    QTest::addRow("half") << set.left(set.size() / 2) << QStringLiteral("not a FileDescriptorSet");
    QTest::addRow("one byte short")
            << set.left(set.size() - 1) << QStringLiteral("not protobuf wire format");
    QFile source(QStringLiteral(SRCDIR "/proto/shapes.proto"));
    QVERIFY(source.open(QIODevice::ReadOnly));
    QTest::addRow("a .proto source") << source.readAll() << QStringLiteral("--descriptor_set_out");
    // Protobuf, but not a descriptor set: a HelloReply.
    QTest::addRow("another message")
            << m_fx.messages.value(QStringLiteral("reply")) << QStringLiteral("file 0");
    QTest::addRow("a message") << m_fx.messages.value(QStringLiteral("shape"))
                               << QStringLiteral("not a FileDescriptorSet");
    // A file whose message_type is a varint.
    QTest::addRow("wrong wire type")
            << QByteArray("\x0a\x05\x0a\x01x\x20\x05", 7)
            << QStringLiteral("message_type (field 4) has wire type varint");
    // A field without a number: FileDescriptorProto{name "a", message_type{name "M",
    // field{name "f"}}}
    QTest::addRow("a field without a number") << QByteArray("\x0a\x0f\x0a\x01"
                                                            "a\x22\x0a\x0a\x01M\x12\x05\x0a\x03"
                                                            "foo",
                                                            17)
                                              << QStringLiteral("without a name or a number");
    QTest::addRow("no file name") << QByteArray("\x0a\x03\x12\x01p", 5)
                                  << QStringLiteral("no file name");
}

void TestProtoDescriptorSet::badSets()
{
    QFETCH(QByteArray, data);
    QFETCH(QString, says);
    const auto set = ProtoDescriptorSet::parse(data);
    QVERIFY(!set.ok());
    QVERIFY2(set.error().contains(says), qPrintable(set.error()));
}

void TestProtoDescriptorSet::everyTruncation()
{
    // Every prefix either parses (a cut between two files) or says why; none crashes, and
    // the cuts inside a file all fail.
    const QByteArray set = m_fx.descriptorSet;
    const auto whole = ProtobufWireView::parse(set, 1);
    QVERIFY(whole && whole->size() == 2);
    const qsizetype firstFileEnd = set.size() - (whole->at(1).bytes.size() + 3);
    int ok = 0;
    for (qsizetype n = 0; n < set.size(); ++n) {
        const auto r = ProtoDescriptorSet::parse(QByteArrayView(set).first(n));
        if (r.ok()) {
            ++ok;
            QCOMPARE(n, firstFileEnd);
            QCOMPARE(r->fileCount(), 1);
        } else {
            QVERIFY(!r.error().isEmpty());
        }
    }
    QCOMPARE(ok, 1);
}

void TestProtoDescriptorSet::mutations()
{
    // Random bytes of a real set changed: each parse ends with a set or a reason, never a
    // crash or a hang.
    QRandomGenerator rng(1919);
    int refused = 0;
    const int rounds = 3000;
    for (int i = 0; i < rounds; ++i) {
        QByteArray set = m_fx.descriptorSet;
        const int changes = 1 + int(rng.bounded(4));
        for (int c = 0; c < changes; ++c)
            set[qsizetype(rng.bounded(quint32(set.size())))] = char(rng.bounded(256));
        const auto r = ProtoDescriptorSet::parse(set);
        if (!r.ok()) {
            ++refused;
            QVERIFY(!r.error().isEmpty());
        }
    }
    qInfo("%d of %d mutated sets refused", refused, rounds);
    QVERIFY(refused > 0 && refused < rounds); // names can change and still parse
}

void TestProtoDescriptorSet::readFile()
{
    const auto good = ProtoDescriptorSet::readFile(m_fx.setPath);
    QVERIFY2(good.ok(), qPrintable(good.error()));
    const auto missing = ProtoDescriptorSet::readFile(m_dir.filePath(QStringLiteral("nope.pb")));
    QVERIFY(!missing.ok());
    QVERIFY2(missing.error().contains(QLatin1String("nope.pb")), qPrintable(missing.error()));
    const auto tooBig = ProtoDescriptorSet::readFile(m_fx.setPath, 100);
    QVERIFY(!tooBig.ok());
    QVERIFY2(tooBig.error().contains(QLatin1String("larger than 100 bytes")),
             qPrintable(tooBig.error()));
    const auto endless = ProtoDescriptorSet::readFile(QStringLiteral("/dev/zero"), 1 << 16);
    QVERIFY(!endless.ok());
    const auto directory = ProtoDescriptorSet::readFile(m_dir.path());
    QVERIFY(!directory.ok());
}

void TestProtoDescriptorSet::namesInTheWireView()
{
    const auto set = ProtoDescriptorSet::parse(m_fx.descriptorSet);
    QVERIFY(set.ok());
    const auto fields = ProtobufWireView::parse(m_fx.messages.value(QStringLiteral("shape")));
    QVERIFY(fields);
    const QJsonArray named
            = set->annotate(ProtobufWireView::toJson(*fields), "podtaptest.shapes.v1.Shape");
    QCOMPARE(named.size(), 12); // 1, 2×3, 3, 4×2, 5, 6, 7, 8, 9
    QCOMPARE(named.at(0)[QLatin1String("name")].toString(), QStringLiteral("name"));
    const QJsonObject point = named.at(2).toObject();
    QCOMPARE(point[QLatin1String("name")].toString(), QStringLiteral("points"));
    QCOMPARE(point[QLatin1String("declared")].toString(), QStringLiteral("message"));
    QCOMPARE(point[QLatin1String("message")][0][QLatin1String("name")].toString(),
             QStringLiteral("x"));
    const QJsonObject detail = named.at(7).toObject();
    QCOMPARE(detail[QLatin1String("name")].toString(), QStringLiteral("detail"));
    QCOMPARE(detail[QLatin1String("message")][1][QLatin1String("name")].toString(),
             QStringLiteral("note"));
    // A message whose bytes are all printable (Style{color: 32 × 'z'}: 0x0a 0x20 z…) is text
    // to the wire view; the schema decodes it.
    QByteArray printable("\x0a\x20");
    printable += QByteArray(32, 'z');
    const auto style = ProtobufWireView::parse(QByteArray(QByteArray("\x1a\x22", 2) + printable));
    QVERIFY(style && style->at(0).isText);
    const QJsonArray decoded
            = set->annotate(ProtobufWireView::toJson(*style), "podtaptest.shapes.v1.Shape");
    QCOMPARE(decoded.at(0)[QLatin1String("message")][0][QLatin1String("name")].toString(),
             QStringLiteral("color"));
    QCOMPARE(decoded.at(0)[QLatin1String("message")][0][QLatin1String("text")].toString(),
             QString(32, QLatin1Char('z')));

    // GrpcCall::toJson names the fields of a declared method and says the types.
    GrpcCall call;
    call.service = "podtaptest.Greeter";
    call.method = "SayHello";
    GrpcCall::Message reply;
    reply.fromClient = false;
    reply.data = m_fx.messages.value(QStringLiteral("reply"));
    reply.length = std::uint32_t(reply.data.size());
    call.responses.push_back(reply);
    const QJsonObject plain = call.toJson();
    QVERIFY(!plain[QLatin1String("responses")][0][QLatin1String("fields")][0].toObject().contains(
            QLatin1String("name")));
    const QJsonObject j = call.toJson(&set.value());
    QCOMPARE(j[QLatin1String("outputType")].toString(), QStringLiteral("podtaptest.HelloReply"));
    QCOMPARE(j[QLatin1String("responses")][0][QLatin1String("fields")][1][QLatin1String("message")]
              [1][QLatin1String("name")]
                      .toString(),
             QStringLiteral("note"));
}

QTEST_GUILESS_MAIN(TestProtoDescriptorSet)
#include "tst_protodescriptorset.moc"
